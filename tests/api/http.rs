//! The HTTP API through the real router (`oneshot`, no socket) on a real database.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use geo::{MultiPolygon, polygon};
use http_body_util::BodyExt;
use indicatif::ProgressBar;
use serde_json::Value;
use tower::ServiceExt;
use wangge::audit::Actor;
use wangge::auth::accounts::{self, NewUser};
use wangge::auth::role::Role;
use wangge::auth::routes::SessionSettings;
use wangge::cases::photos::{self, PhotoSettings};
use wangge::http::limit::{LimitSettings, Limits};
use wangge::http::{AppState, router};
use wangge::import::dataset::{BuildingRecord, CommunityRecord, Dataset, EstateRecord, UnitRecord};
use wangge::import::{self, Target};
use wangge::places::index::BuildingIndex;
use wangge::spatial::datum::Crs;
use wangge::spatial::tile::TileId;

use super::harness::test_db;

/// A 40 m × 20 m building at (114.4000, 30.5000) in an estate of community 光谷社区.
pub fn small_place() -> Dataset {
    let sq = |x: f64, y: f64, w: f64, h: f64| {
        MultiPolygon::new(vec![
            polygon![(x: x, y: y), (x: x + w, y: y), (x: x + w, y: y + h), (x: x, y: y + h), (x: x, y: y)],
        ])
    };
    Dataset {
        source: "test".into(),
        communities: vec![CommunityRecord {
            source_id: "c".into(),
            name: "光谷社区".into(),
            code: Some("001".into()),
            district: None,
            boundary: sq(114.39, 30.49, 0.02, 0.02),
        }],
        estates: vec![EstateRecord {
            source_id: "e".into(),
            name: Some("南湖花园".into()),
            boundary: sq(114.399, 30.499, 0.002, 0.002),
        }],
        buildings: vec![BuildingRecord {
            source_id: "b".into(),
            name: Some("3栋".into()),
            kind: "apartments".into(),
            floors: Some(6),
            households: 36,
            units: UnitRecord::split_evenly(36, 3),
            address: Some("光谷社区南湖花园3栋".into()),
            community: None,
            estate: None,
            footprint: sq(114.4, 30.5, 0.000_415, 0.000_18),
        }],
        ..Dataset::default()
    }
}

/// The password of every user `App::add_user` creates.
pub const PASSWORD: &str = "correct horse battery staple";

pub struct App {
    pub router: axum::Router,
    pub pool: sqlx::PgPool,
    /// Bearer token of the signed-in user the requests are made as.
    pub token: Option<String>,
    /// The photo directory, removed with the app.
    pub photo_dir: tempfile::TempDir,
}

impl App {
    /// The service over these datasets, signed in as an administrator of 关山街道, with rate
    /// limits that the tests do not reach.
    pub async fn with(datasets: &[Dataset]) -> App {
        let generous = "1000/min".parse().expect("a rate");
        let limits = LimitSettings {
            login_per_client: generous,
            login_per_username: generous,
            submissions: generous,
            open311: generous,
        };
        App::with_limits(datasets, limits).await
    }

    /// The service over these datasets with these rate limits, signed in as an administrator of
    /// 关山街道 (one sign-in counted).
    pub async fn with_limits(datasets: &[Dataset], limits: LimitSettings) -> App {
        let pool = test_db().await;
        let target = Target { district: "关山街道".into(), community: None };
        import::store(&pool, datasets, &target, &ProgressBar::hidden()).await.expect("stores");
        let buildings = Arc::new(BuildingIndex::default());
        buildings.reload(&pool).await.expect("indexes");
        let sessions = SessionSettings { hours: 12, secure_cookie: true };
        let limits = Arc::new(Limits::new(limits));
        let cases = Arc::new(wangge::cases::submit::Settings::default());
        let photo_dir = tempfile::tempdir().expect("a photo directory");
        let photos = PhotoSettings::new(photo_dir.path().to_owned(), photos::DEFAULT_MAX_BYTES);
        let dead_spots = wangge::cases::dead_spots::Settler::new(pool.clone());
        let state = AppState { pool: pool.clone(), buildings, sessions, limits, cases, ranking: Default::default(), photos, dead_spots };
        let router = router(state, std::path::Path::new("web"), 1 << 20);
        let mut app = App { router, pool, token: None, photo_dir };
        app.add_user("admin1", Role::Admin, &["district:关山街道"]).await;
        app.sign_in("admin1").await;
        app
    }

