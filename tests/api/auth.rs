//! Accounts through the HTTP API: sign-in, sessions, lockout, roles across areas, the audit log.

use axum::http::{Request, StatusCode};
use geo::{MultiPolygon, polygon};
use serde_json::{Value, json};
use wangge::auth::role::Role;
use wangge::import::dataset::{CommunityRecord, Dataset};

use super::http::{App, PASSWORD, error_code, small_place};

/// 光谷社区 (with one building) and 关南社区 (empty), both in 关山街道.
fn two_communities() -> Dataset {
    let mut place = small_place();
    let square = MultiPolygon::new(vec![
        polygon![(x: 114.42, y: 30.49), (x: 114.44, y: 30.49), (x: 114.44, y: 30.51), (x: 114.42, y: 30.51), (x: 114.42, y: 30.49)],
    ]);
    place.communities.push(CommunityRecord {
        source_id: "c2".into(),
        name: "关南社区".into(),
        code: Some("002".into()),
        district: None,
        boundary: square,
    });
    place
}

async fn building_id(app: &App) -> i64 {
    sqlx::query_scalar("select id from buildings limit 1").fetch_one(&app.pool).await.expect("a building")
}

fn names(body: &Value) -> Vec<String> {
    body["communities"]
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["name"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn without_a_session_every_api_answers_401() {
    let mut app = App::with(&[two_communities()]).await;
    app.token = None;
    for uri in [
        "/api/v1/communities",
        "/api/v1/buildings/1",
        "/api/v1/locate?lon=114.4&lat=30.5",
        "/tiles/buildings/15/0/0.mvt",
        "/api/v1/users",
        "/api/v1/audit",
        "/api/v1/session",
    ] {
        let (status, body) = app.json(uri).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"), "{uri}");
    }
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, StatusCode::OK, "health needs no session");
}

#[tokio::test]
async fn each_role_sees_and_does_only_what_its_role_and_area_allow() {
    let mut app = App::with(&[two_communities()]).await;
    let building = building_id(&app).await;
    // (role, area, communities seen, may see the building in 光谷社区, may manage accounts)
    let table = [
        (Role::Admin, "district:关山街道", vec!["光谷社区", "关南社区"], true, true),
        (Role::Leader, "district:关山街道", vec!["光谷社区", "关南社区"], true, false),
        (Role::Planner, "community:光谷社区", vec!["光谷社区"], true, false),
        (Role::Planner, "community:关南社区", vec!["关南社区"], false, false),
        (Role::Inspector, "community:关南社区", vec!["关南社区"], false, false),
        (Role::Handler, "community:光谷社区", vec!["光谷社区"], true, false),
    ];
    for (i, (role, area, seen, sees_building, manages)) in table.into_iter().enumerate() {
        let name = format!("user{i}_{role}");
        app.add_user(&name, role, &[area]).await;
        app.sign_in(&name).await;
        let (_, list) = app.json("/api/v1/communities").await;
        let mut expected: Vec<String> = seen.iter().map(|s| s.to_string()).collect();
        let mut got = names(&list);
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{role} over {area}");
        let (status, _) = app.json(&format!("/api/v1/buildings/{building}")).await;
        assert_eq!(status == StatusCode::OK, sees_building, "{role} over {area}: building {status}");
        if !sees_building {
            assert_eq!(status, StatusCode::NOT_FOUND, "a building outside the area is not found, not forbidden");
            let (status, body) = app.json("/api/v1/locate?lon=114.4002&lat=30.50009").await;
            assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "nothing_here"), "{role} over {area}");
        }
        let t = wangge::spatial::tile::TileId::containing(114.4002, 30.50009, 15);
        let (status, tile) = app.get(&format!("/tiles/buildings/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
        let carries = tile.windows("3栋".len()).any(|w| w == "3栋".as_bytes());
        assert_eq!((status, carries), (StatusCode::OK, sees_building), "{role} over {area}: the building in the tile");
        for uri in ["/api/v1/users", "/api/v1/audit"] {
            let (status, body) = app.json(uri).await;
            let expected = if manages { StatusCode::OK } else { StatusCode::FORBIDDEN };
            assert_eq!(status, expected, "{role} {uri}: {body}");
        }
        let new = json!({ "username": format!("made_by_{i}"), "role": "inspector", "password": "巡查员的初始密码很长", "areas": ["community:光谷社区"] });
        let (status, body) = app.post_json("/api/v1/users", &new).await;
        assert_eq!(status, if manages { StatusCode::CREATED } else { StatusCode::FORBIDDEN }, "{role}: {body}");
    }
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_and_the_audit_log_says_so() {
    let mut app = App::with(&[small_place()]).await;
    app.add_user("wang", Role::Inspector, &["community:光谷社区"]).await;
    let admin = app.token.take();
    for _ in 0..5 {
        let (status, body) =
            app.post_json("/api/v1/session", &json!({ "username": "wang", "password": "not the password" })).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "invalid_credentials"));
    }
    let (status, body) = app.post_json("/api/v1/session", &json!({ "username": "wang", "password": PASSWORD })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "account_locked"), "{body}");
    assert!(body["error"]["details"]["until"].is_string());
    let (status, body) = app.post_json("/api/v1/session", &json!({ "username": "nobody", "password": PASSWORD })).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "an unknown user looks like a wrong password"
    );
    app.token = admin;
    let (_, log) = app.json("/api/v1/audit?actor=wang").await;
    let actions: Vec<&str> =
        log["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "session.login_failed").count(), 6, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "user.locked").count(), 1, "{actions:?}");
}

