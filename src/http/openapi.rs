//! The OpenAPI document of the whole API, served at `GET /api/openapi.json` without a session:
//! every operation of the route files (each annotated where it is written), the one error body
//! (`ApiErrorBody`) behind every 4xx but Open311's (GeoReport's own errors), and the two ways to
//! present a session. `scripts/schemathesis`
//! tests the service against it.

use axum::Json;
use std::collections::BTreeMap;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Ref, RefOr, Response};
use utoipa::{IntoResponses, Modify, OpenApi, ToResponse, ToSchema};

use super::error::ApiErrorBody;
use crate::auth::extract::SESSION_COOKIE;

#[derive(OpenApi)]
#[openapi(
    info(title = "Wangge API"),
    paths(
        super::healthz,
        document,
        crate::auth::routes::login,
        crate::auth::routes::me,
        crate::auth::routes::logout,
        crate::auth::routes::change_password,
        crate::auth::routes::list_users,
        crate::auth::routes::create_user,
        crate::auth::routes::update_user,
        crate::auth::routes::unlock_user,
        crate::audit::routes::list,
        crate::places::routes::communities,
        crate::places::routes::buildings,
        crate::places::routes::building,
        crate::places::routes::locate,
        crate::places::routes::tile,
        crate::grids::routes::list,
        crate::grids::routes::generate,
        crate::grids::routes::import_csv,
        crate::grids::routes::plan,
        crate::grids::routes::grids,
        crate::grids::routes::buildings,
        crate::grids::routes::edit,
        crate::grids::routes::undo,
        crate::grids::routes::redo,
        crate::grids::routes::validate,
        crate::grids::routes::copy,
        crate::grids::routes::publish,
        crate::grids::routes::diff,
        crate::grids::routes::export_csv,
        crate::grids::routes::start_job,
        crate::grids::routes::job,
        crate::units::routes::list_organisations,
        crate::units::routes::create_organisation,
        crate::units::routes::update_organisation,
        crate::units::routes::set_categories,
        crate::units::routes::list_people,
        crate::units::routes::person,
        crate::units::routes::create_person,
        crate::units::routes::update_person,
        crate::units::routes::list_assignments,
        crate::units::routes::create_assignment,
        crate::units::routes::end_assignment,
        crate::units::routes::list_zones,
        crate::units::routes::create_zone,
        crate::units::routes::end_zone,
        crate::units::routes::list_categories,
        crate::units::routes::update_category,
        crate::units::routes::route,
        crate::units::routes::community_coverage,
        crate::units::routes::community_grids,
        crate::units::exchange::people_csv,
        crate::units::exchange::people_import,
        crate::units::exchange::assignments_csv,
        crate::units::exchange::assignments_import,
        crate::cases::routes::settings,
        crate::cases::routes::create,
        crate::cases::routes::list,
        crate::cases::routes::one,
        crate::cases::routes::step,
        crate::cases::routes::nearby,
        crate::cases::routes::add,
        crate::cases::photos::routes::upload,
        crate::cases::photos::routes::photo,
        crate::cases::photos::routes::thumbnail,
        crate::cases::dead_spot_routes::dead_spots,
        crate::cases::dead_spot_routes::dead_spot,
        crate::patrols::routes::record,
        crate::patrols::routes::coverage,
        crate::leaders::routes::indicators,
        crate::leaders::routes::ranking,
        crate::leaders::routes::heatmap,
        crate::leaders::routes::choropleth,
        crate::leaders::routes::pins,
        crate::leaders::routes::register_csv,
        crate::leaders::routes::cases_geojson,
        crate::open311::routes::services,
        crate::open311::routes::service,
        crate::open311::routes::requests,
        crate::open311::routes::request,
        crate::open311::routes::create,
    ),
    components(
        schemas(ApiErrorBody),
        responses(
            BadRequest,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            PayloadTooLarge,
            UnsupportedMediaType,
            Unprocessable,
            RateLimited
        )
    ),
    modifiers(&SessionSchemes),
    tags(
        (name = "session", description = "Signing in and out, one's own password"),
        (name = "users", description = "Accounts, for administrators"),
        (name = "audit", description = "The audit log, for administrators"),
        (name = "places", description = "Communities, buildings, locating a point, vector tiles"),
        (name = "plans", description = "Grid plans: generate, edit, validate, publish, exchange (docs/GRIDS.md)"),
        (name = "units", description = "Responsible units: organisations, people, assignments, zones, categories, routing, coverage (docs/UNITS.md)"),
        (name = "cases", description = "Cases: filing, queues, workflow steps, photos, hygiene dead spots (docs/CASES.md)"),
        (name = "patrols", description = "Patrols and their monthly coverage"),
        (name = "leaders", description = "Indicators and the monthly ranking (docs/LEADERS.md)"),
        (name = "open311", description = "Open311 GeoReport v2 for residents' reporting apps: no session, an API key to file, GeoReport's own errors (docs/CASES.md)"),
        (name = "service", description = "The service itself"),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(
    get, path = "/api/openapi.json", tag = "service", security(()),
    responses((status = 200, description = "The OpenAPI document", body = Object))
)]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The security schemes the operations name: `bearer` (the token `POST /api/v1/session`
/// answers) and `session_cookie` (the cookie it sets, for the pages).
struct SessionSchemes;

impl Modify for SessionSchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("`Authorization: Bearer <token>` with the token of `POST /api/v1/session`"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let cookie = ApiKeyValue::with_description(SESSION_COOKIE, "The session cookie `POST /api/v1/session` sets");
        components.add_security_scheme("session_cookie", SecurityScheme::ApiKey(ApiKey::Cookie(cookie)));
    }
}

