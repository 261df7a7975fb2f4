//! People and assignments as CSV through the HTTP API on a real PostGIS: exports with a BOM,
//! round trips that change nothing, imports that report every bad line and store nothing then,
//! second grid leaders in the file and against what is stored, roles and areas.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use wangge::auth::role::Role;
use wangge::demo::{DemoOptions, generate};

use super::http::{App, error_code, small_place};

const BOM: &str = "\u{feff}";

/// The small place (one community, one building of three units), signed in as its admin;
/// answers the app and the sub-district's id.
async fn small_app() -> (App, i64) {
    let app = App::with(&[small_place()]).await;
    let district = district_of(&app).await;
    (app, district)
}

async fn district_of(app: &App) -> i64 {
    sqlx::query_scalar("select district_id from communities order by id limit 1")
        .fetch_one(&app.pool)
        .await
        .expect("a community")
}

/// A GET answering a file: status, content type, content disposition, body.
async fn download(app: &App, uri: &str) -> (StatusCode, String, String, String) {
    let mut request = Request::get(uri);
    if let Some(token) = &app.token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = app.router.clone().oneshot(request.body(Body::empty()).expect("request")).await.expect("answers");
    let header = |name| response.headers().get(name).map(|v| v.to_str().expect("ASCII").to_owned()).unwrap_or_default();
    let (status, kind, disposition) = (response.status(), header("content-type"), header("content-disposition"));
    let body = response.into_body().collect().await.expect("body").to_bytes().to_vec();
    (status, kind, disposition, String::from_utf8(body).expect("UTF-8"))
}

async fn upload(app: &App, uri: &str, csv: &str) -> (StatusCode, Value) {
    let (status, body) = app.send(Request::post(uri).header("content-type", "text/csv"), csv.to_owned()).await;
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("{uri}: {e}: {}", String::from_utf8_lossy(&body))))
}

/// `(line, field, code)` of each error of a refused import.
fn errors(body: &Value) -> Vec<(u64, String, String)> {
    body["error"]["details"]["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("a line"),
                e["field"].as_str().expect("a field").to_owned(),
                e["code"].as_str().expect("a code").to_owned(),
            )
        })
        .collect()
}