#[tokio::test]
async fn signing_out_or_expiry_ends_a_session() {
    let mut app = App::with(&[small_place()]).await;
    let (status, me) = app.json("/api/v1/session").await;
    assert_eq!((status, me["user"]["username"].as_str()), (StatusCode::OK, Some("admin1")));
    let (status, _) = app.send(Request::delete("/api/v1/session"), String::new()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.json("/api/v1/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the token no longer works after sign-out");

    app.sign_in("admin1").await;
    sqlx::query("update sessions set expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .expect("expires");
    let (status, body) = app.json("/api/v1/communities").await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
}

#[tokio::test]
async fn the_session_cookie_is_http_only_strict_and_secure_and_authenticates_alone() {
    let app = App::with(&[small_place()]).await;
    let request = Request::post("/api/v1/session").header("content-type", "application/json");
    let body = json!({ "username": "admin1", "password": PASSWORD }).to_string();
    let response =
        tower::ServiceExt::oneshot(app.router.clone(), request.body(axum::body::Body::from(body)).expect("request"))
            .await
            .expect("answers");
    let cookie = response.headers().get("set-cookie").and_then(|v| v.to_str().ok()).expect("a cookie").to_owned();
    for part in ["wangge_session=", "HttpOnly", "SameSite=Strict", "Secure", "Path=/"] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    let pair = cookie.split(';').next().expect("name=value");
    let request =
        Request::get("/api/v1/session").header("cookie", pair).body(axum::body::Body::empty()).expect("request");
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn changing_the_password_checks_the_old_one_and_the_rule_and_ends_other_sessions() {
    let mut app = App::with(&[small_place()]).await;
    let other_session = app.token.clone();
    app.sign_in("admin1").await;
    let (status, body) = app
        .post_json(
            "/api/v1/session/password",
            &json!({ "current_password": "wrong one!", "new_password": "a brand new password" }),
        )
        .await;
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::FORBIDDEN, Some("current_password")));
    let (status, body) = app
        .post_json("/api/v1/session/password", &json!({ "current_password": PASSWORD, "new_password": "short" }))
        .await;
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("new_password")));
    let (status, _) = app
        .post_json(
            "/api/v1/session/password",
            &json!({ "current_password": PASSWORD, "new_password": "a brand new password" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.json("/api/v1/session").await;
    assert_eq!(status, StatusCode::OK, "this session goes on");
    let mine = std::mem::replace(&mut app.token, other_session);
    let (status, _) = app.json("/api/v1/session").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the other session ended");
    app.token = mine;
    let (status, _) = app.post_json("/api/v1/session", &json!({ "username": "admin1", "password": PASSWORD })).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password no longer works");
}

#[tokio::test]
async fn creating_a_user_refuses_bad_input_in_the_fields_terms_and_stores_nothing() {
    let app = App::with(&[two_communities()]).await;
    let good = json!({ "username": "li_na", "role": "planner", "password": "规划员的初始密码很长", "areas": ["community:光谷社区"] });
    let with = |key: &str, value: Value| {
        let mut body = good.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("username", json!("x'; drop table users;--")), StatusCode::BAD_REQUEST, "username"),
        (with("password", json!("short")), StatusCode::BAD_REQUEST, "password"),
        (with("password", json!("li_na-is-my-password")), StatusCode::BAD_REQUEST, "password"),
        (with("areas", json!(["grid:1"])), StatusCode::BAD_REQUEST, "areas"),
        (with("areas", json!(["community:不存在社区"])), StatusCode::BAD_REQUEST, "areas"),
    ];
    for (body, status, field) in cases {
        let (got, answer) = app.post_json("/api/v1/users", &body).await;
        assert_eq!((got, answer["error"]["details"]["field"].as_str()), (status, Some(field)), "{body}: {answer}");
    }
    let (status, body) = app.post_json("/api/v1/users", &with("role", json!("root"))).await;
    assert_eq!((status.is_client_error(), error_code(&body)), (true, "invalid_json"), "{body}");
    let request = Request::post("/api/v1/users").header("content-type", "application/json");
    let (status, _) = app.send(request, "{\"username\": ".into()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let count: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.expect("counts");
    assert_eq!(count, 1, "only the admin exists");
    let (status, _) = app.post_json("/api/v1/users", &good).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = app.post_json("/api/v1/users", &good).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "username_taken"), "a replayed creation is refused");
}

