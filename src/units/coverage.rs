//! Coverage (覆盖) and workload: the gaps a planner must see — grids in force without a grid
//! leader, household-bearing buildings without a building leader (a building counts as covered
//! when it has a leader of its own or one for every unit), grids no co-building unit adopted
//! (less than half their area in a zone) and the ground outside every zone — plus each person's
//! load and the assignments left on grids that a re-published plan ended.

use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

use super::UnitsError;
use super::assignments::{self, Assignment};
use super::zones::ZONE_AREA;

/// Share of a grid's area a zone must cover for the grid to count as adopted.
pub const ADOPTED_SHARE: f64 = 0.5;

/// Smallest piece of unadopted ground shown (m²): smaller ones are slivers between a community's
/// boundary and its grids' cells, not ground anybody could adopt.
const MIN_PIECE_M2: f64 = 50.0;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Coverage {
    pub community_id: i64,
    pub grids: i64,
    pub buildings: i64,
    pub grids_without_leader: Vec<GridGap>,
    pub buildings_without_leader: Vec<BuildingGap>,
    pub unadopted_grids: Vec<GridGap>,
    /// The community's ground outside every zone, as a GeoJSON geometry (null: all adopted).
    #[schema(value_type = Option<Object>)]
    pub unadopted_area: Option<Value>,
    pub workload: Vec<Workload>,
    /// Current assignments on grids no longer in force, for an administrator to settle.
    pub unsettled: Vec<Assignment>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct GridGap {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub households: i64,
    /// Share of the grid's area inside co-building units' zones.
    pub adopted_share: f64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BuildingGap {
    pub id: i64,
    pub name: Option<String>,
    pub households: i32,
    pub units: Option<i32>,
}

/// A person's load: households and buildings of the grids they serve (each grid once) plus those
/// of the buildings or units they lead outside those grids.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Workload {
    pub person_id: i64,
    pub name: String,
    pub phone: String,
    pub roles: Vec<String>,
    pub grids: i64,
    pub buildings: i64,
    pub households: i64,
}

/// The grids in force with their households and the share adopted by zones.
const GRIDS: &str = "select g.id, g.code, g.name, coalesce(pg.households, 0)::bigint as households,
        coalesce(st_area(st_intersection(g.boundary, z.area)) / nullif(st_area(g.boundary), 0), 0) as adopted_share
    from grids g
    left join plan_grids pg on pg.plan_id = g.plan_id and pg.code = g.code
    left join lateral (select st_union(zz.area) as area from (select {ZONE_AREA} as area from zones z
        join organisations o on o.id = z.organisation_id
        where z.valid_to is null and o.district_id = (select district_id from communities where id = g.community_id)) zz
        where st_intersects(zz.area, g.boundary)) z on true
    where g.community_id = $1 and g.ended_on is null";

pub async fn coverage(db: &mut PgConnection, community_id: i64, scope: &[i64]) -> Result<Coverage, UnitsError> {
    if !scope.contains(&community_id) {
        return Err(UnitsError::NotFound(format!("no community {community_id} in your area")));
    }
    let grids_sql = GRIDS.replace("{ZONE_AREA}", ZONE_AREA);
    let grids: Vec<GridGap> = sqlx::query_as(&format!("{grids_sql} order by g.code")).bind(community_id).fetch_all(&mut *db).await?;
    let led: Vec<i64> = sqlx::query_scalar(
        "select a.grid_id from assignments a join grids g on g.id = a.grid_id
         where g.community_id = $1 and a.role = 'grid_leader' and a.valid_to is null",
    )
    .bind(community_id)
    .fetch_all(&mut *db)
    .await?;
    let buildings_without_leader: Vec<BuildingGap> = sqlx::query_as(
        "select b.id, b.name, b.households, b.units from buildings b
         where b.community_id = $1 and b.households > 0
           and not exists (select 1 from assignments a where a.building_id = b.id and a.role = 'building_leader'
                           and a.valid_to is null and a.unit is null)
           and (select count(distinct a.unit) from assignments a where a.building_id = b.id
                and a.role = 'building_leader' and a.valid_to is null) < greatest(b.units, 1)
         order by b.households desc, b.id",
    )
    .bind(community_id)
    .fetch_all(&mut *db)
    .await?;
    let buildings: i64 = sqlx::query_scalar("select count(*) from buildings where community_id = $1 and households > 0")
        .bind(community_id)
        .fetch_one(&mut *db)
        .await?;
    let unadopted_area: Option<String> = sqlx::query_scalar(&format!(
        "with rest as (
             select st_difference(c.boundary, coalesce(
                    (select st_union(a.area) from zones z join organisations o on o.id = z.organisation_id
                     cross join lateral (select {ZONE_AREA} as area) a
                     where z.valid_to is null and o.district_id = c.district_id and st_intersects(a.area, c.boundary)),
                    'SRID=4326;POLYGON EMPTY'::geometry)) as area
             from communities c where c.id = $1)
         select st_asgeojson(st_multi(st_union(d.geom)), 7)
         from rest, st_dump(st_collectionextract(rest.area, 3)) d
         where st_area(d.geom::geography) >= $2"
    ))
    .bind(community_id)
    .bind(MIN_PIECE_M2)
    .fetch_one(&mut *db)
    .await?;
    let workload = workload(db, community_id).await?;
    let filter = assignments::Filter { community: Some(community_id), ..Default::default() };
    let unsettled = assignments::list(db, &filter, scope).await?.into_iter().filter(|a| a.grid_ended).collect();
    Ok(Coverage {
        community_id,
        grids: grids.len() as i64,
        buildings,
        grids_without_leader: grids.iter().filter(|g| !led.contains(&g.id)).cloned().collect(),
        unadopted_grids: grids.into_iter().filter(|g| g.adopted_share < ADOPTED_SHARE).collect(),
        buildings_without_leader,
        unadopted_area: unadopted_area.and_then(|a| serde_json::from_str::<Value>(&a).ok()),
        workload,
        unsettled,
    })
}

