//! Plans for many communities at once, a few at a time (the engine is CPU-bound, the cells and
//! writes are the database's): from the command line with a progress bar, or from the API as a
//! background job whose progress is kept in `plan_jobs`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::{FromRow, PgPool};
use tokio::sync::{Mutex, mpsc};

use super::{GenerateOptions, PlanError, PlanView, generate};
use crate::audit::Actor;

/// One community's outcome: its position in the list, its id, how long it took, its plan or why not.
pub type Outcome = (usize, i64, std::time::Duration, Result<PlanView, PlanError>);

/// Generates a plan for each community, `workers` at a time; outcomes arrive as each ends, and
/// the channel closes after the last.
pub fn generate_many(
    pool: PgPool,
    communities: Vec<i64>,
    scope: Arc<[i64]>,
    options: GenerateOptions,
    actor: Actor,
    workers: usize,
) -> mpsc::Receiver<Outcome> {
    let (sender, receiver) = mpsc::channel(64);
    let queue = Arc::new(Mutex::new(communities.into_iter().enumerate()));
    let options = Arc::new(options);
    for _ in 0..workers.max(1) {
        let (pool, queue, scope, options, actor, sender) =
            (pool.clone(), queue.clone(), scope.clone(), options.clone(), actor.clone(), sender.clone());
        tokio::spawn(async move {
            loop {
                let Some((index, id)) = queue.lock().await.next() else { break };
                let started = std::time::Instant::now();
                let outcome = generate(&pool, id, &scope, &options, &actor).await;
                if sender.send((index, id, started.elapsed(), outcome)).await.is_err() {
                    break;
                }
            }
        });
    }
    receiver
}

/// Workers for a job: one per core, at most 8.
pub fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8)
}

/// A background generation and how far it got.
#[derive(Debug, Clone, Serialize, FromRow, utoipa::ToSchema)]
pub struct Job {
    pub id: i64,
    pub requester: String,
    pub communities: Vec<i64>,
    /// `{"min", "max", "target", "seed", "note"}` as asked.
    pub options: Value,
    /// `running`, `done`, or `interrupted` (the service stopped before it ended).
    pub status: String,
    pub done: i32,
    pub plans: Vec<i64>,
    /// `[{"community", "error"}]` for the communities that failed.
    pub errors: Value,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

const JOB_COLUMNS: &str =
    "id, requester, communities, options, status, done, plans, errors, created_at, finished_at from plan_jobs";

/// Starts generating plans for `communities` (all in `scope`) in the background.
pub async fn start(
    pool: &PgPool,
    communities: Vec<i64>,
    scope: Arc<[i64]>,
    options: GenerateOptions,
    actor: Actor,
) -> Result<Job, PlanError> {
    if communities.is_empty() {
        return Err(PlanError::invalid("communities", "name at least one community"));
    }
    let outside: Vec<i64> = communities.iter().copied().filter(|c| !scope.contains(c)).collect();
    let known: Vec<i64> =
        sqlx::query_scalar("select id from communities where id = any($1)").bind(&communities).fetch_all(pool).await?;
    if let Some(missing) = communities.iter().find(|c| !known.contains(c) || outside.contains(c)) {
        return Err(PlanError::NotFound(format!("no community {missing} in your area")));
    }
    let summary = json!({
        "min": options.bounds.min, "max": options.bounds.max, "target": options.bounds.target,
        "seed": options.seed, "note": options.note,
    });
    let id: i64 = sqlx::query_scalar(
        "insert into plan_jobs (requested_by, requester, communities, options) values ($1, $2, $3, $4) returning id",
    )
    .bind(actor.id)
    .bind(actor.name.as_deref().unwrap_or("command line"))
    .bind(&communities)
    .bind(&summary)
    .fetch_one(pool)
    .await?;
    let mut outcomes = generate_many(pool.clone(), communities, scope, options, actor, default_workers());
    let runner = pool.clone();
    tokio::spawn(async move {
        while let Some((_, community, _, outcome)) = outcomes.recv().await {
            let (plan, error) = match outcome {
                Ok(plan) => (Some(plan.plan.id), Value::Null),
                Err(error) => (None, json!([{ "community": community, "error": error.to_string() }])),
            };
            let updated = sqlx::query(
                "update plan_jobs set done = done + 1, plans = plans || coalesce($2::bigint[], '{}'),
                        errors = errors || coalesce($3, '[]'::jsonb) where id = $1",
            )
            .bind(id)
            .bind(plan.map(|p| vec![p]))
            .bind(if error.is_null() { None } else { Some(error) })
            .execute(&runner)
            .await;
            if let Err(error) = updated {
                tracing::error!(%error, job = id, "cannot record a plan job's progress");
            }
        }
        let finished = sqlx::query("update plan_jobs set status = 'done', finished_at = now() where id = $1")
            .bind(id)
            .execute(&runner)
            .await;
        if let Err(error) = finished {
            tracing::error!(%error, job = id, "cannot finish a plan job");
        }
    });
    get(pool, id, None).await?.ok_or_else(|| PlanError::Internal(format!("job {id} vanished")))
}

/// A job, if `requester` (when given) started it.
pub async fn get(pool: &PgPool, id: i64, requester: Option<i64>) -> Result<Option<Job>, PlanError> {
    let sql = format!("select {JOB_COLUMNS} where id = $1 and ($2::bigint is null or requested_by = $2)");
    Ok(sqlx::query_as(&sql).bind(id).bind(requester).fetch_optional(pool).await?)
}

/// Marks jobs a previous run of the service left running as interrupted.
pub async fn interrupt_stale(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("update plan_jobs set status = 'interrupted', finished_at = now() where status = 'running'")
        .execute(pool)
        .await?;
    Ok(done.rows_affected())
}
