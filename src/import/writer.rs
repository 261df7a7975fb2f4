//! Stores a [`Dataset`] in one transaction: COPY into temporary staging tables, repair invalid
//! geometry (`ST_MakeValid`), place estates and buildings in communities and estates, upsert by
//! (source, source_id), and report what changed. Re-running the same dataset changes nothing.
//!
//! Placement rules: with `--community NAME`, every building and estate is in that community;
//! otherwise a building is in the community it names (created from the hull of its buildings when
//! no such community exists), else in the community whose boundary contains its footprint's
//! point-on-surface (the smallest if several). A building nobody can place is skipped and listed,
//! never stored without a community.

use geo::Geometry;
use indicatif::ProgressBar;
use sqlx::{PgConnection, Postgres, Transaction};

use super::dataset::{Dataset, Skipped, UnitRecord};
use super::{ImportError, LayerCount, Summary};
use crate::db::copy::CopyRows;

/// Where the import's communities go when the data does not say.
#[derive(Debug, Clone)]
pub struct Target {
    /// Sub-district (街道) of communities the dataset does not assign to one of its own.
    pub district: String,
    /// Put every building in this community (created from the hull of the buildings).
    pub community: Option<String>,
}

/// The channel on which a finished import tells running services to reload their indexes.
pub const PLACES_CHANGED: &str = "wangge_places_changed";

const COPY_BATCH_BYTES: usize = 8 << 20;

pub async fn write(
    tx: &mut Transaction<'_, Postgres>,
    dataset: &Dataset,
    target: &Target,
    progress: &ProgressBar,
) -> Result<Summary, ImportError> {
    let conn: &mut PgConnection = tx;
    let source = dataset.source.as_str();
    let mut summary = Summary { source: source.to_owned(), skipped: dataset.skipped.clone(), ..Summary::default() };

    sqlx::raw_sql(STAGING_TABLES).execute(&mut *conn).await?;
    stage(conn, dataset, progress).await?;

    progress.set_message("sub-districts");
    let default_district: i64 =
        sqlx::query_scalar(UPSERT_DEFAULT_DISTRICT).bind(&target.district).fetch_one(&mut *conn).await?;
    summary.districts =
        count(sqlx::query_as(UPSERT_DISTRICTS).bind(source), conn, dataset.districts.len() as i64).await?;

    progress.set_message("communities");
    clean_geometries(conn, "stage_communities", "boundary", "community", &mut summary).await?;
    let staged_rows = staged(conn, "stage_communities").await?;
    summary.communities =
        count(sqlx::query_as(UPSERT_COMMUNITIES).bind(source).bind(default_district), conn, staged_rows)
            .await
            .map_err(|e| name_conflict(e, "community"))?;

    // Communities that buildings name (or `--community`) but nobody drew come from the hull of
    // their buildings, so they exist before estates and buildings are placed.
    clean_geometries(conn, "stage_buildings", "footprint", "building", &mut summary).await?;
    if let Some(name) = &target.community {
        sqlx::query("update stage_buildings set community = $1").bind(name).execute(&mut *conn).await?;
    }
    let hulls = count(sqlx::query_as(UPSERT_HULL_COMMUNITIES).bind(source).bind(default_district), conn, 0)
        .await
        .map_err(|e| name_conflict(e, "community"))?;
    summary.communities.inserted += hulls.inserted;
    summary.communities.updated += hulls.updated;

    progress.set_message("estates");
    clean_geometries(conn, "stage_estates", "boundary", "estate", &mut summary).await?;
    match &target.community {
        Some(name) => {
            sqlx::query(PLACE_ESTATES_IN_NAMED)
                .bind(source)
                .bind(default_district)
                .bind(name)
                .execute(&mut *conn)
                .await?
        }
        None => sqlx::query(PLACE_ESTATES).execute(&mut *conn).await?,
    };
    skip_rows(conn, UNPLACED_ESTATES, "estate", &mut summary).await?;
    let staged_rows = staged(conn, "stage_estates").await?;
    summary.estates = count(sqlx::query_as(UPSERT_ESTATES).bind(source), conn, staged_rows).await?;

    progress.set_message("buildings");
    sqlx::query(ANCHOR_BUILDINGS).execute(&mut *conn).await?;
    sqlx::query(PLACE_BUILDINGS_BY_NAME).bind(source).bind(default_district).execute(&mut *conn).await?;
    sqlx::query(PLACE_BUILDINGS_BY_CONTAINMENT).execute(&mut *conn).await?;
    sqlx::query(PLACE_BUILDINGS_IN_NAMED_ESTATES).bind(source).execute(&mut *conn).await?;
    sqlx::query(PLACE_BUILDINGS_IN_ESTATES).execute(&mut *conn).await?;
    skip_rows(conn, UNPLACED_BUILDINGS, "building", &mut summary).await?;
    let staged_rows = staged(conn, "stage_buildings").await?;
    summary.buildings = count(sqlx::query_as(UPSERT_BUILDINGS).bind(source), conn, staged_rows).await?;
    let staged_units = sqlx::query_scalar(STAGED_UNITS).fetch_one(&mut *conn).await?;
    summary.units = count(sqlx::query_as(UPSERT_UNITS).bind(source), conn, staged_units).await?;
    sqlx::query(DELETE_STALE_UNITS).bind(source).execute(&mut *conn).await?;
    summary.households = sqlx::query_scalar("select coalesce(sum(households), 0)::bigint from stage_buildings")
        .fetch_one(&mut *conn)
        .await?;

    progress.set_message("roads");
    clean_geometries(conn, "stage_roads", "line", "road", &mut summary).await?;
    let staged_rows = staged(conn, "stage_roads").await?;
    summary.roads = count(sqlx::query_as(UPSERT_ROADS).bind(source), conn, staged_rows).await?;

    sqlx::query(DROP_UNUSED_DEFAULT_DISTRICT).bind(default_district).execute(&mut *conn).await?;
    sqlx::query("select pg_notify($1, $2)").bind(PLACES_CHANGED).bind(source).execute(&mut *conn).await?;
    progress.finish_and_clear();
    Ok(summary)
}