async fn workload(db: &mut PgConnection, community_id: i64) -> Result<Vec<Workload>, sqlx::Error> {
    // Set-based throughout: `mine` as one union (not a filter over outer joins, which the planner
    // takes for a handful of rows) and no per-person subqueries; else a freshly loaded
    // sub-district, not yet analysed, ran the aggregates once per person (a minute for 800).
    sqlx::query_as(
        "with mine as (
             select a.person_id, a.role, a.grid_id, a.building_id, a.unit
             from assignments a join grids g on g.id = a.grid_id
             where a.valid_to is null and g.community_id = $1 and g.ended_on is null
             union all
             select a.person_id, a.role, a.grid_id, a.building_id, a.unit
             from assignments a join buildings b on b.id = a.building_id
             where a.valid_to is null and b.community_id = $1),
         served as (
             select distinct m.person_id, pg.plan_id, pg.number, pg.buildings, pg.households
             from mine m join grids g on g.id = m.grid_id join plan_grids pg on pg.plan_id = g.plan_id and pg.code = g.code),
         grid_load as (
             select person_id, count(*) as grids, sum(buildings) as buildings, sum(households) as households
             from served group by person_id),
         building_load as (
             select m.person_id, count(distinct m.building_id) as buildings,
                    sum(case when m.unit is null then b.households else coalesce(u.households, b.households / greatest(b.units, 1)) end) as households
             from (select distinct person_id, building_id, unit from mine where building_id is not null) m
             join buildings b on b.id = m.building_id
             left join units u on u.building_id = m.building_id and u.number = m.unit
             where not exists (select 1 from served s join plan_parcels pp on pp.plan_id = s.plan_id and pp.grid = s.number
                               where s.person_id = m.person_id and pp.building_id = m.building_id)
             group by m.person_id),
         roles as (select person_id, array_agg(distinct role order by role) as roles from mine group by person_id)
         select p.id as person_id, p.name, p.phone, r.roles,
                coalesce(gl.grids, 0) as grids,
                (coalesce(gl.buildings, 0) + coalesce(bl.buildings, 0))::bigint as buildings,
                (coalesce(gl.households, 0) + coalesce(bl.households, 0))::bigint as households
         from roles r join people p on p.id = r.person_id
         left join grid_load gl on gl.person_id = r.person_id
         left join building_load bl on bl.person_id = r.person_id
         order by households desc, p.name",
    )
    .bind(community_id)
    .fetch_all(db)
    .await
}

/// The grids in force of a community as a GeoJSON FeatureCollection, each with its households,
/// buildings and current team (names by role), for the assignment map.
pub async fn grids_geojson(db: &mut PgConnection, community_id: i64, scope: &[i64]) -> Result<Value, UnitsError> {
    if !scope.contains(&community_id) {
        return Err(UnitsError::NotFound(format!("no community {community_id} in your area")));
    }
    let collection: Value = sqlx::query_scalar(
        "select jsonb_build_object('type', 'FeatureCollection', 'features', coalesce(jsonb_agg(f order by f->'properties'->>'code'), '[]'))
         from (select jsonb_build_object(
                 'type', 'Feature', 'id', g.id,
                 'geometry', st_asgeojson(g.boundary, 7)::jsonb,
                 'properties', jsonb_build_object(
                     'id', g.id, 'code', g.code, 'name', g.name,
                     'households', coalesce(pg.households, 0), 'buildings', coalesce(pg.buildings, 0),
                     'team', coalesce((select jsonb_agg(jsonb_build_object('assignment', a.id, 'role', a.role,
                                                        'person_id', p.id, 'name', p.name, 'phone', p.phone) order by a.role, p.name)
                                       from assignments a join people p on p.id = a.person_id
                                       where a.grid_id = g.id and a.valid_to is null), '[]'),
                     'grid_leader', (select p.name from assignments a join people p on p.id = a.person_id
                                     where a.grid_id = g.id and a.valid_to is null and a.role = 'grid_leader'))) as f
               from grids g left join plan_grids pg on pg.plan_id = g.plan_id and pg.code = g.code
               where g.community_id = $1 and g.ended_on is null) x",
    )
    .bind(community_id)
    .fetch_one(db)
    .await?;
    Ok(collection)
}
