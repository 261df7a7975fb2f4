//! HTTP routes of grid plans (docs/GRIDS.md). Planners and administrators change plans of the
//! communities in their area (within the per-user limit of changes); leaders read them; other
//! roles are refused.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::partition::Bounds;
use super::plans::edit::Edit;
use super::plans::{self, GenerateOptions, PlanError, Step};
use crate::auth::extract::CurrentUser;
use crate::auth::role::Role;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::{Json, Path};
use crate::http::limit::Submitter;

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
            PlanError::Database(error) => ApiError::internal(error),
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

async fn list(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let plans = plans::list(&mut db, id, readers(&user)?).await?;
    Ok(axum::Json(json!({ "plans": plans })).into_response())
}

#[derive(Debug, Default, Deserialize)]
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

async fn generate(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<GenerateBody>,
) -> Result<Response, ApiError> {
    let plan = plans::generate(&state.pool, id, planners(&user)?, &body.options()?, &user.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)).into_response())
}

/// (Not a flattened `GenerateBody`: serde's flatten would let unknown fields through.)
#[derive(Debug, Deserialize)]
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

async fn job(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    planners(&user)?;
    let requester = (!user.role.is_admin()).then_some(user.id);
    let job = plans::jobs::get(&state.pool, id, requester)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no plan job {id} of yours")))?;
    Ok(axum::Json(job).into_response())
}

async fn import_csv(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    body: String,
) -> Result<Response, ApiError> {
    let plan = plans::import_csv(&state.pool, id, planners(&user)?, &body, &user.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)).into_response())
}

async fn plan(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(plans::get(&mut db, id, readers(&user)?).await?).into_response())
}

fn geojson(body: String) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json")], body).into_response()
}

async fn grids(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(geojson(plans::grids_geojson(&mut db, id, readers(&user)?).await?))
}

async fn buildings(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(geojson(plans::buildings_geojson(&mut db, id, readers(&user)?).await?))
}

async fn edit(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(edit): Json<Edit>,
) -> Result<Response, ApiError> {
    let plan = plans::edit(&state.pool, id, planners(&user)?, &edit, &user.actor()).await?;
    Ok(axum::Json(plan).into_response())
}

async fn undo(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(plans::step(&state.pool, id, planners(&user)?, Step::Undo, &user.actor()).await?).into_response())
}

async fn redo(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(plans::step(&state.pool, id, planners(&user)?, Step::Redo, &user.actor()).await?).into_response())
}

async fn validate(State(state): State<AppState>, user: CurrentUser, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let (violations, milliseconds) = plans::validate(&mut db, id, readers(&user)?).await?;
    let body = json!({ "valid": violations.is_empty(), "violations": violations, "milliseconds": milliseconds });
    Ok(axum::Json(body).into_response())
}

async fn copy(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let plan = plans::copy(&state.pool, id, planners(&user)?, &user.actor()).await?;
    Ok((StatusCode::CREATED, axum::Json(plan)).into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    #[serde(default)]
    force: bool,
}

async fn publish(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Path(id): Path<i64>,
    Json(body): Json<PublishBody>,
) -> Result<Response, ApiError> {
    let plan = plans::publish(&state.pool, id, planners(&user)?, body.force, &user.actor()).await?;
    Ok(axum::Json(plan).into_response())
}

async fn diff(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((a, b)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(plans::diff(&mut db, a, b, readers(&user)?).await?).into_response())
}

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