fn error_at(body: &Value, line: u64) -> &Value {
    body["error"]["details"]["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["line"] == line)
        .expect("an error there")
}

async fn count(app: &App, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(&app.pool).await.expect("counts")
}

const PEOPLE: &str = "name,phone,organisation,organisation_kind,party_member\r\n\
                      张伟,13812345678,交通运输局,partner_unit,true\r\n\
                      李娜,+86 139-1234-5678,交通运输局,,false\r\n\
                      王芳,13712345678,城管执法中队,department,是\r\n\
                      赵磊,13612345678,,,\r\n";

#[tokio::test]
async fn people_export_with_a_bom_and_import_back_unchanged() {
    let (app, district) = small_app().await;
    let (status, done) = upload(&app, &format!("/api/v1/people/import?district={district}"), PEOPLE).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"rows": 4, "created": 4, "updated": 0, "unchanged": 0, "organisations_created": 2}));
    let kinds: Vec<(String, String)> =
        sqlx::query_as("select name, kind from organisations order by name").fetch_all(&app.pool).await.unwrap();
    assert_eq!(kinds, [("交通运输局".into(), "partner_unit".into()), ("城管执法中队".into(), "department".into())]);

    let (status, kind, disposition, csv) =
        download(&app, &format!("/api/v1/people/export.csv?district={district}")).await;
    assert_eq!(status, StatusCode::OK, "{csv}");
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_eq!(disposition, format!("attachment; filename=\"people-district-{district}.csv\""));
    assert!(csv.starts_with(BOM), "no BOM: {csv:?}");
    let lines: Vec<&str> = csv.trim_start_matches(BOM).lines().collect();
    assert_eq!(lines[0], "name,phone,organisation,organisation_kind,party_member");
    assert_eq!(lines.len(), 5);
    assert!(lines.contains(&"李娜,13912345678,交通运输局,partner_unit,false"), "{lines:?}");
    assert!(lines.contains(&"王芳,13712345678,城管执法中队,department,true"), "{lines:?}");
    assert!(lines.contains(&"赵磊,13612345678,,,false"), "{lines:?}");
    assert!(csv.contains("\r\n"));

    // The export imported back changes nothing.
    let people_before: Vec<(i64, String, String, Option<i64>, bool)> =
        sqlx::query_as("select id, name, phone, organisation_id, party_member from people order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let (status, done) = upload(&app, &format!("/api/v1/people/import?district={district}"), &csv).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"rows": 4, "created": 0, "updated": 0, "unchanged": 4, "organisations_created": 0}));
    let people_after: Vec<(i64, String, String, Option<i64>, bool)> =
        sqlx::query_as("select id, name, phone, organisation_id, party_member from people order by id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(people_after, people_before);

    // A changed name and party flag update that person (found by phone); a new phone adds one.
    let edited =
        csv.replace("赵磊,13612345678,,,false", "赵磊磊,13612345678,,,true") + "孙丽,15012345678,交通运输局,,\r\n";
    let (status, done) = upload(&app, &format!("/api/v1/people/import?district={district}"), &edited).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(
        (done["created"].as_u64(), done["updated"].as_u64(), done["unchanged"].as_u64()),
        (Some(1), Some(1), Some(3))
    );
    let zhao: (String, bool) = sqlx::query_as("select name, party_member from people where phone = '13612345678'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(zhao, ("赵磊磊".into(), true));

    // One audit entry per import, in the sub-district's communities, with its counts.
    let audits: Vec<(Value, Vec<i64>)> = sqlx::query_as(
        "select summary, communities from audit_log where action = 'people.import' and object_type = 'district' order by id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(audits.len(), 3);
    assert_eq!(audits[0].0["created"], 4);
    assert_eq!(audits[2].0["updated"], 1);
    assert!(!audits[0].1.is_empty());
}

#[tokio::test]
async fn bad_people_lines_are_all_reported_with_their_lines_and_nothing_is_stored() {
    let (app, district) = small_app().await;
    let file = format!(
        "{BOM}name,phone,organisation,organisation_kind,party_member\r\n\
         张伟,13812345678,新建单位,partner_unit,true\r\n\
         李娜,1381234567,,,false\r\n\
         王芳,13712345678,不存在的单位,,false\r\n\
         张伟,138-1234-5678,,,true\r\n\
         赵磊,13612345678,南湖社区居委会,community_committee,\r\n\
         孙丽,15012345678,,,false\r\n"
    );
    let (status, body) = upload(&app, &format!("/api/v1/people/import?district={district}"), &file).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv"), "{body}");
    let expected = [
        (3, "phone", "invalid_phone"),
        (4, "organisation", "unknown_organisation"),
        (5, "phone", "duplicate_phone"),
        (6, "organisation", "unknown_organisation"),
    ]
    .map(|(l, f, c)| (l, f.to_owned(), c.to_owned()));
    assert_eq!(errors(&body), expected);
    let duplicate = error_at(&body, 5);
    assert_eq!(duplicate["duplicate_of"], 2);
    let message = duplicate["message"].as_str().unwrap();
    assert!(message.contains("line 2") && message.contains("line 5"), "{message}");
    assert!(body["error"]["message"].as_str().unwrap().contains("4 lines"), "{body}");
    // Nothing stored: no person, not the organisation of the good line 2, no audit entry.
    assert_eq!(count(&app, "select count(*) from people").await, 0);
    assert_eq!(count(&app, "select count(*) from organisations").await, 0);
    assert_eq!(
        count(&app, "select count(*) from audit_log where action like 'person.%' or action like 'people.%'").await,
        0
    );

    // A header without its phone column refuses the file at line 1.
    let (status, body) =
        upload(&app, &format!("/api/v1/people/import?district={district}"), "name,telephone\n张伟,13812345678\n").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        errors(&body),
        [
            (1, "telephone".to_owned(), "unknown_column".to_owned()),
            (1, "phone".to_owned(), "missing_column".to_owned())
        ]
    );
}

#[tokio::test]
async fn ten_thousand_rows_fit_and_more_than_twenty_thousand_are_refused() {
    let (app, district) = small_app().await;
    // 10,000 rows pass the body limit and are all checked: the one bad line is named.
    let mut file = String::from("name,phone\r\n");
    for i in 0..10_000 {
        file.push_str(&format!("居民{i},138{i:08}\r\n"));
    }
    file.push_str("居民,12345\r\n");
    let (status, body) = upload(&app, &format!("/api/v1/people/import?district={district}"), &file).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(errors(&body), [(10_002, "phone".to_owned(), "invalid_phone".to_owned())]);

    let mut file = String::from("name,phone\n");
    for i in 0..20_001 {
        file.push_str(&format!("p,139{i:08}\n"));
    }
    let (status, body) = upload(&app, &format!("/api/v1/people/import?district={district}"), &file).await;
    assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "too_many_rows"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("20000"), "{body}");
    assert_eq!(count(&app, "select count(*) from people").await, 0);
}

#[tokio::test]
async fn only_admins_import_readers_export_and_other_places_are_not_found() {
    let (mut app, district) = small_app().await;
    let community: i64 = count(&app, "select min(id) from communities").await;
    for uri in ["/api/v1/people/import?district=999999", "/api/v1/assignments/import?community=999999"] {
        let (status, body) = upload(&app, uri, "phone,role,name\n13812345678,grid_worker,张伟\n").await;
        assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"), "{uri}: {body}");
    }
    for uri in ["/api/v1/people/export.csv?district=999999", "/api/v1/assignments/export.csv?community=999999"] {
        let (status, _, _, body) = download(&app, uri).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}: {body}");
    }

    app.add_user("planner1", Role::Planner, &["district:关山街道"]).await;
    app.sign_in("planner1").await;
    let (status, body) = upload(&app, &format!("/api/v1/people/import?district={district}"), PEOPLE).await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");
    let (status, body) = upload(
        &app,
        &format!("/api/v1/assignments/import?community={community}"),
        "phone,role\n13812345678,grid_worker\n",
    )
    .await;
    assert_eq!((status, error_code(&body)), (StatusCode::FORBIDDEN, "forbidden"), "{body}");
    assert_eq!(count(&app, "select count(*) from people").await, 0);
    let (status, _, _, csv) = download(&app, &format!("/api/v1/people/export.csv?district={district}")).await;
    assert_eq!(
        (status, csv.as_str()),
        (StatusCode::OK, "\u{feff}name,phone,organisation,organisation_kind,party_member\r\n")
    );
    let (status, _, disposition, csv) =
        download(&app, &format!("/api/v1/assignments/export.csv?community={community}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(disposition, format!("attachment; filename=\"assignments-community-{community}.csv\""));
    assert_eq!(csv, "\u{feff}phone,name,role,grid,building,unit,valid_from\r\n");

    app.add_user("inspector1", Role::Inspector, &["district:关山街道"]).await;
    app.sign_in("inspector1").await;
    let (status, _, _, _) = download(&app, &format!("/api/v1/people/export.csv?district={district}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The demo's community with a published plan and the people of [`PEOPLE`]; answers the app,
/// the community, its grid codes and a building with units (source id, units).
async fn community_with_grids() -> (App, i64, Vec<String>, (String, i32)) {
    let app = App::with(&[generate(&DemoOptions { communities: 1, seed: 42 })]).await;
    let community: i64 = count(&app, "select min(id) from communities").await;
    let district = district_of(&app).await;
    let (status, plan) = app.post_json(&format!("/api/v1/communities/{community}/plans"), &json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{plan}");
    let (status, published) =
        app.post_json(&format!("/api/v1/plans/{}/publish", plan["id"]), &json!({"force": true})).await;
    assert_eq!(status, StatusCode::OK, "{published}");
    let codes: Vec<String> = sqlx::query_scalar("select code from grids where community_id = $1 order by code")
        .bind(community)
        .fetch_all(&app.pool)
        .await
        .expect("the grid register");
    assert!(codes.len() >= 2, "{codes:?}");
    let building: (String, i32) = sqlx::query_as(
        "select source_id, units from buildings where community_id = $1 and units >= 2 order by id limit 1",
    )
    .bind(community)
    .fetch_one(&app.pool)
    .await
    .expect("a building with units");
    let (status, done) = upload(&app, &format!("/api/v1/people/import?district={district}"), PEOPLE).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    (app, community, codes, building)
}

async fn current_assignments(app: &App) -> i64 {
    count(app, "select count(*) from assignments where valid_to is null").await
}

#[tokio::test]
async fn assignments_import_export_and_import_back_unchanged() {
    let (app, community, codes, (building, _)) = community_with_grids().await;
    let uri = format!("/api/v1/assignments/import?community={community}");
    let file = format!(
        "{BOM}phone,role,grid,building,unit\r\n\
         13812345678,grid_leader,{g1},,\r\n\
         13912345678,grid_worker,{g1},,\r\n\
         13912345678,grid_worker,{g2},,\r\n\
         13712345678,supervisor,{g1},,\r\n\
         13612345678,building_leader,,{building},\r\n\
         13712345678,party_group_leader,,{building},2\r\n",
        g1 = codes[0],
        g2 = codes[1],
    );
    let (status, done) = upload(&app, &uri, &file).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"rows": 6, "started": 6, "unchanged": 0}));
    assert_eq!(current_assignments(&app).await, 6);
    // The per-row audits of assignments::create, and one for the import.
    assert_eq!(count(&app, "select count(*) from audit_log where action = 'assignment.start'").await, 6);
    let summary: Value =
        sqlx::query_scalar("select summary from audit_log where action = 'assignments.import' and object_id = $1")
            .bind(community.to_string())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(summary["started"], 6);

    let (status, kind, _, csv) = download(&app, &format!("/api/v1/assignments/export.csv?community={community}")).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "text/csv; charset=utf-8"), "{csv}");
    assert!(csv.starts_with(BOM));
    let lines: Vec<&str> = csv.trim_start_matches(BOM).lines().collect();
    assert_eq!(lines[0], "phone,name,role,grid,building,unit,valid_from");
    assert_eq!(lines.len(), 7, "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with(&format!("13812345678,张伟,grid_leader,{},,,", codes[0]))), "{lines:?}");
    assert!(
        lines.iter().any(|l| l.starts_with(&format!("13712345678,王芳,party_group_leader,,{building},2,"))),
        "{lines:?}"
    );

    // The export imported back: every row is a current assignment already.
    let (status, done) = upload(&app, &uri, &csv).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    assert_eq!(done, json!({"rows": 6, "started": 0, "unchanged": 6}));
    assert_eq!(current_assignments(&app).await, 6);
}