#[tokio::test]
async fn an_admin_cannot_give_an_area_outside_their_own() {
    let mut app = App::with(&[two_communities()]).await;
    app.add_user("small_admin", Role::Admin, &["community:光谷社区"]).await;
    app.sign_in("small_admin").await;
    let body = json!({ "username": "reach", "role": "leader", "password": "领导的初始密码很长很长", "areas": ["district:关山街道"] });
    let (status, answer) = app.post_json("/api/v1/users", &body).await;
    assert_eq!((status, error_code(&answer)), (StatusCode::FORBIDDEN, "forbidden"), "{answer}");
}

#[tokio::test]
async fn the_audit_log_filters_by_bound_values_allows_only_known_sorts_and_cannot_be_rewritten() {
    let app = App::with(&[small_place()]).await;
    let (status, log) = app.json("/api/v1/audit?action=session&sort=at").await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> =
        log["entries"].as_array().expect("entries").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, vec!["session.login"]);
    for hostile in ["action=x'%20or%201=1--", "actor=admin1'%3B%20delete%20from%20users%3B--"] {
        let (status, log) = app.json(&format!("/api/v1/audit?{hostile}")).await;
        assert_eq!((status, log["entries"].as_array().map(Vec::len)), (StatusCode::OK, Some(0)), "{hostile}");
    }
    for bad in ["sort=id%3B%20drop%20table%20audit_log", "sort=actor_name", "limit=0", "limit=99999", "from=yesterday"]
    {
        let (status, body) = app.json(&format!("/api/v1/audit?{bad}")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"), "{bad}: {body}");
    }
    let users: i64 = sqlx::query_scalar("select count(*) from users").fetch_one(&app.pool).await.expect("counts");
    assert_eq!(users, 1);
    let rewrite = sqlx::query("update audit_log set action = 'nothing'").execute(&app.pool).await.expect_err("refused");
    assert!(rewrite.to_string().contains("append-only"), "{rewrite}");
    let erase = sqlx::query("delete from audit_log").execute(&app.pool).await.expect_err("refused");
    assert!(erase.to_string().contains("append-only"), "{erase}");
}

