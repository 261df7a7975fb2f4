//! Patrols (巡查): grid workers walk their grids and record the buildings they checked, by GPS
//! track (every household building within 15 m of it) or by ticking buildings; coverage per grid
//! and month, and the blind spots — household buildings nobody checked this month.

pub mod routes;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use crate::audit::{self, Actor, Event};
use crate::refusal::Refusal;
use crate::spatial::datum::Crs;
use crate::spatial::{is_latitude, is_longitude};

/// How close to a track a building counts as checked.
pub const TRACK_REACH_M: f64 = 15.0;
/// Most points in one track.
pub const MAX_TRACK_POINTS: usize = 20_000;
/// Most buildings ticked in one patrol.
pub const MAX_TICKED: usize = 2_000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPatrol {
    pub community: i64,
    pub started_at: DateTime<Utc>,
    pub ended_at: DateTime<Utc>,
    /// GPS positions `[lon, lat]` in `crs`, in walking order.
    #[serde(default)]
    pub track: Vec<[f64; 2]>,
    #[serde(default)]
    pub crs: Crs,
    /// Buildings ticked by hand.
    #[serde(default)]
    pub buildings: Vec<i64>,
    pub note: Option<String>,
}

/// Checks what needs no database; answers the track in WGS84.
pub fn check(new: &NewPatrol, now: DateTime<Utc>) -> Result<Vec<[f64; 2]>, Refusal> {
    if new.track.is_empty() && new.buildings.is_empty() {
        return Err(Refusal::invalid("track", "empty_patrol", "a patrol has a GPS track or ticked buildings"));
    }
    if new.track.len() == 1 {
        return Err(Refusal::invalid("track", "short_track", "a track has at least two positions"));
    }
    if new.track.len() > MAX_TRACK_POINTS {
        return Err(Refusal::invalid("track", "long_track", format!("a track has at most {MAX_TRACK_POINTS} positions")));
    }
    if new.buildings.len() > MAX_TICKED {
        return Err(Refusal::invalid("buildings", "too_many", format!("at most {MAX_TICKED} buildings")));
    }
    if new.ended_at < new.started_at || new.ended_at > now + chrono::TimeDelta::minutes(5) {
        return Err(Refusal::invalid("ended_at", "invalid_period", "a patrol ends after it starts and not in the future"));
    }
    if new.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(Refusal::invalid("note", "too_long", "a note has at most 500 characters"));
    }
    new.track
        .iter()
        .enumerate()
        .map(|(i, &[lon, lat])| {
            if is_longitude(lon) && is_latitude(lat) {
                let (lon, lat) = new.crs.to_wgs84(lon, lat);
                Ok([lon, lat])
            } else {
                Err(Refusal::invalid("track", "invalid_coordinates", format!("position {i} is not a longitude and latitude")))
            }
        })
        .collect()
}

