//! Grid plans through the HTTP API on a real PostGIS: generate, edit, undo/redo, validate,
//! publish, codes kept across re-generation, diff, the equivalency CSV, and what is refused.

use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use wangge::auth::role::Role;
use wangge::demo::{DemoOptions, generate};

use super::http::{App, error_code};

/// The demo with two communities, signed in as a planner of the first; returns the app and the
/// two community ids.
async fn demo_app() -> (App, i64, i64) {
    let mut app = App::with(&[generate(&DemoOptions { communities: 2, seed: 42 })]).await;
    let ids: Vec<(i64, String)> =
        sqlx::query_as("select id, name from communities order by id").fetch_all(&app.pool).await.expect("communities");
    app.add_user("planner1", Role::Planner, &[&format!("community:{}", ids[0].1)]).await;
    app.sign_in("planner1").await;
    (app, ids[0].0, ids[1].0)
}

async fn generate_plan(app: &App, community: i64) -> Value {
    let (status, plan) = app.post_json(&format!("/api/v1/communities/{community}/plans"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    plan
}

fn grid(plan: &Value, number: u64) -> &Value {
    plan["grids"].as_array().expect("grids").iter().find(|g| g["number"] == number).expect("the grid")
}

/// A building of the plan's grid `number` and its households.
async fn building_in(app: &App, plan: i64, number: i64) -> (i64, i64) {
    sqlx::query_as(
        "select p.building_id, p.households::bigint from plan_parcels p
         where p.plan_id = $1 and p.grid = $2 and p.part = 'whole' and p.households > 0 order by p.building_id limit 1",
    )
    .bind(plan)
    .bind(number as i32)
    .fetch_one(&app.pool)
    .await
    .expect("a building")
}

async fn post(app: &App, uri: &str, body: Value) -> (StatusCode, Value) {
    app.post_json(uri, &body).await
}

#[tokio::test]
async fn a_generated_plan_is_within_bounds_and_its_grids_tile_the_community() {
    let (app, community, _) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    assert_eq!(plan["status"], "draft");
    assert_eq!(plan["feasible"], true, "{plan}");
    let grids = plan["grids"].as_array().unwrap();
    assert!(grids.len() >= 2);
    for g in grids {
        let households = g["households"].as_u64().unwrap();
        assert!((300..=700).contains(&households), "{g}");
        assert_eq!(g["connected"], true);
        assert_eq!(g["code"].as_str().unwrap().len(), 15);
    }
    let total: u64 = grids.iter().map(|g| g["households"].as_u64().unwrap()).sum();
    let community_households: i64 =
        sqlx::query_scalar("select sum(households)::bigint from buildings where community_id = $1")
            .bind(community)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(total as i64, community_households);
    assert_eq!(plan["unassigned_households"], 0);
    assert!(plan["violations"].as_array().unwrap().is_empty());

    // The polygons tile the community: their areas add up to the union's and to the boundary's.
    let (sum, union, boundary, pieces): (f64, f64, f64, i64) = sqlx::query_as(
        "select sum(st_area(g.boundary::geography)), st_area(st_union(g.boundary)::geography),
                (select st_area(boundary::geography) from communities where id = $2), count(g.boundary)
         from plan_grids g where g.plan_id = $1",
    )
    .bind(plan["id"].as_i64().unwrap())
    .bind(community)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(pieces as usize, grids.len());
    assert!((sum - union).abs() / union < 1e-6, "overlap: {sum} vs {union}");
    assert!((union - boundary).abs() / boundary < 1e-6, "gap: {union} vs {boundary}");

    // Codes read west→east in rows from north to south: the first grid's code ends in 001.
    assert!(grid(&plan, 1)["code"].as_str().unwrap().ends_with("001"));
    let (status, geojson) = app.json(&format!("/api/v1/plans/{}/grids", plan["id"])).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(geojson["features"].as_array().unwrap().len(), grids.len());
    assert_eq!(geojson["features"][0]["geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn moving_a_building_changes_both_tallies_and_undo_redo_restore_them() {
    let (app, community, _) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let (building, households) = building_in(&app, id, 1).await;
    let before = (grid(&plan, 1)["households"].as_i64().unwrap(), grid(&plan, 2)["households"].as_i64().unwrap());
    assert_eq!(plan["can_undo"], false);

    let (status, moved) = post(
        &app,
        &format!("/api/v1/plans/{id}/edits"),
        json!({"op": "move", "parcels": [{"building": building}], "to": 2}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(grid(&moved, 1)["households"].as_i64().unwrap(), before.0 - households);
    assert_eq!(grid(&moved, 2)["households"].as_i64().unwrap(), before.1 + households);
    assert_eq!((moved["can_undo"].as_bool(), moved["can_redo"].as_bool()), (Some(true), Some(false)));
    let (_, buildings) = app.json(&format!("/api/v1/plans/{id}/buildings")).await;
    let feature = buildings["features"].as_array().unwrap().iter().find(|f| f["id"] == building).unwrap();
    assert_eq!(feature["properties"]["grid"], 2);

    let (status, undone) = post(&app, &format!("/api/v1/plans/{id}/undo"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{undone}");
    assert_eq!(grid(&undone, 1)["households"].as_i64().unwrap(), before.0);
    assert_eq!((undone["can_undo"].as_bool(), undone["can_redo"].as_bool()), (Some(false), Some(true)));
    let (status, body) = post(&app, &format!("/api/v1/plans/{id}/undo"), json!({})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "conflict"));

    let (status, redone) = post(&app, &format!("/api/v1/plans/{id}/redo"), json!({})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grid(&redone, 2)["households"].as_i64().unwrap(), before.1 + households);

    // Every edit is in the plan's history and in the audit log.
    let edits: i64 = sqlx::query_scalar("select count(*) from plan_edits where plan_id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(edits, 2);
    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_log where object_type = 'plan' order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["plan.generate", "plan.edit", "plan.undo", "plan.redo"]);
}

#[tokio::test]
async fn split_merge_rename_and_lock() {
    let (app, community, _) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let count = plan["grids"].as_array().unwrap().len();
    let (building, households) = building_in(&app, id, 1).await;
    let edits = format!("/api/v1/plans/{id}/edits");

    let (status, split) = post(&app, &edits, json!({"op": "split", "parcels": [{"building": building}]})).await;
    assert_eq!(status, StatusCode::OK, "{split}");
    let new = split["grids"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(split["grids"].as_array().unwrap().len(), count + 1);
    assert_eq!(new["households"].as_i64(), Some(households));
    assert_eq!(new["status"], "under");
    // A fresh code: one above the plan's largest.
    assert_eq!(new["code"].as_str().unwrap()[12..].parse::<usize>().unwrap(), count + 1);
    let violation = split["violations"].as_array().unwrap().iter().find(|v| v["grid"] == new["number"]).unwrap();
    assert_eq!(violation["kind"], "under");
    let (_, validated) = app.json(&format!("/api/v1/plans/{id}/validate")).await;
    assert_eq!(validated["valid"], false);

    let (status, merged) = post(&app, &edits, json!({"op": "merge", "grids": [1, new["number"]]})).await;
    assert_eq!(status, StatusCode::OK, "{merged}");
    assert_eq!(merged["grids"].as_array().unwrap().len(), count);
    assert_eq!(grid(&merged, 1)["households"], grid(&plan, 1)["households"]);

    let (status, renamed) = post(&app, &edits, json!({"op": "rename", "grid": 1, "name": "东湖网格"})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grid(&renamed, 1)["name"], "东湖网格");

    let (status, locked) = post(&app, &edits, json!({"op": "lock", "grid": 1, "locked": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(grid(&locked, 1)["locked"], true);
    let (status, body) = post(&app, &edits, json!({"op": "move", "parcels": [{"building": building}], "to": 2})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "grid_locked"));
    assert!(body["error"]["message"].as_str().unwrap().contains("locked"), "{body}");
    let (_, all) = post(&app, &edits, json!({"op": "lock", "locked": false})).await;
    assert!(all["grids"].as_array().unwrap().iter().all(|g| g["locked"] == false));
}

#[tokio::test]
async fn bad_edits_are_refused_and_change_nothing() {
    let (app, community, other) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let edits = format!("/api/v1/plans/{id}/edits");
    let foreign: i64 = sqlx::query_scalar("select id from buildings where community_id = $1 limit 1")
        .bind(other)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let everything_in_1: Vec<Value> =
        sqlx::query_scalar::<_, i64>("select distinct building_id from plan_parcels where plan_id = $1 and grid = 1")
            .bind(id)
            .fetch_all(&app.pool)
            .await
            .unwrap()
            .into_iter()
            .map(|b| json!({"building": b}))
            .collect();
    let cases = [
        (
            json!({"op": "move", "parcels": [{"building": 999_999_999}], "to": 2}),
            "unknown_building",
            "building 999999999 is not in this plan's community",
        ),
        (
            json!({"op": "move", "parcels": [{"building": foreign}], "to": 2}),
            "unknown_building",
            "is not in this plan's community",
        ),
        (
            json!({"op": "move", "parcels": everything_in_1, "to": 2}),
            "would_empty_grid",
            "empty; merge it into another grid instead",
        ),
        (
            json!({"op": "move", "parcels": [{"building": foreign}], "to": 99}),
            "unknown_grid",
            "this plan has no grid 99",
        ),
        (json!({"op": "merge", "grids": [1]}), "invalid_merge", "a merge names two grids"),
        (json!({"op": "rename", "grid": 1, "name": ""}), "invalid_name", "1 to 60 characters"),
    ];
    for (edit, code, message) in &cases {
        let (status, body) = post(&app, &edits, edit.clone()).await;
        assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, *code), "{edit}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains(message), "{edit}: {body}");
    }
    for (body, status) in [
        (r#"{"op": "move", "parcels": [{"building": 1}], "to": 2"#, StatusCode::BAD_REQUEST),
        (r#"{"op": "explode"}"#, StatusCode::UNPROCESSABLE_ENTITY),
        (
            r#"{"op": "move", "parcels": [{"building": "1; drop table plans"}], "to": 2}"#,
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let request = Request::post(&edits).header("content-type", "application/json");
        let (answer, bytes) = app.send(request, body.to_owned()).await;
        assert_eq!(answer, status, "{body}: {}", String::from_utf8_lossy(&bytes));
    }
    let (_, after) = app.json(&format!("/api/v1/plans/{id}")).await;
    assert_eq!(after["grids"], plan["grids"]);
    assert_eq!(after["can_undo"], false);

    // Unknown plans and plans outside the planner's area are not found.
    let (status, _) = app.json("/api/v1/plans/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = post(&app, &format!("/api/v1/communities/{other}/plans"), json!({})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = post(&app, &format!("/api/v1/communities/{community}/plans"), json!({"min": 800})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
}

/// These answered 500 before (a bound beyond the plan's integer columns, text PostgreSQL cannot
/// store), or kept a core busy for many minutes (a target making thousands of grids).
#[tokio::test]
async fn impossible_bounds_and_nul_characters_are_refused_before_any_work() {
    let (app, community, _) = demo_app().await;
    let plans = format!("/api/v1/communities/{community}/plans");
    for (bounds, field) in [
        (json!({"min": 1, "target": 1, "max": 3_000_000_000u32}), "max"),
        (json!({"min": 1, "target": 1, "max": 1}), "target"),
    ] {
        let (status, body) = post(&app, &plans, bounds.clone()).await;
        let answer = (status, error_code(&body), body["error"]["details"]["field"].as_str());
        assert_eq!(answer, (StatusCode::UNPROCESSABLE_ENTITY, "invalid_request", Some(field)), "{bounds}: {body}");
    }
    let (status, body) = post(&app, &plans, json!({"note": "a\u{0}b"})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_text"), "{body}");
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let rename = json!({"op": "rename", "grid": 1, "name": "a\u{0}b"});
    let (status, body) = post(&app, &format!("/api/v1/plans/{id}/edits"), rename).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_text"), "{body}");
    let (_, after) = app.json(&format!("/api/v1/plans/{id}")).await;
    assert_eq!(after["grids"], plan["grids"]);
}

#[tokio::test]
async fn publishing_puts_one_plan_in_force_and_regeneration_keeps_codes() {
    let (app, community, _) = demo_app().await;
    let first = generate_plan(&app, community).await;
    let id = first["id"].as_i64().unwrap();
    let (status, published) = post(&app, &format!("/api/v1/plans/{id}/publish"), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    assert_eq!(published["status"], "published");
    let codes = |plan: &Value| plan["grids"].as_array().unwrap().iter().map(|g| g["code"].clone()).collect::<Vec<_>>();
    let register: Vec<(String, Option<chrono::NaiveDate>)> =
        sqlx::query_as("select code, ended_on from grids order by code").fetch_all(&app.pool).await.unwrap();
    assert_eq!(register.len(), codes(&first).len());
    assert!(register.iter().all(|(_, ended)| ended.is_none()));

    // A published plan is not edited: edits go to a copy.
    let (status, body) =
        post(&app, &format!("/api/v1/plans/{id}/edits"), json!({"op": "rename", "grid": 1, "name": "x"})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::CONFLICT, "conflict"));
    let (status, copy) = post(&app, &format!("/api/v1/plans/{id}/copy"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!((copy["status"].as_str(), copy["based_on"].as_i64()), (Some("draft"), Some(id)));
    assert_eq!(codes(&copy), codes(&first));

    // Re-generated with another seed, the plan moves no household and keeps every code.
    let (status, again) = post(&app, &format!("/api/v1/communities/{community}/plans"), json!({"seed": 9})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again["moved_households"], 0);
    assert_eq!(codes(&again), codes(&first));

    // Move one building in the copy, publish it: the diff names that building; the first plan is archived.
    let copy_id = copy["id"].as_i64().unwrap();
    let (building, households) = building_in(&app, copy_id, 1).await;
    post(
        &app,
        &format!("/api/v1/plans/{copy_id}/edits"),
        json!({"op": "move", "parcels": [{"building": building}], "to": 2}),
    )
    .await;
    let (_, diff) = app.json(&format!("/api/v1/plans/{id}/diff/{copy_id}")).await;
    assert_eq!(diff["changes"].as_array().unwrap().len(), 1, "{diff}");
    assert_eq!(diff["changes"][0]["building"], building);
    assert_eq!(diff["moved_households"].as_i64(), Some(households));
    let (status, _) = post(&app, &format!("/api/v1/plans/{copy_id}/publish"), json!({"force": true})).await;
    assert_eq!(status, StatusCode::OK);
    let (_, list) = app.json(&format!("/api/v1/communities/{community}/plans")).await;
    let statuses: Vec<(i64, String)> = list["plans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["status"].as_str().unwrap().to_owned()))
        .collect();
    assert!(
        statuses.contains(&(id, "archived".into())) && statuses.contains(&(copy_id, "published".into())),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn a_plan_with_violations_is_published_only_when_forced() {
    let (app, community, _) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let (building, _) = building_in(&app, id, 1).await;
    post(&app, &format!("/api/v1/plans/{id}/edits"), json!({"op": "split", "parcels": [{"building": building}]})).await;
    let (status, body) = post(&app, &format!("/api/v1/plans/{id}/publish"), json!({})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "plan_has_violations"));
    assert_eq!(body["error"]["details"]["violations"][0]["kind"], "under");
    let published: Option<i64> =
        sqlx::query_scalar("select id from plans where status = 'published'").fetch_optional(&app.pool).await.unwrap();
    assert_eq!(published, None);
    let (status, forced) = post(&app, &format!("/api/v1/plans/{id}/publish"), json!({"force": true})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(forced["status"], "published");
}

#[tokio::test]
async fn the_equivalency_csv_round_trips_and_bad_rows_name_their_line() {
    let (app, community, _) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let (status, csv) = app.get(&format!("/api/v1/plans/{id}/export.csv")).await;
    assert_eq!(status, StatusCode::OK);
    let csv = String::from_utf8(csv).unwrap();
    assert!(csv.starts_with("building,grid\n"));

    let import = |body: String| {
        let request =
            Request::post(format!("/api/v1/communities/{community}/plans/import")).header("content-type", "text/csv");
        app.send(request, body)
    };
    let (status, bytes) = import(csv.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{}", String::from_utf8_lossy(&bytes));
    let imported: Value = serde_json::from_slice(&bytes).unwrap();
    let (_, diff) = app.json(&format!("/api/v1/plans/{id}/diff/{}", imported["id"])).await;
    assert_eq!(diff["changes"], json!([]), "{diff}");

    let first_row = csv.lines().nth(1).unwrap();
    for (body, message) in [
        ("building,grid\nnope,420111001001001\n".to_owned(), "line 2: no building «nope»"),
        (format!("{first_row}\n{first_row}\n"), "line 2: building"),
        ("building,grid\nx,12345\n".to_owned(), "line 2: «12345» is not a 15-digit grid code"),
        ("building,grid\n".to_owned(), "no rows"),
    ] {
        let (status, bytes) = import(body.clone()).await;
        let answer: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {answer}");
        assert!(answer["error"]["message"].as_str().unwrap().contains(message), "{body}: {answer}");
    }
}

#[tokio::test]
async fn who_may_read_and_change_plans() {
    let (mut app, community, _) = demo_app().await;
    let plan = generate_plan(&app, community).await;
    let id = plan["id"].as_i64().unwrap();
    let district: String = sqlx::query_scalar("select name from districts limit 1").fetch_one(&app.pool).await.unwrap();
    app.add_user("leader1", Role::Leader, &[&format!("district:{district}")]).await;
    app.add_user("inspector1", Role::Inspector, &[&format!("district:{district}")]).await;
    app.sign_in("leader1").await;
    let (status, _) = app.json(&format!("/api/v1/plans/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = post(&app, &format!("/api/v1/plans/{id}/publish"), json!({})).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"));
    app.sign_in("inspector1").await;
    let (status, _) = app.json(&format!("/api/v1/communities/{community}/plans")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.token = None;
    let (status, _) = app.json(&format!("/api/v1/plans/{id}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_plan_job_generates_every_community_in_the_background() {
    let (mut app, first, second) = demo_app().await;
    let district: String = sqlx::query_scalar("select name from districts limit 1").fetch_one(&app.pool).await.unwrap();
    app.add_user("planner2", Role::Planner, &[&format!("district:{district}")]).await;
    app.sign_in("planner2").await;
    let (status, job) = post(&app, "/api/v1/plan-jobs", json!({"all": true, "seed": 3})).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["communities"], json!([first, second]));
    let uri = format!("/api/v1/plan-jobs/{}", job["id"]);
    let mut finished = Value::Null;
    for _ in 0..600 {
        let (_, now) = app.json(&uri).await;
        if now["status"] == "done" {
            finished = now;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(finished["done"], 2, "{finished}");
    assert_eq!(finished["plans"].as_array().unwrap().len(), 2);
    assert_eq!(finished["errors"], json!([]));

    for (body, status) in [
        (json!({"communities": [999_999]}), StatusCode::NOT_FOUND),
        (json!({"communities": []}), StatusCode::BAD_REQUEST),
        (json!({"all": true, "communities": [first]}), StatusCode::BAD_REQUEST),
        (json!({"all": true, "colour": "red"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (answer, error) = post(&app, "/api/v1/plan-jobs", body.clone()).await;
        assert_eq!(answer, status, "{body}: {error}");
    }
    // Another planner does not see the job.
    app.sign_in("planner1").await;
    let (status, _) = app.json(&uri).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_administrator_reads_the_plan_entries_of_their_own_area() {
    let (mut app, first, second) = demo_app().await;
    let names: Vec<String> =
        sqlx::query_scalar("select name from communities order by id").fetch_all(&app.pool).await.unwrap();
    let mine = generate_plan(&app, first).await;
    app.add_user("planner_b", Role::Planner, &[&format!("community:{}", names[1])]).await;
    app.sign_in("planner_b").await;
    generate_plan(&app, second).await;
    app.add_user("admin_a", Role::Admin, &[&format!("community:{}", names[0])]).await;
    app.sign_in("admin_a").await;
    let (status, body) = app.json("/api/v1/audit?action=plan").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let objects: Vec<&str> =
        body["entries"].as_array().unwrap().iter().map(|e| e["object_id"].as_str().unwrap()).collect();
    assert_eq!(objects, vec![mine["id"].to_string()]);
    // The district's administrator (the app's first user) reads both.
    app.sign_in("admin1").await;
    let (_, body) = app.json("/api/v1/audit?action=plan").await;
    assert_eq!(body["entries"].as_array().unwrap().len(), 2);
}
