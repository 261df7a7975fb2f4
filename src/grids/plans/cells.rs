//! Grid polygons that tile the community. Each building gets a cell: the Voronoi cells of points
//! every ~20 m along its footprint's outline, unioned and clipped to the community boundary; a
//! grid's polygon is the union of its buildings' cells. Cells are computed once per community and
//! again when its buildings or boundary change (a signature of both is kept).

use sqlx::PgConnection;

/// Spacing of the points along footprints, degrees (about 20 m).
const OUTLINE_STEP_DEG: f64 = 0.0002;

/// Computes the community's building cells unless they are up to date.
pub async fn ensure(db: &mut PgConnection, community_id: i64) -> Result<(), sqlx::Error> {
    let signature: String = sqlx::query_scalar(
        "select md5(coalesce((select string_agg(b.id::text || ':' || md5(st_asbinary(b.footprint)), ',' order by b.id)
                              from buildings b where b.community_id = c.id), '')
                    || md5(st_asbinary(c.boundary)))
         from communities c where c.id = $1",
    )
    .bind(community_id)
    .fetch_one(&mut *db)
    .await?;
    let kept: Option<String> =
        sqlx::query_scalar("select signature from community_cells where community_id = $1 for update")
            .bind(community_id)
            .fetch_optional(&mut *db)
            .await?;
    if kept.as_deref() == Some(signature.as_str()) {
        return Ok(());
    }
    compute(db, community_id).await?;
    sqlx::query(
        "insert into community_cells (community_id, signature) values ($1, $2)
         on conflict (community_id) do update set signature = excluded.signature, computed_at = now()",
    )
    .bind(community_id)
    .bind(signature)
    .execute(&mut *db)
    .await?;
    Ok(())
}

async fn compute(db: &mut PgConnection, community_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("delete from building_cells where community_id = $1").bind(community_id).execute(&mut *db).await?;
    sqlx::query("drop table if exists pg_temp.cell_points, pg_temp.cell_polygons").execute(&mut *db).await?;
    // Points shared by two footprints go to the smaller building id. (The materialized CTE keeps
    // the planner on the community index: the costly projection otherwise tempts it into a
    // parallel scan of every building.)
    sqlx::query(
        "create temp table cell_points on commit drop as
         with b as materialized (select id, footprint from buildings where community_id = $1)
         select distinct on (st_x(geom), st_y(geom)) building_id, geom from (
             select b.id as building_id, (st_dumppoints(st_segmentize(st_boundary(b.footprint), $2))).geom as geom
             from b) p
         order by st_x(geom), st_y(geom), building_id",
    )
    .bind(community_id)
    .bind(OUTLINE_STEP_DEG)
    .execute(&mut *db)
    .await?;
    sqlx::query("create index on cell_points using gist (geom)").execute(&mut *db).await?;
    sqlx::query("analyze cell_points").execute(&mut *db).await?;
    sqlx::query(
        "create temp table cell_polygons on commit drop as
         select row_number() over () as id, geom from (
             select (st_dump(st_voronoipolygons(st_collect(p.geom), 0,
                        (select st_expand(boundary, 0.01) from communities where id = $1)))).geom
             from cell_points p) v",
    )
    .bind(community_id)
    .execute(&mut *db)
    .await?;
    // Each Voronoi cell holds its own point strictly inside, and no other point.
    sqlx::query(
        "insert into building_cells (building_id, community_id, cell)
         select building_id, $1, st_multi(st_collectionextract(
                    case when st_within(cell, c.boundary) then cell else st_intersection(cell, c.boundary) end, 3))
         from (select p.building_id, st_union(v.geom) as cell
               from cell_polygons v join cell_points p on st_intersects(v.geom, p.geom)
               group by p.building_id) u
         cross join communities c
         where c.id = $1 and st_intersects(cell, c.boundary)",
    )
    .bind(community_id)
    .execute(&mut *db)
    .await?;
    sqlx::query("drop table pg_temp.cell_points, pg_temp.cell_polygons").execute(&mut *db).await?;
    Ok(())
}

/// Recomputes the polygons of the plan's grids from its buildings' cells: a building's cell goes
/// to the grid holding most of its households, a building in no grid lends its cell to the grid
/// of the nearest building that has one.
pub async fn grid_polygons(db: &mut PgConnection, plan_id: i64, community_id: i64) -> Result<(), sqlx::Error> {
    let sql = format!(
        "with owner as ({owner}),
         placed as (
             select coalesce(o.grid, (select o2.grid from owner o2 join buildings b2 on b2.id = o2.building_id
                                      order by b2.footprint <-> b.footprint limit 1)) as grid, c.cell
             from building_cells c
             join buildings b on b.id = c.building_id
             left join owner o on o.building_id = c.building_id
             where c.community_id = $2),
         merged as (
             select grid, st_multi(st_collectionextract(st_union(cell), 3)) as boundary
             from placed where grid is not null group by grid)
         update plan_grids g set boundary = m.boundary
         from merged m where g.plan_id = $1 and g.number = m.grid",
        owner = super::store::BUILDING_GRID,
    );
    sqlx::query(&sql).bind(plan_id).bind(community_id).execute(&mut *db).await?;
    Ok(())
}
