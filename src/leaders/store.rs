//! Indicators and rankings from the database: the counts of `indicators` added up from the daily
//! tallies for units of whole communities, or computed by one aggregate query over the cases for
//! the others (the same definitions, checked against a case-by-case count in the tests), and
//! monthly ranking snapshots.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgConnection;

use super::indicators::{Context, Counts, Indicators, indicators};
use super::ranking::{self, Entry, Weights};
use super::tallies;
use crate::refusal::Refusal;

/// The unit indicators are computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Every community of the service.
    City,
    District(i64),
    Community(i64),
    Estate(i64),
    Grid(i64),
    Organisation(i64),
}

/// The ground of a unit, whose households and buildings its rates divide by.
enum Ground {
    /// Whole communities (a subquery of their ids, `$1` = the unit's id).
    Communities(&'static str),
    /// Some buildings (the condition on the building aliased `b`).
    Buildings(&'static str),
}

impl Unit {
    /// The condition on the case aliased `c` (`$1` = the unit's id).
    pub fn cases(self) -> &'static str {
        match self {
            Unit::City => "true",
            Unit::District(_) => "c.district_id = $1",
            // The sub-district too, so that the sub-district's indexes serve a community's or a
            // grid's cases.
            Unit::Community(_) => "c.community_id = $1 and c.district_id = (select district_id from communities where id = $1)",
            Unit::Estate(_) => {
                "c.estate_id = $1 and c.district_id = (select cm.district_id from estates e join communities cm on cm.id = e.community_id
                                                       where e.id = $1)"
            }
            Unit::Grid(_) => {
                "c.grid_id = $1 and c.district_id = (select cm.district_id from grids g join communities cm on cm.id = g.community_id
                                                     where g.id = $1)"
            }
            Unit::Organisation(_) => "c.organisation_id = $1",
        }
    }

    /// The communities the unit is made of, when whole ones (a subquery of their ids, `$1` =
    /// the unit's id): their cases are counted from the daily tallies.
    fn communities(self) -> Option<&'static str> {
        match self {
            Unit::City => Some("select id from communities"),
            Unit::District(_) => Some("select id from communities where district_id = $1"),
            Unit::Community(_) => Some("select $1"),
            Unit::Estate(_) | Unit::Grid(_) | Unit::Organisation(_) => None,
        }
    }

    /// The unit's ground (an organisation's is the communities it serves cases in).
    fn ground(self) -> Ground {
        match (self, self.communities()) {
            (_, Some(communities)) => Ground::Communities(communities),
            (Unit::Organisation(_), None) => Ground::Communities("select distinct community_id from cases where organisation_id = $1"),
            (Unit::Grid(_), None) => {
                Ground::Buildings("exists (select 1 from grids g where g.id = $1 and st_covers(g.boundary, st_pointonsurface(b.footprint)))")
            }
            (_, None) => Ground::Buildings("b.estate_id = $1"),
        }
    }

    pub fn id(self) -> i64 {
        match self {
            Unit::City => 0,
            Unit::District(id) | Unit::Community(id) | Unit::Estate(id) | Unit::Grid(id) | Unit::Organisation(id) => id,
        }
    }
}

/// A period of whole days in China time: [start, end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Days {
    /// The days from `first` to `last`, both included.
    pub fn from_to(first: NaiveDate, last: NaiveDate) -> Days {
        Days { start: first, end: last + chrono::TimeDelta::days(1) }
    }

    /// The month `month` falls in.
    pub fn month(month: NaiveDate) -> Days {
        let start = month.with_day0(0).unwrap_or(month);
        Days { start, end: start.checked_add_months(chrono::Months::new(1)).unwrap_or(start) }
    }

    /// The instants the days run over.
    pub fn instants(self) -> (DateTime<Utc>, DateTime<Utc>) {
        (day_start(self.start), day_start(self.end))
    }
}

