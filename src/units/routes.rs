//! HTTP routes of the responsible units (docs/UNITS.md). Administrators change them in their
//! sub-districts (within the per-user limit of changes); planners and leaders read them;
//! every signed-in user reads the categories.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use serde::{Deserialize, Serialize};

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
use crate::http::openapi::{ChangeErrors, ReadErrors};
use utoipa::ToSchema;
use super::assignments::Assignment;
use super::categories::Category;
use super::coverage::Coverage;
use super::organisations::Organisation;
use super::people::Person;
use super::routing::Routing;
use super::zones::Zone;

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

/// The lists, each under its own name (`{"organisations": […]}`, …).
#[derive(Serialize, ToSchema)]
struct Organisations {
    organisations: Vec<Organisation>,
}

#[derive(Serialize, ToSchema)]
struct People {
    people: Vec<Person>,
}

#[derive(Serialize, ToSchema)]
struct Assignments {
    assignments: Vec<Assignment>,
}

#[derive(Serialize, ToSchema)]
struct Zones {
    zones: Vec<Zone>,
}

#[derive(Serialize, ToSchema)]
struct Categories {
    categories: Vec<Category>,
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DistrictQuery {
    district: i64,
    #[serde(default)]
    history: bool,
}

/// The organisations of a sub-district: committees, estates, the office, co-building units, departments.
#[utoipa::path(
    get, path = "/api/v1/organisations", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(DistrictQuery),
    responses(
        (status = 200, description = "The sub-district's organisations", body = Organisations),
        ReadErrors,
    )
)]
async fn list_organisations(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let organisations = organisations::list(&mut db, query.district, readers(&user)?).await?;
    Ok(axum::Json(Organisations { organisations }).into_response())
}

/// Registers an organisation (administrators).
#[utoipa::path(
    post, path = "/api/v1/organisations", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    request_body = NewOrganisation,
    responses(
        (status = 201, description = "Registered", body = Organisation),
        ChangeErrors,
    )
)]
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

/// Renames an organisation or changes its phone or contact person.
#[utoipa::path(
    patch, path = "/api/v1/organisations/{id}", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The organisation's id")),
    request_body = OrganisationChange,
    responses(
        (status = 200, description = "Changed", body = Organisation),
        ChangeErrors,
    )
)]
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CategoriesBody {
    categories: Vec<String>,
}

/// Sets the categories a department handles (history kept).
#[utoipa::path(
    put, path = "/api/v1/organisations/{id}/categories", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The department's id")),
    request_body = CategoriesBody,
    responses(
        (status = 200, description = "The department with its categories", body = Organisation),
        ChangeErrors,
    )
)]
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

/// The people of a sub-district's teams and units.
#[utoipa::path(
    get, path = "/api/v1/people", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(DistrictQuery),
    responses(
        (status = 200, description = "The people", body = People),
        ReadErrors,
    )
)]
async fn list_people(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let people = people::list(&mut db, query.district, readers(&user)?).await?;
    Ok(axum::Json(People { people }).into_response())
}

/// One person.
#[utoipa::path(
    get, path = "/api/v1/people/{id}", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person", body = Person),
        ReadErrors,
    )
)]
async fn person(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(people::get(&mut db, id, readers(&user)?).await?).into_response())
}

/// Registers a person with a Chinese mobile number (422 `invalid_phone`, 409 `duplicate_phone`).
#[utoipa::path(
    post, path = "/api/v1/people", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    request_body = NewPerson,
    responses(
        (status = 201, description = "Registered", body = Person),
        ChangeErrors,
    )
)]
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

/// Changes a person.
#[utoipa::path(
    patch, path = "/api/v1/people/{id}", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The person's id")),
    request_body = PersonChange,
    responses(
        (status = 200, description = "Changed", body = Person),
        ChangeErrors,
    )
)]
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

/// Assignments of a community or a person, with history on request.
#[utoipa::path(
    get, path = "/api/v1/assignments", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(assignments::Filter),
    responses(
        (status = 200, description = "The assignments", body = Assignments),
        ReadErrors,
    )
)]
async fn list_assignments(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<assignments::Filter>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let assignments = assignments::list(&mut db, &filter, readers(&user)?).await?;
    Ok(axum::Json(Assignments { assignments }).into_response())
}