    /// Creates a user whose password is [`PASSWORD`].
    pub async fn add_user(&self, name: &str, role: Role, areas: &[&str]) {
        let areas = areas.iter().map(|a| a.parse().expect("an area")).collect();
        let new = NewUser { username: name.into(), role, password: PASSWORD.into(), areas, organisation: None };
        let mut tx = self.pool.begin().await.expect("begins");
        accounts::create(&mut tx, &new, &Actor::default(), None).await.expect("creates the user");
        tx.commit().await.expect("commits");
    }

    /// Signs in as `name` (created by `add_user`); later requests carry its bearer token.
    pub async fn sign_in(&mut self, name: &str) {
        self.token = None;
        let body = serde_json::json!({ "username": name, "password": PASSWORD });
        let (status, answer) = self.post_json("/api/v1/session", &body).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        self.token = answer["token"].as_str().map(str::to_owned);
    }

    pub async fn send(&self, request: axum::http::request::Builder, body: String) -> (StatusCode, Vec<u8>) {
        let request = match &self.token {
            Some(token) => request.header("authorization", format!("Bearer {token}")),
            None => request,
        };
        let response =
            self.router.clone().oneshot(request.body(Body::from(body)).expect("request")).await.expect("answers");
        let status = response.status();
        (status, response.into_body().collect().await.expect("body").to_bytes().to_vec())
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, Vec<u8>) {
        self.send(Request::get(uri), String::new()).await
    }

    pub async fn json(&self, uri: &str) -> (StatusCode, Value) {
        let (status, body) = self.get(uri).await;
        (status, as_json(uri, &body))
    }

    pub async fn post_json(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        self.send_json(Request::post(uri), uri, body).await
    }

    pub async fn put_json(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        self.send_json(Request::put(uri), uri, body).await
    }

    pub async fn patch_json(&self, uri: &str, body: &Value) -> (StatusCode, Value) {
        self.send_json(Request::patch(uri), uri, body).await
    }

    async fn send_json(&self, request: axum::http::request::Builder, uri: &str, body: &Value) -> (StatusCode, Value) {
        let (status, answer) = self.send(request.header("content-type", "application/json"), body.to_string()).await;
        (status, as_json(uri, &answer))
    }
}

fn as_json(uri: &str, body: &[u8]) -> Value {
    if body.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{uri} answered non-JSON ({e}): {}", String::from_utf8_lossy(body)))
}

pub fn error_code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn communities_list_their_tallies() {
    let app = App::with(&[small_place()]).await;
    let (status, body) = app.json("/api/v1/communities").await;
    assert_eq!(status, StatusCode::OK);
    let community = &body["communities"][0];
    assert_eq!(community["name"], "光谷社区");
    assert_eq!(community["district"]["name"], "关山街道");
    assert_eq!(
        (community["households"].as_i64(), community["buildings"].as_i64(), community["estates"].as_i64()),
        (Some(36), Some(1), Some(1))
    );
    assert_eq!(community["bbox"].as_array().map(Vec::len), Some(4));
}

