//! Patrols on a real PostGIS: buildings checked by track and by ticking, coverage per grid and
//! month, blind spots, and refusals.

use axum::http::StatusCode;
use serde_json::json;

use super::cases::{Setup, setup};
use super::http::error_code;

#[tokio::test]
async fn patrols_check_buildings_and_leave_the_rest_as_blind_spots() {
    let Setup { mut app, community, point, building, .. } = setup().await;
    let month = (chrono::Utc::now() + chrono::TimeDelta::hours(8)).format("%Y-%m").to_string();
    let uri = format!("/api/v1/patrols/coverage?community={community}&month={month}");
    let (status, before) = app.json(&uri).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let total = before["buildings"].as_i64().expect("a count");
    assert!(total > 10 && before["checked"] == 0 && before["blind_spots"].as_array().map(Vec::len) == Some(total as usize), "{}", before["buildings"]);

    let at = chrono::Utc::now() - chrono::TimeDelta::hours(1);
    let ticked: Vec<i64> = sqlx::query_scalar("select id from buildings where community_id = $1 and households > 0 and id <> $2 order by id desc limit 3")
        .bind(community)
        .bind(building)
        .fetch_all(&app.pool)
        .await
        .expect("buildings");
    // A 10 m walk through the building's point, and three buildings ticked.
    let track = json!([[point.0 - 0.00005, point.1], [point.0 + 0.00005, point.1]]);
    let body = json!({ "community": community, "started_at": at, "ended_at": at, "track": track, "buildings": ticked });
    let (status, recorded) = app.post_json("/api/v1/patrols", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    let checked = recorded["buildings_checked"].as_i64().expect("a count");
    assert!(checked >= 4, "the building on the track and the ticked ones: {recorded}");

    let (_, after) = app.json(&uri).await;
    assert_eq!(after["checked"].as_i64(), Some(checked));
    let blind: Vec<i64> = after["blind_spots"].as_array().expect("a list").iter().filter_map(|b| b["id"].as_i64()).collect();
    assert!(!blind.contains(&building) && ticked.iter().all(|b| !blind.contains(b)));
    assert_eq!(blind.len() as i64, total - checked);
    let grids = after["grids"].as_array().expect("grids");
    assert_eq!(grids.iter().map(|g| g["buildings"].as_i64().unwrap_or_default()).sum::<i64>(), total);
    assert!(grids.iter().any(|g| g["checked"].as_i64() > Some(0) && g["coverage"].as_f64() > Some(0.0)));
    let (_, last_month) = app.json(&format!("/api/v1/patrols/coverage?community={community}&month=2020-01")).await;
    assert_eq!(last_month["checked"], 0, "another month's coverage is its own");

    let other: i64 = sqlx::query_scalar("select id from buildings where community_id <> $1 limit 1").bind(community).fetch_one(&app.pool).await.expect("a building");
    for (body, status, code) in [
        (json!({ "community": community, "started_at": at, "ended_at": at }), StatusCode::UNPROCESSABLE_ENTITY, "empty_patrol"),
        (json!({ "community": community, "started_at": at, "ended_at": at, "buildings": [other] }), StatusCode::UNPROCESSABLE_ENTITY, "unknown_building"),
        (json!({ "community": community, "started_at": at, "ended_at": at, "track": [[point.0, 91.0], [point.0, point.1]] }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_coordinates"),
        (json!({ "community": 999_999, "started_at": at, "ended_at": at, "buildings": ticked }), StatusCode::NOT_FOUND, "not_found"),
    ] {
        let (got, answer) = app.post_json("/api/v1/patrols", &body).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{body}: {answer}");
    }
    let (status, answer) = app.json(&format!("/api/v1/patrols/coverage?community={community}&month=2026-13")).await;
    assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_month"));
    app.sign_in("handler1").await;
    let (status, _) = app.post_json("/api/v1/patrols", &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "handlers do not record patrols");
}
