//! HTTP routes of grid plans (docs/GRIDS.md). Planners and administrators change plans of the
//! communities in their area (within the per-user limit of changes); leaders read them; other
//! roles are refused.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::geojson::{GridCollection, PlanBuildingCollection};
use super::partition::Bounds;
use super::plans::edit::Edit;
use super::plans::figures::Violation;
use super::plans::jobs::Job;
use super::plans::store::PlanRow;
use super::plans::{self, Diff, GenerateOptions, PlanError, PlanView, Step};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiErrorBody};
use crate::http::extract::{Json, Path, Text};
use crate::http::limit::Submitter;
use crate::http::openapi::{ChangeErrors, ReadErrors};

/// Longest note on a plan, in characters.
const MAX_NOTE_CHARS: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/communities/{id}/plans", get(list).post(generate))
        .route("/api/v1/communities/{id}/plans/import", post(import_csv))
        .route("/api/v1/plans/{id}", get(plan))
        .route("/api/v1/plans/{id}/grids", get(grids))
        .route("/api/v1/plans/{id}/buildings", get(buildings))
        .route("/api/v1/plans/{id}/edits", post(edit))
        .route("/api/v1/plans/{id}/undo", post(undo))
        .route("/api/v1/plans/{id}/redo", post(redo))
        .route("/api/v1/plans/{id}/validate", get(validate))
        .route("/api/v1/plans/{id}/copy", post(copy))
        .route("/api/v1/plans/{id}/publish", post(publish))
        .route("/api/v1/plans/{a}/diff/{b}", get(diff))
        .route("/api/v1/plans/{id}/export.csv", get(export_csv))
        .route("/api/v1/plan-jobs", post(start_job))
        .route("/api/v1/plan-jobs/{id}", get(job))
}

impl From<PlanError> for ApiError {
    fn from(error: PlanError) -> Self {
        let unprocessable = |code, message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message);
        match error {
            PlanError::NotFound(message) => ApiError::not_found(message),
            PlanError::Invalid { field, code, message } => {
                unprocessable(code, message).with_details(json!({ "field": field }))
            }
            PlanError::Conflict(message) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            PlanError::Violations(violations) => unprocessable(
                "plan_has_violations",
                format!("the plan has {} violations; fix them or publish with \"force\": true", violations.len()),
            )
            .with_details(json!({ "violations": violations })),
            error @ PlanError::Data(_) => unprocessable("bad_data", error.to_string()),
            PlanError::Database(error) => error.into(),
            PlanError::Internal(error) => ApiError::internal(error),
        }
    }
}

/// The communities the user may read plans of.
fn readers(user: &CurrentUser) -> Result<&[i64], ApiError> {
    user.area_for(&[Role::Admin, Role::Planner, Role::Leader])
}

/// The communities the user may change plans of.
fn planners(user: &CurrentUser) -> Result<&[i64], ApiError> {
    user.area_for(&[Role::Admin, Role::Planner])
}

#[derive(Debug, Serialize, ToSchema)]
struct PlanList {
    plans: Vec<PlanRow>,
}

/// The community's plans, newest first.
#[utoipa::path(
    get, path = "/api/v1/communities/{id}/plans", tag = "plans", operation_id = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The community's id")),
    responses(
        (status = 200, description = "The plans", body = PlanList),
        ReadErrors,
    )
)]
async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<PlanList>, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(PlanList { plans: plans::list(&mut db, id, readers(&user)?).await? }))
}

/// Households a grid should have, and the engine's seed; absent fields take the defaults
/// (300, 700, 500, seed 1).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct GenerateBody {
    min: Option<u32>,
    max: Option<u32>,
    target: Option<u32>,
    seed: Option<u64>,
    note: Option<String>,
}

impl GenerateBody {
    fn options(self) -> Result<GenerateOptions, ApiError> {
        let defaults = Bounds::default();
        let note = self.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        if note.as_ref().is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
            return Err(ApiError::invalid("note", format!("a note has at most {MAX_NOTE_CHARS} characters")));
        }
        Ok(GenerateOptions {
            bounds: Bounds {
                min: self.min.unwrap_or(defaults.min),
                max: self.max.unwrap_or(defaults.max),
                target: self.target.unwrap_or(defaults.target),
            },
            seed: self.seed.unwrap_or(1),
            note,
        })
    }
}