#[tokio::test]
async fn building_by_id_has_its_units_estate_and_community() {
    let app = App::with(&[small_place()]).await;
    let (_, list) = app.json("/api/v1/buildings?bbox=114.39,30.49,114.41,30.51").await;
    let id = list["features"][0]["id"].as_i64().expect("a building id");
    let (status, feature) = app.json(&format!("/api/v1/buildings/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    let p = &feature["properties"];
    assert_eq!(
        (p["name"].as_str(), p["households"].as_i64(), p["floors"].as_i64(), p["units"].as_i64()),
        (Some("3栋"), Some(36), Some(6), Some(3))
    );
    assert_eq!(p["estate"]["name"], "南湖花园");
    assert_eq!(p["community"]["name"], "光谷社区");
    assert_eq!(p["unit_list"].as_array().map(Vec::len), Some(3));
    assert_eq!(feature["geometry"]["type"], "MultiPolygon");
}

#[tokio::test]
async fn unknown_or_malformed_building_ids_answer_json_errors() {
    let app = App::with(&[small_place()]).await;
    let (status, body) = app.json("/api/v1/buildings/999999").await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.json("/api/v1/buildings/abc").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_path"));
    let (status, body) = app.json("/api/v1/nothing/here").await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn buildings_by_bbox_are_paged_and_bad_bboxes_refused() {
    let mut place = small_place();
    let template = place.buildings[0].clone();
    place.buildings = (0..5)
        .map(|i| {
            let mut b = template.clone();
            b.source_id = format!("b{i}");
            b.footprint = geo::Translate::translate(&b.footprint, f64::from(i) * 0.0006, 0.0);
            b
        })
        .collect();
    let app = App::with(&[place]).await;
    let (status, page) = app.json("/api/v1/buildings?bbox=114.39,30.49,114.41,30.51&limit=3").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["features"].as_array().map(Vec::len), Some(3));
    let next = page["next"].as_str().expect("a next page");
    let (_, rest) = app.json(next).await;
    assert_eq!(rest["features"].as_array().map(Vec::len), Some(2));
    assert!(rest["next"].is_null());
    for bad in [
        "bbox=1,2,3",
        "bbox=114.41,30.49,114.39,30.51",
        "bbox=100,20,120,40",
        "bbox=114.39,30.49,114.41,30.51&limit=0",
        "bbox=114.39,30.49,114.41,30.51&limit=100000",
        "limit=5",
    ] {
        let (status, body) = app.json(&format!("/api/v1/buildings?{bad}")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"), "{bad}: {body}");
    }
}

#[tokio::test]
async fn locate_finds_the_building_in_any_datum_or_says_nothing_is_here() {
    let app = App::with(&[small_place()]).await;
    let (status, hit) = app.json("/api/v1/locate?lon=114.4002&lat=30.50009").await;
    assert_eq!(status, StatusCode::OK, "{hit}");
    assert_eq!((hit["match"].as_str(), hit["distance_m"].as_f64()), (Some("inside"), Some(0.0)));
    assert_eq!(hit["building"]["name"], "3栋");
    assert_eq!(hit["building"]["estate"]["name"], "南湖花园");

    // The same spot as a phone reports it in GCJ-02 and in BD-09.
    for crs in [Crs::Gcj02, Crs::Bd09] {
        let (lon, lat) = crs.from_wgs84(114.4002, 30.50009);
        let (status, hit) = app.json(&format!("/api/v1/locate?lon={lon}&lat={lat}&crs={crs}")).await;
        assert_eq!((status, hit["building"]["name"].as_str()), (StatusCode::OK, Some("3栋")), "{crs}: {hit}");
    }

    // 10 m east of the building's east edge: the nearest, with the distance.
    let (_, near) = app.json("/api/v1/locate?lon=114.400519&lat=30.50009").await;
    assert_eq!(near["match"], "nearest");
    let d = near["distance_m"].as_f64().expect("a distance");
    assert!((9.0..=11.0).contains(&d), "{d}");

    let (status, none) = app.json("/api/v1/locate?lon=114.45&lat=30.55").await;
    assert_eq!((status, error_code(&none)), (StatusCode::NOT_FOUND, "nothing_here"));
}

#[tokio::test]
async fn locate_refuses_coordinates_that_are_not_coordinates() {
    let app = App::with(&[small_place()]).await;
    for (query, field) in [
        ("lon=NaN&lat=30.5", Some("lon")),
        ("lon=114&lat=91", Some("lat")),
        ("lon=inf&lat=30", Some("lon")),
        ("lon=abc&lat=30", None),
        ("lat=30", None),
        ("lon=114&lat=30&crs=utm", None),
    ] {
        let (status, body) = app.json(&format!("/api/v1/locate?{query}")).await;
        assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"), "{query}: {body}");
        if let Some(field) = field {
            assert_eq!(body["error"]["details"]["field"], field, "{query}");
        }
    }
}

#[tokio::test]
async fn vector_tiles_hold_the_buildings_and_refuse_impossible_addresses() {
    let app = App::with(&[small_place()]).await;
    let t = TileId::containing(114.4002, 30.50009, 15);
    let (status, bytes) = app.get(&format!("/tiles/buildings/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes.windows(b"buildings".len()).any(|w| w == b"buildings"), "the tile has a buildings layer");
    assert!(bytes.windows("3栋".len()).any(|w| w == "3栋".as_bytes()), "the tile carries the building's name");
    let low = TileId::containing(114.4002, 30.50009, 10);
    let (status, bytes) = app.get(&format!("/tiles/buildings/{}/{}/{}.mvt", low.z, low.x, low.y)).await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, 0), "no buildings below zoom 13");
    for layer in ["communities", "estates", "roads"] {
        let (status, _) = app.get(&format!("/tiles/{layer}/{}/{}/{}.mvt", t.z, t.x, t.y)).await;
        assert_eq!(status, StatusCode::OK, "{layer}");
    }
    let (status, body) = app.json("/tiles/buildings/25/0/0.mvt").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"));
    let (status, body) = app.json("/tiles/buildings/2/9/0.mvt").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"));
    let (status, body) = app.json("/tiles/secrets/2/0/0.mvt").await;
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));
    let (status, body) = app.json("/tiles/buildings/2/0/0.png").await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"));
}

#[tokio::test]
async fn healthz_reports_postgis_and_the_index() {
    let app = App::with(&[small_place()]).await;
    let (status, body) = app.json("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["buildings_indexed"], 1);
    assert!(body["postgis"].as_str().is_some_and(|v| v.starts_with('3')), "{body}");
}

#[tokio::test]
async fn the_locate_index_follows_an_import_made_by_another_connection() {
    let pool = test_db().await;
    let buildings = Arc::new(BuildingIndex::default());
    buildings.reload(&pool).await.expect("indexes");
    assert_eq!(buildings.get().len(), 0);
    buildings.clone().follow_imports(pool.clone());
    // Give the listener time to subscribe before the import commits its NOTIFY.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let target = Target { district: "关山街道".into(), community: None };
    import::store(&pool, &[small_place()], &target, &ProgressBar::hidden()).await.expect("stores");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while buildings.get().len() != 1 {
        assert!(std::time::Instant::now() < deadline, "the index did not reload after the import");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(buildings.get().locate(114.4002, 30.50009, 30.0).map(|hit| hit.distance_m), Some(0.0));
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_json() {
    let app = App::with(&[small_place()]).await;
    let huge = serde_json::json!({ "username": "admin1", "password": "x".repeat(2 << 20) });
    let (status, body) = app.post_json("/api/v1/session", &huge).await;
    assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), "{body}");
}

#[tokio::test]
async fn paths_that_climb_out_of_the_web_dir_find_nothing() {
    let app = App::with(&[small_place()]).await;
    for uri in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/js/../../Cargo.toml",
        "/vendor/maplibre-gl/../../../../Cargo.toml",
        "/..%2fCargo.toml",
    ] {
        let (status, body) = app.get(uri).await;
        assert!(!String::from_utf8_lossy(&body).contains("[package]"), "{uri} leaked a file");
        assert!(status.is_client_error(), "{uri}: {status}");
    }
}
