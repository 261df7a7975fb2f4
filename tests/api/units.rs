//! Responsible units through the HTTP API on a real PostGIS: people, organisations and
//! assignments with their history, zones (and hostile geometry), routing by tier with its
//! precedence and fallbacks, coverage and workload, assignments across a re-published plan, and
//! who may do what.

use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wangge::auth::role::Role;
use wangge::demo::{DemoOptions, generate};

use super::http::{App, error_code};

/// The two-community demo with a published plan in the first; signed in as the sub-district's
/// administrator. Returns the app, the community and its sub-district.
async fn published_app() -> (App, i64, i64) {
    let app = App::with(&[generate(&DemoOptions { communities: 2, seed: 42 })]).await;
    let (community, district): (i64, i64) =
        sqlx::query_as("select id, district_id from communities order by id limit 1").fetch_one(&app.pool).await.expect("a community");
    let (status, plan) = app.post_json(&format!("/api/v1/communities/{community}/plans"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let (status, published) = app.post_json(&format!("/api/v1/plans/{}/publish", plan["id"]), &json!({ "force": true })).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    (app, community, district)
}

/// The register ids of the community's grids in force, by code.
async fn grid_ids(app: &App, community: i64) -> Vec<i64> {
    sqlx::query_scalar("select id from grids where community_id = $1 and ended_on is null order by code")
        .bind(community)
        .fetch_all(&app.pool)
        .await
        .expect("grids")
}

async fn created(app: &App, uri: &str, body: Value) -> Value {
    let (status, answer) = app.post_json(uri, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{uri} {body}: {answer}");
    answer
}

async fn person(app: &App, district: i64, name: &str, phone: &str) -> i64 {
    created(app, "/api/v1/people", json!({ "district": district, "name": name, "phone": phone })).await["id"]
        .as_i64()
        .expect("an id")
}

async fn count(app: &App, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(&app.pool).await.expect("counts")
}

/// A refusal: its status, code and the field it names; nothing stored changed.
async fn refused(app: &App, uri: &str, body: Value, status: StatusCode, code: &str) -> Value {
    let before: Vec<i64> = stored(app).await;
    let (got, answer) = app.post_json(uri, &body).await;
    assert_eq!((got, error_code(&answer)), (status, code), "{uri} {body}: {answer}");
    assert_eq!(stored(app).await, before, "a refused change stores nothing");
    answer
}

async fn stored(app: &App) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in ["people", "organisations", "assignments", "zones", "zone_grids", "category_handlers"] {
        counts.push(count(app, table).await);
    }
    counts.push(sqlx::query_scalar("select count(*) from assignments where valid_to is null").fetch_one(&app.pool).await.expect("counts"));
    counts
}

#[tokio::test]
async fn people_and_assignments_keep_their_history_and_refuse_bad_input() {
    let (app, community, district) = published_app().await;
    let grids = grid_ids(&app, community).await;

    let answer = refused(&app, "/api/v1/people", json!({ "district": district, "name": "张伟", "phone": "027-87654321" }),
        StatusCode::UNPROCESSABLE_ENTITY, "invalid_phone").await;
    assert_eq!(answer["error"]["details"]["field"], "phone");
    let zhang = created(&app, "/api/v1/people", json!({ "district": district, "name": " 张伟 ", "phone": "+86 138-1234-5678" })).await;
    assert_eq!((zhang["name"].as_str(), zhang["phone"].as_str()), (Some("张伟"), Some("13812345678")));
    let zhang = zhang["id"].as_i64().expect("an id");
    refused(&app, "/api/v1/people", json!({ "district": district, "name": "李娜", "phone": "13812345678" }),
        StatusCode::CONFLICT, "duplicate_phone").await;
    refused(&app, "/api/v1/people", json!({ "district": district + 1000, "name": "李娜", "phone": "13812345679" }),
        StatusCode::NOT_FOUND, "not_found").await;
    let li = person(&app, district, "李娜", "13812345679").await;

    let leader = |person: i64| json!({ "person": person, "role": "grid_leader", "grid": grids[0] });
    refused(&app, "/api/v1/assignments", json!({ "person": 999_999, "role": "grid_leader", "grid": grids[0] }),
        StatusCode::UNPROCESSABLE_ENTITY, "unknown_person").await;
    refused(&app, "/api/v1/assignments", json!({ "person": zhang, "role": "grid_leader", "grid": 999_999 }),
        StatusCode::UNPROCESSABLE_ENTITY, "unknown_grid").await;
    refused(&app, "/api/v1/assignments", json!({ "person": zhang, "role": "grid_leader", "building": 1 }),
        StatusCode::UNPROCESSABLE_ENTITY, "wrong_post").await;
    refused(&app, "/api/v1/assignments", json!({ "person": zhang, "role": "mayor", "grid": grids[0] }),
        StatusCode::UNPROCESSABLE_ENTITY, "invalid_json").await;
    let first = created(&app, "/api/v1/assignments", leader(zhang)).await;
    assert_eq!((first["person"].as_str(), first["grid_ended"].as_bool()), (Some("张伟"), Some(false)));
    let answer = refused(&app, "/api/v1/assignments", leader(li), StatusCode::CONFLICT, "already_assigned").await;
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("张伟")), "names the holder: {answer}");
    refused(&app, "/api/v1/assignments", leader(zhang), StatusCode::CONFLICT, "duplicate_assignment").await;
    // Grid workers may be several.
    created(&app, "/api/v1/assignments", json!({ "person": zhang, "role": "grid_worker", "grid": grids[0] })).await;
    created(&app, "/api/v1/assignments", json!({ "person": li, "role": "grid_worker", "grid": grids[0] })).await;

    // Handing the grid to a new leader ends the old assignment in the same change.
    let replaced = created(&app, "/api/v1/assignments", json!({ "person": li, "role": "grid_leader", "grid": grids[0], "replaces": first["id"] })).await;
    let (status, history) = app.json(&format!("/api/v1/assignments?community={community}&grid={}&history=true", grids[0])).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let leaders: Vec<(&str, bool)> = history["assignments"].as_array().expect("a list").iter()
        .filter(|a| a["role"] == "grid_leader")
        .map(|a| (a["person"].as_str().unwrap_or_default(), a["valid_to"].is_null()))
        .collect();
    assert_eq!(leaders, [("李娜", true), ("张伟", false)]);
    let (_, current) = app.json(&format!("/api/v1/assignments?community={community}&grid={}", grids[0])).await;
    assert_eq!(current["assignments"].as_array().map(Vec::len), Some(3), "the ended one is history: {current}");

    let uri = format!("/api/v1/assignments/{}/end", replaced["id"]);
    let (status, ended) = app.post_json(&uri, &json!({ "reason": "调离" })).await;
    assert_eq!((status, ended["end_reason"].as_str()), (StatusCode::OK, Some("调离")), "{ended}");
    refused(&app, &uri, json!({}), StatusCode::CONFLICT, "already_ended").await;
    refused(&app, "/api/v1/assignments/999999/end", json!({}), StatusCode::NOT_FOUND, "not_found").await;

    // The history cannot be rewritten, not even in SQL.
    let rewrite = sqlx::query("update assignments set person_id = $1 where id = $2").bind(zhang).bind(replaced["id"].as_i64()).execute(&app.pool).await;
    assert!(rewrite.is_err(), "an ended assignment is kept as it was");
    assert!(sqlx::query("delete from assignments").execute(&app.pool).await.is_err());

    let audited: i64 = sqlx::query_scalar("select count(*) from audit_log where action like 'assignment.%' and $1 = any(communities)")
        .bind(community)
        .fetch_one(&app.pool)
        .await
        .expect("audit");
    assert_eq!(audited, 5, "every start and end is audited in the grid's community");
}