/// Records a patrol; answers its id and the buildings it checked.
pub async fn record(db: &mut PgConnection, new: &NewPatrol, scope: &[i64], actor: &Actor) -> Result<(i64, i64), Refusal> {
    let track = check(new, Utc::now())?;
    if !scope.contains(&new.community) {
        return Err(Refusal::NotFound(format!("no community {} in your area", new.community)));
    }
    let known: i64 = sqlx::query_scalar("select count(*) from buildings where id = any($1) and community_id = $2")
        .bind(&new.buildings)
        .bind(new.community)
        .fetch_one(&mut *db)
        .await?;
    let mut ticked = new.buildings.clone();
    ticked.sort_unstable();
    ticked.dedup();
    if known != ticked.len() as i64 {
        return Err(Refusal::invalid("buildings", "unknown_building", "a ticked building is not in this community"));
    }
    let line = (track.len() >= 2).then(|| json!({ "type": "LineString", "coordinates": track }).to_string());
    let id: i64 = sqlx::query_scalar(
        "insert into patrols (user_id, community_id, started_at, ended_at, track, note)
         values ($1, $2, $3, $4, st_setsrid(st_geomfromgeojson($5), 4326), $6) returning id",
    )
    .bind(actor.id)
    .bind(new.community)
    .bind(new.started_at)
    .bind(new.ended_at)
    .bind(&line)
    .bind(new.note.as_deref().map(str::trim).filter(|n| !n.is_empty()))
    .fetch_one(&mut *db)
    .await?;
    let checked = sqlx::query(
        "insert into patrol_buildings (patrol_id, building_id, how)
         select $1, id, 'ticked' from unnest($2::bigint[]) id
         union
         select $1, b.id, 'track' from buildings b, patrols p
         where p.id = $1 and p.track is not null and b.community_id = $3 and b.households > 0
           and st_dwithin(b.footprint::geography, p.track::geography, $4) and not (b.id = any($2))",
    )
    .bind(id)
    .bind(&ticked)
    .bind(new.community)
    .bind(TRACK_REACH_M)
    .execute(&mut *db)
    .await?
    .rows_affected() as i64;
    let entry = Event { action: "patrol.record", object_type: Some("patrol"), object_id: Some(id.to_string()), summary: json!({ "buildings": checked }) };
    audit::record_in(&mut *db, actor, entry, &[new.community]).await?;
    Ok((id, checked))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GridCoverage {
    pub grid_id: Option<i64>,
    pub code: Option<String>,
    pub name: Option<String>,
    pub buildings: i64,
    pub checked: i64,
    pub coverage: f64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BlindSpot {
    pub id: i64,
    pub name: Option<String>,
    pub households: i32,
    pub grid_code: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PatrolCoverage)]
pub struct Coverage {
    pub community_id: i64,
    pub month: String,
    pub buildings: i64,
    pub checked: i64,
    pub coverage: f64,
    pub grids: Vec<GridCoverage>,
    pub blind_spots: Vec<BlindSpot>,
}

/// The first day of a `YYYY-MM` month.
pub fn month_start(month: &str) -> Result<NaiveDate, Refusal> {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_err(|_| Refusal::invalid("month", "invalid_month", format!("«{month}» is not a month YYYY-MM")))
}

/// Household buildings of the community, each with its grid in force and whether a patrol
/// checked it in the month (China time).
const BUILDINGS_IN_MONTH: &str = "
    select b.id, b.name, b.households, g.id as grid_id, g.code, g.name as grid_name,
           exists (select 1 from patrol_buildings pb join patrols p on p.id = pb.patrol_id
                   where pb.building_id = b.id
                     and p.started_at >= ($2::date)::timestamp at time zone 'Asia/Shanghai'
                     and p.started_at < (($2::date + interval '1 month')::date)::timestamp at time zone 'Asia/Shanghai') as checked
    from buildings b
    left join grids g on g.community_id = b.community_id and g.ended_on is null
                     and st_covers(g.boundary, st_pointonsurface(b.footprint))
    where b.community_id = $1 and b.households > 0";

pub async fn coverage(db: &mut PgConnection, community: i64, month: &str, scope: &[i64]) -> Result<Coverage, Refusal> {
    let start = month_start(month)?;
    if !scope.contains(&community) {
        return Err(Refusal::NotFound(format!("no community {community} in your area")));
    }
    let grids: Vec<GridCoverage> = sqlx::query_as(&format!(
        "select grid_id, code, grid_name as name, count(*) as buildings, count(*) filter (where checked) as checked,
                round(count(*) filter (where checked)::numeric / count(*), 4)::float8 as coverage
         from ({BUILDINGS_IN_MONTH}) x group by grid_id, code, grid_name order by code nulls last"
    ))
    .bind(community)
    .bind(start)
    .fetch_all(&mut *db)
    .await?;
    let blind_spots: Vec<BlindSpot> = sqlx::query_as(&format!(
        "select id, name, households, code as grid_code from ({BUILDINGS_IN_MONTH}) x where not checked
         order by households desc, id limit 2000"
    ))
    .bind(community)
    .bind(start)
    .fetch_all(&mut *db)
    .await?;
    let buildings: i64 = grids.iter().map(|g| g.buildings).sum();
    let checked: i64 = grids.iter().map(|g| g.checked).sum();
    Ok(Coverage {
        community_id: community,
        month: start.format("%Y-%m").to_string(),
        buildings,
        checked,
        coverage: if buildings == 0 { 0.0 } else { (checked as f64 / buildings as f64 * 1e4).round() / 1e4 },
        grids,
        blind_spots,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patrol() -> NewPatrol {
        let at = Utc::now() - chrono::TimeDelta::hours(1);
        NewPatrol { community: 1, started_at: at, ended_at: at, track: vec![], crs: Crs::Wgs84, buildings: vec![7], note: None }
    }

    fn code(new: &NewPatrol) -> &'static str {
        match check(new, Utc::now()) {
            Err(Refusal::Invalid { code, .. }) => code,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_patrol_needs_something_checked_in_a_past_period() {
        assert!(check(&patrol(), Utc::now()).is_ok());
        assert_eq!(code(&NewPatrol { buildings: vec![], ..patrol() }), "empty_patrol");
        assert_eq!(code(&NewPatrol { track: vec![[114.0, 30.0]], ..patrol() }), "short_track");
        assert_eq!(code(&NewPatrol { track: vec![[114.0, 30.0], [f64::NAN, 30.0]], ..patrol() }), "invalid_coordinates");
        assert_eq!(code(&NewPatrol { ended_at: Utc::now() + chrono::TimeDelta::hours(1), ..patrol() }), "invalid_period");
        let p = patrol();
        assert_eq!(code(&NewPatrol { started_at: p.ended_at + chrono::TimeDelta::minutes(1), ..p }), "invalid_period");
    }

    #[test]
    fn tracks_in_gcj02_come_back_to_wgs84() {
        let gcj = Crs::Gcj02.from_wgs84(114.41, 30.50);
        let track = check(&NewPatrol { track: vec![[gcj.0, gcj.1], [gcj.0, gcj.1]], crs: Crs::Gcj02, ..patrol() }, Utc::now()).unwrap_or_default();
        assert!((track[0][0] - 114.41).abs() < 1e-5 && (track[0][1] - 30.50).abs() < 1e-5, "{track:?}");
    }

    #[test]
    fn months_parse() {
        assert_eq!(month_start("2026-11").ok(), NaiveDate::from_ymd_opt(2026, 11, 1));
        assert!(month_start("2026-13").is_err());
        assert!(month_start("Nov").is_err());
    }
}
