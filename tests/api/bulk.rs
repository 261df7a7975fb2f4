//! The bulk history (`wangge simulate --bulk`) on a real PostGIS: the rows are what the workflow
//! would leave, the indicators read them, and a seed gives the same cases.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use wangge::cases::bulk::{Options, generate};
use wangge::demo::{DemoOptions, generate as demo};
use wangge::leaders::store::{Days, Unit, case_counts, community_indicators, unit_indicators};
use wangge::leaders::tallies;

use super::http::App;

type Row = (String, Option<i64>, DateTime<Utc>, String, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, i32);

async fn bulk_rows(seed: u64, now: DateTime<Utc>) -> (App, Vec<Row>) {
    let app = App::with(&[demo(&DemoOptions { communities: 2, seed: 42 })]).await;
    let options = Options { cases: 3000, days: 90, seed, scope: None };
    let mut heard = Vec::new();
    let written = generate(&app.pool, &options, now, |n| heard.push(n)).await.expect("writes");
    assert_eq!((written, heard.last().copied()), (3000, Some(3000)));
    let rows: Vec<Row> = sqlx::query_as(
        "select category, building_id, created_at, status, deadline, handled_at, closed_at, rework_count from cases order by id",
    )
    .fetch_all(&app.pool)
    .await
    .expect("cases");
    (app, rows)
}