async fn user_id(app: &App, username: &str) -> i64 {
    sqlx::query_scalar("select id from users where username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .expect("the user")
}

/// The actions logged about user `id`, oldest first.
async fn logged_on_user(app: &App, id: i64) -> Vec<String> {
    sqlx::query_scalar("select action from audit_log where object_type = 'user' and object_id = $1 order by id")
        .bind(id.to_string())
        .fetch_all(&app.pool)
        .await
        .expect("the log")
}

#[tokio::test]
async fn an_admin_disables_an_account_which_ends_its_sessions_and_refuses_its_sign_ins_then_enables_it() {
    let mut app = App::with(&[small_place()]).await;
    app.add_user("wang", Role::Inspector, &["community:光谷社区"]).await;
    let wang = user_id(&app, "wang").await;
    let admin = app.token.clone();
    app.sign_in("wang").await;
    let wang_session = std::mem::replace(&mut app.token, admin.clone());

    for replay in [false, true] {
        let (status, body) = app.patch_json(&format!("/api/v1/users/{wang}"), &json!({ "disabled": true })).await;
        assert_eq!(
            (status, body["user"]["disabled"].as_bool()),
            (StatusCode::OK, Some(true)),
            "replay {replay}: {body}"
        );
        assert_eq!(body["user"]["username"], "wang");
    }
    let sessions: i64 = sqlx::query_scalar("select count(*) from sessions where user_id = $1")
        .bind(wang)
        .fetch_one(&app.pool)
        .await
        .expect("counts");
    assert_eq!(sessions, 0, "the user's sessions are ended");
    app.token = wang_session;
    let (status, body) = app.json("/api/v1/session").await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"));

    app.token = None;
    let (status, body) = app.post_json("/api/v1/session", &json!({ "username": "wang", "password": PASSWORD })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "account_disabled"), "{body}");
    assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("disabled")), "{body}");
    let (status, body) =
        app.post_json("/api/v1/session", &json!({ "username": "wang", "password": "not the password" })).await;
    assert_eq!(
        (status, error_code(&body)),
        (StatusCode::UNAUTHORIZED, "invalid_credentials"),
        "a wrong password does not learn that the account is disabled"
    );

    app.token = admin;
    for replay in [false, true] {
        let (status, body) = app.patch_json(&format!("/api/v1/users/{wang}"), &json!({ "disabled": false })).await;
        assert_eq!(
            (status, body["user"]["disabled"].as_bool()),
            (StatusCode::OK, Some(false)),
            "replay {replay}: {body}"
        );
    }
    app.sign_in("wang").await;
    assert_eq!(
        logged_on_user(&app, wang).await.iter().filter(|a| a.starts_with("user.")).collect::<Vec<_>>(),
        ["user.create", "user.disable", "user.enable"],
        "one entry per change; replays change nothing"
    );
    let summary: Value = sqlx::query_scalar("select summary from audit_log where action = 'user.disable'")
        .fetch_one(&app.pool)
        .await
        .expect("the entry");
    assert_eq!((summary["username"].as_str(), summary["sessions_ended"].as_i64()), (Some("wang"), Some(1)));
}

#[tokio::test]
async fn an_admin_unlocks_a_locked_account() {
    let mut app = App::with(&[small_place()]).await;
    app.add_user("wang", Role::Inspector, &["community:光谷社区"]).await;
    let wang = user_id(&app, "wang").await;
    let admin = app.token.take();
    for _ in 0..5 {
        app.post_json("/api/v1/session", &json!({ "username": "wang", "password": "not the password" })).await;
    }
    let (status, body) = app.post_json("/api/v1/session", &json!({ "username": "wang", "password": PASSWORD })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "account_locked"), "{body}");

    app.token = admin;
    let (_, list) = app.json("/api/v1/users").await;
    let listed = list["users"].as_array().and_then(|u| u.iter().find(|u| u["username"] == "wang")).cloned();
    assert!(listed.is_some_and(|u| u["locked_until"].is_string()), "the list shows the lock: {list}");
    for replay in [false, true] {
        let (status, body) = app.post_json(&format!("/api/v1/users/{wang}/unlock"), &Value::Null).await;
        assert_eq!((status, body["user"]["locked_until"].is_null()), (StatusCode::OK, true), "replay {replay}: {body}");
    }
    let (failed, locked): (i32, bool) =
        sqlx::query_as("select failed_logins, locked_until is not null from users where id = $1")
            .bind(wang)
            .fetch_one(&app.pool)
            .await
            .expect("the user");
    assert_eq!((failed, locked), (0, false));
    app.sign_in("wang").await;
    let log = logged_on_user(&app, wang).await;
    assert_eq!(log.iter().filter(|a| *a == "user.unlock").count(), 1, "{log:?}");
    let summary: Value = sqlx::query_scalar("select summary from audit_log where action = 'user.unlock'")
        .fetch_one(&app.pool)
        .await
        .expect("the entry");
    assert!(summary["until"].is_string(), "the entry says until when it was locked: {summary}");
}

