//! Cases through the HTTP API on a real PostGIS: filing (routing, snapping, datums, idempotent
//! replays under concurrency), the workflow with who may take each step, returns and backlog,
//! nearby cases and additions, and privacy of dispute cases.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::auth::role::Role;
use wangge::demo::{DemoOptions, generate};
use wangge::cases::dead_spots::{Finding, dead_spots};
use wangge::spatial::datum::Crs;
use wangge::spatial::measure::LocalProjection;

use super::http::{App, PASSWORD, error_code};

/// A community with a published plan, its committee (with a handler account), the office, and
/// an inspector, a leader and a grid leader with accounts. Signed in as the inspector.
pub struct Setup {
    pub app: App,
    pub community: i64,
    pub committee: i64,
    pub office: i64,
    /// A point inside a building of the community, and that building.
    pub point: (f64, f64),
    pub building: i64,
}

pub async fn setup() -> Setup {
    let mut app = App::with(&[generate(&DemoOptions { communities: 2, seed: 42 })]).await;
    let (community, district, name): (i64, i64, String) =
        sqlx::query_as("select id, district_id, name from communities order by id limit 1").fetch_one(&app.pool).await.expect("a community");
    let (status, plan) = app.post_json(&format!("/api/v1/communities/{community}/plans"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let (status, _) = app.post_json(&format!("/api/v1/plans/{}/publish", plan["id"]), &json!({ "force": true })).await;
    assert_eq!(status, StatusCode::OK);
    let organisation = |kind: &str, name: &str, community: Option<i64>| json!({ "district": district, "kind": kind, "name": name, "community": community });
    let (_, committee) = app.post_json("/api/v1/organisations", &organisation("community_committee", "居委会", Some(community))).await;
    let (_, office) = app.post_json("/api/v1/organisations", &organisation("district_office", "办事处", None)).await;
    let (committee, office) = (committee["id"].as_i64().expect("an id"), office["id"].as_i64().expect("an id"));
    let area = format!("community:{name}");
    for (user, role) in [("inspector1", Role::Inspector), ("leader1", Role::Leader), ("gridlead1", Role::Inspector), ("inspector2", Role::Inspector)] {
        app.add_user(user, role, &[&area]).await;
    }
    // Handlers act for an organisation, given when the administrator creates their account.
    for (user, organisation) in [("handler1", committee), ("office1", office)] {
        let body = json!({ "username": user, "role": "handler", "password": PASSWORD, "areas": [&area], "organisation": organisation });
        let (status, created) = app.post_json("/api/v1/users", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        assert_eq!(created["user"]["organisation_id"], organisation);
    }
    let (building, lon, lat): (i64, f64, f64) = sqlx::query_as(
        "select b.id, st_x(st_pointonsurface(b.footprint)), st_y(st_pointonsurface(b.footprint))
         from buildings b join grids g on st_covers(g.boundary, st_pointonsurface(b.footprint))
         where b.community_id = $1 and b.households > 0 order by b.id limit 1",
    )
    .bind(community)
    .fetch_one(&app.pool)
    .await
    .expect("a building in a grid");
    // gridlead1 is the person leading that building's grid.
    let (status, person) = app.post_json("/api/v1/people", &json!({ "district": district, "name": "网格长", "phone": "13811112222" })).await;
    assert_eq!(status, StatusCode::CREATED, "{person}");
    let grid: i64 = sqlx::query_scalar("select g.id from grids g where st_covers(g.boundary, st_setsrid(st_makepoint($1, $2), 4326)) and g.ended_on is null")
        .bind(lon)
        .bind(lat)
        .fetch_one(&app.pool)
        .await
        .expect("the grid");
    let (status, _) = app.post_json("/api/v1/assignments", &json!({ "person": person["id"], "role": "grid_leader", "grid": grid })).await;
    assert_eq!(status, StatusCode::CREATED);
    sqlx::query("update people set user_id = (select id from users where username = 'gridlead1') where id = $1")
        .bind(person["id"].as_i64())
        .execute(&app.pool)
        .await
        .expect("links the grid leader");
    app.sign_in("inspector1").await;
    Setup { app, community, committee, office, point: (lon, lat), building }
}

fn filing(point: (f64, f64), category: &str) -> Value {
    json!({ "lon": point.0, "lat": point.1, "category": category, "description": "楼后堆满垃圾" })
}

/// A photo row uploaded by `username`, as the upload endpoint would leave it.
pub async fn photo(app: &App, username: &str) -> i64 {
    sqlx::query_scalar(
        "insert into photos (uploader_id, stored_name, media_type, width, height, bytes, sha256)
         select id, 'test.jpg', 'image/jpeg', 10, 10, 100, 'x' from users where username = $1 returning id",
    )
    .bind(username)
    .fetch_one(&app.pool)
    .await
    .expect("a photo")
}

pub async fn step(app: &App, case: i64, body: Value) -> (StatusCode, Value) {
    app.post_json(&format!("/api/v1/cases/{case}/actions"), &body).await
}

#[tokio::test]
async fn a_filed_case_is_routed_handled_verified_and_closed() {
    let Setup { mut app, committee, point, building, .. } = setup().await;
    let (status, filed) = app.post_json("/api/v1/cases", &filing(point, "sanitation.dead_spot")).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!((filed["status"].as_str(), filed["organisation_id"].as_i64(), filed["building_id"].as_i64()), (Some("dispatched"), Some(committee), Some(building)));
    assert_eq!(filed["person"], "网格长", "tier 1 goes to the grid's grid leader");
    assert!(filed["deadline"].is_string() && filed["number"].as_str().is_some_and(|n| n.len() == 15), "{filed}");
    let id = filed["id"].as_i64().expect("an id");

    // The inspector may not handle it; the committee's handler may.
    let (status, body) = step(&app, id, json!({ "action": "start" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    app.sign_in("handler1").await;
    let (_, queue) = app.json("/api/v1/cases?queue=true").await;
    assert_eq!(queue["cases"].as_array().map(|c| c.iter().any(|c| c["id"] == id)), Some(true), "in the handler's queue");
    let (status, started) = step(&app, id, json!({ "action": "start" })).await;
    assert_eq!((status, started["status"].as_str()), (StatusCode::OK, Some("in_progress")), "{started}");
    let (status, body) = step(&app, id, json!({ "action": "verify" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "illegal_transition"));
    assert_eq!(body["error"]["details"]["allowed"], json!(["return", "backlog", "report", "duplicate"]), "{body}");
    let (status, body) = step(&app, id, json!({ "action": "report", "note": "已清理" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "photo_required"));
    let someone_elses = photo(&app, "inspector1").await;
    let (status, body) = step(&app, id, json!({ "action": "report", "note": "已清理", "photos": [someone_elses] })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_photo"));
    let mine = photo(&app, "handler1").await;
    let (status, handled) = step(&app, id, json!({ "action": "report", "note": "已清理", "photos": [mine] })).await;
    assert_eq!((status, handled["status"].as_str()), (StatusCode::OK, Some("handled")), "{handled}");

    // The grid leader sends it back once; the inspector verifies and closes it.
    app.sign_in("gridlead1").await;
    let (status, body) = step(&app, id, json!({ "action": "reject" })).await;
    assert_eq!((status, body["error"]["details"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("note")));
    let (status, rework) = step(&app, id, json!({ "action": "reject", "note": "还有残留" })).await;
    assert_eq!((status, rework["status"].as_str(), rework["rework_count"].as_i64()), (StatusCode::OK, Some("in_progress"), Some(1)));
    app.sign_in("handler1").await;
    let again = photo(&app, "handler1").await;
    step(&app, id, json!({ "action": "report", "note": "彻底清理", "photos": [again] })).await;
    app.sign_in("inspector1").await;
    let (_, verified) = step(&app, id, json!({ "action": "verify" })).await;
    assert_eq!(verified["status"], "verified");
    let (_, closed) = step(&app, id, json!({ "action": "close" })).await;
    assert_eq!((closed["status"].as_str(), closed["closed_at"].is_string()), (Some("closed"), true));

    let (status, whole) = app.json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = whole["events"].as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions, ["report", "register", "dispatch", "start", "report", "reject", "report", "verify", "close"]);
    assert_eq!(whole["photos"].as_array().map(Vec::len), Some(2));
    assert_eq!(whole["allowed"], json!([]), "the inspector may not give feedback");
    app.sign_in("inspector2").await;
    let (status, _) = app.json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another inspector does not see it");
}

#[tokio::test]
async fn a_queue_by_deadline_lists_what_is_still_to_do_before_what_is_done() {
    let Setup { mut app, point, .. } = setup().await;
    let mut ids = Vec::new();
    for category in ["sanitation.dead_spot", "order.noise", "sanitation.corridor_clutter"] {
        let (_, filed) = app.post_json("/api/v1/cases", &filing(point, category)).await;
        ids.push(filed["id"].as_i64().expect("an id"));
    }
    let (done, late, open) = (ids[0], ids[1], ids[2]);
    app.sign_in("handler1").await;
    let proof = photo(&app, "handler1").await;
    let (status, _) = step(&app, done, json!({ "action": "report", "note": "已清理", "photos": [proof] })).await;
    assert_eq!(status, StatusCode::OK);
    // The handled case's deadline is the earliest, but it is done; the overdue one leads.
    for (id, offset) in [(done, "-2 days"), (late, "-1 hour"), (open, "+1 day")] {
        sqlx::query("update cases set deadline = now() + $2::interval where id = $1").bind(id).bind(offset).execute(&app.pool).await.expect("sets the deadline");
    }
    let (_, queue) = app.json("/api/v1/cases?queue=true").await;
    let order: Vec<i64> = queue["cases"].as_array().expect("cases").iter().filter_map(|c| c["id"].as_i64()).collect();
    assert_eq!(order, [late, open, done], "{queue}");
}

#[tokio::test]
async fn returned_cases_are_routed_again_and_the_office_is_the_last_owner() {
    let Setup { mut app, committee, office, point, .. } = setup().await;
    let (_, filed) = app.post_json("/api/v1/cases", &filing(point, "order.noise")).await;
    let id = filed["id"].as_i64().expect("an id");
    assert_eq!(filed["organisation_id"].as_i64(), Some(committee));
    app.sign_in("handler1").await;
    let (status, body) = step(&app, id, json!({ "action": "return" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "required"));
    let (status, returned) = step(&app, id, json!({ "action": "return", "note": "不属于居委会职责" })).await;
    assert_eq!(status, StatusCode::OK, "{returned}");
    assert_eq!(returned["visible"], false, "{returned}");
    app.sign_in("office1").await;
    let (_, case) = app.json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!((case["case"]["organisation_id"].as_i64(), case["case"]["returned_count"].as_i64(), case["case"]["routing_reason"].as_str()), (Some(office), Some(1), Some("no_committee")));
    let (status, body) = step(&app, id, json!({ "action": "return", "note": "也不归我们" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "owner_of_last_resort"));
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(3)).date_naive();
    let (status, body) = step(&app, id, json!({ "action": "backlog", "note": "需协调", "until": "2020-01-01" })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "in_the_past"));
    let (status, backlog) = step(&app, id, json!({ "action": "backlog", "note": "需协调", "until": tomorrow })).await;
    assert_eq!((status, backlog["status"].as_str(), backlog["backlog_count"].as_i64()), (StatusCode::OK, Some("backlog"), Some(1)), "{backlog}");
    assert!(backlog["deadline"].as_str().is_some_and(|d| d.starts_with(&(tomorrow).to_string())), "{backlog}");
}

#[tokio::test]
async fn residents_reports_wait_in_the_office_queue_until_dispatched() {
    let Setup { mut app, point, .. } = setup().await;
    let report = |description: &str| json!({ "lon": point.0, "lat": point.1, "category": "order.noise", "source": "resident", "description": description });
    let (_, first) = app.post_json("/api/v1/cases", &report("楼上装修")).await;
    let (_, second) = app.post_json("/api/v1/cases", &report("广场舞")).await;
    let (first, second) = (first["id"].as_i64().expect("an id"), second["id"].as_i64().expect("an id"));
    let (_, finding) = app.post_json("/api/v1/cases", &filing(point, "order.noise")).await;
    assert_eq!(finding["status"], "dispatched", "an inspector's finding goes to the unit at once");
    let queue = |list: &Value| list["cases"].as_array().map(|l| l.iter().filter_map(|c| c["id"].as_i64()).collect::<Vec<_>>()).unwrap_or_default();

    app.sign_in("handler1").await;
    let (_, list) = app.json("/api/v1/cases?sort=created").await;
    assert!(!queue(&list).contains(&first), "nobody's report but the office's until dispatched: {list}");
    app.sign_in("office1").await;
    let (_, list) = app.json("/api/v1/cases?queue=true&sort=created").await;
    assert_eq!(queue(&list), [first, second], "the office's queue holds the reports, not the finding");
    let (status, cancelled) = step(&app, second, json!({ "action": "cancel", "note": "重复反映" })).await;
    assert_eq!((status, cancelled["status"].as_str()), (StatusCode::OK, Some("cancelled")), "the office keeps sight of what it cancelled: {cancelled}");
    let (_, registered) = step(&app, first, json!({ "action": "register" })).await;
    let (_, dispatched) = step(&app, first, json!({ "action": "dispatch" })).await;
    assert_eq!((registered["status"].as_str(), dispatched["visible"].as_bool()), (Some("registered"), Some(false)), "{dispatched}");
    app.sign_in("handler1").await;
    let (_, list) = app.json("/api/v1/cases?queue=true").await;
    assert!(queue(&list).contains(&first), "dispatched to the committee: {list}");
}

#[tokio::test]
async fn filings_place_the_pin_refuse_bad_ones_and_offer_nearby_cases() {
    let Setup { mut app, community, building, point, .. } = setup().await;
    let (gcj_lon, gcj_lat) = Crs::Gcj02.from_wgs84(point.0, point.1);
    let body = json!({ "lon": gcj_lon, "lat": gcj_lat, "crs": "gcj02", "category": "sanitation.clutter", "accuracy_m": 80.0 });
    let (status, filed) = app.post_json("/api/v1/cases", &body).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!((filed["building_id"].as_i64(), filed["community_id"].as_i64(), filed["submitted_crs"].as_str()), (Some(building), Some(community), Some("gcj02")));
    assert!((filed["lon"].as_f64().unwrap_or_default() - point.0).abs() < 1e-5, "stored in WGS84: {filed}");
    assert_eq!(filed["warnings"], json!(["low_accuracy"]));
    assert_eq!((filed["routing_reason"].as_str(), filed["unhandled"].as_bool()), (Some("no_zone"), Some(false)), "tier 3 without a zone: the office");

    let before: i64 = sqlx::query_scalar("select count(*) from cases").fetch_one(&app.pool).await.expect("counts");
    for (body, status, code) in [
        (json!({ "lon": 100.0, "lat": 30.0, "category": "order.noise" }), StatusCode::UNPROCESSABLE_ENTITY, "outside_communities"),
        (json!({ "lon": 190.0, "lat": 30.0, "category": "order.noise" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_coordinates"),
        (json!({ "lon": point.0, "lat": point.1, "category": "sanitation" }), StatusCode::UNPROCESSABLE_ENTITY, "category_group"),
        (json!({ "lon": point.0, "lat": point.1, "category": "x.y" }), StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"),
        (json!({ "lon": point.0, "lat": point.1, "category": "order.noise", "crs": "mars" }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
        (json!({ "lon": point.0, "lat": point.1, "category": "order.noise", "photos": [987_654] }), StatusCode::UNPROCESSABLE_ENTITY, "unknown_photo"),
        (json!({ "lon": point.0, "lat": point.1, "category": "order.noise", "extra": 1 }), StatusCode::UNPROCESSABLE_ENTITY, "invalid_json"),
    ] {
        let (got, answer) = app.post_json("/api/v1/cases", &body).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{body}: {answer}");
    }
    let after: i64 = sqlx::query_scalar("select count(*) from cases").fetch_one(&app.pool).await.expect("counts");
    assert_eq!(after, before, "refused filings store nothing");

    let (status, nearby) = app.json(&format!("/api/v1/cases/nearby?lon={}&lat={}&category=sanitation.clutter", point.0 + 0.0002, point.1)).await;
    assert_eq!(status, StatusCode::OK, "{nearby}");
    assert_eq!(nearby["cases"].as_array().map(|c| c.iter().filter_map(|c| c["id"].as_i64()).collect::<Vec<_>>()), Some(vec![filed["id"].as_i64().unwrap_or_default()]));
    let (_, far) = app.json(&format!("/api/v1/cases/nearby?lon={}&lat={}&category=sanitation.clutter", point.0 + 0.002, point.1)).await;
    assert_eq!(far["cases"], json!([]), "beyond 50 m");
    app.sign_in("inspector2").await;
    let (status, added) = app.post_json(&format!("/api/v1/cases/{}/additions", filed["id"]), &json!({ "note": "又堆了一些" })).await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, _) = app.json(&format!("/api/v1/cases/{}", filed["id"])).await;
    assert_eq!(status, StatusCode::OK, "who added to a case sees it");
    let (status, body) = app.json("/api/v1/cases?sort=id%3Bdrop%20table%20cases").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"));
    let (status, _) = app.json("/api/v1/cases?status=closed%27%20or%201%3D1%20--").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// Files `body` with `key` on a task of its own, so that several are in flight at once.
fn spawn_filing(app: &App, key: String, body: String) -> tokio::task::JoinHandle<(StatusCode, Value)> {
    let router = app.router.clone();
    let token = app.token.clone().unwrap_or_default();
    tokio::spawn(async move {
        let request = Request::post("/api/v1/cases")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .header("idempotency-key", key)
            .body(Body::from(body))
            .expect("a request");
        let response = router.oneshot(request).await.expect("answers");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("a body").to_bytes();
        (status, serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null))
    })
}

/// A case number runs to six digits, then grows: a city files a million cases in a few years.
#[tokio::test]
async fn case_numbers_grow_past_six_digits() {
    let Setup { app, point, .. } = setup().await;
    sqlx::query("select setval('case_numbers', 999998)").execute(&app.pool).await.expect("sets the sequence");
    let mut numbers = Vec::new();
    for _ in 0..2 {
        let (status, filed) = app.post_json("/api/v1/cases", &filing(point, "order.noise")).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        numbers.push(filed["number"].as_str().and_then(|n| n.split_once('-')).map(|(_, n)| n.to_owned()));
    }
    assert_eq!(numbers, [Some("999999".to_owned()), Some("1000000".to_owned())]);
}

#[tokio::test]
async fn parallel_replays_of_one_submission_make_one_case() {
    let Setup { app, point, .. } = setup().await;
    let body = filing(point, "sanitation.exposed_garbage").to_string();
    let send = |key: &str, body: String| spawn_filing(&app, key.to_owned(), body);
    let tasks: Vec<_> = (0..12).map(|_| send("phone-retry-1", body.clone())).collect();
    let mut numbers = Vec::new();
    for task in tasks {
        let (status, answer) = task.await.expect("joins");
        assert_eq!(status, StatusCode::CREATED, "{answer}");
        numbers.push(answer["number"].as_str().map(str::to_owned));
    }
    numbers.dedup();
    assert_eq!(numbers.len(), 1, "every replay answers the first case: {numbers:?}");
    let count: i64 = sqlx::query_scalar("select count(*) from cases").fetch_one(&app.pool).await.expect("counts");
    assert_eq!(count, 1);
    let other = filing(point, "order.noise").to_string();
    let (status, answer) = send("phone-retry-1", other).await.expect("joins");
    assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused"));
    let (status, answer) = send("bad key with spaces", body).await.expect("joins");
    assert_eq!((status, error_code(&answer)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_idempotency_key"));
}

/// Sanitation findings filed at once in one community: none waits for another's dead-spot
/// refresh (these deadlocked and answered 500 before), and once the background settlement has
/// run, without anyone reading, the spot holds them all.
#[tokio::test]
async fn parallel_sanitation_findings_in_one_community_are_all_filed_into_one_dead_spot() {
    let Setup { app, point, community, .. } = setup().await;
    let body = filing(point, "sanitation.exposed_garbage").to_string();
    let tasks: Vec<_> = (0..12).map(|i| spawn_filing(&app, format!("finding-{i}"), body.clone())).collect();
    for task in tasks {
        let (status, answer) = task.await.expect("joins");
        assert_eq!(status, StatusCode::CREATED, "{answer}");
    }
    for _ in 0..250 {
        let pending: i64 = sqlx::query_scalar("select count(*) from cases where dead_spot_pending").fetch_one(&app.pool).await.expect("counts");
        if pending == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let spots: Vec<(i32,)> = sqlx::query_as("select cardinality(cases) from dead_spots where community_id = $1")
        .bind(community)
        .fetch_all(&app.pool)
        .await
        .expect("dead spots");
    assert_eq!(spots, [(12,)]);
}

/// The dead spots a reader sees (reading settles what is pending) are the ones a recomputation
/// of the whole community gives.
async fn assert_dead_spots_as_recomputed(app: &App, community: i64, when: &str) {
    let (status, _) = app.json(&format!("/api/v1/dead-spots?community={community}")).await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<(i64, f64, f64, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
        "select id, st_x(location), st_y(location), created_at from cases
         where community_id = $1 and category like 'sanitation.%' and status <> 'cancelled' order by id",
    )
    .bind(community)
    .fetch_all(&app.pool)
    .await
    .expect("findings");
    let findings: Vec<Finding> = rows.into_iter().map(|(case_id, lon, lat, at)| Finding { case_id, lon, lat, at }).collect();
    let expected: Vec<(i64, Vec<i64>)> = dead_spots(&findings).into_iter().map(|s| (s.anchor, s.cases)).collect();
    let stored: Vec<(i64, Vec<i64>)> = sqlx::query_as("select id, cases from dead_spots where community_id = $1 order by id")
        .bind(community)
        .fetch_all(&app.pool)
        .await
        .expect("dead spots");
    assert_eq!(stored, expected, "{when}");
}

/// Findings scattered over 60 × 60 m join, chain and merge places; cancelling some splits them.
/// After every filing and every cancellation the neighbourhood refresh agrees with a full one.
#[tokio::test]
async fn refreshing_a_findings_neighbourhood_gives_what_recomputing_the_community_gives() {
    let Setup { mut app, community, point, .. } = setup().await;
    let projection = LocalProjection::new(point.0, point.1);
    let mut state: u64 = 7;
    let mut offset = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 33) % 61) as f64 - 30.0
    };
    let mut filed: Vec<i64> = Vec::new();
    for i in 0..40 {
        let at = projection.to_lonlat(offset(), offset());
        let (status, answer) = app.post_json("/api/v1/cases", &filing(at, "sanitation.exposed_garbage")).await;
        match status {
            StatusCode::CREATED => filed.push(answer["id"].as_i64().expect("an id")),
            _ => assert_eq!(error_code(&answer), "outside_communities", "{answer}"),
        }
        assert_dead_spots_as_recomputed(&app, community, &format!("after filing {i}")).await;
    }
    assert!(filed.len() > 20, "most findings fall in the community: {}", filed.len());
    let spots: i64 = sqlx::query_scalar("select count(*) from dead_spots where community_id = $1").bind(community).fetch_one(&app.pool).await.expect("counts");
    assert!(spots >= 1, "the findings make dead spots");
    app.sign_in("admin1").await;
    for (i, &id) in filed.iter().skip(1).step_by(3).enumerate() {
        let (status, body) = step(&app, id, json!({ "action": "duplicate", "duplicate_of": filed[0] })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_dead_spots_as_recomputed(&app, community, &format!("after cancelling {i}")).await;
    }
}

#[tokio::test]
async fn dispute_cases_show_their_place_only_to_the_grids_team() {
    let Setup { mut app, point, .. } = setup().await;
    let (status, filed) = app.post_json("/api/v1/cases", &json!({ "lon": point.0, "lat": point.1, "category": "disputes.neighbour", "description": "楼上楼下噪音纠纷" })).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert!(filed["private"].as_bool().unwrap_or_default() && !filed["coarse"].as_bool().unwrap_or(true));
    let id = filed["id"].as_i64().expect("an id");
    app.sign_in("leader1").await;
    let (_, seen) = app.json(&format!("/api/v1/cases/{id}")).await;
    let case = &seen["case"];
    assert_eq!((case["coarse"].as_bool(), case["description"].as_str(), case["building_id"].as_i64()), (Some(true), Some(""), None), "{case}");
    assert!((case["lon"].as_f64().unwrap_or_default() - point.0).abs() > 1e-6 || (case["lat"].as_f64().unwrap_or_default() - point.1).abs() > 1e-6);
    assert!(seen["events"].as_array().expect("events").iter().all(|e| e["note"].is_null()));
    let (_, listed) = app.json("/api/v1/cases?category=disputes").await;
    assert_eq!(listed["cases"][0]["coarse"], true);
    app.sign_in("gridlead1").await;
    let (status, seen) = app.json(&format!("/api/v1/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!((seen["case"]["coarse"].as_bool(), seen["case"]["description"].as_str()), (Some(false), Some("楼上楼下噪音纠纷")));
    let (_, nearby) = app.json(&format!("/api/v1/cases/nearby?lon={}&lat={}&category=disputes.neighbour", point.0, point.1)).await;
    assert_eq!(nearby["cases"], json!([]), "private cases are never offered as nearby");
}

#[tokio::test]
async fn repeated_sanitation_findings_at_one_spot_become_a_dead_spot() {
    let Setup { mut app, community, point, .. } = setup().await;
    let near = |east: f64| (point.0 + east * 1e-5, point.1);
    let mut ids = Vec::new();
    for (east, category) in [(0.0, "sanitation.dead_spot"), (0.5, "sanitation.exposed_garbage"), (1.0, "order.noise")] {
        let (status, filed) = app.post_json("/api/v1/cases", &filing(near(east), category)).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
        ids.push(filed["id"].as_i64().expect("an id"));
    }
    app.sign_in("leader1").await;
    let (_, spots) = app.json(&format!("/api/v1/dead-spots?community={community}")).await;
    assert_eq!(spots["dead_spots"], json!([]), "two sanitation findings and a noise complaint are not a dead spot");
    app.sign_in("inspector1").await;
    let (_, third) = app.post_json("/api/v1/cases", &filing(near(1.2), "sanitation.clutter")).await;
    let (_, far) = app.post_json("/api/v1/cases", &filing(near(40.0), "sanitation.clutter")).await;
    assert!(far["id"].is_i64());
    app.sign_in("leader1").await;
    let (status, spots) = app.json(&format!("/api/v1/dead-spots?community={community}")).await;
    assert_eq!(status, StatusCode::OK, "{spots}");
    let spot = &spots["dead_spots"][0];
    assert_eq!((spots["dead_spots"].as_array().map(Vec::len), spot["id"].as_i64(), spot["case_count"].as_i64(), spot["status"].as_str()), (Some(1), Some(ids[0]), Some(3), Some("active")), "{spots}");
    let (_, history) = app.json(&format!("/api/v1/dead-spots/{}", ids[0])).await;
    let cases: Vec<i64> = history["cases"].as_array().expect("cases").iter().filter_map(|c| c["id"].as_i64()).collect();
    assert_eq!(cases, [ids[0], ids[1], third["id"].as_i64().unwrap_or_default()]);

    // Cancelling one of its cases as a duplicate leaves two: no longer a dead spot.
    app.sign_in("admin1").await;
    let (status, body) = step(&app, ids[1], json!({ "action": "duplicate", "duplicate_of": ids[0] })).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "other_category"));
    let (status, _) = step(&app, ids[1], json!({ "action": "cancel", "note": "误报" })).await;
    assert_eq!(status, StatusCode::CONFLICT, "a dispatched case is not cancelled, only closed as a duplicate");
    let (_, dup) = app.post_json("/api/v1/cases", &filing(near(0.2), "sanitation.dead_spot")).await;
    let (status, cancelled) = step(&app, dup["id"].as_i64().unwrap_or_default(), json!({ "action": "duplicate", "duplicate_of": ids[0] })).await;
    assert_eq!((status, cancelled["status"].as_str(), cancelled["duplicate_of"].as_i64()), (StatusCode::OK, Some("cancelled"), Some(ids[0])), "{cancelled}");
    let (_, original) = app.json(&format!("/api/v1/cases/{}", ids[0])).await;
    assert!(original["events"].as_array().expect("events").iter().any(|e| e["action"] == "duplicate_linked"), "linked both ways");
    let (_, spots) = app.json(&format!("/api/v1/dead-spots?community={community}")).await;
    assert_eq!(spots["dead_spots"][0]["case_count"], 3, "the duplicate does not count");
    app.sign_in("handler1").await;
    let (status, _) = app.json("/api/v1/dead-spots/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// An organisation is given to handlers only, and must exist in the sub-district of their areas;
/// each refusal names the field and creates nobody.
#[tokio::test]
async fn only_handlers_act_for_an_organisation_and_only_one_that_exists() {
    let mut s = setup().await;
    s.app.sign_in("admin1").await;
    let name: String = sqlx::query_scalar("select name from communities where id = $1").bind(s.community).fetch_one(&s.app.pool).await.expect("a name");
    let area = format!("community:{name}");
    let user = |name: &str, role: &str, organisation: Value| {
        json!({ "username": name, "role": role, "password": PASSWORD, "areas": [&area], "organisation": organisation })
    };
    for (body, refusal, expected) in [
        (user("inspector9", "inspector", json!(s.committee)), StatusCode::BAD_REQUEST, "only a handler"),
        (user("handler9", "handler", json!(9_999_999)), StatusCode::BAD_REQUEST, "no organisation 9999999"),
        (user("handler9", "handler", json!("居委会")), StatusCode::UNPROCESSABLE_ENTITY, "invalid type"),
    ] {
        let (status, answer) = s.app.post_json("/api/v1/users", &body).await;
        assert_eq!(status, refusal, "{answer}");
        assert!(answer["error"]["message"].as_str().unwrap_or_default().contains(expected), "{answer}");
    }
    let (_, users) = s.app.json("/api/v1/users").await;
    let names: Vec<&str> = users["users"].as_array().expect("users").iter().filter_map(|u| u["username"].as_str()).collect();
    assert!(!names.iter().any(|n| n.ends_with('9')), "nobody was created: {names:?}");
    let handler = users["users"].as_array().expect("users").iter().find(|u| u["username"] == "handler1").expect("handler1");
    assert_eq!((handler["organisation_id"].as_i64(), handler["organisation"].as_str()), (Some(s.committee), Some("居委会")));
}

