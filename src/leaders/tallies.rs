//! Daily tallies of each community's cases (migration …14, docs/LEADERS.md "Tallies"): what the
//! indicators of whole communities (one, a sub-district's, the city's) add up instead of
//! reading their cases. Triggers on `cases` write every change as rows of `case_tally_changes`;
//! the service folds them into `case_tallies` every few seconds, and a reader adds both, so an
//! answer is always exact.

use std::time::Duration;

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};

use super::indicators::Counts;
use super::store::{CountRow, keyed_counts};

/// How often the service folds the changes into the tallies: readers add the changes not yet
/// folded, so this only keeps that list short.
const FOLD_EVERY: Duration = Duration::from_secs(5);

/// The counts of `indicators` for the days [start, end) of the communities `communities` (a
/// subquery of community ids, `$1` = the unit's id), one row per value of `key` (`$1` for the
/// whole, `t.community_id` for each community).
pub async fn counts(
    db: &mut PgConnection,
    key: &str,
    communities: &str,
    id: i64,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<Vec<(Option<i64>, Counts)>, sqlx::Error> {
    // A due case counts as closed when closed before the period's last day ends (closed_day < end),
    // and as open overdue otherwise; see the migration for why the day of closing suffices.
    let rows: Vec<CountRow> = sqlx::query_as(&format!(
        "select {key}, sum(filed)::bigint, sum(cancelled)::bigint, sum(due)::bigint,
                coalesce(sum(due) filter (where closed_day < $3), 0)::bigint,
                coalesce(sum(closed_on_time) filter (where closed_day < $3), 0)::bigint,
                coalesce(sum(due) filter (where closed_day >= $3), 0)::bigint,
                sum(reworked)::bigint, sum(backlogged)::bigint,
                coalesce(sum(micros_to_close) filter (where closed_day < $3), 0)::float8 / 3.6e9
         from (select * from case_tallies union all select * from case_tally_changes) t
         where t.community_id in ({communities}) and t.day >= $2 and t.day < $3
         group by 1"
    ))
    // Planned for each period and unit: a sub-district's few communities and the whole city
    // are read by different plans.
    .persistent(false)
    .bind(id)
    .bind(start)
    .bind(end)
    .fetch_all(&mut *db)
    .await?;
    Ok(keyed_counts(rows))
}

/// Folds the changes written so far into the tallies; answers how many tally rows it changed.
/// Changes committed meanwhile stay for the next fold (the delete sees only those before it).
pub async fn fold(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let folded = sqlx::query(
        "with moved as (delete from case_tally_changes returning *)
         insert into case_tallies
         select community_id, day, closed_day, sum(filed), sum(cancelled), sum(due), sum(closed_on_time),
                sum(reworked), sum(backlogged), sum(micros_to_close)
         from moved group by 1, 2, 3
         on conflict (community_id, day, closed_day) do update set
             filed = case_tallies.filed + excluded.filed, cancelled = case_tallies.cancelled + excluded.cancelled,
             due = case_tallies.due + excluded.due, closed_on_time = case_tallies.closed_on_time + excluded.closed_on_time,
             reworked = case_tallies.reworked + excluded.reworked, backlogged = case_tallies.backlogged + excluded.backlogged,
             micros_to_close = case_tallies.micros_to_close + excluded.micros_to_close",
    )
    .execute(pool)
    .await?;
    Ok(folded.rows_affected())
}

/// Folds the changes every few seconds while the service runs.
pub fn spawn_folding(pool: PgPool) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FOLD_EVERY);
        loop {
            every.tick().await;
            if let Err(error) = fold(&pool).await {
                // The changes stay and readers still add them: the next fold takes them.
                tracing::warn!(%error, "folding the case tallies");
            }
        }
    })
}
