//! `wangge grids …`: the plan operations from the command line, over every community (the
//! command line acts as the database's owner).

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::{Context, bail};
use serde_json::json;
use sqlx::PgPool;

use super::partition::Bounds;
use super::plans::{self, GenerateOptions, PlanView, jobs};
use crate::audit::Actor;
use crate::config::{ExportFormat, GridsCommand};

pub async fn run(pool: &PgPool, command: GridsCommand) -> anyhow::Result<()> {
    let scope = all_communities(pool).await?;
    match command {
        GridsCommand::Generate { which, min, max, target, seed, note, json } => {
            let communities = match which.community {
                Some(name) => vec![community(pool, &name).await?],
                None => scope.clone(),
            };
            let options = GenerateOptions { bounds: Bounds { min, max, target }, seed, note };
            generate(pool, communities, &scope, options, json).await
        }
        GridsCommand::Validate { plan, community: name, json } => {
            let plan = match (plan, name) {
                (Some(plan), _) => plan,
                (None, Some(name)) => newest_plan(pool, community(pool, &name).await?).await?,
                (None, None) => bail!("give --plan ID or --community NAME"),
            };
            let mut db = pool.acquire().await?;
            let (violations, milliseconds) = plans::validate(&mut db, plan, &scope).await?;
            if json {
                println!(
                    "{}",
                    json!({ "plan": plan, "valid": violations.is_empty(), "violations": violations, "milliseconds": milliseconds })
                );
            } else if violations.is_empty() {
                println!("plan {plan} is valid ({milliseconds:.0} ms)");
            } else {
                println!("plan {plan} has {} violations ({milliseconds:.0} ms):", violations.len());
                for v in &violations {
                    println!("  {:<15} {:<10} {}", v.code.as_deref().unwrap_or("-"), v.kind, v.message);
                }
            }
            Ok(())
        }
        GridsCommand::Publish { plan, force } => {
            let view = plans::publish(pool, plan, &scope, force, &Actor::command_line()).await?;
            println!("plan {plan} of {} is published: {} grids", view.plan.community, view.grids.len());
            Ok(())
        }
        GridsCommand::Export { plan, community: name, format, output } => {
            let plan = match (plan, name) {
                (Some(plan), _) => plan,
                (None, Some(name)) => {
                    let id = community(pool, &name).await?;
                    plans::store::published(pool, id)
                        .await?
                        .with_context(|| format!("community «{name}» has no published plan"))?
                }
                (None, None) => bail!("give --plan ID or --community NAME"),
            };
            let mut db = pool.acquire().await?;
            let text = match format {
                ExportFormat::Geojson => plans::grids_geojson(&mut db, plan, &scope).await?,
                ExportFormat::Csv => plans::export_csv(&mut db, plan, &scope).await?,
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?
                }
                None => println!("{text}"),
            }
            Ok(())
        }
    }
}

async fn all_communities(pool: &PgPool) -> anyhow::Result<Vec<i64>> {
    Ok(sqlx::query_scalar("select id from communities order by id").fetch_all(pool).await?)
}

/// A community by id or by name (which must be unique across sub-districts).
async fn community(pool: &PgPool, name: &str) -> anyhow::Result<i64> {
    let ids: Vec<i64> = sqlx::query_scalar("select id from communities where name = $1 or id::text = $1 order by id")
        .bind(name)
        .fetch_all(pool)
        .await?;
    match ids[..] {
        [id] => Ok(id),
        [] => bail!("no community «{name}»"),
        _ => bail!("«{name}» names {} communities; give its id", ids.len()),
    }
}

async fn newest_plan(pool: &PgPool, community_id: i64) -> anyhow::Result<i64> {
    sqlx::query_scalar("select id from plans where community_id = $1 order by version desc limit 1")
        .bind(community_id)
        .fetch_optional(pool)
        .await?
        .context("the community has no plan yet: run `wangge grids generate` first")
}

/// Generates the communities' plans, with a progress bar for more than one.
async fn generate(
    pool: &PgPool,
    communities: Vec<i64>,
    scope: &[i64],
    options: GenerateOptions,
    json: bool,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let progress = if communities.len() > 1 { crate::import::progress_bar() } else { indicatif::ProgressBar::hidden() };
    progress.set_length(communities.len() as u64);
    let mut outcomes = jobs::generate_many(
        pool.clone(),
        communities,
        scope.into(),
        options,
        Actor::command_line(),
        jobs::default_workers(),
    );
    let mut results = Vec::new();
    while let Some((index, id, took, outcome)) = outcomes.recv().await {
        let mut plan = plan_json(&outcome.with_context(|| format!("community {id}"))?);
        plan["milliseconds"] = json!((took.as_secs_f64() * 1e4).round() / 10.0);
        results.push((index, plan));
        progress.inc(1);
    }
    progress.finish_and_clear();
    results.sort_by_key(|(index, _)| *index);
    let seconds = started.elapsed().as_secs_f64();
    if json {
        let plans: Vec<_> = results.into_iter().map(|(_, plan)| plan).collect();
        println!("{}", json!({ "plans": plans, "seconds": seconds }));
    } else {
        let mut out = String::new();
        for (_, plan) in &results {
            print_plan(&mut out, plan);
        }
        let grids: usize = results.iter().map(|(_, p)| p["grids"].as_array().map_or(0, Vec::len)).sum();
        let within = results
            .iter()
            .filter_map(|(_, p)| p["grids"].as_array())
            .flatten()
            .filter(|g| g["status"] == "within")
            .count();
        let _ = writeln!(out, "{} plans, {grids} grids ({within} within bounds) in {seconds:.1} s", results.len());
        print!("{out}");
    }
    Ok(())
}

fn plan_json(plan: &PlanView) -> serde_json::Value {
    let grids: Vec<_> = plan
        .grids
        .iter()
        .map(|g| {
            json!({
                "code": g.code, "households": g.figures.households, "buildings": g.figures.buildings,
                "connected": g.figures.connected, "polsby_popper": g.figures.polsby_popper, "status": g.figures.status,
            })
        })
        .collect();
    json!({
        "community": plan.plan.community, "plan": plan.plan.id, "version": plan.plan.version, "grids": grids,
        "feasible": plan.plan.feasible, "explanation": plan.plan.explanation,
    })
}

fn print_plan(out: &mut String, plan: &serde_json::Value) {
    let verdict = if plan["feasible"] == true { "every grid within bounds" } else { "NOT feasible" };
    let grids = plan["grids"].as_array().map(Vec::as_slice).unwrap_or_default();
    let (community, id, version) = (plan["community"].as_str().unwrap_or_default(), &plan["plan"], &plan["version"]);
    let _ = writeln!(out, "{community} — draft plan {id} (version {version}): {} grids, {verdict}", grids.len());
    if let Some(explanation) = plan["explanation"].as_str() {
        let _ = writeln!(out, "  {explanation}");
    }
    let _ = writeln!(
        out,
        "  {:<15} {:>10} {:>9} {:>9} {:>13}",
        "code", "households", "buildings", "connected", "polsby-popper"
    );
    for g in grids {
        let connected = if g["connected"] == true { "yes" } else { "NO" };
        let code = g["code"].as_str().unwrap_or_default();
        let pp = g["polsby_popper"].as_f64().unwrap_or_default();
        let _ = writeln!(out, "  {code:<15} {:>10} {:>9} {connected:>9} {pp:>13.3}", g["households"], g["buildings"]);
    }
}