#[tokio::test]
async fn routing_follows_the_tier_the_smallest_zone_and_falls_to_the_office() {
    let (app, community, district) = published_app().await;
    let org = |kind: &str, name: &str| json!({ "district": district, "kind": kind, "name": name });
    let office = created(&app, "/api/v1/organisations", org("district_office", "关山街道办事处")).await;
    refused(&app, "/api/v1/organisations", org("district_office", "另一个办事处"), StatusCode::CONFLICT, "duplicate_organisation").await;
    let clerk = person(&app, district, "王芳", "13900000001").await;
    let (status, _) = app.patch_json(&format!("/api/v1/organisations/{}", office["id"]), &json!({ "contact": clerk })).await;
    assert_eq!(status, StatusCode::OK);
    created(&app, "/api/v1/organisations", json!({ "district": district, "kind": "community_committee", "name": "居委会", "community": community })).await;
    let big = created(&app, "/api/v1/organisations", org("partner_unit", "区交通运输局")).await;
    let small = created(&app, "/api/v1/organisations", org("partner_unit", "光谷第一小学")).await;
    let works = created(&app, "/api/v1/organisations", org("department", "区市政设施管理处")).await;

    // A point, a disc of ~50 m around it, a point of the community outside the disc.
    let (inner, disc, outer, whole): (String, String, String, String) = sqlx::query_as(
        "with c as (select boundary, st_pointonsurface(boundary) as p from communities where id = $1)
         select st_asgeojson(p), st_asgeojson(st_buffer(p, 0.0005), 7),
                st_asgeojson(st_pointonsurface(st_difference(boundary, st_buffer(p, 0.002)))),
                st_asgeojson(boundary, 7) from c",
    )
    .bind(community)
    .fetch_one(&app.pool)
    .await
    .expect("shapes");
    let point = |text: &str| -> (f64, f64) {
        let v: Value = serde_json::from_str(text).expect("geojson");
        (v["coordinates"][0].as_f64().unwrap_or_default(), v["coordinates"][1].as_f64().unwrap_or_default())
    };
    let zone = |org: &Value, name: &str, area: &str| json!({ "organisation": org["id"], "name": name, "area": serde_json::from_str::<Value>(area).expect("geojson") });
    let route = |(lon, lat): (f64, f64), category: &str| format!("/api/v1/routing?lon={lon}&lat={lat}&category={category}");

    // Outside every zone: the office takes a tier-3 finding, as a fallback.
    let (status, routed) = app.json(&route(point(&inner), "sanitation.clutter")).await;
    assert_eq!(status, StatusCode::OK, "{routed}");
    assert_eq!((routed["reason"].as_str(), routed["organisation"]["id"].as_i64(), routed["fallback"].as_bool()), (Some("no_zone"), office["id"].as_i64(), Some(true)));
    assert_eq!(routed["person"]["name"], "王芳");

    // The small zone is adopted after the big one, yet inside both the smaller one wins.
    created(&app, "/api/v1/zones", zone(&big, "全社区", &whole)).await;
    let school = created(&app, "/api/v1/zones", zone(&small, "校园周边", &disc)).await;
    let (_, routed) = app.json(&route(point(&inner), "sanitation.clutter")).await;
    assert_eq!((routed["reason"].as_str(), routed["organisation"]["id"].as_i64(), routed["zone"]["id"].as_i64()), (Some("zone"), small["id"].as_i64(), school["id"].as_i64()), "{routed}");
    let (_, routed) = app.json(&route(point(&outer), "sanitation.clutter")).await;
    assert_eq!(routed["organisation"]["id"], big["id"], "{routed}");

    // The same place sent in GCJ-02 routes the same.
    let (lon, lat) = point(&inner);
    let (gcj_lon, gcj_lat) = wangge::spatial::datum::Crs::Gcj02.from_wgs84(lon, lat);
    let (_, routed) = app.json(&format!("/api/v1/routing?lon={gcj_lon}&lat={gcj_lat}&crs=gcj02&category=sanitation.clutter")).await;
    assert_eq!(routed["organisation"]["id"], small["id"], "{routed}");

    // Tier 1: the committee; tier 2: the office; tier 4 without a department: reported, not dropped.
    let (_, routed) = app.json(&route(point(&inner), "sanitation.dead_spot")).await;
    assert_eq!((routed["tier"].as_u64(), routed["reason"].as_str(), routed["deadline"]["unit"].as_str()), (Some(1), Some("community_committee"), Some("same_day")));
    let (_, routed) = app.json(&route(point(&inner), "order.illegal_construction")).await;
    assert_eq!((routed["reason"].as_str(), routed["fallback"].as_bool()), (Some("district_office"), Some(false)));
    let (_, routed) = app.json(&route(point(&inner), "facilities.street_light")).await;
    assert_eq!((routed["reason"].as_str(), routed["unhandled"].as_bool(), routed["organisation"]["id"].as_i64()), (Some("no_department"), Some(true), office["id"].as_i64()));
    let uri = format!("/api/v1/organisations/{}/categories", works["id"]);
    let (status, body) = app.put_json(&uri, &json!({ "categories": ["facilities.street_light"] })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, routed) = app.json(&route(point(&inner), "facilities.street_light")).await;
    assert_eq!((routed["reason"].as_str(), routed["organisation"]["id"].as_i64()), (Some("department"), works["id"].as_i64()));

    // A category edited to tier 4 follows its new rule.
    let (status, edited) = app.patch_json("/api/v1/categories/sanitation.clutter", &json!({ "tier": 4, "deadline": { "unit": "working_hours", "amount": 6 } })).await;
    assert_eq!((status, edited["tier"].as_u64()), (StatusCode::OK, Some(4)), "{edited}");
    let (_, routed) = app.json(&route(point(&inner), "sanitation.clutter")).await;
    assert_eq!((routed["reason"].as_str(), routed["deadline"]["amount"].as_u64()), (Some("no_department"), Some(6)));

    // Bad questions.
    for (uri, status, code) in [
        (route((100.0, 30.0), "order.noise"), StatusCode::UNPROCESSABLE_ENTITY, "outside_communities"),
        (route(point(&inner), "sanitation"), StatusCode::UNPROCESSABLE_ENTITY, "category_group"),
        (route(point(&inner), "nope.nothing"), StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"),
        (route((181.0, 30.0), "order.noise"), StatusCode::BAD_REQUEST, "invalid_parameter"),
        ("/api/v1/routing?lon=114&lat=30".to_owned(), StatusCode::BAD_REQUEST, "invalid_parameter"),
    ] {
        let (got, answer) = app.json(&uri).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{uri}: {answer}");
    }
}

#[tokio::test]
async fn zones_refuse_hostile_geometry_and_change_nothing() {
    let (app, community, district) = published_app().await;
    let unit = created(&app, "/api/v1/organisations", json!({ "district": district, "kind": "partner_unit", "name": "共建单位" })).await;
    let (x, y): (f64, f64) = sqlx::query_as("select st_x(p), st_y(p) from (select st_pointonsurface(boundary) p from communities where id = $1) c")
        .bind(community)
        .fetch_one(&app.pool)
        .await
        .expect("a point");
    let zone = |area: Value| json!({ "organisation": unit["id"], "name": "责任区", "area": area });
    let polygon = |ring: Vec<[f64; 2]>| json!({ "type": "Polygon", "coordinates": [ring] });
    let d = 0.0003;
    let bowtie = polygon(vec![[x, y], [x + d, y + d], [x + d, y], [x, y + d], [x, y]]);
    let answer = refused(&app, "/api/v1/zones", zone(bowtie), StatusCode::UNPROCESSABLE_ENTITY, "invalid_geometry").await;
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("Self-intersection")), "{answer}");
    for (area, code) in [
        (polygon(vec![[x, y], [x + d, y], [x, y]]), "invalid_geometry"),
        (polygon(vec![[x, y], [x + d, y], [x + d, y + d], [x, y + d]]), "invalid_geometry"),
        (polygon(vec![[x, y], [x + 200.0, y], [x + d, y + d], [x, y]]), "invalid_geometry"),
        (json!({ "type": "Point", "coordinates": [x, y] }), "invalid_geometry"),
        (json!({ "type": "GeometryCollection", "geometries": [] }), "invalid_geometry"),
        (polygon(vec![[x + 1.0, y], [x + 1.0 + d, y], [x + 1.0 + d, y + d], [x + 1.0, y]]), "outside_district"),
    ] {
        refused(&app, "/api/v1/zones", zone(area), StatusCode::UNPROCESSABLE_ENTITY, code).await;
    }
    let mut many: Vec<[f64; 2]> = (0..10_001).map(|i| [x + d * (i as f64 / 10_001.0), y + d * ((i % 2) as f64) * 1e-3]).collect();
    many.push(many[0]);
    let answer = refused(&app, "/api/v1/zones", zone(polygon(many)), StatusCode::UNPROCESSABLE_ENTITY, "invalid_geometry").await;
    assert!(answer["error"]["message"].as_str().is_some_and(|m| m.contains("vertices")), "{answer}");

    // What JSON itself refuses: NaN, nesting deeper than the parser allows, a body over the limit.
    let before = stored(&app).await;
    let raw = |body: String| app.send(Request::post("/api/v1/zones").header("content-type", "application/json"), body);
    let nan = format!(r#"{{"organisation": {}, "name": "z", "area": {{"type": "Polygon", "coordinates": [[[NaN, 30]]]}}}}"#, unit["id"]);
    assert_eq!(raw(nan).await.0, StatusCode::BAD_REQUEST);
    let deep = format!(r#"{{"organisation": {}, "name": "z", "area": {{"type": "Polygon", "coordinates": {}{}}}}}"#, unit["id"], "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(raw(deep).await.0, StatusCode::BAD_REQUEST);
    let huge: Vec<String> = (0..1_000_000).map(|i| format!("[{:.7},{y}]", x + i as f64 * 1e-9)).collect();
    let huge = format!(r#"{{"organisation": {}, "name": "z", "area": {{"type": "Polygon", "coordinates": [[{}]]}}}}"#, unit["id"], huge.join(","));
    assert_eq!(raw(huge).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(stored(&app).await, before);

    // A zone of grids must name grids in force of its sub-district, and a co-building unit.
    let grids = grid_ids(&app, community).await;
    refused(&app, "/api/v1/zones", json!({ "organisation": unit["id"], "name": "z", "grids": [grids[0], grids[0]] }), StatusCode::UNPROCESSABLE_ENTITY, "duplicate_grid").await;
    refused(&app, "/api/v1/zones", json!({ "organisation": unit["id"], "name": "z", "grids": [999_999] }), StatusCode::UNPROCESSABLE_ENTITY, "unknown_grid").await;
    refused(&app, "/api/v1/zones", json!({ "organisation": unit["id"], "name": "z" }), StatusCode::UNPROCESSABLE_ENTITY, "zone_shape").await;
    let office = created(&app, "/api/v1/organisations", json!({ "district": district, "kind": "district_office", "name": "办事处" })).await;
    refused(&app, "/api/v1/zones", json!({ "organisation": office["id"], "name": "z", "grids": [grids[0]] }), StatusCode::UNPROCESSABLE_ENTITY, "wrong_kind").await;
    let square = polygon(vec![[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]);
    let kept = created(&app, "/api/v1/zones", zone(square)).await;
    assert!(kept["area_m2"].as_f64().is_some_and(|a| a > 500.0), "{kept}");
}

async fn coverage(app: &App, community: i64) -> Value {
    let (status, body) = app.json(&format!("/api/v1/communities/{community}/coverage")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn coverage_shows_gaps_and_workload_and_assignments_follow_a_republished_plan() {
    let (app, community, district) = published_app().await;
    let grids = grid_ids(&app, community).await;
    assert!(grids.len() >= 3, "the demo community has several grids");
    let before = coverage(&app, community).await;
    let gaps = |c: &Value, key: &str| c[key].as_array().map_or(0, Vec::len);
    assert_eq!(gaps(&before, "grids_without_leader"), grids.len());
    assert_eq!(gaps(&before, "unadopted_grids"), grids.len());
    assert!(before["unadopted_area"]["type"] == "MultiPolygon", "{}", before["unadopted_area"]);

    let leader = person(&app, district, "刘洋", "13700000001").await;
    created(&app, "/api/v1/assignments", json!({ "person": leader, "role": "grid_leader", "grid": grids[0] })).await;
    let (building, households): (i64, i32) =
        sqlx::query_as("select id, households from buildings where community_id = $1 and households > 0 and coalesce(units, 0) = 0 order by id limit 1")
            .bind(community)
            .fetch_one(&app.pool)
            .await
            .expect("a building");
    let keeper = person(&app, district, "陈静", "13700000002").await;
    created(&app, "/api/v1/assignments", json!({ "person": keeper, "role": "building_leader", "building": building })).await;
    let unit = created(&app, "/api/v1/organisations", json!({ "district": district, "kind": "partner_unit", "name": "区交通运输局" })).await;
    created(&app, "/api/v1/zones", json!({ "organisation": unit["id"], "name": "包保片区", "grids": [grids[1]] })).await;

    let after = coverage(&app, community).await;
    assert_eq!(gaps(&after, "grids_without_leader"), grids.len() - 1);
    assert!(!after["grids_without_leader"].as_array().expect("a list").iter().any(|g| g["id"] == grids[0]));
    assert_eq!(gaps(&after, "buildings_without_leader"), gaps(&before, "buildings_without_leader") - 1);
    assert_eq!(gaps(&after, "unadopted_grids"), grids.len() - 1);
    let (grid_households,): (i32,) = sqlx::query_as(
        "select pg.households from grids g join plan_grids pg on pg.plan_id = g.plan_id and pg.code = g.code where g.id = $1",
    )
    .bind(grids[0])
    .fetch_one(&app.pool)
    .await
    .expect("households");
    let load = |c: &Value, id: i64| c["workload"].as_array().expect("a list").iter().find(|w| w["person_id"] == id).map(|w| w["households"].as_i64());
    assert_eq!(load(&after, leader), Some(Some(i64::from(grid_households))));
    assert_eq!(load(&after, keeper), Some(Some(i64::from(households))));

    // Re-publish with grids 1 and 2 merged: grid 1 keeps its code and its leader; grid 2's
    // leader waits to be settled, and is settled by moving to another grid.
    let moved_leader = person(&app, district, "赵敏", "13700000003").await;
    let stale = created(&app, "/api/v1/assignments", json!({ "person": moved_leader, "role": "grid_leader", "grid": grids[1] })).await;
    let published: i64 = sqlx::query_scalar("select id from plans where community_id = $1 and status = 'published'")
        .bind(community)
        .fetch_one(&app.pool)
        .await
        .expect("the plan");
    let (status, draft) = app.post_json(&format!("/api/v1/plans/{published}/copy"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let (status, merged) = app.post_json(&format!("/api/v1/plans/{}/edits", draft["id"]), &json!({ "op": "merge", "grids": [1, 2] })).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    let (status, republished) = app.post_json(&format!("/api/v1/plans/{}/publish", draft["id"]), &json!({ "force": true })).await;
    assert_eq!(status, StatusCode::OK, "{republished}");

    let now = grid_ids(&app, community).await;
    assert!(now.contains(&grids[0]) && !now.contains(&grids[1]), "grid 1 kept its register row, grid 2 ended");
    let settled = coverage(&app, community).await;
    assert!(!settled["grids_without_leader"].as_array().expect("a list").iter().any(|g| g["id"] == grids[0]), "the leader followed");
    let unsettled: Vec<i64> = settled["unsettled"].as_array().expect("a list").iter().filter_map(|a| a["id"].as_i64()).collect();
    assert_eq!(unsettled, [stale["id"].as_i64().expect("an id")]);
    let target = *now.iter().find(|g| **g != grids[0]).expect("another grid");
    created(&app, "/api/v1/assignments", json!({ "person": moved_leader, "role": "grid_leader", "grid": target, "replaces": stale["id"] })).await;
    assert_eq!(gaps(&coverage(&app, community).await, "unsettled"), 0);
    // A grid that ended takes no new assignment.
    refused(&app, "/api/v1/assignments", json!({ "person": keeper, "role": "grid_worker", "grid": grids[1] }), StatusCode::UNPROCESSABLE_ENTITY, "grid_ended").await;
}

#[tokio::test]
async fn each_role_reads_or_changes_only_what_it_may() {
    let (mut app, community, district) = published_app().await;
    let other_district: i64 = sqlx::query_scalar("insert into districts (name, source, source_id) values ('别处街道', 'test', 'x') returning id")
        .fetch_one(&app.pool)
        .await
        .expect("a district");
    let stranger: i64 = sqlx::query_scalar("insert into people (district_id, name, phone) values ($1, '外人', '13600000000') returning id")
        .bind(other_district)
        .fetch_one(&app.pool)
        .await
        .expect("a person");
    let (status, _) = app.json(&format!("/api/v1/people/{stranger}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a person of another sub-district is not found");
    let (status, _) = app.json(&format!("/api/v1/people?district={other_district}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    refused(&app, "/api/v1/assignments", json!({ "person": stranger, "role": "grid_worker", "grid": grid_ids(&app, community).await[0] }),
        StatusCode::UNPROCESSABLE_ENTITY, "unknown_person").await;

    let name: String = sqlx::query_scalar("select name from communities where id = $1").bind(community).fetch_one(&app.pool).await.expect("a name");
    app.add_user("leader1", Role::Leader, &["district:关山街道"]).await;
    app.add_user("planner1", Role::Planner, &[&format!("community:{name}")]).await;
    app.add_user("inspector1", Role::Inspector, &[&format!("community:{name}")]).await;
    let reads = [
        format!("/api/v1/people?district={district}"),
        format!("/api/v1/organisations?district={district}"),
        format!("/api/v1/zones?district={district}"),
        format!("/api/v1/assignments?community={community}"),
        format!("/api/v1/communities/{community}/coverage"),
        format!("/api/v1/communities/{community}/grids"),
    ];
    let write = json!({ "district": district, "name": "新人", "phone": "13500000000" });
    for (user, may_read) in [("leader1", true), ("planner1", true), ("inspector1", false)] {
        app.sign_in(user).await;
        for uri in &reads {
            let (status, _) = app.get(uri).await;
            assert_eq!(status == StatusCode::OK, may_read, "{user} GET {uri}: {status}");
            if !may_read {
                assert_eq!(status, StatusCode::FORBIDDEN);
            }
        }
        let (status, _) = app.json("/api/v1/categories").await;
        assert_eq!(status, StatusCode::OK, "{user} reads the categories");
        refused(&app, "/api/v1/people", write.clone(), StatusCode::FORBIDDEN, "forbidden").await;
        let (status, _) = app.patch_json("/api/v1/categories/order.noise", &json!({ "tier": 2 })).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