/// Case counts for [start, end) of the cases matching `condition` (on the case aliased `c`, the
/// unit's id at `$1`), one row per value of `key` (an expression of `c`): the one query behind
/// every indicator, whether for one unit or for each grid of a map. The cases filed and the cases
/// due are two aggregates, each over its own index range (filing time, deadline), added up.
pub async fn case_counts(
    db: &mut PgConnection,
    key: &str,
    condition: &str,
    id: i64,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<(Option<i64>, Counts)>, sqlx::Error> {
    let rows: Vec<CountRow> = sqlx::query_as(&format!(
        "select key, sum(filed)::bigint, sum(cancelled)::bigint, sum(due)::bigint, sum(closed)::bigint,
                sum(closed_on_time)::bigint, sum(open_overdue)::bigint, sum(reworked)::bigint, sum(backlogged)::bigint,
                sum(hours)::float8
         from (select {key} as key, count(*) filter (where c.status <> 'cancelled') as filed,
                      count(*) filter (where c.status = 'cancelled') as cancelled,
                      0 as due, 0 as closed, 0 as closed_on_time, 0 as open_overdue, 0 as reworked, 0 as backlogged, 0 as hours
               from cases c where {condition} and c.created_at >= $2 and c.created_at < $3
               group by 1
               union all
               select {key}, 0, 0, count(*), count(*) filter (where closed),
                      count(*) filter (where closed and c.handled_at <= c.deadline),
                      count(*) filter (where not closed),
                      count(*) filter (where c.rework_count > 0),
                      count(*) filter (where c.backlog_count > 0),
                      coalesce(sum(extract(epoch from c.closed_at - c.dispatched_at) / 3600.0)
                               filter (where closed and c.dispatched_at is not null), 0)
               from cases c cross join lateral (select coalesce(c.closed_at < $3, false) as closed) f
               where {condition} and c.status <> 'cancelled' and c.deadline >= $2 and c.deadline < $3
               group by 1) counted
         group by key"
    ))
    // Planned for each period, as the heatmap (map.rs).
    .persistent(false)
    .bind(id)
    .bind(start)
    .bind(end)
    .fetch_all(&mut *db)
    .await?;
    Ok(keyed_counts(rows))
}

/// A row of counts as `case_counts` and `tallies::counts` select them: the key, then `Counts`'
/// fields in order.
pub(super) type CountRow = (Option<i64>, i64, i64, i64, i64, i64, i64, i64, i64, f64);

pub(super) fn keyed_counts(rows: Vec<CountRow>) -> Vec<(Option<i64>, Counts)> {
    let u = |v: i64| v.max(0) as u64;
    rows.into_iter()
        .map(|(key, filed, cancelled, due, closed, closed_on_time, open_overdue, reworked, backlogged, hours)| {
            let counts = Counts {
                filed: u(filed),
                cancelled: u(cancelled),
                due: u(due),
                closed: u(closed),
                closed_on_time: u(closed_on_time),
                open_overdue: u(open_overdue),
                reworked: u(reworked),
                backlogged: u(backlogged),
                hours_to_close: hours,
            };
            (key, counts)
        })
        .collect()
}

/// How indicators are split: the unit as a whole, or each of its communities.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Split {
    Whole,
    Communities,
}

impl Split {
    /// The key of a row whose community is `alias.community_id`.
    fn key(self, alias: &str) -> String {
        match self {
            Split::Whole => "$1".to_owned(),
            Split::Communities => format!("{alias}.community_id"),
        }
    }
}

/// A unit's indicators for the days `days`.
pub async fn unit_indicators(db: &mut PgConnection, unit: Unit, days: Days) -> Result<Indicators, sqlx::Error> {
    Ok(split_indicators(db, unit, Split::Whole, days).await?.pop().map(|(_, i)| i).unwrap_or_else(|| indicators(Counts::default(), Context::default())))
}

/// The indicators of each community of a sub-district for the days `days` (those with cases or
/// households), in one pass over the sub-district's tallies.
pub async fn community_indicators(db: &mut PgConnection, district_id: i64, days: Days) -> Result<Vec<(i64, Indicators)>, sqlx::Error> {
    split_indicators(db, Unit::District(district_id), Split::Communities, days).await
}

type Keyed = Vec<(Option<i64>, i64)>;