/// Generates a draft plan for the community.
#[utoipa::path(
    post, path = "/api/v1/communities/{id}/plans", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The community's id")),
    request_body = GenerateBody,
    responses(
        (status = 201, description = "The new draft", body = PlanView),
        ChangeErrors,
    )
)]
async fn generate(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<GenerateBody>,
) -> Result<Response, ApiError> {
    let plan = plans::generate(&state.pool, id, planners(&user)?, &body.options()?, &user.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)).into_response())
}

/// The communities to generate plans for, with the options of a single generation.
// Not a flattened `GenerateBody`: serde's flatten would let unknown fields through.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct JobBody {
    /// The communities to generate, or every community of the user's area with `all`.
    #[serde(default)]
    communities: Vec<i64>,
    #[serde(default)]
    all: bool,
    min: Option<u32>,
    max: Option<u32>,
    target: Option<u32>,
    seed: Option<u64>,
    note: Option<String>,
}

/// Generates draft plans for many communities in the background.
#[utoipa::path(
    post, path = "/api/v1/plan-jobs", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    request_body = JobBody,
    responses(
        (status = 202, description = "The job, started", body = Job),
        ChangeErrors,
    )
)]
async fn start_job(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Json(body): Json<JobBody>,
) -> Result<Response, ApiError> {
    let scope = planners(&user)?;
    let communities = match (body.all, body.communities.is_empty()) {
        (true, true) => scope.to_vec(),
        (false, false) => body.communities,
        _ => return Err(ApiError::invalid("communities", "give either \"communities\": [ids] or \"all\": true")),
    };
    let options = GenerateBody { min: body.min, max: body.max, target: body.target, seed: body.seed, note: body.note };
    let job = plans::jobs::start(&state.pool, communities, scope.into(), options.options()?, user.actor()).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(job)).into_response())
}

/// A plan job the user started (administrators: any), with its progress, plans and errors.
#[utoipa::path(
    get, path = "/api/v1/plan-jobs/{id}", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The job's id")),
    responses(
        (status = 200, description = "The job", body = Job),
        ReadErrors,
    )
)]
async fn job(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Job>, ApiError> {
    planners(&user)?;
    let requester = (!user.role.is_admin()).then_some(user.id);
    let job = plans::jobs::get(&state.pool, id, requester)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no plan job {id} of yours")))?;
    Ok(axum::Json(job))
}

/// A draft from an equivalency CSV: `building,grid` rows of building source ids and grid codes
/// (a header row is optional); buildings it does not list are in no grid.
#[utoipa::path(
    post, path = "/api/v1/communities/{id}/plans/import", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The community's id")),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 201, description = "The new draft", body = PlanView),
        ChangeErrors,
    )
)]
async fn import_csv(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Text(body): Text,
) -> Result<Response, ApiError> {
    let plan = plans::import_csv(&state.pool, id, planners(&user)?, &body, &user.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)).into_response())
}

/// The plan with its grids' figures and its violations.
#[utoipa::path(
    get, path = "/api/v1/plans/{id}", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The plan", body = PlanView),
        ReadErrors,
    )
)]
async fn plan(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<PlanView>, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(plans::get(&mut db, id, readers(&user)?).await?))
}

fn geojson(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}

/// The plan's grids as a GeoJSON FeatureCollection.
#[utoipa::path(
    get, path = "/api/v1/plans/{id}/grids", tag = "plans", operation_id = "plan_grids", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The grids", body = GridCollection, content_type = "application/geo+json"),
        ReadErrors,
    )
)]
async fn grids(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(geojson(plans::grids_geojson(&mut db, id, readers(&user)?).await?))
}

/// The plan's community's buildings as a GeoJSON FeatureCollection, each with its grid.
#[utoipa::path(
    get, path = "/api/v1/plans/{id}/buildings", tag = "plans", operation_id = "plan_buildings", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The buildings", body = PlanBuildingCollection, content_type = "application/geo+json"),
        ReadErrors,
    )
)]
async fn buildings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(geojson(plans::buildings_geojson(&mut db, id, readers(&user)?).await?))
}