#[tokio::test]
async fn bulk_cases_are_consistent_counted_by_the_indicators_and_repeatable() {
    let now = Utc::now();
    let (app, rows) = bulk_rows(7, now).await;
    assert_eq!(rows.len(), 3000);
    for (category, building, created, status, deadline, handled, closed, reworks) in &rows {
        assert!(building.is_some(), "filed at a building");
        assert!(*created <= now && *created > now - TimeDelta::days(91), "{created}");
        let local = *created + TimeDelta::hours(8);
        let minutes = local.hour() * 60 + local.minute();
        assert!((8 * 60 + 30..17 * 60 + 30).contains(&minutes), "in working hours: {local}");
        assert!(deadline.is_some_and(|d| d > *created), "{category}: {deadline:?}");
        match status.as_str() {
            "closed" => assert!(handled.is_some_and(|h| closed.is_some_and(|c| h < c && c <= now))),
            "handled" => assert!(handled.is_some_and(|h| h <= now) && closed.is_none()),
            "dispatched" => assert!(handled.is_none() && closed.is_none() && *reworks == 0),
            other => panic!("status {other}"),
        }
    }
    let sanitation = rows.iter().filter(|r| r.0.starts_with("sanitation.")).count() as f64 / 3000.0;
    assert!((0.48..0.58).contains(&sanitation), "sanitation weighs 50 of 95: {sanitation}");
    let reworked = rows.iter().filter(|r| r.7 > 0).count() as f64 / 3000.0;
    assert!((0.03..0.09).contains(&reworked), "about 6% reworked: {reworked}");

    let district: i64 = sqlx::query_scalar("select id from districts order by id limit 1").fetch_one(&app.pool).await.expect("a district");
    let today = (now + TimeDelta::hours(8)).date_naive();
    let mut db = app.pool.acquire().await.expect("a connection");
    let quarter = Days::from_to(today - TimeDelta::days(91), today);
    let indicators = unit_indicators(&mut db, Unit::District(district), quarter).await.expect("indicators");
    assert_eq!(indicators.counts.filed, 3000, "every bulk case is counted as filed");

    // The daily tallies give what counting the cases gives, for any period, before and after
    // their changes are folded in, for the sub-district and for the city.
    let periods = [quarter, Days::from_to(today - TimeDelta::days(45), today - TimeDelta::days(15)), Days::from_to(today, today), Days::month(today)];
    for folded in [false, true] {
        if folded {
            assert!(tallies::fold(&app.pool).await.expect("folds") > 0);
            let left: i64 = sqlx::query_scalar("select count(*) from case_tally_changes").fetch_one(&app.pool).await.expect("changes");
            assert_eq!(left, 0);
        }
        for days in periods {
            let (start, end) = days.instants();
            let scanned = case_counts(&mut db, "$1", "c.district_id = $1", district, start, end).await.expect("scanned");
            let scanned = scanned.first().map(|c| c.1).unwrap_or_default();
            for unit in [Unit::District(district), Unit::City] {
                let tallied = unit_indicators(&mut db, unit, days).await.expect("tallied").counts;
                assert_eq!(tallied.filed, scanned.filed, "{unit:?} {days:?} folded {folded}");
                assert_eq!(
                    (tallied.due, tallied.closed, tallied.closed_on_time, tallied.open_overdue, tallied.reworked, tallied.backlogged),
                    (scanned.due, scanned.closed, scanned.closed_on_time, scanned.open_overdue, scanned.reworked, scanned.backlogged),
                    "{unit:?} {days:?} folded {folded}"
                );
                assert!((tallied.hours_to_close - scanned.hours_to_close).abs() < 1e-6 * scanned.hours_to_close.max(1.0));
            }
        }
    }

    // The ranking's indicators, every community in one pass, are each community's own, and
    // their counts add up to the sub-district's.
    let month = periods[1];
    let split = community_indicators(&mut db, district, month).await.expect("per community");
    let whole = unit_indicators(&mut db, Unit::District(district), month).await.expect("the sub-district");
    assert!(split.len() == 2 && whole.counts.due > 0 && whole.counts.open_overdue > 0 && whole.counts.closed > 0, "{split:?}");
    let mut total = wangge::leaders::indicators::Counts::default();
    for (community, grouped) in &split {
        let alone = unit_indicators(&mut db, Unit::Community(*community), month).await.expect("one community");
        assert_eq!((grouped.counts.filed, grouped.counts.due, grouped.counts.closed, grouped.counts.closed_on_time), (alone.counts.filed, alone.counts.due, alone.counts.closed, alone.counts.closed_on_time));
        assert_eq!((grouped.context, grouped.closure_rate, grouped.on_time_rate, grouped.rework_rate), (alone.context, alone.closure_rate, alone.on_time_rate, alone.rework_rate));
        assert!((grouped.counts.hours_to_close - alone.counts.hours_to_close).abs() < 1e-6);
        total.filed += grouped.counts.filed;
        total.due += grouped.counts.due;
        total.open_overdue += grouped.counts.open_overdue;
        total.reworked += grouped.counts.reworked;
    }
    assert_eq!((total.filed, total.due, total.open_overdue, total.reworked), (whole.counts.filed, whole.counts.due, whole.counts.open_overdue, whole.counts.reworked));

    // Each community's households follow its buildings: a count raised, a building emptied.
    let counted = || async {
        let counted: (i64, i64) = sqlx::query_as("select sum(households)::bigint, count(*) filter (where households > 0) from buildings")
            .fetch_one(&app.pool)
            .await
            .expect("households");
        let mut db = app.pool.acquire().await.expect("a connection");
        let context = unit_indicators(&mut db, Unit::District(district), month).await.expect("indicators").context;
        assert_eq!(counted, (context.households as i64, context.buildings as i64));
        counted
    };
    let (households, buildings) = counted().await;
    let building: i64 = sqlx::query_scalar("select min(id) from buildings where households > 0").fetch_one(&app.pool).await.expect("a building");
    sqlx::query("update buildings set households = households + 7 where id = $1").bind(building).execute(&app.pool).await.expect("raised");
    assert_eq!(counted().await, (households + 7, buildings));
    sqlx::query("update buildings set households = 0 where id = $1").bind(building).execute(&app.pool).await.expect("emptied");
    assert_eq!(counted().await.1, buildings - 1);

    let (_, again) = bulk_rows(7, now).await;
    assert_eq!(again, rows, "the same seed writes the same cases");
    let (_, other) = bulk_rows(8, now).await;
    assert_ne!(other, rows);
}