#[tokio::test]
async fn only_admins_manage_accounts_and_only_within_their_area() {
    let mut app = App::with(&[two_communities()]).await;
    for (name, role, area) in [
        ("wang", Role::Inspector, "community:光谷社区"),
        ("li_na", Role::Inspector, "community:关南社区"),
        ("boss", Role::Leader, "district:关山街道"),
        ("small_admin", Role::Admin, "community:光谷社区"),
        ("planner", Role::Planner, "community:光谷社区"),
    ] {
        app.add_user(name, role, &[area]).await;
    }
    let id = |name: &'static str| {
        let app = &app;
        async move { user_id(app, name).await }
    };
    let (wang, li, boss, admin1) = (id("wang").await, id("li_na").await, id("boss").await, id("admin1").await);
    let disable = json!({ "disabled": true });

    app.sign_in("planner").await;
    let (status, body) = app.patch_json(&format!("/api/v1/users/{wang}"), &disable).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");
    let (status, body) = app.post_json(&format!("/api/v1/users/{wang}/unlock"), &Value::Null).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");

    app.sign_in("small_admin").await;
    for (other, who) in [(li, "in another community"), (boss, "over the whole sub-district"), (admin1, "above")] {
        let (status, body) = app.patch_json(&format!("/api/v1/users/{other}"), &disable).await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{who}: {body}");
        let (status, body) = app.post_json(&format!("/api/v1/users/{other}/unlock"), &Value::Null).await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{who}: {body}");
    }
    let (_, list) = app.json("/api/v1/users").await;
    let mut listed: Vec<&str> =
        list["users"].as_array().expect("users").iter().filter_map(|u| u["username"].as_str()).collect();
    listed.sort_unstable();
    assert_eq!(listed, ["planner", "small_admin", "wang"], "the list holds the users within the admin's area");
    let (status, body) = app.patch_json(&format!("/api/v1/users/{wang}"), &disable).await;
    assert_eq!((status, body["user"]["disabled"].as_bool()), (StatusCode::OK, Some(true)), "{body}");

    app.sign_in("admin1").await;
    let (status, body) = app.patch_json("/api/v1/users/999999", &disable).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{body}");
    let (status, body) = app.post_json("/api/v1/users/999999/unlock", &Value::Null).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{body}");
    let (status, body) = app.patch_json("/api/v1/users/abc", &disable).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_path"), "{body}");
    for bad in [json!({ "disabled": true, "role": "admin" }), json!({ "disabled": "yes" }), json!({})] {
        let (status, body) = app.patch_json(&format!("/api/v1/users/{li}"), &bad).await;
        assert_eq!((status.is_client_error(), error_code(&body)), (true, "invalid_json"), "{bad}: {body}");
    }
    let (status, body) = app.patch_json(&format!("/api/v1/users/{admin1}"), &disable).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "not oneself: {body}");

    let disabled: Vec<String> = sqlx::query_scalar("select username from users where disabled order by username")
        .fetch_all(&app.pool)
        .await
        .expect("users");
    assert_eq!(disabled, ["wang"], "every refused request left its account as it was");
    let (_, me) = app.json("/api/v1/session").await;
    assert_eq!(me["user"]["username"], "admin1", "the admin is still signed in");
}

/// PostgreSQL cannot store U+0000: these answered 500 (the user's areas 400 with the database's
/// message) before.
#[tokio::test]
async fn a_nul_character_in_a_sign_in_an_area_or_a_filter_answers_400_invalid_text() {
    let mut app = App::with(&[small_place()]).await;
    let (status, body) = app.json("/api/v1/audit?actor=a%00b").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_text"), "{body}");
    let user =
        json!({ "username": "zhang.wei", "role": "planner", "password": PASSWORD, "areas": ["community:\u{0}"] });
    let (status, body) = app.post_json("/api/v1/users", &user).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_text"), "{body}");
    assert!(!body["error"]["message"].as_str().unwrap_or_default().contains("database"), "{body}");
    app.token = None;
    let (status, body) = app.post_json("/api/v1/session", &json!({ "username": "a\u{0}b", "password": "x" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_text"), "{body}");
}