/// COPYs every record into the staging tables.
async fn stage(conn: &mut PgConnection, dataset: &Dataset, progress: &ProgressBar) -> Result<(), ImportError> {
    let total = dataset.districts.len()
        + dataset.communities.len()
        + dataset.estates.len()
        + dataset.buildings.len()
        + dataset.roads.len();
    progress.set_length(total as u64);
    progress.set_position(0);
    progress.set_message("staging");

    copy_in(
        conn,
        "copy stage_districts (source_id, name, code) from stdin",
        &dataset.districts,
        progress,
        |rows, d| {
            rows.text(Some(&d.source_id)).text(Some(&d.name)).text(d.code.as_deref());
        },
    )
    .await?;
    copy_in(
        conn,
        "copy stage_communities (source_id, name, code, district, boundary) from stdin",
        &dataset.communities,
        progress,
        |rows, c| {
            rows.text(Some(&c.source_id))
                .text(Some(&c.name))
                .text(c.code.as_deref())
                .text(c.district.as_deref())
                .geometry(&Geometry::MultiPolygon(c.boundary.clone()));
        },
    )
    .await?;
    copy_in(
        conn,
        "copy stage_estates (source_id, name, boundary) from stdin",
        &dataset.estates,
        progress,
        |rows, e| {
            rows.text(Some(&e.source_id)).text(e.name.as_deref()).geometry(&Geometry::MultiPolygon(e.boundary.clone()));
        },
    )
    .await?;
    copy_in(
        conn,
        "copy stage_buildings (source_id, name, kind, floors, households, units, address, community, estate, footprint) from stdin",
        &dataset.buildings,
        progress,
        |rows, b| {
            let units = (!b.units.is_empty()).then_some(b.units.len() as i64);
            rows.text(Some(&b.source_id))
                .text(b.name.as_deref())
                .text(Some(&b.kind))
                .int(b.floors.map(i64::from))
                .int(Some(i64::from(b.households)))
                .int(units)
                .text(b.address.as_deref())
                .text(b.community.as_deref())
                .text(b.estate.as_deref())
                .geometry(&Geometry::MultiPolygon(b.footprint.clone()));
        },
    )
    .await?;
    let units: Vec<(&str, UnitRecord)> =
        dataset.buildings.iter().flat_map(|b| b.units.iter().map(move |u| (b.source_id.as_str(), *u))).collect();
    copy_in(
        conn,
        "copy stage_units (building, number, households) from stdin",
        &units,
        &ProgressBar::hidden(),
        |rows, (building, u)| {
            rows.text(Some(building)).int(Some(i64::from(u.number))).int(Some(i64::from(u.households)));
        },
    )
    .await?;
    copy_in(conn, "copy stage_roads (source_id, name, class, line) from stdin", &dataset.roads, progress, |rows, r| {
        rows.text(Some(&r.source_id))
            .text(r.name.as_deref())
            .text(Some(&r.class))
            .geometry(&Geometry::MultiLineString(r.line.clone()));
    })
    .await?;

    sqlx::raw_sql("analyze stage_buildings; analyze stage_communities; analyze stage_estates")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One COPY statement fed in batches, so memory stays bounded on city-sized imports.
async fn copy_in<T>(
    conn: &mut PgConnection,
    statement: &'static str,
    items: &[T],
    progress: &ProgressBar,
    write_row: impl Fn(&mut CopyRows, &T),
) -> Result<(), ImportError> {
    if items.is_empty() {
        return Ok(());
    }
    let mut copy = conn.copy_in_raw(statement).await?;
    let mut rows = CopyRows::default();
    for item in items {
        write_row(&mut rows, item);
        rows.end_row();
        if rows.len() >= COPY_BATCH_BYTES {
            progress.inc(rows.rows() as u64);
            copy.send(rows.take().as_bytes()).await?;
        }
    }
    progress.inc(rows.rows() as u64);
    copy.send(rows.take().as_bytes()).await?;
    copy.finish().await?;
    Ok(())
}

async fn count(
    query: sqlx::query::QueryAs<'_, Postgres, (i64, i64), sqlx::postgres::PgArguments>,
    conn: &mut PgConnection,
    staged: i64,
) -> Result<LayerCount, sqlx::Error> {
    let (inserted, updated) = query.fetch_one(&mut *conn).await?;
    Ok(LayerCount { inserted, updated, unchanged: (staged - inserted - updated).max(0) })
}

async fn staged(conn: &mut PgConnection, table: &'static str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&mut *conn).await
}

/// Drops geometry with coordinates out of range, repairs invalid geometry with `ST_MakeValid`
/// (keeping only the parts of the staged type), and drops what is empty after repair.
async fn clean_geometries(
    conn: &mut PgConnection,
    table: &'static str,
    column: &'static str,
    layer: &'static str,
    summary: &mut Summary,
) -> Result<(), ImportError> {
    let dimension = if column == "line" { 2 } else { 3 };
    skip_rows(
        conn,
        &format!(
            "delete from {table} where not (st_xmin({column}) >= -180 and st_xmax({column}) <= 180 \
             and st_ymin({column}) >= -90 and st_ymax({column}) <= 90) \
             returning source_id, 'coordinates out of range (longitude −180…180, latitude −90…90)'"
        ),
        layer,
        summary,
    )
    .await?;
    let repaired: Vec<(String, String)> = sqlx::query_as(&format!(
        "with bad as (select source_id, st_isvalidreason({column}) as reason from {table} where not st_isvalid({column})) \
         update {table} t set {column} = st_multi(st_collectionextract(st_makevalid(t.{column}), {dimension})) \
         from bad where t.source_id = bad.source_id returning t.source_id, bad.reason"
    ))
    .fetch_all(&mut *conn)
    .await?;
    summary
        .repaired
        .extend(repaired.into_iter().map(|(id, reason)| Skipped { feature: format!("{layer} {id}"), reason }));
    skip_rows(
        conn,
        &format!("delete from {table} where st_isempty({column}) returning source_id, 'invalid geometry with nothing left after repair'"),
        layer,
        summary,
    )
    .await
}

/// Runs a `delete … returning source_id, reason` and lists the rows as skipped.
async fn skip_rows(conn: &mut PgConnection, sql: &str, layer: &str, summary: &mut Summary) -> Result<(), ImportError> {
    let rows: Vec<(String, String)> = sqlx::query_as(sql).fetch_all(&mut *conn).await?;
    summary.skipped.extend(rows.into_iter().map(|(id, reason)| Skipped { feature: format!("{layer} {id}"), reason }));
    Ok(())
}

fn name_conflict(error: sqlx::Error, layer: &str) -> ImportError {
    match &error {
        sqlx::Error::Database(db) if db.constraint() == Some("communities_name_key") => ImportError::Conflict(format!(
            "a {layer} of the same name already exists in that sub-district, imported from another source; \
             rename it or import into another sub-district (--district)"
        )),
        _ => error.into(),
    }
}

const STAGING_TABLES: &str = "
create temp table stage_districts (source_id text not null, name text not null, code text) on commit drop;
create temp table stage_communities (source_id text not null, name text not null, code text, district text, boundary geometry not null) on commit drop;
create temp table stage_estates (source_id text not null, name text, boundary geometry not null, community_id bigint) on commit drop;
create temp table stage_buildings (
    source_id text not null, name text, kind text not null, floors integer, households integer not null, units integer,
    address text, community text, estate text, footprint geometry not null,
    anchor geometry, community_id bigint, estate_id bigint) on commit drop;
create temp table stage_units (building text not null, number integer not null, households integer not null) on commit drop;
create temp table stage_roads (source_id text not null, name text, class text not null, line geometry not null) on commit drop;
";

/// The import's own sub-district, found by name or created.
const UPSERT_DEFAULT_DISTRICT: &str = "
with found as (select id from districts where name = $1 order by id limit 1),
created as (
    insert into districts (name, source, source_id) select $1, 'name', $1
    where not exists (select 1 from found)
    returning id)
select id from found union all select id from created";

const UPSERT_DISTRICTS: &str = "
with up as (
    insert into districts (name, code, source, source_id)
    select name, case when code ~ '^[0-9]{9}$' then code end, $1, source_id from stage_districts
    on conflict (source, source_id) do update set name = excluded.name, code = excluded.code
    where (districts.name, districts.code) is distinct from (excluded.name, excluded.code)
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

const UPSERT_COMMUNITIES: &str = "
with staged as (
    select s.source_id, s.name, case when s.code ~ '^[0-9]{3}$' then s.code end as code,
           coalesce(d.id, $2) as district_id, s.boundary
    from stage_communities s left join districts d on d.source = $1 and d.source_id = s.district),
up as (
    insert into communities (district_id, name, code, boundary, source, source_id)
    select district_id, name, code, boundary, $1, source_id from staged
    on conflict (source, source_id) do update
        set district_id = excluded.district_id, name = excluded.name, code = excluded.code, boundary = excluded.boundary
    where (communities.district_id, communities.name, communities.code, communities.boundary)
        is distinct from (excluded.district_id, excluded.name, excluded.code, excluded.boundary)
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

const PLACE_ESTATES: &str = "
update stage_estates s set community_id = (
    select c.id from communities c where st_intersects(c.boundary, st_pointonsurface(s.boundary))
    order by st_area(c.boundary), c.id limit 1)";

/// `--community NAME`: every estate of the import is in that one community.
const PLACE_ESTATES_IN_NAMED: &str = "
update stage_estates s set community_id = c.id
from (select id from communities where name = $3 and (source = $1 or district_id = $2)
      order by (source = $1) desc, id limit 1) c";

const UNPLACED_ESTATES: &str =
    "delete from stage_estates where community_id is null returning source_id, 'outside every community'";

const UPSERT_ESTATES: &str = "
with up as (
    insert into estates (community_id, name, boundary, source, source_id)
    select community_id, name, boundary, $1, source_id from stage_estates
    on conflict (source, source_id) do update
        set community_id = excluded.community_id, name = excluded.name, boundary = excluded.boundary
    where (estates.community_id, estates.name, estates.boundary)
        is distinct from (excluded.community_id, excluded.name, excluded.boundary)
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

/// Communities that buildings name but nobody drew: bounded by the hull of their buildings
/// (buffered 15 m so the outermost footprints lie inside).
const UPSERT_HULL_COMMUNITIES: &str = "
with hull as (
    select b.community as name,
           st_multi(st_buffer(st_convexhull(st_collect(b.footprint))::geography, 15)::geometry) as boundary
    from stage_buildings b
    where b.community is not null
      and not exists (select 1 from communities c
                      where c.name = b.community and (c.source = $1 or c.district_id = $2)
                        and (c.source, c.source_id) <> ($1, 'hull:' || b.community))
    group by b.community),
up as (
    insert into communities (district_id, name, boundary, source, source_id)
    select $2, name, boundary, $1, 'hull:' || name from hull
    on conflict (source, source_id) do update set boundary = excluded.boundary
    where communities.boundary is distinct from excluded.boundary
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

const ANCHOR_BUILDINGS: &str = "update stage_buildings set anchor = st_pointonsurface(footprint)";

const PLACE_BUILDINGS_BY_NAME: &str = "
update stage_buildings b set community_id = c.id
from (select distinct on (name) id, name from communities
      where source = $1 or district_id = $2 order by name, (source = $1) desc, id) c
where b.community = c.name";

const PLACE_BUILDINGS_BY_CONTAINMENT: &str = "
update stage_buildings b set community_id = (
    select c.id from communities c where st_intersects(c.boundary, b.anchor)
    order by st_area(c.boundary), c.id limit 1)
where b.community is null";

const PLACE_BUILDINGS_IN_NAMED_ESTATES: &str = "
update stage_buildings b set estate_id = e.id
from estates e
where b.estate is not null and e.community_id = b.community_id
  and ((e.source = $1 and e.source_id = b.estate) or e.name = b.estate)";

const PLACE_BUILDINGS_IN_ESTATES: &str = "
update stage_buildings b set estate_id = (
    select e.id from estates e where e.community_id = b.community_id and st_intersects(e.boundary, b.anchor)
    order by st_area(e.boundary), e.id limit 1)
where b.estate_id is null and b.community_id is not null";

const UNPLACED_BUILDINGS: &str = "
delete from stage_buildings where community_id is null
returning source_id, case when households > 0 then 'outside every community (' || households || ' households)'
                          else 'outside every community (no households)' end";

const UPSERT_BUILDINGS: &str = "
with up as (
    insert into buildings (community_id, estate_id, name, kind, floors, units, households, address, footprint, source, source_id)
    select community_id, estate_id, name, kind, floors, units, households, address, footprint, $1, source_id
    from stage_buildings
    on conflict (source, source_id) do update
        set community_id = excluded.community_id, estate_id = excluded.estate_id, name = excluded.name,
            kind = excluded.kind, floors = excluded.floors, units = excluded.units,
            households = excluded.households, address = excluded.address, footprint = excluded.footprint
    where (buildings.community_id, buildings.estate_id, buildings.name, buildings.kind, buildings.floors,
           buildings.units, buildings.households, buildings.address, buildings.footprint)
        is distinct from (excluded.community_id, excluded.estate_id, excluded.name, excluded.kind, excluded.floors,
           excluded.units, excluded.households, excluded.address, excluded.footprint)
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

const STAGED_UNITS: &str =
    "select count(*) from stage_units u where exists (select 1 from stage_buildings b where b.source_id = u.building)";

const UPSERT_UNITS: &str = "
with up as (
    insert into units (building_id, number, households)
    select b.id, u.number, u.households
    from stage_units u join buildings b on b.source = $1 and b.source_id = u.building
    on conflict (building_id, number) do update set households = excluded.households
    where units.households is distinct from excluded.households
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

const DELETE_STALE_UNITS: &str = "
delete from units u using buildings b, stage_buildings s
where u.building_id = b.id and b.source = $1 and b.source_id = s.source_id
  and not exists (select 1 from stage_units su where su.building = s.source_id and su.number = u.number)";

const UPSERT_ROADS: &str = "
with up as (
    insert into roads (class, name, line, source, source_id)
    select class, name, line, $1, source_id from stage_roads
    on conflict (source, source_id) do update set class = excluded.class, name = excluded.name, line = excluded.line
    where (roads.class, roads.name, roads.line) is distinct from (excluded.class, excluded.name, excluded.line)
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

/// The import's default sub-district, if no community ended up in it.
const DROP_UNUSED_DEFAULT_DISTRICT: &str = "
delete from districts d where d.id = $1 and d.source = 'name'
  and not exists (select 1 from communities c where c.district_id = d.id)";
