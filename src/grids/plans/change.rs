//! Changes to a plan: a planner's edit, undo and redo, a copy as a new draft, publishing.

use serde_json::json;
use sqlx::{PgConnection, PgPool};

use super::edit::Edit;
use super::store::{self, NewPlan, PlanRow};
use super::{
    PlanError, PlanView, audit, not_found, request, rescore, score, summary_of, view, with_new_buildings, write,
};
use crate::audit::Actor;

/// Undo or redo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Undo,
    Redo,
}

/// The plan's row, locked, when it is a draft the user may change.
async fn draft(db: &mut PgConnection, plan_id: i64, scope: &[i64]) -> Result<PlanRow, PlanError> {
    let plan = store::plan(&mut *db, plan_id, scope, true).await?.ok_or_else(|| not_found(plan_id))?;
    if plan.status != "draft" {
        return Err(PlanError::Conflict(format!(
            "plan {plan_id} is {}; only drafts change: copy it to a new draft (POST /api/v1/plans/{plan_id}/copy)",
            plan.status
        )));
    }
    Ok(plan)
}

/// Applies one edit to a draft.
pub async fn edit(
    pool: &PgPool,
    plan_id: i64,
    scope: &[i64],
    edit: &Edit,
    actor: &Actor,
) -> Result<PlanView, PlanError> {
    let mut tx = pool.begin().await?;
    let plan = draft(&mut tx, plan_id, scope).await?;
    let loaded = request::load(&mut tx, plan.community_id, plan.bounds(), 0).await?;
    let state = with_new_buildings(store::load_state(&mut tx, plan_id).await?, &loaded.request);
    let prefix = store::code_prefix(&mut tx, plan.community_id).await?;
    let next = store::next_sequence(&mut *tx, plan.community_id, Some(plan_id)).await?;
    let applied = state.apply(edit, || prefix.and_then(|p| p.code(next))).map_err(|e| PlanError::Invalid {
        field: e.field,
        code: e.code,
        message: e.message,
    })?;
    let (_, state, figures) = score(loaded.request, applied.state).await?;
    write(&mut tx, &plan, &state, &figures).await?;
    let op = serde_json::to_value(edit).map_err(|e| PlanError::Internal(e.to_string()))?;
    store::record_edit(&mut tx, plan_id, plan.edit_seq + 1, &op, &state, actor).await?;
    let mut summary = summary_of(&figures, &state);
    summary["op"] = op;
    summary["changed_buildings"] = json!(applied.changed_buildings);
    audit(&mut tx, actor, "plan.edit", (plan_id, plan.community_id), summary).await?;
    let row = store::plan(&mut *tx, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    tx.commit().await?;
    Ok(view(row, &state, figures))
}

/// Undoes the last edit, or redoes the last undone one.
pub async fn step(
    pool: &PgPool,
    plan_id: i64,
    scope: &[i64],
    step: Step,
    actor: &Actor,
) -> Result<PlanView, PlanError> {
    let mut tx = pool.begin().await?;
    let plan = draft(&mut tx, plan_id, scope).await?;
    let target = match step {
        Step::Undo if plan.edit_seq > 0 => plan.edit_seq - 1,
        Step::Redo if plan.edit_seq < plan.last_edit => plan.edit_seq + 1,
        Step::Undo => return Err(PlanError::Conflict("nothing to undo".into())),
        Step::Redo => return Err(PlanError::Conflict("nothing to redo".into())),
    };
    let state = store::edit_state(&mut *tx, plan_id, target)
        .await?
        .ok_or_else(|| PlanError::Internal(format!("plan {plan_id} lacks edit {target}")))?;
    let (state, figures) = rescore(&mut tx, &plan, state).await?;
    write(&mut tx, &plan, &state, &figures).await?;
    store::set_edit_seq(&mut *tx, plan_id, target).await?;
    let action = if step == Step::Undo { "plan.undo" } else { "plan.redo" };
    audit(
        &mut tx,
        actor,
        action,
        (plan_id, plan.community_id),
        json!({ "from_edit": plan.edit_seq, "to_edit": target }),
    )
    .await?;
    let row = store::plan(&mut *tx, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    tx.commit().await?;
    Ok(view(row, &state, figures))
}

/// A new draft with the plan's grids: how a published or archived plan gets edited.
pub async fn copy(pool: &PgPool, plan_id: i64, scope: &[i64], actor: &Actor) -> Result<PlanView, PlanError> {
    let mut tx = pool.begin().await?;
    let source = store::plan(&mut *tx, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    let state = store::load_state(&mut tx, plan_id).await?;
    let (state, figures) = rescore(&mut tx, &source, state).await?;
    let new = NewPlan {
        community_id: source.community_id,
        note: source.note.as_deref(),
        based_on: Some(plan_id),
        bounds: source.bounds(),
        seed: None,
        feasible: figures.violations.is_empty(),
        explanation: None,
        moved_households: 0,
    };
    let id = store::insert_plan(&mut tx, &new, actor).await?;
    let row = store::plan(&mut *tx, id, scope, false).await?.ok_or_else(|| not_found(id))?;
    write(&mut tx, &row, &state, &figures).await?;
    store::record_edit(&mut tx, id, 0, &json!({ "op": "copy", "from": plan_id }), &state, actor).await?;
    audit(
        &mut tx,
        actor,
        "plan.copy",
        (id, source.community_id),
        json!({ "from": plan_id, "community_id": source.community_id }),
    )
    .await?;
    tx.commit().await?;
    Ok(view(row, &state, figures))
}

/// Puts a draft in force. With violations it is refused unless `force`.
pub async fn publish(
    pool: &PgPool,
    plan_id: i64,
    scope: &[i64],
    force: bool,
    actor: &Actor,
) -> Result<PlanView, PlanError> {
    let mut tx = pool.begin().await?;
    let plan = draft(&mut tx, plan_id, scope).await?;
    let state = store::load_state(&mut tx, plan_id).await?;
    let (state, figures) = rescore(&mut tx, &plan, state).await?;
    if !figures.violations.is_empty() && !force {
        return Err(PlanError::Violations(figures.violations));
    }
    write(&mut tx, &plan, &state, &figures).await?;
    let replaced = store::publish(&mut tx, &plan).await?;
    let summary = json!({
        "community_id": plan.community_id, "replaced": replaced, "grids": state.grids.len(),
        "violations": figures.violations.len(), "forced": force && !figures.violations.is_empty(),
    });
    audit(&mut tx, actor, "plan.publish", (plan_id, plan.community_id), summary).await?;
    let row = store::plan(&mut *tx, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    tx.commit().await?;
    Ok(view(row, &state, figures))
}
