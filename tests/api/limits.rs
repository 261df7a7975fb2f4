//! Rate limits through the HTTP API: sign-ins per client address and per user name, changes per
//! signed-in user. Each test configures a tiny limit so that its window passes in seconds.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header::RETRY_AFTER;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::auth::role::Role;
use wangge::http::limit::LimitSettings;

use super::http::{App, PASSWORD, error_code, small_place};

fn limits(login_per_client: &str, login_per_username: &str, submissions: &str) -> LimitSettings {
    let rate = |text: &str| text.parse().expect("a rate");
    LimitSettings {
        login_per_client: rate(login_per_client),
        login_per_username: rate(login_per_username),
        submissions: rate(submissions),
        ..LimitSettings::default()
    }
}

/// A sign-in as it arrives from `client` (the peer address the service sees); answers the
/// status, the `Retry-After` seconds and the body.
async fn sign_in_from(app: &App, client: [u8; 4], username: &str, password: &str) -> (StatusCode, Option<u64>, Value) {
    let body = json!({ "username": username, "password": password }).to_string();
    let mut request = Request::post("/api/v1/session")
        .header("content-type", "application/json")
        .body(Body::from(body))
        .expect("request");
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from((client, 40_000))));
    let response = app.router.clone().oneshot(request).await.expect("answers");
    let status = response.status();
    let retry_after = response.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, retry_after, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// What a refused attempt must not change: the user's failed sign-ins and lock, and the log.
async fn stored_state(app: &App, username: &str) -> (i32, bool, i64) {
    let (failed, locked): (i32, bool) =
        sqlx::query_as("select failed_logins, locked_until is not null from users where username = $1")
            .bind(username)
            .fetch_one(&app.pool)
            .await
            .expect("the user");
    let entries: i64 = sqlx::query_scalar("select count(*) from audit_log").fetch_one(&app.pool).await.expect("counts");
    (failed, locked, entries)
}

fn assert_rate_limited(status: StatusCode, retry_after: Option<u64>, body: &Value, limit_seconds: u64) {
    assert_eq!((status, error_code(body)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{body}");
    let seconds = retry_after.expect("a Retry-After header");
    assert!((1..=limit_seconds).contains(&seconds), "Retry-After {seconds}");
    assert_eq!(body["error"]["details"]["retry_after"].as_u64(), Some(seconds), "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(&format!("try again in {seconds} s")), "{message}");
}

async fn wait_seconds(seconds: u64) {
    tokio::time::sleep(std::time::Duration::from_secs(seconds) + std::time::Duration::from_millis(100)).await;
}

#[tokio::test]
async fn the_eleventh_sign_in_from_one_address_is_refused_until_the_window_passes_and_changes_nothing() {
    // 10 at once per address, then one more every 12 s (slow enough that ten sign-ins finish
    // before a new one is granted, even on a loaded machine).
    let app = App::with_limits(&[small_place()], limits("10/120s", "1000/min", "1000/min")).await;
    app.add_user("wang", Role::Inspector, &["community:光谷社区"]).await;
    let here = [10, 0, 0, 1];
    for i in 0..10 {
        let (status, _, body) = sign_in_from(&app, here, &format!("guess{i}"), "not a password").await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "attempt {i}");
    }
    let before = stored_state(&app, "wang").await;
    let (status, retry_after, body) = sign_in_from(&app, here, "wang", "not the password").await;
    assert_rate_limited(status, retry_after, &body, 12);
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("from this address")), "{body}");
    let (status, retry_after, body) = sign_in_from(&app, here, "wang", PASSWORD).await;
    assert_rate_limited(status, retry_after, &body, 12);
    assert_eq!(stored_state(&app, "wang").await, before, "refused attempts count no failure and log nothing");

    let (status, _, body) = sign_in_from(&app, [10, 0, 0, 2], "wang", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "another address has its own limit: {body}");
    wait_seconds(retry_after.unwrap_or(12)).await;
    let (status, _, body) = sign_in_from(&app, here, "wang", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "after the wait the address may sign in again: {body}");
}

#[tokio::test]
async fn sign_ins_for_one_user_name_are_limited_from_any_address_on_top_of_the_lockout() {
    // 3 at once per user name, then one more every 12 s: below the lockout's 5 failures.
    let app = App::with_limits(&[small_place()], limits("1000/min", "3/36s", "1000/min")).await;
    app.add_user("wang", Role::Inspector, &["community:光谷社区"]).await;
    for i in 1..=3 {
        let (status, _, body) = sign_in_from(&app, [10, 0, 1, i], "wang", "not the password").await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "attempt {i}");
    }
    let before = stored_state(&app, "wang").await;
    assert_eq!((before.0, before.1), (3, false), "three failures counted, no lock yet");
    for (client, name, password) in [([10, 0, 1, 4], "wang", "not the password"), ([10, 0, 1, 5], "WANG", PASSWORD)] {
        let (status, retry_after, body) = sign_in_from(&app, client, name, password).await;
        assert_rate_limited(status, retry_after, &body, 12);
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("for this user name")), "{body}");
    }
    assert_eq!(stored_state(&app, "wang").await, before, "refused attempts count no failure and log nothing");
    let (status, _, body) = sign_in_from(&app, [10, 0, 1, 4], "admin1", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "another user name has its own limit: {body}");

    let (_, retry_after, _) = sign_in_from(&app, [10, 0, 1, 6], "wang", PASSWORD).await;
    wait_seconds(retry_after.unwrap_or(12)).await;
    let (status, _, body) = sign_in_from(&app, [10, 0, 1, 6], "wang", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(stored_state(&app, "wang").await.0, 0, "the sign-in cleared the failures");
}

#[tokio::test]
async fn changes_are_limited_per_signed_in_user_and_a_refused_one_stores_nothing() {
    let mut app = App::with_limits(&[small_place()], limits("1000/min", "1000/min", "2/min")).await;
    app.add_user("admin2", Role::Admin, &["district:关山街道"]).await;
    let wrong = json!({ "current_password": "not my password", "new_password": "a brand new password" });
    for _ in 0..2 {
        let (status, body) = app.post_json("/api/v1/session/password", &wrong).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.expect("counts");
    let new = json!({ "username": "li_na", "role": "planner", "password": "规划员的初始密码很长", "areas": ["community:光谷社区"] });
    let (status, body) = app.post_json("/api/v1/users", &new).await;
    assert_eq!((status, error_code(&body)), (StatusCode::TOO_MANY_REQUESTS, "rate_limited"), "{body}");
    assert!(body["error"]["details"]["retry_after"].as_u64().is_some_and(|s| (1..=30).contains(&s)), "{body}");
    let after: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.expect("counts");
    assert_eq!(after, users, "nothing was created");
    let (status, _) = app.json("/api/v1/users").await;
    assert_eq!(status, StatusCode::OK, "reading is not limited");

    app.sign_in("admin2").await;
    let (status, body) = app.post_json("/api/v1/users", &new).await;
    assert_eq!(status, StatusCode::CREATED, "another user has their own limit: {body}");
}
