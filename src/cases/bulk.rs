//! A bulk history for measuring the leaders' view at city scale (`wangge simulate --bulk`): the
//! rows that `history` leaves through the workflow, written by PostgreSQL itself in batches,
//! millions of cases in minutes instead of a day. The same category weights and outcome shares
//! (on time, late, reworked, open), filings in working hours of the past days at buildings with
//! households, dispatched to the community's committee when it has one. What it leaves out, none
//! of which an indicator, heatmap or ranking reads: event logs, photos, audit entries, dead
//! spots; and deadlines are counted in calendar time from the category's rule (a working day
//! taken as a day), not in the working calendar.

use chrono::{DateTime, TimeDelta, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::PgPool;

use super::history::{CATEGORIES, OUTCOME_PERCENT};

/// Cases written per transaction.
const BATCH: usize = 200_000;

/// What to write: `cases` over the `days` before `now`, at buildings of `scope` (every community
/// when `None`), drawn from `seed`.
#[derive(Debug, Clone)]
pub struct Options {
    pub cases: usize,
    pub days: u32,
    pub seed: u64,
    pub scope: Option<Vec<i64>>,
}

/// Writes the cases; `progress` hears the count after each batch. Answers how many were written
/// (none when the scope has no building with households).
pub async fn generate(pool: &PgPool, options: &Options, now: DateTime<Utc>, mut progress: impl FnMut(usize)) -> Result<usize, sqlx::Error> {
    let mut db = pool.acquire().await?;
    // The places, numbered for drawing: each building's point, community, grid and committee.
    sqlx::query("drop table if exists bulk_spots, bulk_categories").execute(&mut *db).await?;
    sqlx::query(
        "create temp table bulk_spots as
         select (row_number() over (order by b.id) - 1)::bigint as n, b.id as building_id, b.community_id, c.district_id,
                b.estate_id, st_x(s.p) as lon, st_y(s.p) as lat,
                (select g.id from grids g where g.community_id = b.community_id and g.ended_on is null
                   and st_covers(g.boundary, s.p) order by g.id limit 1) as grid_id,
                (select o.id from organisations o where o.kind = 'community_committee' and o.community_id = b.community_id
                 order by o.id limit 1) as committee
         from buildings b join communities c on c.id = b.community_id
         cross join lateral (select st_pointonsurface(b.footprint) as p) s
         where b.households > 0 and ($1::bigint[] is null or b.community_id = any($1))",
    )
    .bind(options.scope.as_deref())
    .execute(&mut *db)
    .await?;
    sqlx::query("alter table bulk_spots add primary key (n)").execute(&mut *db).await?;
    let spots: i64 = sqlx::query_scalar("select count(*) from bulk_spots").fetch_one(&mut *db).await?;
    if spots == 0 {
        return Ok(0);
    }
    // Each category owns a slice of [0, 1) as wide as its weight.
    let total: f64 = CATEGORIES.iter().map(|c| f64::from(c.1)).sum();
    let (mut codes, mut lows, mut highs) = (Vec::new(), Vec::new(), Vec::new());
    let mut low = 0.0;
    for (code, weight) in CATEGORIES {
        codes.push(*code);
        lows.push(low);
        low += f64::from(*weight) / total;
        highs.push(low);
    }
    if let Some(last) = highs.last_mut() {
        *last = 1.0;
    }
    sqlx::query(
        "create temp table bulk_categories as
         select k.code, k.tier, k.private, k.deadline_unit, k.deadline_amount, w.low, w.high
         from unnest($1::text[], $2::float8[], $3::float8[]) as w (code, low, high) join categories k on k.code = w.code",
    )
    .bind(&codes)
    .bind(&lows)
    .bind(&highs)
    .execute(&mut *db)
    .await?;
    let [on_time, late, reworked] = OUTCOME_PERCENT.map(|p| f64::from(p) / 100.0);
    let today = (now + TimeDelta::hours(8)).date_naive();
    let mut written = 0;
    // `setseed` takes a number in [-1, 1]: one drawn from the seed for each batch.
    let mut batch_seeds = ChaCha8Rng::seed_from_u64(options.seed);
    while written < options.cases {
        let size = BATCH.min(options.cases - written);
        let mut tx = sqlx::Acquire::begin(&mut *db).await?;
        // One process draws the numbers in order, so a seed gives the same cases.
        sqlx::query("set local max_parallel_workers_per_gather = 0").execute(&mut *tx).await?;
        sqlx::query("select setseed($1)").bind(batch_seeds.random_range(-1.0..=1.0)).execute(&mut *tx).await?;
        let inserted = sqlx::query(
            "insert into cases (number, source, category, location, submitted_crs, submitted_lon, submitted_lat, accuracy_m,
                                district_id, community_id, estate_id, grid_id, building_id, snapped_m, reporter_name,
                                organisation_id, tier, unhandled, status, private, deadline, dispatched_at, handled_at,
                                closed_at, rework_count, created_at, updated_at)
             select next_case_number(t.created), 'inspector', k.code, st_setsrid(st_makepoint(p.lon, p.lat), 4326), 'wgs84',
                    p.lon, p.lat, 10, s.district_id, s.community_id, s.estate_id, s.grid_id, s.building_id, 0, 'bulk',
                    s.committee, k.tier, s.committee is null,
                    case when e.closed <= $4 then 'closed' when e.handled <= $4 then 'handled' else 'dispatched' end,
                    k.private, d.deadline, t.created,
                    case when e.handled <= $4 then e.handled end, case when e.closed <= $4 then e.closed end,
                    case when d.outcome = 'reworked' and e.handled <= $4 then 1 else 0 end,
                    t.created, coalesce(case when e.closed <= $4 then e.closed end, case when e.handled <= $4 then e.handled end, t.created)
             from (select random() as spot, random() as category, random() as day, random() as minute, random() as outcome,
                          random() as span, random() as dx, random() as dy
                   from generate_series(1, $1)) r
             join bulk_spots s on s.n = least(floor(r.spot * $2)::bigint, $2 - 1)
             join bulk_categories k on r.category >= k.low and r.category < k.high
             -- A pin near the building (within about 10 m), filed in working hours (08:30-17:30).
             cross join lateral (select s.lon + (r.dx - 0.5) * 2e-4 as lon, s.lat + (r.dy - 0.5) * 1.6e-4 as lat) p
             cross join lateral (select (($3::date - floor(r.day * $5)::int)::timestamp
                                         + make_interval(mins => 510 + floor(r.minute * 540)::int)) at time zone 'Asia/Shanghai' as at) f
             cross join lateral (select case when f.at < $4 then f.at else f.at - interval '1 day' end as created) t
             cross join lateral (
                 select t.created + case k.deadline_unit when 'working_hours' then make_interval(hours => k.deadline_amount)
                                                         when 'working_days' then make_interval(days => k.deadline_amount)
                                                         else interval '8 hours' end as deadline,
                        case when r.outcome < $6 then 'on_time' when r.outcome < $7 then 'late'
                             when r.outcome < $8 then 'reworked' else 'open' end as outcome) d
             cross join lateral (
                 select case d.outcome when 'open' then null
                                       when 'late' then d.deadline + make_interval(hours => 2 + floor(r.span * 70)::int)
                                       else t.created + (d.deadline - t.created) * (0.2 + 0.75 * r.span) end as handled) h
             -- Verified an hour after the report back (five more for a rework), closed an hour later.
             cross join lateral (select h.handled + case when d.outcome = 'reworked' then interval '7 hours'
                                                         else interval '2 hours' end as closed, h.handled) e",
        )
        .bind(size as i64)
        .bind(spots)
        .bind(today)
        .bind(now)
        .bind(i64::from(options.days.max(1)))
        .bind(on_time)
        .bind(on_time + late)
        .bind(on_time + late + reworked)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if inserted.rows_affected() == 0 {
            break; // no category of the weights exists here
        }
        written += inserted.rows_affected() as usize;
        progress(written);
    }
    sqlx::query("drop table if exists bulk_spots, bulk_categories").execute(&mut *db).await?;
    Ok(written)
}
