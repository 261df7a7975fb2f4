//! A draft plan from the partition engine: the community's buildings in, grids numbered in reading
//! order out, with the published plan's codes kept where its grids live on.

use std::collections::HashMap;

use serde_json::json;
use sqlx::PgPool;

use super::edit::{GridEntry, ParcelEntry, State};
use super::store::{self, NewPlan};
use super::{PlanError, PlanView, audit, request, require_community, score, summary_of, view, write};
use crate::audit::Actor;
use crate::grids::codes::{self, Holding};
use crate::grids::partition::{self, Bounds, ParcelId};

/// Most households a grid may be asked to hold: far above any real grid (300–700), far below
/// what the plan's integer columns hold.
pub const MAX_GRID_HOUSEHOLDS: u32 = 100_000;

#[derive(Debug, Clone, Default)]
pub struct GenerateOptions {
    pub bounds: Bounds,
    pub seed: u64,
    pub note: Option<String>,
}

/// Generates a draft plan for one community of `scope`.
pub async fn generate(
    pool: &PgPool,
    community_id: i64,
    scope: &[i64],
    options: &GenerateOptions,
    actor: &Actor,
) -> Result<PlanView, PlanError> {
    let Bounds { min, max, target } = options.bounds;
    if min == 0 || min > target || target > max {
        return Err(PlanError::invalid(
            "min",
            format!("bounds must satisfy 0 < min ≤ target ≤ max, got {min}, {target}, {max}"),
        ));
    }
    if max > MAX_GRID_HOUSEHOLDS {
        return Err(PlanError::invalid("max", format!("max must be at most {MAX_GRID_HOUSEHOLDS} households")));
    }
    let mut tx = pool.begin().await?;
    require_community(&mut tx, community_id, scope).await?;
    let prefix = store::code_prefix(&mut tx, community_id)
        .await?
        .ok_or_else(|| PlanError::Conflict("the community's sub-district or community code is malformed".into()))?;
    let mut loaded = request::load(&mut tx, community_id, options.bounds, options.seed).await?;
    // The engine makes about households ÷ target grids; more than there are codes would be
    // refused after partitioning, which takes minutes at such sizes and cannot be interrupted.
    let households: u64 = loaded.request.buildings.iter().map(|b| u64::from(b.households)).sum();
    let grids = (households as f64 / f64::from(target)).round();
    if grids > f64::from(codes::MAX_SEQUENCE) {
        return Err(PlanError::invalid(
            "target",
            format!(
                "a target of {target} households makes about {grids} grids; a community has {} codes",
                codes::MAX_SEQUENCE
            ),
        ));
    }
    let previous = match store::published(&mut *tx, community_id).await? {
        Some(id) => Some(store::load_state(&mut tx, id).await?),
        None => None,
    };
    loaded.request.current = previous.as_ref().map(|state| {
        let seq = |grid: u32| state.grids.iter().find(|g| g.number == grid).and_then(|g| codes::sequence(&g.code));
        state
            .parcels
            .iter()
            .filter_map(|p| Some((p.id(), i64::from(seq(p.grid?)?))))
            .collect::<HashMap<ParcelId, i64>>()
    });
    let request = loaded.request;
    let (plan, request) = tokio::task::spawn_blocking(move || (partition::partition(&request), request))
        .await
        .map_err(|e| PlanError::Internal(e.to_string()))?;
    let plan = plan?;

    let centroid: HashMap<i64, (f64, f64)> = loaded.centroids.into_iter().collect();
    let order = codes::reading_order(&grid_centroids(&plan, &centroid));
    let mut number = vec![0u32; plan.grids.len()];
    for (position, &grid) in order.iter().enumerate() {
        number[grid] = position as u32 + 1;
    }
    let new: Vec<Holding<usize>> = plan.parcels.iter().filter_map(|p| Some((p.id, p.grid?, p.households))).collect();
    let (inherited, names) = match &previous {
        Some(state) => inheritance(state, &new, plan.grids.len()),
        None => (vec![None; plan.grids.len()], HashMap::new()),
    };
    let next = store::next_sequence(&mut *tx, community_id, None).await?;
    let sequences = codes::sequences(&inherited, &order, next)
        .ok_or_else(|| PlanError::Conflict("the community has used all 999 grid codes".into()))?;
    let mut grids: Vec<GridEntry> = (0..plan.grids.len())
        .map(|i| {
            let seq = sequences[i];
            GridEntry {
                number: number[i],
                code: prefix.code(seq).unwrap_or_default(),
                name: names.get(&seq).cloned().unwrap_or_else(|| format!("第{seq}网格")),
                locked: false,
            }
        })
        .collect();
    grids.sort_by_key(|g| g.number);
    let parcels = plan
        .parcels
        .iter()
        .map(|p| ParcelEntry {
            building: p.id.building,
            part: p.id.part.into(),
            households: p.households,
            grid: p.grid.map(|i| number[i]),
        })
        .collect();
    let (_, state, figures) = score(request, State { grids, parcels }).await?;

    let new_plan = NewPlan {
        community_id,
        note: options.note.as_deref(),
        based_on: None,
        bounds: options.bounds,
        seed: Some(options.seed),
        feasible: plan.feasible,
        explanation: plan.explanation.as_deref(),
        moved_households: plan.moved_households,
    };
    let plan_id = store::insert_plan(&mut tx, &new_plan, actor).await?;
    let row = store::plan(&mut *tx, plan_id, scope, false).await?.ok_or_else(|| super::not_found(plan_id))?;
    write(&mut tx, &row, &state, &figures).await?;
    let op = json!({ "op": "generate", "min": min, "max": max, "target": target, "seed": options.seed });
    store::record_edit(&mut tx, plan_id, 0, &op, &state, actor).await?;
    let mut summary = summary_of(&figures, &state);
    summary["community_id"] = json!(community_id);
    summary["moved_households"] = json!(plan.moved_households);
    audit(&mut tx, actor, "plan.generate", (plan_id, community_id), summary).await?;
    tx.commit().await?;
    Ok(view(row, &state, figures))
}

/// Each grid's household-weighted centre (of its buildings' centroids).
fn grid_centroids(plan: &partition::Plan, centroid: &HashMap<i64, (f64, f64)>) -> Vec<(f64, f64)> {
    let mut sums = vec![(0.0, 0.0, 0.0); plan.grids.len()];
    for parcel in &plan.parcels {
        let (Some(grid), Some(&(x, y))) = (parcel.grid, centroid.get(&parcel.id.building)) else { continue };
        let w = f64::from(parcel.households.max(1));
        let s = &mut sums[grid];
        *s = (s.0 + w * x, s.1 + w * y, s.2 + w);
    }
    sums.into_iter().map(|(x, y, w)| if w > 0.0 { (x / w, y / w) } else { (0.0, 0.0) }).collect()
}

/// Which old grid (by sequence) each new grid continues, and the names of the old grids.
fn inheritance(previous: &State, new: &[Holding<usize>], grids: usize) -> (Vec<Option<u32>>, HashMap<u32, String>) {
    let seq_of: HashMap<u32, u32> =
        previous.grids.iter().filter_map(|g| Some((g.number, codes::sequence(&g.code)?))).collect();
    let old: Vec<Holding<u32>> =
        previous.parcels.iter().filter_map(|p| Some((p.id(), *seq_of.get(&p.grid?)?, p.households))).collect();
    let names = previous.grids.iter().filter_map(|g| Some((codes::sequence(&g.code)?, g.name.clone()))).collect();
    (codes::inherit(&old, new, grids), names)
}