#[tokio::test]
async fn bad_assignment_lines_are_all_reported_and_nothing_is_started() {
    let (app, community, codes, (building, units)) = community_with_grids().await;
    let uri = format!("/api/v1/assignments/import?community={community}");
    let (status, done) = upload(&app, &uri, &format!("phone,role,grid\n13812345678,grid_leader,{}\n", codes[0])).await;
    assert_eq!(status, StatusCode::OK, "{done}");
    let before = current_assignments(&app).await;

    let file = format!(
        "phone,role,grid,building,unit\n\
         13912345678,grid_leader,{g1},,\n\
         13712345678,grid_leader,{g2},,\n\
         13612345678,grid_leader,{g2},,\n\
         15912345678,grid_worker,{g2},,\n\
         13912345678,grid_worker,420000000000999,,\n\
         13912345678,grid_worker,{g2},,\n\
         13912345678,grid_worker,{g2},,\n\
         13612345678,building_leader,,{building},{bad_unit}\n\
         13612345678,building_leader,,no-such-building,\n\
         13712345678,supervisor,{g2},,\n",
        g1 = codes[0],
        g2 = codes[1],
        bad_unit = units + 1,
    );
    let (status, body) = upload(&app, &uri, &file).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv"), "{body}");
    let expected = [
        (2, "grid", "already_assigned"),
        (4, "grid", "already_assigned"),
        (5, "phone", "unknown_person"),
        (6, "grid", "unknown_grid"),
        (8, "grid", "duplicate_assignment"),
        (9, "unit", "unknown_unit"),
        (10, "building", "unknown_building"),
    ]
    .map(|(l, f, c)| (l, f.to_owned(), c.to_owned()));
    assert_eq!(errors(&body), expected);
    // Against what is stored, the message names the holder; in the file, the other line.
    assert!(error_at(&body, 2)["message"].as_str().unwrap().contains("张伟"), "{body}");
    assert_eq!(error_at(&body, 4)["duplicate_of"], 3);
    assert!(error_at(&body, 4)["message"].as_str().unwrap().contains("line 3"), "{body}");
    assert_eq!(error_at(&body, 8)["duplicate_of"], 7);
    // Lines 3, 7 and 11 were good, and are not stored either.
    assert_eq!(current_assignments(&app).await, before);
    assert_eq!(count(&app, "select count(*) from assignments").await, before);
    assert_eq!(count(&app, "select count(*) from audit_log where action = 'assignment.start'").await, before);
    assert_eq!(count(&app, "select count(*) from audit_log where action = 'assignments.import'").await, 1);
}
