//! A community's partition request from the database: its buildings with households, footprints,
//! estates and units, and the roads near it as barriers.

use geo::{Centroid, Geometry, MultiLineString};
use sqlx::PgExecutor;

use crate::db::geometry;
use crate::grids::partition::{Barrier, BarrierKind, Bounds, Building, BuildingId, Request, Unit};

/// Roads this far (degrees, about 55 m) outside the community still separate its buildings.
const ROAD_MARGIN_DEG: f64 = 0.0005;

/// The request and each building's centroid (lon, lat), in the order of `request.buildings`.
pub struct CommunityRequest {
    pub request: Request,
    pub centroids: Vec<(BuildingId, (f64, f64))>,
}

pub async fn load(
    db: &mut sqlx::PgConnection,
    community_id: i64,
    bounds: Bounds,
    seed: u64,
) -> Result<CommunityRequest, sqlx::Error> {
    type Row = (i64, i32, Vec<u8>, Option<i64>, Vec<i32>, Vec<i32>);
    let rows: Vec<Row> = sqlx::query_as(
        "select b.id, b.households, st_asbinary(b.footprint), b.estate_id,
                array(select u.number from units u where u.building_id = b.id order by u.number),
                array(select u.households from units u where u.building_id = b.id order by u.number)
         from buildings b where b.community_id = $1 order by b.id",
    )
    .bind(community_id)
    .fetch_all(&mut *db)
    .await?;
    let mut buildings = Vec::with_capacity(rows.len());
    let mut centroids = Vec::with_capacity(rows.len());
    for (id, households, wkb, estate, numbers, unit_households) in rows {
        let footprint = geometry::multipolygon_from_wkb(&wkb).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        if let Some(c) = footprint.centroid() {
            centroids.push((id, (c.x(), c.y())));
        }
        let units = numbers
            .into_iter()
            .zip(unit_households)
            .map(|(n, h)| Unit { number: n.max(0) as u32, households: h.max(0) as u32 })
            .collect();
        buildings.push(Building { id, households: households.max(0) as u32, footprint, estate, units });
    }
    let barriers = barriers(&mut *db, community_id).await?;
    Ok(CommunityRequest {
        request: Request { buildings, barriers, bounds, current: None, seed, tuning: Default::default() },
        centroids,
    })
}

async fn barriers(db: impl PgExecutor<'_>, community_id: i64) -> Result<Vec<Barrier>, sqlx::Error> {
    let rows: Vec<(String, Vec<u8>)> = sqlx::query_as(
        "select r.class, st_asbinary(r.line) from roads r, communities c
         where c.id = $1 and r.line && st_expand(c.boundary, $2)",
    )
    .bind(community_id)
    .bind(ROAD_MARGIN_DEG)
    .fetch_all(db)
    .await?;
    let mut barriers = Vec::new();
    for (class, wkb) in rows {
        let Some(kind) = BarrierKind::from_highway(&class) else { continue };
        let lines = match geometry::from_wkb(&wkb).map_err(|e| sqlx::Error::Decode(Box::new(e)))? {
            Geometry::MultiLineString(lines) => lines,
            Geometry::LineString(line) => MultiLineString(vec![line]),
            _ => continue,
        };
        barriers.extend(lines.0.into_iter().map(|line| Barrier { line, kind }));
    }
    Ok(barriers)
}