async fn split_indicators(db: &mut PgConnection, unit: Unit, split: Split, days: Days) -> Result<Vec<(i64, Indicators)>, sqlx::Error> {
    let (start, end) = days.instants();
    let counts = match unit.communities() {
        Some(communities) => tallies::counts(db, &split.key("t"), communities, unit.id(), days.start, days.end).await?,
        None => case_counts(db, &split.key("c"), unit.cases(), unit.id(), start, end).await?,
    };
    let (households, checked): (Vec<(Option<i64>, i64, i64)>, Keyed) = match unit.ground() {
        Ground::Communities(communities) => {
            let households = sqlx::query_as(&format!(
                "select {}, sum(h.households)::bigint, sum(h.buildings)::bigint from community_households h
                 where h.community_id in ({communities}) group by 1",
                split.key("h")
            ))
            .bind(unit.id())
            .fetch_all(&mut *db)
            .await?;
            // From the period's patrols, not from the buildings: a city has a million of them.
            let checked = sqlx::query_as(&format!(
                "select {}, count(distinct pb.building_id) from patrols p join patrol_buildings pb on pb.patrol_id = p.id
                 join buildings b on b.id = pb.building_id
                 where p.community_id in ({communities}) and p.started_at >= $2 and p.started_at < $3 and b.households > 0
                 group by 1",
                split.key("p")
            ))
            .bind(unit.id())
            .bind(start)
            .bind(end)
            .fetch_all(&mut *db)
            .await?;
            (households, checked)
        }
        Ground::Buildings(buildings) => {
            let ground: Vec<(Option<i64>, i64, i64, i64)> = sqlx::query_as(&format!(
                "select {}, coalesce(sum(b.households), 0)::bigint, count(*),
                        count(*) filter (where exists (select 1 from patrol_buildings pb join patrols p on p.id = pb.patrol_id
                                                       where pb.building_id = b.id and p.started_at >= $2 and p.started_at < $3))
                 from buildings b where b.households > 0 and {buildings} group by 1",
                split.key("b")
            ))
            .bind(unit.id())
            .bind(start)
            .bind(end)
            .fetch_all(&mut *db)
            .await?;
            ground.into_iter().map(|(key, households, buildings, checked)| ((key, households, buildings), (key, checked))).unzip()
        }
    };
    let dead_spots: Keyed = sqlx::query_as(&match unit.communities() {
        Some(communities) => format!(
            "select {}, count(*) from dead_spots d where d.community_id in ({communities}) and d.first_seen < $2 and d.clears_at >= $2 group by 1",
            split.key("d")
        ),
        None => format!(
            "select {}, count(*) from dead_spots d join cases c on c.id = d.id
             where {} and d.first_seen < $2 and d.clears_at >= $2 group by 1",
            split.key("c"),
            unit.cases()
        ),
    })
    .bind(unit.id())
    .bind(end)
    .fetch_all(&mut *db)
    .await?;
    let u = |v: i64| v.max(0) as u64;
    let find = |rows: &Keyed, key: i64| rows.iter().find(|r| r.0 == Some(key)).map_or(0, |r| r.1);
    let mut keys: Vec<i64> = counts.iter().map(|c| c.0).chain(households.iter().map(|h| h.0)).flatten().collect();
    keys.sort_unstable();
    keys.dedup();
    Ok(keys
        .into_iter()
        .map(|key| {
            let counts = counts.iter().find(|c| c.0 == Some(key)).map(|c| c.1).unwrap_or_default();
            let (households, buildings) = households.iter().find(|h| h.0 == Some(key)).map_or((0, 0), |h| (h.1, h.2));
            let context = Context {
                households: u(households),
                dead_spots: u(find(&dead_spots, key)),
                buildings: u(buildings),
                buildings_checked: u(find(&checked, key)),
            };
            (key, indicators(counts, context))
        })
        .collect())
}

/// The first instant of a day in China time.
pub fn day_start(day: NaiveDate) -> DateTime<Utc> {
    (day.and_hms_opt(0, 0, 0).unwrap_or_default() - chrono::TimeDelta::hours(8)).and_utc()
}

/// The first day of the month before the one `today` falls in.
pub fn previous_month(today: NaiveDate) -> NaiveDate {
    let start = today.with_day0(0).unwrap_or(today);
    start.checked_sub_months(chrono::Months::new(1)).unwrap_or(start)
}


#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ranking {
    pub district_id: i64,
    pub month: String,
    /// Not yet a snapshot: the month is not over.
    pub provisional: bool,
    pub computed_at: DateTime<Utc>,
    pub weights: Weights,
    pub entries: Vec<Entry>,
}