/// Applies one edit to a draft (409 for a plan that is not a draft; 422 `grid_locked`,
/// `would_empty_grid`, `unknown_grid`, … with `details.field` for an edit refused).
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/edits", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    request_body = Edit,
    responses(
        (status = 200, description = "The plan after the edit", body = PlanView),
        ChangeErrors,
    )
)]
async fn edit(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(edit): Json<Edit>,
) -> Result<axum::Json<PlanView>, ApiError> {
    Ok(axum::Json(plans::edit(&state.pool, id, planners(&user)?, &edit, &user.actor()).await?))
}

/// Undoes the draft's last edit (409 when there is none).
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/undo", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The plan after the undo", body = PlanView),
        ChangeErrors,
    )
)]
async fn undo(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
) -> Result<axum::Json<PlanView>, ApiError> {
    Ok(axum::Json(plans::step(&state.pool, id, planners(&user)?, Step::Undo, &user.actor()).await?))
}

/// Redoes the draft's last undone edit (409 when there is none).
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/redo", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The plan after the redo", body = PlanView),
        ChangeErrors,
    )
)]
async fn redo(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
) -> Result<axum::Json<PlanView>, ApiError> {
    Ok(axum::Json(plans::step(&state.pool, id, planners(&user)?, Step::Redo, &user.actor()).await?))
}

/// Every violation of the plan, and how long finding them took.
#[derive(Debug, Serialize, ToSchema)]
struct Validation {
    valid: bool,
    violations: Vec<Violation>,
    milliseconds: f64,
}

/// The plan's violations.
#[utoipa::path(
    get, path = "/api/v1/plans/{id}/validate", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The violations", body = Validation),
        ReadErrors,
    )
)]
async fn validate(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<axum::Json<Validation>, ApiError> {
    let mut db = state.pool.acquire().await?;
    let (violations, milliseconds) = plans::validate(&mut db, id, readers(&user)?).await?;
    Ok(axum::Json(Validation { valid: violations.is_empty(), violations, milliseconds }))
}

/// A new draft with the plan's grids.
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/copy", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 201, description = "The new draft", body = PlanView),
        ChangeErrors,
    )
)]
async fn copy(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let plan = plans::copy(&state.pool, id, planners(&user)?, &user.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)).into_response())
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    /// Publish even with violations.
    #[serde(default)]
    force: bool,
}

/// Puts a draft in force in place of the community's published plan (422
/// `plan_has_violations` with `details.violations` unless `force`).
#[utoipa::path(
    post, path = "/api/v1/plans/{id}/publish", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    request_body = PublishBody,
    responses(
        (status = 200, description = "The plan, now in force", body = PlanView),
        ChangeErrors,
    )
)]
async fn publish(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<PublishBody>,
) -> Result<axum::Json<PlanView>, ApiError> {
    Ok(axum::Json(plans::publish(&state.pool, id, planners(&user)?, body.force, &user.actor()).await?))
}

/// The buildings whose grid differs from plan `a` to plan `b` of one community.
#[utoipa::path(
    get, path = "/api/v1/plans/{a}/diff/{b}", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("a" = i64, Path, description = "The first plan's id"), ("b" = i64, Path, description = "The second plan's id")),
    responses(
        (status = 200, description = "The buildings that change grid", body = Diff),
        ReadErrors,
        (status = 422, description = "`invalid_request`: the plans are of different communities", body = ApiErrorBody),
    )
)]
async fn diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((a, b)): Path<(i64, i64)>,
) -> Result<axum::Json<Diff>, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(plans::diff(&mut db, a, b, readers(&user)?).await?))
}

/// The plan's equivalency CSV: `building,grid`, one row per building in a grid.
#[utoipa::path(
    get, path = "/api/v1/plans/{id}/export.csv", tag = "plans", security(("bearer" = []), ("session_cookie" = [])),
    params(("id" = i64, Path, description = "The plan's id")),
    responses(
        (status = 200, description = "The CSV", body = String, content_type = "text/csv",
            headers(("content-disposition" = String, description = "`attachment; filename=\"plan-{id}.csv\"`"))),
        ReadErrors,
    )
)]
async fn export_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let csv = plans::export_csv(&mut db, id, readers(&user)?).await?;
    let disposition = format!("attachment; filename=\"plan-{id}.csv\"");
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)],
        csv,
    )
        .into_response())
}
