//! Hygiene dead spots (卫生死角): places where sanitation findings keep coming back. The rule:
//!
//! - sanitation cases (category group `sanitation`, any status but cancelled) link when they lie
//!   within **15 m** of each other; linked cases form a place (single linkage);
//! - a place is a dead spot once **three or more** of its cases fall within some **30 days**;
//! - a dead spot is **cleared** after a clean period of **30 days** with no new sanitation case
//!   there (it clears on the last case's date + 30 days); it stays in the register with its
//!   history.
//!
//! Clustering is pure (an R-tree of points in a local metric projection, union–find over the
//! pairs within reach). A sanitation case filed or cancelled is marked `dead_spot_pending` in its
//! own transaction; once that commits, its community is *settled*: only the places linked to the
//! pending cases are recomputed. The cases reachable from them in steps of 15 m are gathered,
//! which is every case of those places and no part of another, so the result is the same as
//! recomputing the whole community. Settling runs in the background after a filing (one run takes
//! in every case filed meanwhile, so filings never queue behind one another), and before dead
//! spots are read, so a reader always sees the cases committed before it asked. A dead spot is
//! keyed by its first case, so it keeps its id as it grows.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use tokio::sync::Semaphore;
use rstar::{RTree, primitives::GeomWithData};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use crate::spatial::measure::LocalProjection;

pub const REACH_M: f64 = 15.0;
pub const MIN_CASES: usize = 3;
pub const WINDOW_DAYS: i64 = 30;
pub const CLEAN_DAYS: i64 = 30;
/// The first key of the advisory lock a community's settlement holds (the second is the community).
const DEAD_SPOT_LOCK: i32 = 0x4453; // "DS"

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Finding {
    pub case_id: i64,
    pub lon: f64,
    pub lat: f64,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadSpot {
    /// The first case of the place (the dead spot's id).
    pub anchor: i64,
    pub lon: f64,
    pub lat: f64,
    pub cases: Vec<i64>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// When the clean period after the last case ends (readers compare it with their time).
    pub clears_at: DateTime<Utc>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The dead spots among the findings, ordered by anchor.
pub fn dead_spots(findings: &[Finding]) -> Vec<DeadSpot> {
    let Some(first) = findings.first() else { return Vec::new() };
    let projection = LocalProjection::new(first.lon, first.lat);
    let points: Vec<GeomWithData<[f64; 2], usize>> = findings
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let (x, y) = projection.to_xy(f.lon, f.lat);
            GeomWithData::new([x, y], i)
        })
        .collect();
    let tree = RTree::bulk_load(points.clone());
    let mut parent: Vec<usize> = (0..findings.len()).collect();
    for point in &points {
        for near in tree.locate_within_distance(*point.geom(), REACH_M * REACH_M) {
            let (a, b) = (find(&mut parent, point.data), find(&mut parent, near.data));
            if a != b {
                parent[a.max(b)] = a.min(b);
            }
        }
    }
    let mut places: std::collections::BTreeMap<usize, Vec<&Finding>> = std::collections::BTreeMap::new();
    for (i, finding) in findings.iter().enumerate() {
        let root = find(&mut parent, i);
        places.entry(root).or_default().push(finding);
    }
    let window = TimeDelta::days(WINDOW_DAYS);
    let mut spots: Vec<DeadSpot> = places
        .into_values()
        .filter_map(|mut cases| {
            cases.sort_by_key(|f| (f.at, f.case_id));
            let repeated = cases.windows(MIN_CASES).any(|w| w[MIN_CASES - 1].at - w[0].at <= window);
            if !repeated {
                return None;
            }
            let (first, last) = (cases[0], cases[cases.len() - 1]);
            let n = cases.len() as f64;
            Some(DeadSpot {
                anchor: cases.iter().map(|f| f.case_id).min().unwrap_or(first.case_id),
                lon: cases.iter().map(|f| f.lon).sum::<f64>() / n,
                lat: cases.iter().map(|f| f.lat).sum::<f64>() / n,
                cases: cases.iter().map(|f| f.case_id).collect(),
                first_seen: first.at,
                last_seen: last.at,
                clears_at: last.at + TimeDelta::days(CLEAN_DAYS),
            })
        })
        .collect();
    spots.sort_by_key(|s| s.anchor);
    spots
}

/// Whether a case of this category counts towards dead spots.
pub fn is_finding(category: &str) -> bool {
    category.starts_with("sanitation.")
}