/// Assigns a person to a grid or a building (409 `already_assigned` for a second grid leader).
#[utoipa::path(
    post, path = "/api/v1/assignments", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    request_body = NewAssignment,
    responses(
        (status = 201, description = "Assigned", body = Assignment),
        ChangeErrors,
    )
)]
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

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct EndBody {
    reason: Option<String>,
}

/// Ends an assignment.
#[utoipa::path(
    post, path = "/api/v1/assignments/{id}/end", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The assignment's id")),
    request_body = EndBody,
    responses(
        (status = 200, description = "Ended", body = Assignment),
        ChangeErrors,
    )
)]
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

/// Co-building units' responsibility zones.
#[utoipa::path(
    get, path = "/api/v1/zones", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(DistrictQuery),
    responses(
        (status = 200, description = "The zones", body = Zones),
        ReadErrors,
    )
)]
async fn list_zones(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let zones = zones::list(&mut db, query.district, query.history, readers(&user)?).await?;
    Ok(axum::Json(Zones { zones }).into_response())
}

/// A zone: a set of grids or a drawn polygon inside the sub-district (422 `invalid_geometry`, `outside_district`).
#[utoipa::path(
    post, path = "/api/v1/zones", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    request_body = NewZone,
    responses(
        (status = 201, description = "Adopted", body = Zone),
        ChangeErrors,
    )
)]
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

/// Ends a zone.
#[utoipa::path(
    post, path = "/api/v1/zones/{id}/end", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The zone's id")),
    responses(
        (status = 200, description = "Ended", body = Zone),
        ChangeErrors,
    )
)]
async fn end_zone(State(state): State<AppState>, Submitter(user): Submitter, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut tx = state.pool.begin().await?;
    let zone = zones::end(&mut tx, id, administrators(&user)?, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(zone).into_response())
}

/// The categories of findings with tier, deadline and privacy.
#[utoipa::path(
    get, path = "/api/v1/categories", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    responses(
        (status = 200, description = "Every category, groups first", body = Categories),
        ReadErrors,
    )
)]
async fn list_categories(State(state): State<AppState>, _user: CurrentUser) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(Categories { categories: categories::list(&mut db).await? }).into_response())
}

/// Changes a sub-category's tier or deadline (administrators).
#[utoipa::path(
    patch, path = "/api/v1/categories/{code}", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("code" = String, Path, description = "The sub-category's code")),
    request_body = RuleChange,
    responses(
        (status = 200, description = "Changed", body = Category),
        ChangeErrors,
    )
)]
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

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RoutingQuery {
    lon: f64,
    lat: f64,
    /// The datum of lon/lat: wgs84 (default), gcj02 or bd09.
    #[serde(default)]
    crs: Crs,
    category: String,
}

/// The responsible organisation and person for a point and a category, with the rule that chose them.
#[utoipa::path(
    get, path = "/api/v1/routing", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(RoutingQuery),
    responses(
        (status = 200, description = "Who is responsible, and why", body = Routing),
        ReadErrors,
    )
)]
async fn route(State(state): State<AppState>, user: CurrentUser, Query(query): Query<RoutingQuery>) -> Result<Response, ApiError> {
    let (lon, lat) = wgs84_point(query.lon, query.lat, query.crs)?;
    let mut db = state.pool.acquire().await?;
    let routing = routing::route(&mut db, lon, lat, &query.category, readers(&user)?).await?;
    Ok(axum::Json(routing).into_response())
}

/// Coverage gaps, unadopted ground, workload per person and unsettled assignments of a community.
#[utoipa::path(
    get, path = "/api/v1/communities/{id}/coverage", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The community's id")),
    responses(
        (status = 200, description = "Gaps and workload", body = Coverage),
        ReadErrors,
    )
)]
async fn community_coverage(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(coverage::coverage(&mut db, id, readers(&user)?).await?).into_response())
}

/// The grids in force with their teams, as GeoJSON.
#[utoipa::path(
    get, path = "/api/v1/communities/{id}/grids", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The community's id")),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection of the grids with their teams", body = Object, content_type = "application/geo+json"),
        ReadErrors,
    )
)]
async fn community_grids(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let grids = coverage::grids_geojson(&mut db, id, readers(&user)?).await?;
    Ok(([(axum::http::header::CONTENT_TYPE, "application/geo+json")], axum::Json(grids)).into_response())
}