/// 400: a malformed or wrong parameter, path segment or body: `invalid_parameter` (with
/// `details.field`), `invalid_path`, `invalid_json`, `invalid_body`, `invalid_text` (a NUL character).
#[derive(ToResponse)]
pub struct BadRequest(pub ApiErrorBody);

/// 401 `unauthenticated`: no session, or one that has expired or was ended.
#[derive(ToResponse)]
pub struct Unauthenticated(pub ApiErrorBody);

/// 403 `forbidden`: the user's role may not do this.
#[derive(ToResponse)]
pub struct Forbidden(pub ApiErrorBody);

/// 404 `not_found`: no such object in the user's area.
#[derive(ToResponse)]
pub struct NotFound(pub ApiErrorBody);

/// 409 `conflict`: the object is not in a state that allows this (a plan that is not a draft,
/// nothing to undo, no grid codes left, …).
#[derive(ToResponse)]
pub struct Conflict(pub ApiErrorBody);

/// 413 `payload_too_large`: the body is larger than the service accepts.
#[derive(ToResponse)]
pub struct PayloadTooLarge(pub ApiErrorBody);

/// 415 `invalid_json`: the body is not sent as `application/json`.
#[derive(ToResponse)]
pub struct UnsupportedMediaType(pub ApiErrorBody);

/// 422: a JSON body whose fields have the wrong type or are missing (`invalid_json`), or a
/// request the service refuses for what it asks (`invalid_request`, `grid_locked`,
/// `would_empty_grid`, `plan_has_violations`, `bad_data`, …; `details.field` names the field).
#[derive(ToResponse)]
pub struct Unprocessable(pub ApiErrorBody);

/// 429 `rate_limited`: too many sign-ins or changes in a short time; `details.retry_after` says
/// how many seconds to wait.
#[derive(ToResponse)]
#[response(headers(("retry-after" = u64, description = "Seconds to wait")))]
pub struct RateLimited(pub ApiErrorBody);

/// The refusals of an operation that reads: 400, 401, 403, 404, and 422 for a well-formed
/// filter that names nothing there is (an unknown category, a month that is not one), each an
/// [`ApiErrorBody`].
pub struct ReadErrors;

impl IntoResponses for ReadErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        refs(&[
            ("400", "BadRequest"),
            ("401", "Unauthenticated"),
            ("403", "Forbidden"),
            ("404", "NotFound"),
            ("422", "Unprocessable"),
        ])
    }
}

/// The refusals of an operation that changes something: those of [`ReadErrors`], and 409, 413,
/// 415 and 429 (a change counts against the user's rate limit).
pub struct ChangeErrors;

impl IntoResponses for ChangeErrors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let mut responses = ReadErrors::responses();
        responses.append(&mut refs(&[
            ("409", "Conflict"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("429", "RateLimited"),
        ]));
        responses
    }
}

fn refs(responses: &[(&str, &str)]) -> BTreeMap<String, RefOr<Response>> {
    responses.iter().map(|(status, name)| ((*status).to_owned(), RefOr::Ref(Ref::from_response_name(*name)))).collect()
}

/// `"Feature"`, a GeoJSON Feature's `type`.
#[derive(ToSchema)]
pub enum FeatureTag {
    Feature,
}

/// `"FeatureCollection"`, a GeoJSON FeatureCollection's `type`.
#[derive(ToSchema)]
pub enum FeatureCollectionTag {
    FeatureCollection,
}

/// A GeoJSON MultiPolygon (WGS84): footprints and boundaries, as PostGIS writes them.
#[derive(ToSchema)]
pub struct MultiPolygon {
    #[schema(rename = "type", inline)]
    pub kind: MultiPolygonTag,
    /// Polygons of rings of `[lon, lat]`.
    pub coordinates: Vec<Vec<Vec<[f64; 2]>>>,
}

#[derive(ToSchema)]
pub enum MultiPolygonTag {
    MultiPolygon,
}

/// A GeoJSON Feature of a building, its id the building's.
#[derive(ToSchema)]
pub struct Feature<P> {
    #[schema(rename = "type", inline)]
    pub kind: FeatureTag,
    pub id: i64,
    pub properties: P,
    pub geometry: MultiPolygon,
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn the_document_serialises_with_unique_operations_all_but_three_and_open311_behind_a_session() {
        let document: Value = serde_json::from_str(&ApiDoc::openapi().to_json().expect("serialises")).expect("JSON");
        let (mut public, mut ids) = (Vec::new(), std::collections::BTreeSet::new());
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                assert!(ids.insert(operation["operationId"].to_string()), "{method} {path}: a unique operation id");
                if operation["security"] == json!([{}]) {
                    public.push(format!("{method} {path}"));
                } else {
                    assert_eq!(operation["security"], json!([{ "bearer": [] }, { "session_cookie": [] }]), "{path}");
                }
                for (status, response) in operation["responses"].as_object().expect("responses") {
                    let schema = &response["content"]["application/json"]["schema"];
                    let error = if path.starts_with("/open311/") {
                        schema["items"]["$ref"] == "#/components/schemas/GeoReportError"
                    } else {
                        response["$ref"].is_string() || schema["$ref"] == "#/components/schemas/ApiErrorBody"
                    };
                    assert!(status.as_str() < "400" || error, "{method} {path} {status} answers its error body");
                }
            }
        }
        public.sort();
        assert_eq!(
            public,
            [
                "get /api/openapi.json",
                "get /healthz",
                "get /open311/v2/requests.json",
                "get /open311/v2/requests/{file}",
                "get /open311/v2/services.json",
                "get /open311/v2/services/{file}",
                "post /api/v1/session",
                "post /open311/v2/requests.json",
            ]
        );
    }
}
