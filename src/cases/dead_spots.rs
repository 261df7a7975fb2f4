//! Hygiene dead spots (卫生死角): places where sanitation findings keep coming back. The rule:
//!
//! - sanitation cases (category group `sanitation`, any status but cancelled) link when they lie
//!   within **15 m** of each other; linked cases form a place (single linkage);
//! - a place is a dead spot once **three or more** of its cases fall within some **30 days**;
//! - a dead spot is **cleared** after a clean period of **30 days** with no new sanitation case
//!   there (cleared on the last case's date + 30 days); it stays in the register with its history.
//!
//! Clustering is pure (an R-tree of points in a local metric projection, union–find over the
//! pairs within reach); the register is recomputed for a community whenever a sanitation case is
//! filed there, keyed by its first case so that a dead spot keeps its id as it grows.

use chrono::{DateTime, TimeDelta, Utc};
use rstar::{RTree, primitives::GeomWithData};
use serde::Serialize;
use sqlx::PgConnection;

use crate::spatial::measure::LocalProjection;

pub const REACH_M: f64 = 15.0;
pub const MIN_CASES: usize = 3;
pub const WINDOW_DAYS: i64 = 30;
pub const CLEAN_DAYS: i64 = 30;
/// The first key of the advisory lock a community's refresh holds (the second is the community).
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
    /// Set once the clean period after the last case has passed.
    pub cleared_at: Option<DateTime<Utc>>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// The dead spots among the findings, as of `now`, ordered by anchor.
pub fn dead_spots(findings: &[Finding], now: DateTime<Utc>) -> Vec<DeadSpot> {
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
            let cleared = last.at + TimeDelta::days(CLEAN_DAYS);
            Some(DeadSpot {
                anchor: cases.iter().map(|f| f.case_id).min().unwrap_or(first.case_id),
                lon: cases.iter().map(|f| f.lon).sum::<f64>() / n,
                lat: cases.iter().map(|f| f.lat).sum::<f64>() / n,
                cases: cases.iter().map(|f| f.case_id).collect(),
                first_seen: first.at,
                last_seen: last.at,
                cleared_at: (cleared <= now).then_some(cleared),
            })
        })
        .collect();
    spots.sort_by_key(|s| s.anchor);
    spots
}

/// Recomputes the community's dead spots from its sanitation cases.
pub async fn refresh(db: &mut PgConnection, community_id: i64) -> Result<(), sqlx::Error> {
    // Filings in one community take turns until their transactions end: two refreshes at once
    // would each miss the other's case and rewrite the same rows in different orders.
    sqlx::query("select pg_advisory_xact_lock($1, $2)")
        .bind(DEAD_SPOT_LOCK)
        .bind(i32::try_from(community_id).unwrap_or(i32::MAX))
        .execute(&mut *db)
        .await?;
    let rows: Vec<(i64, f64, f64, DateTime<Utc>)> = sqlx::query_as(
        "select id, st_x(location), st_y(location), created_at from cases
         where community_id = $1 and category like 'sanitation.%' and status <> 'cancelled' order by id",
    )
    .bind(community_id)
    .fetch_all(&mut *db)
    .await?;
    let findings: Vec<Finding> = rows.into_iter().map(|(case_id, lon, lat, at)| Finding { case_id, lon, lat, at }).collect();
    let spots = dead_spots(&findings, Utc::now());
    sqlx::query("delete from dead_spots where community_id = $1 and not (id = any($2))")
        .bind(community_id)
        .bind(spots.iter().map(|s| s.anchor).collect::<Vec<_>>())
        .execute(&mut *db)
        .await?;
    for spot in &spots {
        sqlx::query(
            "insert into dead_spots (id, community_id, location, cases, first_seen, last_seen, cleared_at)
             values ($1, $2, st_setsrid(st_makepoint($3, $4), 4326), $5, $6, $7, $8)
             on conflict (id) do update set location = excluded.location, cases = excluded.cases,
                first_seen = excluded.first_seen, last_seen = excluded.last_seen, cleared_at = excluded.cleared_at",
        )
        .bind(spot.anchor)
        .bind(community_id)
        .bind(spot.lon)
        .bind(spot.lat)
        .bind(&spot.cases)
        .bind(spot.first_seen)
        .bind(spot.last_seen)
        .bind(spot.cleared_at)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
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

    fn day(d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, d, 12, 0, 0).single().unwrap_or_default()
    }

    #[test]
    fn three_findings_within_fifteen_metres_and_thirty_days_make_a_dead_spot() {
        let spots = dead_spots(&[finding(1, 0.0, 1), finding(2, 10.0, 5), finding(3, 5.0, 20)], day(21));
        assert_eq!(spots.len(), 1);
        assert_eq!((spots[0].anchor, spots[0].cases.clone(), spots[0].cleared_at), (1, vec![1, 2, 3], None));
        assert_eq!((spots[0].first_seen, spots[0].last_seen), (finding(1, 0.0, 1).at, finding(3, 0.0, 20).at));
    }

    #[test]
    fn two_findings_or_too_far_or_too_spread_in_time_are_not() {
        assert!(dead_spots(&[finding(1, 0.0, 1), finding(2, 10.0, 2)], day(3)).is_empty());
        assert!(dead_spots(&[finding(1, 0.0, 1), finding(2, 16.0, 2), finding(3, 32.0, 3)], day(4)).is_empty(), "16 m apart each: no link");
        let spread = [finding(1, 0.0, 1), finding(2, 1.0, 17), finding(3, 2.0, 30)].map(|mut f| {
            if f.case_id == 3 {
                f.at += TimeDelta::days(3);
            }
            f
        });
        assert!(dead_spots(&spread, day(30) + TimeDelta::days(4)).is_empty(), "no 30-day window holds three");
    }

    #[test]
    fn linkage_chains_and_places_stay_apart() {
        // 0, 12, 24 m: each within 15 m of the next, one place; another place 100 m away.
        let findings = [finding(1, 0.0, 1), finding(2, 12.0, 2), finding(3, 24.0, 3), finding(4, 100.0, 1), finding(5, 105.0, 2), finding(6, 110.0, 3)];
        let spots = dead_spots(&findings, day(4));
        assert_eq!(spots.iter().map(|s| s.cases.clone()).collect::<Vec<_>>(), [vec![1, 2, 3], vec![4, 5, 6]]);
    }

    #[test]
    fn a_clean_period_clears_it() {
        let findings = [finding(1, 0.0, 1), finding(2, 3.0, 2), finding(3, 6.0, 3)];
        let last = findings[2].at;
        assert_eq!(dead_spots(&findings, last + TimeDelta::days(29)).first().and_then(|s| s.cleared_at), None);
        assert_eq!(dead_spots(&findings, last + TimeDelta::days(31)).first().and_then(|s| s.cleared_at), Some(last + TimeDelta::days(30)));
    }
}
