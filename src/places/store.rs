//! Queries on the places tables. Functions take any executor so they run on the pool or inside
//! a transaction.

use serde::{Deserialize, Serialize};
use sqlx::{FromRow, PgExecutor};
use utoipa::ToSchema;

use crate::db::geometry;
use crate::spatial::locate::Footprint;

#[derive(Debug, Clone, Serialize, Deserialize, FromRow, ToSchema)]
pub struct Named {
    pub id: i64,
    pub name: Option<String>,
}

/// A community with its tallies, for lists and for fitting the map.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommunitySummary {
    pub id: i64,
    pub name: String,
    pub code: Option<String>,
    pub district: Named,
    pub households: i64,
    pub buildings: i64,
    pub estates: i64,
    /// [min lon, min lat, max lon, max lat]
    pub bbox: [f64; 4],
    /// A point inside the boundary, for a label.
    pub label_point: [f64; 2],
}

/// Whether a user's area `scope` (ids of communities, sorted, as the session holds them) is every
/// community of the service: the city. Counted, not compared id by id: comparing the area with
/// every community took 16 ms a request for a city of 2,000 under a cached plan.
pub async fn holds_city(db: impl PgExecutor<'_>, scope: &[i64]) -> Result<bool, sqlx::Error> {
    let all: i64 = sqlx::query_scalar("select count(*) from communities").fetch_one(db).await?;
    // An area of a sub-district and one of its communities lists that community twice.
    let mut held = scope.to_vec();
    held.dedup();
    Ok(held.len() as i64 == all)
}

/// The communities among `scope` (a user's area).
pub async fn communities(db: impl PgExecutor<'_>, scope: &[i64]) -> Result<Vec<CommunitySummary>, sqlx::Error> {
    type Row = (i64, String, Option<String>, i64, String, i64, i64, i64, f64, f64, f64, f64, f64, f64);
    let rows: Vec<Row> = sqlx::query_as(
        "select c.id, c.name, c.code, d.id, d.name,
                coalesce(b.households, 0), coalesce(b.buildings, 0), coalesce(e.estates, 0),
                st_xmin(c.boundary), st_ymin(c.boundary), st_xmax(c.boundary), st_ymax(c.boundary),
                st_x(st_pointonsurface(c.boundary)), st_y(st_pointonsurface(c.boundary))
         from communities c
         join districts d on d.id = c.district_id
         left join (select community_id, sum(households)::bigint as households, count(*) as buildings
                    from buildings group by community_id) b on b.community_id = c.id
         left join (select community_id, count(*) as estates from estates group by community_id) e on e.community_id = c.id
         where c.id = any($1)
         order by d.name, c.code nulls last, c.name",
    )
    .bind(scope)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, code, district_id, district_name, households, buildings, estates, x0, y0, x1, y1, lx, ly)| {
            CommunitySummary {
                id,
                name,
                code,
                district: Named { id: district_id, name: Some(district_name) },
                households,
                buildings,
                estates,
                bbox: [x0, y0, x1, y1],
                label_point: [lx, ly],
            }
        })
        .collect())
}

/// A building with what it belongs to, as shown when a user clicks it.
#[derive(Debug, Serialize, FromRow, ToSchema)]
pub struct BuildingDetail {
    pub id: i64,
    pub name: Option<String>,
    pub kind: String,
    pub floors: Option<i32>,
    pub units: Option<i32>,
    pub households: i32,
    pub address: Option<String>,
    pub source: String,
    pub source_id: String,
    #[sqlx(json(nullable))]
    pub estate: Option<Named>,
    #[sqlx(json)]
    pub community: Named,
    #[sqlx(json)]
    pub district: Named,
    #[sqlx(json)]
    pub unit_list: Vec<UnitRow>,
    /// GeoJSON text of the footprint, answered as the Feature's geometry.
    #[serde(skip)]
    pub footprint: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitRow {
    pub number: i32,
    pub households: i32,
}

/// A building, if it lies in a community of `scope`.
pub async fn building(db: impl PgExecutor<'_>, id: i64, scope: &[i64]) -> Result<Option<BuildingDetail>, sqlx::Error> {
    sqlx::query_as(
        "select b.id, b.name, b.kind, b.floors, b.units, b.households, b.address, b.source, b.source_id,
                case when e.id is not null then json_build_object('id', e.id, 'name', e.name) end as estate,
                json_build_object('id', c.id, 'name', c.name) as community,
                json_build_object('id', d.id, 'name', d.name) as district,
                coalesce((select json_agg(json_build_object('number', u.number, 'households', u.households) order by u.number)
                          from units u where u.building_id = b.id), '[]') as unit_list,
                st_asgeojson(b.footprint, 7) as footprint
         from buildings b
         join communities c on c.id = b.community_id
         join districts d on d.id = c.district_id
         left join estates e on e.id = b.estate_id
         where b.id = $1 and b.community_id = any($2)",
    )
    .bind(id)
    .bind(scope)
    .fetch_optional(db)
    .await
}

/// One building of a bbox page, its footprint as GeoJSON text.
#[derive(Debug, FromRow)]
pub struct BuildingFeature {
    pub id: i64,
    pub name: Option<String>,
    pub kind: String,
    pub floors: Option<i32>,
    pub units: Option<i32>,
    pub households: i32,
    pub community_id: i64,
    pub estate_id: Option<i64>,
    pub footprint: String,
}

/// Buildings of `scope` intersecting a bbox, in id order after `after_id` (keyset paging), at
/// most `limit`.
pub async fn buildings_in_bbox(
    db: impl PgExecutor<'_>,
    bbox: [f64; 4],
    after_id: i64,
    limit: i64,
    scope: &[i64],
) -> Result<Vec<BuildingFeature>, sqlx::Error> {
    sqlx::query_as(
        "select id, name, kind, floors, units, households, community_id, estate_id, st_asgeojson(footprint, 7) as footprint
         from buildings
         where footprint && st_makeenvelope($1, $2, $3, $4, 4326) and id > $5 and community_id = any($7)
         order by id limit $6",
    )
    .bind(bbox[0])
    .bind(bbox[1])
    .bind(bbox[2])
    .bind(bbox[3])
    .bind(after_id)
    .bind(limit)
    .bind(scope)
    .fetch_all(db)
    .await
}

/// Every footprint, for the locate index.
pub async fn footprints(db: impl PgExecutor<'_>) -> Result<Vec<Footprint>, sqlx::Error> {
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("select id, st_asbinary(footprint) from buildings").fetch_all(db).await?;
    rows.into_iter()
        .map(|(building_id, wkb)| {
            let polygon = geometry::multipolygon_from_wkb(&wkb).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            Ok(Footprint { building_id, polygon })
        })
        .collect()
}

pub async fn community_count(db: impl PgExecutor<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from communities").fetch_one(db).await
}
