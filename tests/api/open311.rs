//! Open311 GeoReport v2 through the router on a real PostGIS: the services, a request filed with
//! a key made as the command line makes it and followed through the workflow in the public
//! feed, refusals in GeoReport's shape, the feed's window and cap, private categories, idempotent
//! replays, the per-key rate limit, and the `wangge open311 key` commands.

use axum::body::Body;
use axum::http::header::RETRY_AFTER;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::audit::Actor;
use wangge::http::limit::LimitSettings;
use wangge::open311::keys;

use super::cases::{Setup, photo, setup, step};
use super::cli::wangge;
use super::harness::database_url;
use super::http::{App, small_place};

/// A point inside the building of `small_place`.
const POINT: (f64, f64) = (114.4002, 30.50009);

/// A key for the sub-district, made by the function `wangge open311 key add` calls.
async fn new_key(app: &App, name: &str, district: &str) -> String {
    let mut tx = app.pool.begin().await.expect("begins");
    let (_, secret) = keys::create(&mut tx, name, district, &Actor::command_line()).await.expect("makes a key");
    tx.commit().await.expect("commits");
    secret
}

struct Answer {
    status: StatusCode,
    replayed: bool,
    retry_after: Option<String>,
    body: Value,
}

/// Posts a form as GeoReport clients do, with an `Idempotency-Key` if given.
async fn post_form(app: &App, fields: &[(&str, &str)], idempotency: Option<&str>) -> Answer {
    let mut request =
        Request::post("/open311/v2/requests.json").header("content-type", "application/x-www-form-urlencoded");
    if let Some(key) = idempotency {
        request = request.header("idempotency-key", key);
    }
    let body = serde_urlencoded::to_string(fields).expect("a form");
    let response =
        app.router.clone().oneshot(request.body(Body::from(body)).expect("a request")).await.expect("answers");
    let status = response.status();
    let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let (replayed, retry_after) = (header("idempotent-replay").is_some(), header(RETRY_AFTER.as_str()));
    let bytes = response.into_body().collect().await.expect("a body").to_bytes();
    Answer { status, replayed, retry_after, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// A noise complaint at `point` with `key`.
fn noise<'a>(key: &'a str, point: &'a (String, String)) -> Vec<(&'a str, &'a str)> {
    vec![
        ("api_key", key),
        ("service_code", "order.noise"),
        ("lat", &point.1),
        ("long", &point.0),
        ("description", "夜间施工噪音"),
    ]
}

fn text(point: (f64, f64)) -> (String, String) {
    (point.0.to_string(), point.1.to_string())
}

/// GeoReport's error shape with this status.
fn georeport_error(status: StatusCode, body: &Value) -> &str {
    assert_eq!(body[0]["code"].as_u64(), Some(u64::from(status.as_u16())), "{body}");
    body[0]["description"].as_str().unwrap_or_default()
}

fn ids(feed: &Value) -> Vec<i64> {
    feed.as_array().map(|a| a.iter().filter_map(|r| r["service_request_id"].as_i64()).collect()).unwrap_or_default()
}

/// The ids in the signed-in handler's queue.
async fn queue(app: &App) -> Vec<i64> {
    let (status, list) = app.json("/api/v1/cases?queue=true").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list["cases"].as_array().map(|l| l.iter().filter_map(|c| c["id"].as_i64()).collect()).unwrap_or_default()
}

async fn count_cases(app: &App) -> i64 {
    sqlx::query_scalar("select count(*) from cases").fetch_one(&app.pool).await.expect("counts")
}

#[tokio::test]
async fn a_request_filed_with_a_key_is_followed_in_the_feed_until_it_is_closed() {
    let Setup { mut app, community, committee, point, .. } = setup().await;
    let district: String =
        sqlx::query_scalar("select d.name from districts d join communities c on c.district_id = d.id where c.id = $1")
            .bind(community)
            .fetch_one(&app.pool)
            .await
            .expect("the district");

    let (status, services) = app.json("/open311/v2/services.json").await;
    assert_eq!(status, StatusCode::OK);
    let codes: Vec<&str> =
        services.as_array().expect("services").iter().filter_map(|s| s["service_code"].as_str()).collect();
    assert!(
        codes.contains(&"sanitation.dead_spot") && codes.iter().all(|c| c.contains('.') && !c.starts_with("disputes")),
        "{codes:?}"
    );
    let dead_spot = services
        .as_array()
        .and_then(|s| s.iter().find(|s| s["service_code"] == "sanitation.dead_spot"))
        .expect("offered");
    assert_eq!(
        dead_spot,
        &json!({ "service_code": "sanitation.dead_spot", "service_name": "卫生死角", "description": "hygiene dead spot", "metadata": false,
                 "type": "realtime", "keywords": "环境卫生, sanitation, hygiene dead spot", "group": "环境卫生" })
    );
    let (status, definition) = app.json("/open311/v2/services/sanitation.dead_spot.json").await;
    assert_eq!(
        (status, definition),
        (StatusCode::OK, json!({ "service_code": "sanitation.dead_spot", "attributes": [] }))
    );

    let key = new_key(&app, "随手拍", &district).await;
    let (lon, lat) = text(point);
    let filed = post_form(
        &app,
        &[
            ("api_key", key.as_str()),
            ("service_code", "sanitation.dead_spot"),
            ("lat", lat.as_str()),
            ("long", lon.as_str()),
            ("description", "楼后堆满垃圾"),
            ("first_name", "小明"),
            ("last_name", "王"),
            ("phone", "13800000000"),
            ("media_url", "https://img.example/1.jpg"),
        ],
        None,
    )
    .await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.body);
    let id = filed.body[0]["service_request_id"].as_i64().expect("an id");
    assert!(filed.body[0]["account_id"].is_null(), "{}", filed.body);
    let (number, source, status, contact, reporter, reporter_id): (
        String,
        String,
        String,
        String,
        String,
        Option<i64>,
    ) = sqlx::query_as(
        "select number, source, status, reporter_contact, reporter_name, reporter_id from cases where id = $1",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("the case");
    assert!(filed.body[0]["service_notice"].as_str().is_some_and(|n| n.contains(&number)), "{}", filed.body);
    assert_eq!((source.as_str(), status.as_str(), contact.as_str()), ("open311", "reported", "王小明, 13800000000"));
    assert_eq!((reporter.as_str(), reporter_id), ("open311:随手拍", None), "the key files, no account");

    let (status, feed) = app.json("/open311/v2/requests.json").await;
    assert_eq!(status, StatusCode::OK, "{feed}");
    let listed = &feed[0];
    assert_eq!((listed["service_request_id"].as_i64(), listed["status"].as_str()), (Some(id), Some("open")), "{feed}");
    assert_eq!(
        (listed["service_name"].as_str(), listed["media_url"].as_str()),
        (Some("卫生死角"), Some("https://img.example/1.jpg"))
    );
    assert!(listed["status_notes"].is_null() && listed["agency_responsible"].is_null(), "not routed yet: {listed}");
    assert!((listed["lat"].as_f64().unwrap_or_default() - point.1).abs() < 1e-9, "{listed}");
    assert!(listed["requested_datetime"].as_str().is_some_and(|t| t.ends_with("+08:00") && t.len() == 25), "{listed}");

    // The sub-district office finds it in its queue, registers and dispatches it: routed by its
    // category like any finding, it leaves the office's sight for the committee's queue.
    app.sign_in("office1").await;
    assert_eq!(queue(&app).await, [id], "waiting for the office");
    let (status, body) = step(&app, id, json!({ "action": "register" })).await;
    assert_eq!((status, body["status"].as_str()), (StatusCode::OK, Some("registered")), "{body}");
    let (status, body) = step(&app, id, json!({ "action": "dispatch" })).await;
    assert_eq!((status, &body["visible"]), (StatusCode::OK, &json!(false)), "routed to the committee: {body}");
    assert_eq!(queue(&app).await, Vec::<i64>::new());
    let routed: (Option<i64>, String) = sqlx::query_as("select organisation_id, status from cases where id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .expect("the case");
    assert_eq!(routed, (Some(committee), "dispatched".to_owned()));

    // The committee handles it; the administrator verifies and closes it; the committee tells the
    // resident.
    app.sign_in("handler1").await;
    assert_eq!(queue(&app).await, [id], "in the routed organisation's queue");
    let (status, body) = step(&app, id, json!({ "action": "start" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let picture = photo(&app, "handler1").await;
    let (status, body) = step(&app, id, json!({ "action": "report", "note": "已清理", "photos": [picture] })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, still_open) = app.json(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(
        (still_open[0]["status"].as_str(), still_open[0]["status_notes"].as_str()),
        (Some("open"), None),
        "handled is still open"
    );
    app.sign_in("admin1").await;
    for action in ["verify", "close"] {
        let (status, body) = step(&app, id, json!({ "action": action })).await;
        assert_eq!(status, StatusCode::OK, "{action}: {body}");
    }
    app.sign_in("handler1").await;
    let (status, body) = step(&app, id, json!({ "action": "feedback", "note": "已电话告知居民：垃圾已清运" })).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (status, one) = app.json(&format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!((status, one.as_array().map(Vec::len)), (StatusCode::OK, Some(1)), "{one}");
    let closed = &one[0];
    assert_eq!(
        (closed["status"].as_str(), closed["status_notes"].as_str()),
        (Some("closed"), Some("已电话告知居民：垃圾已清运"))
    );
    let committee_name: String = sqlx::query_scalar("select name from organisations where id = $1")
        .bind(committee)
        .fetch_one(&app.pool)
        .await
        .expect("named");
    assert_eq!(closed["agency_responsible"].as_str(), Some(committee_name.as_str()));
    assert!(closed["expected_datetime"].as_str().is_some_and(|t| t.ends_with("+08:00")), "{closed}");
    let (_, closed_ones) = app.json("/open311/v2/requests.json?status=closed").await;
    let (_, open_ones) = app.json("/open311/v2/requests.json?status=open").await;
    assert_eq!((ids(&closed_ones), ids(&open_ones)), (vec![id], vec![]));
    let (_, by_code) = app.json("/open311/v2/requests.json?service_code=order.noise,sanitation.dead_spot").await;
    assert_eq!(ids(&by_code), [id]);
    let (_, other_code) = app.json("/open311/v2/requests.json?service_code=order.noise").await;
    assert_eq!(ids(&other_code), Vec::<i64>::new());
    let filed_by: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'case.create' and actor_name = 'open311:随手拍'",
    )
    .fetch_one(&app.pool)
    .await
    .expect("counts");
    assert_eq!(filed_by, 1, "the filing is audited under the key's name");
}

#[tokio::test]
async fn bad_keys_points_and_services_are_refused_in_georeport_shape() {
    let app = App::with(&[small_place()]).await;
    let key = new_key(&app, "随手拍", "关山街道").await;
    let here = text(POINT);

    let mut no_key = noise(&key, &here);
    no_key.remove(0);
    let answer = post_form(&app, &no_key, None).await;
    assert!(georeport_error(StatusCode::FORBIDDEN, &answer.body).contains("api_key"));
    let answer = post_form(&app, &noise("not-a-key", &here), None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    georeport_error(StatusCode::FORBIDDEN, &answer.body);

    let without_point = [("api_key", key.as_str()), ("service_code", "order.noise"), ("address_string", "南湖花园3栋")];
    let answer = post_form(&app, &without_point, None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(georeport_error(StatusCode::BAD_REQUEST, &answer.body).contains("lat and long are required"));

    for code in ["x.y", "sanitation", "disputes.neighbour"] {
        let mut fields = noise(&key, &here);
        fields[1].1 = code;
        let answer = post_form(&app, &fields, None).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{code}: {}", answer.body);
        assert!(georeport_error(StatusCode::BAD_REQUEST, &answer.body).contains("no service"), "{code}");
    }
    for code in ["x.y", "disputes.neighbour", "sanitation"] {
        let (status, body) = app.json(&format!("/open311/v2/services/{code}.json")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{code}");
        georeport_error(StatusCode::NOT_FOUND, &body);
    }

    let far = text((100.0, 30.0));
    let answer = post_form(&app, &noise(&key, &far), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(georeport_error(StatusCode::BAD_REQUEST, &answer.body).contains("outside 关山街道"), "{}", answer.body);

    for uri in [
        "/open311/v2/services.xml",
        "/open311/v2/requests.xml",
        "/open311/v2/requests/1.xml",
        "/open311/v2/services/order.noise.xml",
    ] {
        let (status, body) = app.json(uri).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(georeport_error(StatusCode::BAD_REQUEST, &body).contains("only JSON"), "{uri}");
    }
    for uri in ["/open311/v2/discovery.json", "/open311/v2/requests/123456.json", "/open311/v2/requests/abc.json"] {
        let (status, body) = app.json(uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        georeport_error(StatusCode::NOT_FOUND, &body);
    }
    for query in ["status=pending", "start_date=yesterday", "colour=red", "api_key=wrong"] {
        let (status, body) = app.json(&format!("/open311/v2/requests.json?{query}")).await;
        assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::FORBIDDEN, "{query}: {status}");
        georeport_error(status, &body);
    }
    let (status, body) = app.send(Request::post("/open311/v2/services.json"), String::new()).await;
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    georeport_error(StatusCode::METHOD_NOT_ALLOWED, &body);
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(count_cases(&app).await, 0, "nothing refused is filed");

    // A JSON object is taken as well as a form, numbers as numbers.
    let (status, body) = app
        .send(
            Request::post("/open311/v2/requests.json").header("content-type", "application/json"),
            json!({ "api_key": key, "service_code": "order.noise", "lat": POINT.1, "long": POINT.0 }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&body));
    let mut tx = app.pool.begin().await.expect("begins");
    keys::revoke(&mut tx, "随手拍", &Actor::command_line()).await.expect("revokes");
    tx.commit().await.expect("commits");
    let answer = post_form(&app, &noise(&key, &here), None).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "a revoked key: {}", answer.body);
    assert_eq!(count_cases(&app).await, 1);
}

#[tokio::test]
async fn the_feed_covers_ninety_days_newest_first_and_at_most_a_thousand() {
    let app = App::with(&[small_place()]).await;
    let key = new_key(&app, "随手拍", "关山街道").await;
    let here = text(POINT);
    let answer = post_form(&app, &noise(&key, &here), None).await;
    let newest = answer.body[0]["service_request_id"].as_i64().expect("an id");
    sqlx::query(
        "insert into cases (number, source, category, description, location, submitted_crs, submitted_lon, submitted_lat,
                            district_id, community_id, status, created_at, updated_at)
         select 'T-' || g, 'inspector', category, 'older', location, 'wgs84', submitted_lon, submitted_lat, district_id,
                community_id, 'dispatched', now() - g * interval '1 minute', now() - g * interval '1 minute'
         from cases, generate_series(1, 1001) g where id = $1",
    )
    .bind(newest)
    .execute(&app.pool)
    .await
    .expect("inserts 1,001 older cases");

    let (status, feed) = app.json("/open311/v2/requests.json").await;
    assert_eq!(status, StatusCode::OK);
    let listed = ids(&feed);
    assert_eq!((listed.len(), listed.first()), (1000, Some(&newest)), "at most 1,000, newest first");
    let times: Vec<&str> =
        feed.as_array().expect("a list").iter().filter_map(|r| r["requested_datetime"].as_str()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");

    sqlx::query("update cases set created_at = now() - interval '100 days' where number in (select 'T-' || g from generate_series(1, 10) g)")
        .execute(&app.pool)
        .await
        .expect("ages ten cases");
    let (_, feed) = app.json("/open311/v2/requests.json").await;
    assert_eq!(ids(&feed).len(), 992, "the ten older than 90 days are out of the default window");
    let day = |days: i64| (chrono::Utc::now() - chrono::TimeDelta::days(days)).format("%Y-%m-%d").to_string();
    let (status, old) =
        app.json(&format!("/open311/v2/requests.json?start_date={}&end_date={}", day(110), day(20))).await;
    assert_eq!((status, ids(&old).len()), (StatusCode::OK, 10), "{old}");
    let (status, body) =
        app.json(&format!("/open311/v2/requests.json?start_date={}&end_date={}", day(200), day(0))).await;
    assert!(georeport_error(StatusCode::BAD_REQUEST, &body).contains("90 days"), "{status}");
    let (_, by_id) = app.json(&format!("/open311/v2/requests.json?service_request_id={newest},{}", newest + 1)).await;
    assert_eq!(ids(&by_id), [newest, newest + 1], "ids are listed whatever the window");
    let (_, elsewhere) = app.json("/open311/v2/requests.json?jurisdiction_id=nowhere").await;
    georeport_error(StatusCode::NOT_FOUND, &elsewhere);
    let query = serde_urlencoded::to_string([("jurisdiction_id", "关山街道"), ("api_key", &key), ("status", "closed")])
        .expect("a query");
    let (status, none_closed) = app.json(&format!("/open311/v2/requests.json?{query}")).await;
    assert_eq!((status, none_closed), (StatusCode::OK, json!([])));
}

#[tokio::test]
async fn private_categories_are_no_service_and_their_cases_never_appear() {
    let app = App::with(&[small_place()]).await;
    let (status, filed) = app
        .post_json(
            "/api/v1/cases",
            &json!({ "lon": POINT.0, "lat": POINT.1, "category": "disputes.neighbour", "description": "邻里纠纷" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let dispute = filed["id"].as_i64().expect("an id");
    let (_, services) = app.json("/open311/v2/services.json").await;
    assert!(services.as_array().expect("services").iter().all(|s| s["group"] != "矛盾纠纷"), "{services}");
    let (_, feed) = app.json("/open311/v2/requests.json").await;
    assert_eq!(feed, json!([]));
    let (_, by_id) = app.json(&format!("/open311/v2/requests.json?service_request_id={dispute}")).await;
    assert_eq!(by_id, json!([]));
    let (status, body) = app.json(&format!("/open311/v2/requests/{dispute}.json")).await;
    georeport_error(StatusCode::NOT_FOUND, &body);
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_replayed_request_files_one_case_and_keys_are_apart_from_users() {
    let app = App::with(&[small_place()]).await;
    let key = new_key(&app, "随手拍", "关山街道").await;
    let here = text(POINT);
    let first = post_form(&app, &noise(&key, &here), Some("app-retry-1")).await;
    let again = post_form(&app, &noise(&key, &here), Some("app-retry-1")).await;
    assert_eq!((first.status, again.status), (StatusCode::CREATED, StatusCode::CREATED), "{}", again.body);
    assert_eq!((first.replayed, again.replayed), (false, true));
    assert_eq!(first.body, again.body);
    assert_eq!(count_cases(&app).await, 1);
    let mut other = noise(&key, &here);
    other[1].1 = "sanitation.flyers";
    let reused = post_form(&app, &other, Some("app-retry-1")).await;
    assert!(georeport_error(StatusCode::BAD_REQUEST, &reused.body).contains("different submission"));
    let bad = post_form(&app, &noise(&key, &here), Some("has spaces")).await;
    georeport_error(StatusCode::BAD_REQUEST, &bad.body);

    // The same key string sent by a signed-in user is theirs, not the app's.
    let (status, case) = app
        .send(
            Request::post("/api/v1/cases")
                .header("content-type", "application/json")
                .header("idempotency-key", "app-retry-1"),
            json!({ "lon": POINT.0, "lat": POINT.1, "category": "order.noise" }).to_string(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&case));
    assert_eq!(count_cases(&app).await, 2);
}

#[tokio::test]
async fn requests_are_rate_limited_per_key() {
    let generous = "1000/min".parse().expect("a rate");
    let limits = LimitSettings {
        login_per_client: generous,
        login_per_username: generous,
        submissions: generous,
        open311: "2/min".parse().expect("a rate"),
    };
    let app = App::with_limits(&[small_place()], limits).await;
    let (one, two) = (new_key(&app, "甲", "关山街道").await, new_key(&app, "乙", "关山街道").await);
    let here = text(POINT);
    for _ in 0..2 {
        assert_eq!(post_form(&app, &noise(&one, &here), None).await.status, StatusCode::CREATED);
    }
    let refused = post_form(&app, &noise(&one, &here), None).await;
    assert!(georeport_error(StatusCode::TOO_MANY_REQUESTS, &refused.body).contains("try again"));
    assert!(
        refused.retry_after.as_deref().is_some_and(|s| s.parse::<u64>().is_ok_and(|s| (1..=30).contains(&s))),
        "{:?}",
        refused.retry_after
    );
    assert_eq!(
        post_form(&app, &noise(&two, &here), None).await.status,
        StatusCode::CREATED,
        "another key has its own limit"
    );
    assert_eq!(count_cases(&app).await, 3);
}

#[tokio::test]
async fn keys_are_made_listed_and_revoked_on_the_command_line() {
    let app = App::with(&[small_place()]).await;
    let url = database_url(&app.pool).await;
    let (ok, out, err) = wangge(&url, &["open311", "key", "add", "随手拍", "--district", "关山街道"]);
    assert!(ok, "{err}");
    let secret = out.lines().last().unwrap_or_default().trim().to_owned();
    assert_eq!(secret.len(), 43, "{out}");
    let stored: Vec<u8> = sqlx::query_scalar("select key_hash from open311_keys where name = '随手拍'")
        .fetch_one(&app.pool)
        .await
        .expect("stored");
    assert_eq!(stored, wangge::auth::token::hash(&secret), "only the hash is stored");
    let mut db = app.pool.acquire().await.expect("a connection");
    assert!(
        keys::authenticate(&mut db, &secret).await.expect("looks up").is_some_and(|s| s.key.district == "关山街道")
    );

    let (ok, _, err) = wangge(&url, &["open311", "key", "add", "随手拍", "--district", "关山街道"]);
    assert!(!ok && err.contains("taken"), "{err}");
    let (ok, _, err) = wangge(&url, &["open311", "key", "add", "别处", "--district", "无此街道"]);
    assert!(!ok && err.contains("无此街道"), "{err}");
    let (ok, list, _) = wangge(&url, &["open311", "key", "list"]);
    assert!(ok && list.contains("随手拍") && list.contains("active") && !list.contains(&secret), "{list}");
    let (ok, _, err) = wangge(&url, &["open311", "key", "revoke", "随手拍"]);
    assert!(ok, "{err}");
    let (ok, _, err) = wangge(&url, &["open311", "key", "revoke", "随手拍"]);
    assert!(!ok && err.contains("already revoked"), "{err}");
    let (_, list, _) = wangge(&url, &["open311", "key", "list"]);
    assert!(list.contains("revoked"), "{list}");
    assert!(keys::authenticate(&mut db, &secret).await.expect("looks up").is_none());
    let audited: Vec<String> =
        sqlx::query_scalar("select action from audit_log where object_type = 'open311_key' order by id")
            .fetch_all(&app.pool)
            .await
            .expect("reads");
    assert_eq!(audited, ["open311_key.create", "open311_key.revoke"]);
}
