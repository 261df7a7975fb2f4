//! Responsibility zones (责任区) of co-building units: a polygon drawn on the map, or a set of grids
//! (which follows those grids through re-published plans). A zone must lie in its sub-district.
//! Changing a zone ends it and starts a new one, so that past routing can be explained.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::organisations::{self, Kind};
use super::people::clean_name;
use super::{UnitsError, audit, district_communities, require_district};
use crate::audit::Actor;
use crate::spatial::area;

/// A zone's area now: its polygon, or the union of its grids still in force.
pub const ZONE_AREA: &str = "coalesce(z.area, (select st_multi(st_union(g.boundary)) from zone_grids zg
    join grids g on g.id = zg.grid_id where zg.zone_id = z.id and g.ended_on is null))";

/// How far (degrees, about a metre) a drawn zone may stray past its sub-district's edge, for
/// clicks that land on the boundary line.
const EDGE_TOLERANCE: f64 = 1e-5;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Zone {
    pub id: i64,
    pub organisation_id: i64,
    pub organisation: String,
    pub district_id: i64,
    pub name: String,
    /// The grids of a grid-set zone (none for a drawn one), with `ended` for grids no longer in force.
    pub grids: Vec<ZoneGrid>,
    /// Its area now, as a GeoJSON geometry (null when every grid of a grid set has ended).
    #[schema(value_type = Option<Object>)]
    pub area: Option<Value>,
    pub area_m2: f64,
    pub valid_from: DateTime<Utc>,
    pub valid_to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ZoneGrid {
    pub id: i64,
    pub code: String,
    pub ended: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewZone {
    /// A co-building unit (partner_unit) of the sub-district.
    pub organisation: i64,
    pub name: String,
    /// Grids of the register, or …
    pub grids: Option<Vec<i64>>,
    /// … a GeoJSON Polygon or MultiPolygon.
    #[schema(value_type = Option<Object>)]
    pub area: Option<Value>,
    /// A zone this one takes the place of (ended in the same change).
    pub replaces: Option<i64>,
}

type Row = (i64, i64, String, i64, String, Option<Value>, Option<String>, f64, DateTime<Utc>, Option<DateTime<Utc>>);

fn select(condition: &str) -> String {
    format!(
        "select z.id, z.organisation_id, o.name, o.district_id, z.name,
                (select jsonb_agg(jsonb_build_object('id', g.id, 'code', g.code, 'ended', g.ended_on is not null) order by g.code)
                 from zone_grids zg join grids g on g.id = zg.grid_id where zg.zone_id = z.id),
                st_asgeojson(a.area, 7), coalesce(st_area(a.area::geography), 0), z.valid_from, z.valid_to
         from zones z join organisations o on o.id = z.organisation_id
         cross join lateral (select {ZONE_AREA} as area) a
         where {condition}
         order by o.name, z.valid_from desc"
    )
}

fn zone((id, organisation_id, organisation, district_id, name, grids, area, area_m2, valid_from, valid_to): Row) -> Zone {
    Zone {
        id,
        organisation_id,
        organisation,
        district_id,
        name,
        grids: grids.and_then(|g| serde_json::from_value(g).ok()).unwrap_or_default(),
        area: area.and_then(|a| serde_json::from_str(&a).ok()),
        area_m2: area_m2.round(),
        valid_from,
        valid_to,
    }
}

pub async fn list(db: &mut PgConnection, district_id: i64, history: bool, scope: &[i64]) -> Result<Vec<Zone>, UnitsError> {
    require_district(db, district_id, scope).await?;
    let rows: Vec<Row> = sqlx::query_as(&select("o.district_id = $1 and ($2 or z.valid_to is null)"))
        .bind(district_id)
        .bind(history)
        .fetch_all(db)
        .await?;
    Ok(rows.into_iter().map(zone).collect())
}

pub async fn get(db: &mut PgConnection, id: i64, scope: &[i64]) -> Result<Zone, UnitsError> {
    let row: Option<Row> =
        sqlx::query_as(&select("z.id = $1 and o.district_id in (select district_id from communities where id = any($2))"))
            .bind(id)
            .bind(scope)
            .fetch_optional(db)
            .await?;
    row.map(zone).ok_or_else(|| UnitsError::NotFound(format!("no zone {id} in your area")))
}

/// Checks a drawn area in PostGIS (valid, inside the sub-district) and answers it as GeoJSON text.
async fn check_area(db: &mut PgConnection, value: &Value, district_id: i64) -> Result<String, UnitsError> {
    let shape = area::from_geojson(value).map_err(|e| UnitsError::invalid("area", "invalid_geometry", e.to_string()))?;
    let text = geojson::Geometry::from(&shape).to_string();
    let (reason, inside): (String, Option<bool>) = sqlx::query_as(
        "with a as (select st_setsrid(st_geomfromgeojson($1), 4326) as area)
         select st_isvalidreason(a.area),
                case when st_isvalid(a.area) then st_coveredby(a.area,
                     (select st_buffer(st_union(boundary), $3) from communities where district_id = $2)) end
         from a",
    )
    .bind(&text)
    .bind(district_id)
    .bind(EDGE_TOLERANCE)
    .fetch_one(&mut *db)
    .await?;
    match inside {
        None => Err(UnitsError::invalid("area", "invalid_geometry", format!("the area is not a valid polygon: {reason}"))),
        Some(false) => Err(UnitsError::invalid("area", "outside_district", "the zone reaches outside its sub-district")),
        Some(true) => Ok(text),
    }
}

/// Checks a grid set: current grids of the sub-district in the user's area, no repeats.
async fn check_grids(db: &mut PgConnection, grids: &[i64], district_id: i64, scope: &[i64]) -> Result<(), UnitsError> {
    if grids.is_empty() {
        return Err(UnitsError::invalid("grids", "empty_zone", "a zone of grids needs at least one grid"));
    }
    let mut sorted = grids.to_vec();
    sorted.sort_unstable();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(UnitsError::invalid("grids", "duplicate_grid", "a grid is listed twice"));
    }
    let found: Vec<i64> = sqlx::query_scalar(
        "select g.id from grids g join communities c on c.id = g.community_id
         where g.id = any($1) and g.ended_on is null and c.district_id = $2 and g.community_id = any($3)",
    )
    .bind(grids)
    .bind(district_id)
    .bind(scope)
    .fetch_all(&mut *db)
    .await?;
    match grids.iter().find(|g| !found.contains(g)) {
        Some(missing) => Err(UnitsError::invalid(
            "grids",
            "unknown_grid",
            format!("no grid {missing} in force in this sub-district and your area"),
        )),
        None => Ok(()),
    }
}

pub async fn create(db: &mut PgConnection, new: &NewZone, scope: &[i64], actor: &Actor) -> Result<Zone, UnitsError> {
    let organisation = organisations::get(db, new.organisation, scope)
        .await
        .map_err(|_| UnitsError::invalid("organisation", "unknown_organisation", format!("no organisation {} in your area", new.organisation)))?;
    organisations::require_kind(db, "organisation", organisation.id, organisation.district_id, Kind::PartnerUnit).await?;
    let name = clean_name("name", &new.name, organisations::MAX_NAME_CHARS)?;
    let district = organisation.district_id;
    let area = match (&new.grids, &new.area) {
        (Some(grids), None) => {
            check_grids(db, grids, district, scope).await?;
            None
        }
        (None, Some(area)) => Some(check_area(db, area, district).await?),
        _ => return Err(UnitsError::invalid("area", "zone_shape", "a zone is either `grids` or a drawn `area`, one of the two")),
    };
    let by = actor.name.as_deref().unwrap_or("command line");
    if let Some(replaced) = new.replaces {
        let old = get(db, replaced, scope)
            .await
            .map_err(|_| UnitsError::invalid("replaces", "unknown_zone", format!("no zone {replaced} in your area")))?;
        if old.valid_to.is_some() {
            return Err(UnitsError::invalid("replaces", "already_ended", format!("zone {replaced} has already ended")));
        }
        end_row(db, replaced, by).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "insert into zones (organisation_id, name, area, started_by)
         values ($1, $2, st_multi(st_setsrid(st_geomfromgeojson($3), 4326)), $4) returning id",
    )
    .bind(organisation.id)
    .bind(&name)
    .bind(&area)
    .bind(by)
    .fetch_one(&mut *db)
    .await?;
    if let Some(grids) = &new.grids {
        sqlx::query("insert into zone_grids (zone_id, grid_id) select $1, unnest($2::bigint[])")
            .bind(id)
            .bind(grids)
            .execute(&mut *db)
            .await?;
    }
    let summary = json!({ "after": { "organisation": organisation.name, "name": name, "grids": new.grids,
                                     "drawn": area.is_some() }, "replaces": new.replaces });
    let communities = district_communities(db, district).await?;
    audit(db, actor, "zone.start", ("zone", id), summary, &communities).await?;
    get(db, id, scope).await
}

async fn end_row(db: &mut PgConnection, id: i64, by: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update zones set valid_to = greatest(now(), valid_from), ended_by = $2 where id = $1 and valid_to is null")
        .bind(id)
        .bind(by)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn end(db: &mut PgConnection, id: i64, scope: &[i64], actor: &Actor) -> Result<Zone, UnitsError> {
    let before = get(db, id, scope).await?;
    if before.valid_to.is_some() {
        return Err(UnitsError::conflict("already_ended", format!("zone {id} has already ended")));
    }
    end_row(db, id, actor.name.as_deref().unwrap_or("command line")).await?;
    let communities = district_communities(db, before.district_id).await?;
    audit(db, actor, "zone.end", ("zone", id), json!({ "before": { "name": before.name } }), &communities).await?;
    get(db, id, scope).await
}
