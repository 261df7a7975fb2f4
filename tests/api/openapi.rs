//! The OpenAPI document against the routers: the same operations, and each answers as the
//! document says it does without a session.

use std::collections::BTreeSet;
use std::path::Path;

use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

use super::http::{App, small_place};

/// `(method, path)` of every `.route("PATH", get(…).post(…))` in the source, the catch-all of
/// unknown API paths (`any`) aside.
fn routes_in_source(dir: &Path, found: &mut BTreeSet<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("reads the source dir") {
        let path = entry.expect("a dir entry").path();
        if path.is_dir() {
            routes_in_source(&path, found);
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("reads a source file");
        for rest in text.lines().flat_map(|line| line.split(".route(\"").skip(1)) {
            let (route, handlers) = rest.split_once('"').expect("a quoted path");
            for method in ["get", "post", "put", "patch", "delete"] {
                let call = format!("{method}(");
                let calls = handlers.match_indices(&call).filter(|(at, _)| {
                    handlers[..*at].chars().next_back().is_none_or(|c| !c.is_alphanumeric() && c != '_')
                });
                found.extend(calls.map(|_| (method.to_owned(), route.to_owned())));
            }
        }
    }
}

fn operations(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("the document has paths");
    paths
        .iter()
        .flat_map(|(path, item)| item.as_object().expect("a path item").keys().map(|m| (m.clone(), path.clone())))
        .collect()
}

async fn document(app: &App) -> Value {
    let (status, document) = app.json("/api/openapi.json").await;
    assert_eq!(status, StatusCode::OK, "{document}");
    document
}

#[tokio::test]
async fn the_document_lists_exactly_the_routes_of_the_routers() {
    let mut app = App::with(&[small_place()]).await;
    app.token = None;
    let mut routes = BTreeSet::new();
    routes_in_source(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut routes);
    assert!(routes.len() > 30, "the routes are found in the source: {routes:?}");
    assert_eq!(operations(&document(&app).await), routes);
}

/// A value for a path parameter that routes: a layer name, a tile row, else an id.
fn sample(parameter: &str) -> &'static str {
    match parameter {
        "layer" => "buildings",
        "tile" => "0.mvt",
        // Open311's documents are named with their format.
        "file" => "1.json",
        _ => "1",
    }
}

#[tokio::test]
async fn every_operation_is_routed_and_needs_a_session_as_documented() {
    let mut app = App::with(&[small_place()]).await;
    app.token = None;
    let document = document(&app).await;
    for (method, path) in operations(&document) {
        let secured = document["paths"][&path][&method]["security"] != serde_json::json!([{}]);
        let uri = path
            .split('/')
            .map(|segment| match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(parameter) => sample(parameter),
                None => segment,
            })
            .collect::<Vec<_>>()
            .join("/");
        let method: Method = method.to_uppercase().parse().expect("an HTTP method");
        let request = Request::builder().method(method.clone()).uri(&uri).header("content-type", "application/json");
        let (status, body) = app.send(request, "{}".into()).await;
        let answer = String::from_utf8_lossy(&body);
        // Open311 answers GeoReport's 404 for a document of a name there is not (no request 1);
        // its catch-all of unknown paths says "no Open311 resource".
        let named_404 =
            status == StatusCode::NOT_FOUND && uri.starts_with("/open311/") && !answer.contains("no Open311 resource");
        let routed = named_404 || ![StatusCode::NOT_FOUND, StatusCode::METHOD_NOT_ALLOWED].contains(&status);
        assert!(routed, "{method} {uri} is not routed: {status} {answer}");
        assert_eq!(status == StatusCode::UNAUTHORIZED, secured, "{method} {uri} without a session: {status} {answer}");
    }
}