/// Months back a ranking looks to count how long a community has been last.
const STREAK_MONTHS: u32 = 3;

/// The district's ranking for a month: the stored snapshot, or computed now (and stored when the
/// month is over, so that later edits do not change a past month's ranking). The months before
/// are ranked first when they have no snapshot yet, for the streaks of last places.
pub async fn ranking(db: &mut PgConnection, district_id: i64, month: NaiveDate, weights: &Weights) -> Result<Ranking, Refusal> {
    ranking_back(db, district_id, month, weights, STREAK_MONTHS).await
}

/// Stores last month's ranking of every sub-district that has none yet, so that no leader waits
/// for a month's first computation (with the three months before it); the service does it at
/// start and every hour. `today` is a China date. Answers how many it stored.
pub async fn snapshot_rankings(pool: &sqlx::PgPool, weights: &Weights, today: NaiveDate) -> Result<usize, Refusal> {
    let last_month = previous_month(today);
    let districts: Vec<i64> = sqlx::query_scalar(
        "select d.id from districts d
         where exists (select 1 from communities c where c.district_id = d.id)
           and not exists (select 1 from rankings r where r.district_id = d.id and r.month = $1)
         order by d.id",
    )
    .bind(last_month)
    .fetch_all(pool)
    .await?;
    for &district in &districts {
        let mut tx = pool.begin().await?;
        ranking(&mut tx, district, last_month, weights).await?;
        tx.commit().await?;
    }
    Ok(districts.len())
}

async fn ranking_back(
    db: &mut PgConnection,
    district_id: i64,
    month: NaiveDate,
    weights: &Weights,
    back: u32,
) -> Result<Ranking, Refusal> {
    let month = month.with_day0(0).unwrap_or(month);
    let stored: Option<(DateTime<Utc>, Value, Value)> =
        sqlx::query_as("select computed_at, weights, entries from rankings where district_id = $1 and month = $2")
            .bind(district_id)
            .bind(month)
            .fetch_optional(&mut *db)
            .await?;
    let label = month.format("%Y-%m").to_string();
    if let Some((computed_at, stored_weights, entries)) = stored {
        return Ok(Ranking {
            district_id,
            month: label,
            provisional: false,
            computed_at,
            weights: serde_json::from_value(stored_weights).unwrap_or_default(),
            entries: serde_json::from_value(entries).unwrap_or_default(),
        });
    }
    let days = Days::month(month);
    let communities: Vec<(i64, String)> = sqlx::query_as("select id, name from communities where district_id = $1 order by id")
        .bind(district_id)
        .fetch_all(&mut *db)
        .await?;
    let indicators = community_indicators(db, district_id, days).await?;
    let scores: Vec<(i64, String, f64)> = communities
        .into_iter()
        .filter_map(|(id, name)| {
            let (_, indicators) = indicators.iter().find(|i| i.0 == id)?;
            Some((id, name, ranking::score(indicators, weights)?))
        })
        .collect();
    let previous = match (back, month.checked_sub_months(chrono::Months::new(1))) {
        (1.., Some(previous)) => Box::pin(ranking_back(db, district_id, previous, weights, back - 1)).await?.entries,
        _ => Vec::new(),
    };
    let entries = ranking::rank(&scores, &previous);
    let over = days.instants().1 <= Utc::now();
    let computed_at = Utc::now();
    if over {
        sqlx::query(
            "insert into rankings (district_id, month, computed_at, weights, entries) values ($1, $2, $3, $4, $5)
             on conflict do nothing",
        )
        .bind(district_id)
        .bind(month)
        .bind(computed_at)
        .bind(serde_json::to_value(weights).unwrap_or_default())
        .bind(serde_json::to_value(&entries).unwrap_or_default())
        .execute(&mut *db)
        .await?;
    }
    Ok(Ranking { district_id, month: label, provisional: !over, computed_at, weights: *weights, entries })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_month_starts_on_its_first_day_and_crosses_years() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(previous_month(day(2026, 11, 22)), day(2026, 10, 1));
        assert_eq!(previous_month(day(2026, 3, 31)), day(2026, 2, 1));
        assert_eq!(previous_month(day(2027, 1, 1)), day(2026, 12, 1));
    }
}
