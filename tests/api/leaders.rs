//! The leaders' view on a real PostGIS: indicators from one aggregate query equal a case-by-case
//! count, area checks, and monthly ranking snapshots that later edits do not change.

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use wangge::leaders::indicators::{CaseHistory, Counts};

use super::cases::{Setup, setup};
use super::http::error_code;

#[tokio::test]
async fn indicators_equal_a_case_by_case_count_and_rankings_are_kept() {
    let Setup { mut app, community, point, .. } = setup().await;
    for (i, category) in ["sanitation.dead_spot", "order.noise", "sanitation.flyers", "safety.fire_lane", "order.street_stalls"].iter().enumerate() {
        let (status, filed) = app.post_json("/api/v1/cases", &json!({ "lon": point.0 + i as f64 * 1e-4, "lat": point.1, "category": category })).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
    }
    // Spread the histories over the month: deadlines passed, some closed on time, one late, one
    // reworked, one on the backlog, one cancelled.
    sqlx::query(
        "update cases set deadline = now() - interval '2 hours' * id, dispatched_at = now() - interval '1 day',
                handled_at = case when id % 2 = 0 then now() - interval '3 hours' * id end,
                closed_at = case when id in (2, 3, 4) then now() - interval '1 hour' end,
                status = case when id in (2, 3, 4) then 'closed' when id = 5 then 'cancelled' else status end,
                rework_count = case when id = 3 then 1 else 0 end, backlog_count = case when id = 1 then 1 else 0 end",
    )
    .execute(&app.pool)
    .await
    .expect("histories");
    type Time = Option<DateTime<Utc>>;
    let rows: Vec<(DateTime<Utc>, String, Time, Time, Time, Time, i32, i32)> =
        sqlx::query_as("select created_at, status, dispatched_at, deadline, handled_at, closed_at, rework_count, backlog_count from cases where community_id = $1")
            .bind(community)
            .fetch_all(&app.pool)
            .await
            .expect("cases");
    let today = (Utc::now() + TimeDelta::hours(8)).date_naive();
    let (from, to) = (today - TimeDelta::days(10), today);
    let start = (from.and_hms_opt(0, 0, 0).unwrap_or_default() - TimeDelta::hours(8)).and_utc();
    let end = ((to + TimeDelta::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default() - TimeDelta::hours(8)).and_utc();
    let mut expected = Counts::default();
    for (created_at, status, dispatched_at, deadline, handled_at, closed_at, rework, backlog) in rows {
        let history = CaseHistory { created_at, cancelled: status == "cancelled", dispatched_at, deadline, handled_at, closed_at, reworked: rework > 0, backlogged: backlog > 0 };
        expected.add(&history, start, end);
    }
    assert!(expected.due >= 3 && expected.closed >= 2 && expected.cancelled == 1, "{expected:?}");

    app.sign_in("leader1").await;
    let (status, body) = app.json(&format!("/api/v1/indicators?unit=community&id={community}&from={from}&to={to}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got = &body["indicators"];
    for (field, value) in [("filed", expected.filed), ("cancelled", expected.cancelled), ("due", expected.due), ("closed", expected.closed),
        ("closed_on_time", expected.closed_on_time), ("open_overdue", expected.open_overdue), ("reworked", expected.reworked), ("backlogged", expected.backlogged)] {
        assert_eq!(got[field].as_u64(), Some(value), "{field}: {got}");
    }
    assert!((got["hours_to_close"].as_f64().unwrap_or_default() - expected.hours_to_close).abs() < 1e-6);
    assert_eq!(got["closure_rate"].as_f64(), Some(((expected.closed as f64 / expected.due as f64) * 1e4).round() / 1e4));
    assert!(got["households"].as_u64() > Some(0));

    for (uri, status, code) in [
        (format!("/api/v1/indicators?unit=community&id=999999&from={from}&to={to}"), StatusCode::NOT_FOUND, "not_found"),
        (format!("/api/v1/indicators?unit=planet&id={community}&from={from}&to={to}"), StatusCode::BAD_REQUEST, "invalid_parameter"),
        (format!("/api/v1/indicators?unit=community&id={community}&from={to}&to={from}"), StatusCode::BAD_REQUEST, "invalid_parameter"),
    ] {
        let (got, answer) = app.json(&uri).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{uri}: {answer}");
    }

    // Last month is over: its ranking is computed once and kept.
    let district: i64 = sqlx::query_scalar("select district_id from communities where id = $1").bind(community).fetch_one(&app.pool).await.expect("a district");
    let last_month = (today.checked_sub_months(chrono::Months::new(1)).unwrap_or(today)).format("%Y-%m").to_string();
    sqlx::query("update cases set deadline = deadline - interval '40 days', created_at = created_at - interval '40 days'").execute(&app.pool).await.expect("moves");
    let (status, first) = app.json(&format!("/api/v1/rankings?district={district}&month={last_month}")).await;
    assert_eq!((status, first["provisional"].as_bool()), (StatusCode::OK, Some(false)), "{first}");
    let entry = first["entries"].as_array().and_then(|e| e.iter().find(|e| e["community_id"] == community).cloned()).unwrap_or_default();
    assert!(entry["score"].as_f64().is_some_and(|s| s > 0.0) && entry["rank"] == 1, "the community is ranked: {first}");
    sqlx::query("update cases set closed_at = null, status = 'dispatched'").execute(&app.pool).await.expect("edits");
    let (_, again) = app.json(&format!("/api/v1/rankings?district={district}&month={last_month}")).await;
    assert_eq!(again["entries"], first["entries"], "a past month's ranking does not change");
    let this_month = today.format("%Y-%m").to_string();
    let (_, current) = app.json(&format!("/api/v1/rankings?district={district}&month={this_month}")).await;
    assert_eq!(current["provisional"], true);
    app.sign_in("inspector1").await;
    let (status, _) = app.json(&format!("/api/v1/rankings?district={district}&month={this_month}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