/// Brings the community's dead spots up to date with its pending cases; answers how many were
/// pending.
pub async fn settle(pool: &PgPool, community_id: i64) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // Settlements of one community take turns: two at once would each miss the other's cases.
    sqlx::query("select pg_advisory_xact_lock($1, $2)")
        .bind(DEAD_SPOT_LOCK)
        .bind(i32::try_from(community_id).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await?;
    // Locked, so that a case cancelled while this runs stays pending for the next settlement.
    let pending: Vec<(i64, f64, f64)> = sqlx::query_as(
        "select id, st_x(location), st_y(location) from cases where community_id = $1 and dead_spot_pending order by id for update",
    )
    .bind(community_id)
    .fetch_all(&mut *tx)
    .await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let findings = linked(&mut tx, community_id, pending.iter().map(|&(_, lon, lat)| (lon, lat)).collect()).await?;
    let spots = dead_spots(&findings);
    let pending_ids: Vec<i64> = pending.iter().map(|p| p.0).collect();
    let touched: Vec<i64> = findings.iter().map(|f| f.case_id).chain(pending_ids.iter().copied()).collect();
    sqlx::query("delete from dead_spots where community_id = $1 and cases && $2 and not (id = any($3))")
        .bind(community_id)
        .bind(&touched)
        .bind(spots.iter().map(|s| s.anchor).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    for spot in &spots {
        sqlx::query(
            "insert into dead_spots (id, community_id, location, cases, first_seen, last_seen, clears_at)
             values ($1, $2, st_setsrid(st_makepoint($3, $4), 4326), $5, $6, $7, $8)
             on conflict (id) do update set location = excluded.location, cases = excluded.cases,
                first_seen = excluded.first_seen, last_seen = excluded.last_seen, clears_at = excluded.clears_at",
        )
        .bind(spot.anchor)
        .bind(community_id)
        .bind(spot.lon)
        .bind(spot.lat)
        .bind(&spot.cases)
        .bind(spot.first_seen)
        .bind(spot.last_seen)
        .bind(spot.clears_at)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("update cases set dead_spot_pending = false where id = any($1)").bind(&pending_ids).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(pending.len())
}

/// Settles every community of `scope` (all communities when `None`) that has pending cases;
/// answers how many cases were pending.
pub async fn settle_all(pool: &PgPool, scope: Option<&[i64]>) -> Result<usize, sqlx::Error> {
    let communities: Vec<i64> =
        sqlx::query_scalar("select distinct community_id from cases where dead_spot_pending and ($1::bigint[] is null or community_id = any($1))")
            .bind(scope)
            .fetch_all(pool)
            .await?;
    let mut settled = 0;
    for community in communities {
        settled += settle(pool, community).await?;
    }
    Ok(settled)
}

/// How many settlements hold a database connection at once: requests keep the rest of the pool
/// when many communities file at the same time.
const SETTLEMENTS_AT_ONCE: usize = 2;

/// Settles communities in the background after their filings commit: one task per community at
/// a time, which runs again if more cases were filed there while it ran.
#[derive(Debug)]
pub struct Settler {
    pool: PgPool,
    /// Communities being settled, and whether they were asked for again meanwhile.
    running: Mutex<HashMap<i64, bool>>,
    slots: Semaphore,
}

impl Settler {
    pub fn new(pool: PgPool) -> Arc<Self> {
        Arc::new(Settler { pool, running: Mutex::new(HashMap::new()), slots: Semaphore::new(SETTLEMENTS_AT_ONCE) })
    }

    /// After a case of `category` was filed in the community and committed: settles it soon when
    /// the case is a finding.
    pub fn filed(self: &Arc<Self>, category: &str, community_id: i64) {
        if is_finding(category) {
            self.request(community_id);
        }
    }

    /// Asks for the community to be settled soon (a pending case there has committed).
    pub fn request(self: &Arc<Self>, community_id: i64) {
        {
            let mut running = self.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(again) = running.get_mut(&community_id) {
                *again = true;
                return;
            }
            running.insert(community_id, false);
        }
        let settler = self.clone();
        tokio::spawn(async move {
            loop {
                let slot = settler.slots.acquire().await;
                let settled = settle(&settler.pool, community_id).await;
                drop(slot);
                if let Err(error) = settled {
                    // The cases stay pending: the next filing there, a reader or the next start settles them.
                    tracing::warn!(%error, community_id, "settling dead spots failed");
                }
                let mut running = settler.running.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if running.insert(community_id, false) != Some(true) {
                    running.remove(&community_id);
                    break;
                }
            }
        });
    }
}

/// The community's sanitation cases reachable from the `seeds` in steps of at most 15 m: the
/// whole of every place that a case there belongs to or links. Each step takes the cases in a
/// box of ±15 m (a little more in longitude) around the last ones found; since the box holds the
/// 15 m circle, what is gathered is closed under the linking rule.
async fn linked(db: &mut PgConnection, community_id: i64, seeds: Vec<(f64, f64)>) -> Result<Vec<Finding>, sqlx::Error> {
    let Some(&(lon, lat)) = seeds.first() else { return Ok(Vec::new()) };
    // Widened by 1% for the change of scale across a community.
    let (dlon, dlat) = LocalProjection::new(lon, lat).degrees_for(REACH_M * 1.01);
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen: HashSet<i64> = HashSet::new();
    let mut frontier = distinct(seeds);
    while !frontier.is_empty() {
        let (lons, lats): (Vec<f64>, Vec<f64>) = frontier.into_iter().unzip();
        let found: Vec<(i64, f64, f64, DateTime<Utc>)> = sqlx::query_as(
            "select distinct c.id, st_x(c.location), st_y(c.location), c.created_at
             from unnest($2::float8[], $3::float8[]) as f (lon, lat)
             join cases c on c.location && st_makeenvelope(f.lon - $4, f.lat - $5, f.lon + $4, f.lat + $5, 4326)
             where c.community_id = $1 and c.category like 'sanitation.%' and c.status <> 'cancelled'",
        )
        .bind(community_id)
        .bind(&lons)
        .bind(&lats)
        .bind(dlon)
        .bind(dlat)
        .fetch_all(&mut *db)
        .await?;
        let found: Vec<_> = found.into_iter().filter(|f| seen.insert(f.0)).collect();
        frontier = distinct(found.iter().map(|&(_, lon, lat, _)| (lon, lat)).collect());
        findings.extend(found.into_iter().map(|(case_id, lon, lat, at)| Finding { case_id, lon, lat, at }));
    }
    findings.sort_by_key(|f| f.case_id);
    Ok(findings)
}

/// Findings filed at one spot share a box: each spot is searched around once.
fn distinct(mut points: Vec<(f64, f64)>) -> Vec<(f64, f64)> {
    points.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    points.dedup();
    points
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// A finding `east_m` metres east of a fixed point, on day `day` of November 2026.
    fn finding(case_id: i64, east_m: f64, day: u32) -> Finding {
        let projection = LocalProjection::new(114.41, 30.50);
        let (lon, lat) = projection.to_lonlat(east_m, 0.0);
        Finding { case_id, lon, lat, at: Utc.with_ymd_and_hms(2026, 11, day, 9, 0, 0).single().unwrap_or_default() }
    }

    #[test]
    fn three_findings_within_fifteen_metres_and_thirty_days_make_a_dead_spot() {
        let spots = dead_spots(&[finding(1, 0.0, 1), finding(2, 10.0, 5), finding(3, 5.0, 20)]);
        assert_eq!(spots.len(), 1);
        assert_eq!((spots[0].anchor, spots[0].cases.clone()), (1, vec![1, 2, 3]));
        assert_eq!((spots[0].first_seen, spots[0].last_seen), (finding(1, 0.0, 1).at, finding(3, 0.0, 20).at));
    }

    #[test]
    fn two_findings_or_too_far_or_too_spread_in_time_are_not() {
        assert!(dead_spots(&[finding(1, 0.0, 1), finding(2, 10.0, 2)]).is_empty());
        assert!(dead_spots(&[finding(1, 0.0, 1), finding(2, 16.0, 2), finding(3, 32.0, 3)]).is_empty(), "16 m apart each: no link");
        let spread = [finding(1, 0.0, 1), finding(2, 1.0, 17), finding(3, 2.0, 30)].map(|mut f| {
            if f.case_id == 3 {
                f.at += TimeDelta::days(3);
            }
            f
        });
        assert!(dead_spots(&spread).is_empty(), "no 30-day window holds three");
    }

    #[test]
    fn linkage_chains_and_places_stay_apart() {
        // 0, 12, 24 m: each within 15 m of the next, one place; another place 100 m away.
        let findings = [finding(1, 0.0, 1), finding(2, 12.0, 2), finding(3, 24.0, 3), finding(4, 100.0, 1), finding(5, 105.0, 2), finding(6, 110.0, 3)];
        let spots = dead_spots(&findings);
        assert_eq!(spots.iter().map(|s| s.cases.clone()).collect::<Vec<_>>(), [vec![1, 2, 3], vec![4, 5, 6]]);
    }

    #[test]
    fn the_clean_period_runs_from_the_last_case() {
        let findings = [finding(1, 0.0, 1), finding(2, 3.0, 2), finding(3, 6.0, 3)];
        assert_eq!(dead_spots(&findings).first().map(|s| s.clears_at), Some(findings[2].at + TimeDelta::days(30)));
    }
}
