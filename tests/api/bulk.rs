//! The bulk history (`wangge simulate --bulk`) on a real PostGIS: the rows are what the workflow
//! would leave, the indicators read them, and a seed gives the same cases.

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use wangge::cases::bulk::{Options, generate};
use wangge::demo::{DemoOptions, generate as demo};
use wangge::leaders::store::{Unit, community_indicators, day_start, unit_indicators};

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
    let indicators = unit_indicators(&mut db, Unit::District(district), day_start(today - TimeDelta::days(91)), day_start(today + TimeDelta::days(1)))
        .await
        .expect("indicators");
    assert_eq!(indicators.counts.filed, 3000, "every bulk case is counted as filed");

    // The ranking's indicators, every community in one pass, are each community's own, and
    // their counts add up to the sub-district's.
    let (start, end) = (day_start(today - TimeDelta::days(45)), day_start(today - TimeDelta::days(15)));
    let split = community_indicators(&mut db, district, start, end).await.expect("per community");
    let whole = unit_indicators(&mut db, Unit::District(district), start, end).await.expect("the sub-district");
    assert!(split.len() == 2 && whole.counts.due > 0 && whole.counts.open_overdue > 0 && whole.counts.closed > 0, "{split:?}");
    let mut total = wangge::leaders::indicators::Counts::default();
    for (community, grouped) in &split {
        let alone = unit_indicators(&mut db, Unit::Community(*community), start, end).await.expect("one community");
        assert_eq!((grouped.counts.filed, grouped.counts.due, grouped.counts.closed, grouped.counts.closed_on_time), (alone.counts.filed, alone.counts.due, alone.counts.closed, alone.counts.closed_on_time));
        assert_eq!((grouped.context, grouped.closure_rate, grouped.on_time_rate, grouped.rework_rate), (alone.context, alone.closure_rate, alone.on_time_rate, alone.rework_rate));
        assert!((grouped.counts.hours_to_close - alone.counts.hours_to_close).abs() < 1e-6);
        total.filed += grouped.counts.filed;
        total.due += grouped.counts.due;
        total.open_overdue += grouped.counts.open_overdue;
        total.reworked += grouped.counts.reworked;
    }
    assert_eq!((total.filed, total.due, total.open_overdue, total.reworked), (whole.counts.filed, whole.counts.due, whole.counts.open_overdue, whole.counts.reworked));

    let (_, again) = bulk_rows(7, now).await;
    assert_eq!(again, rows, "the same seed writes the same cases");
    let (_, other) = bulk_rows(8, now).await;
    assert_ne!(other, rows);
}
