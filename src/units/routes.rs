//! HTTP routes of the responsible units (docs/UNITS.md). Administrators change them in their
//! sub-districts (within the per-user limit of changes); planners and leaders read them;
//! every signed-in user reads the categories.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use serde::Deserialize;
use serde_json::json;

use super::assignments::{self, NewAssignment};
use super::categories::{self, RuleChange};
use super::organisations::{self, NewOrganisation, OrganisationChange};
use super::people::{self, NewPerson, PersonChange};
use super::zones::{self, NewZone};
use super::{coverage, routing};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path, Query};
use crate::http::limit::Submitter;
use crate::places::routes::wgs84_point;
use crate::spatial::datum::Crs;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/organisations", get(list_organisations).post(create_organisation))
        .route("/api/v1/organisations/{id}", patch(update_organisation))
        .route("/api/v1/organisations/{id}/categories", put(set_categories))
        .route("/api/v1/people", get(list_people).post(create_person))
        .route("/api/v1/people/{id}", get(person).patch(update_person))
        .route("/api/v1/assignments", get(list_assignments).post(create_assignment))
        .route("/api/v1/assignments/{id}/end", post(end_assignment))
        .route("/api/v1/zones", get(list_zones).post(create_zone))
        .route("/api/v1/zones/{id}/end", post(end_zone))
        .route("/api/v1/categories", get(list_categories))
        .route("/api/v1/categories/{code}", patch(update_category))
        .route("/api/v1/routing", get(route))
        .route("/api/v1/communities/{id}/coverage", get(community_coverage))
        .route("/api/v1/communities/{id}/grids", get(community_grids))
        .merge(super::exchange::routes())
}

fn readers(user: &CurrentUser) -> Result<&[i64], ApiError> {
    user.area_for(&[Role::Admin, Role::Planner, Role::Leader])
}

fn administrators(user: &CurrentUser) -> Result<&[i64], ApiError> {
    user.area_for(&[Role::Admin])
}

/// [`readers`], for the CSV exchange's handlers (src/units/exchange.rs).
pub(super) fn reader_area(user: &CurrentUser) -> Result<&[i64], ApiError> {
    readers(user)
}

/// [`administrators`], for the CSV exchange's handlers (src/units/exchange.rs).
pub(super) fn admin_area(user: &CurrentUser) -> Result<&[i64], ApiError> {
    administrators(user)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DistrictQuery {
    district: i64,
    #[serde(default)]
    history: bool,
}

async fn list_organisations(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let organisations = organisations::list(&mut db, query.district, readers(&user)?).await?;
    Ok(axum::Json(json!({ "organisations": organisations })).into_response())
}

async fn create_organisation(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<NewOrganisation>,
) -> Result<Response, ApiError> {
    let scope = administrators(&user)?;
    let mut tx = state.pool.begin().await?;
    let id = organisations::create(&mut tx, &body, scope, &user.actor()).await?;
    let organisation = organisations::get(&mut tx, id, scope).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(organisation)).into_response())
}

async fn update_organisation(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<OrganisationChange>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let organisation = organisations::update(&mut tx, id, &body, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(organisation).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoriesBody {
    categories: Vec<String>,
}

async fn set_categories(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<CategoriesBody>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let organisation =
        organisations::set_categories(&mut tx, id, &body.categories, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(organisation).into_response())
}

async fn list_people(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let people = people::list(&mut db, query.district, readers(&user)?).await?;
    Ok(axum::Json(json!({ "people": people })).into_response())
}

async fn person(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(people::get(&mut db, id, readers(&user)?).await?).into_response())
}

async fn create_person(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<NewPerson>,
) -> Result<Response, ApiError> {
    let scope = administrators(&user)?;
    let mut tx = state.pool.begin().await?;
    let id = people::create(&mut tx, &body, scope, &user.actor()).await?;
    let person = people::get(&mut tx, id, scope).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(person)).into_response())
}

async fn update_person(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<PersonChange>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let person = people::update(&mut tx, id, &body, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(person).into_response())
}

async fn list_assignments(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<assignments::Filter>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let assignments = assignments::list(&mut db, &filter, readers(&user)?).await?;
    Ok(axum::Json(json!({ "assignments": assignments })).into_response())
}

async fn create_assignment(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<NewAssignment>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let assignment = assignments::create(&mut tx, &body, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(assignment)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EndBody {
    reason: Option<String>,
}

async fn end_assignment(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<EndBody>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let assignment = assignments::end(&mut tx, id, body.reason.as_deref(), administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(assignment).into_response())
}

async fn list_zones(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let zones = zones::list(&mut db, query.district, query.history, readers(&user)?).await?;
    Ok(axum::Json(json!({ "zones": zones })).into_response())
}

async fn create_zone(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<NewZone>,
) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let zone = zones::create(&mut tx, &body, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, axum::Json(zone)).into_response())
}

async fn end_zone(State(state): State<AppState>, Submitter(user): Submitter, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let zone = zones::end(&mut tx, id, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(zone).into_response())
}

async fn list_categories(State(state): State<AppState>, _user: CurrentUser) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(json!({ "categories": categories::list(&mut db).await? })).into_response())
}

async fn update_category(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(code): Path<String>,
    Json(body): Json<RuleChange>,
) -> Result<Response, ApiError> {
    administrators(&user)?;
    let mut tx = state.pool.begin().await?;
    let category = categories::update(&mut tx, &code, &body, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(category).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingQuery {
    lon: f64,
    lat: f64,
    /// The datum of lon/lat: wgs84 (default), gcj02 or bd09.
    #[serde(default)]
    crs: Crs,
    category: String,
}

async fn route(State(state): State<AppState>, user: CurrentUser, Query(query): Query<RoutingQuery>) -> Result<Response, ApiError> {
    let (lon, lat) = wgs84_point(query.lon, query.lat, query.crs)?;
    let mut db = state.pool.acquire().await?;
    let routing = routing::route(&mut db, lon, lat, &query.category, readers(&user)?).await?;
    Ok(axum::Json(routing).into_response())
}

async fn community_coverage(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(coverage::coverage(&mut db, id, readers(&user)?).await?).into_response())
}

async fn community_grids(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let grids = coverage::grids_geojson(&mut db, id, readers(&user)?).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/geo+json")], axum::Json(grids)).into_response())
}
