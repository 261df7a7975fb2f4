//! Plans in and out: GeoJSON of grids and buildings for the map, the diff of two plans, and the
//! equivalency CSV (building source id, grid code) that districting tools exchange. A tower split
//! between grids is one CSV row, in the grid holding most of its households.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;

use super::edit::{GridEntry, ParcelEntry, State};
use super::store::{self, NewPlan};
use super::{PlanError, PlanView, audit, not_found, request, require_community, score, summary_of, view, write};
use crate::audit::Actor;
use crate::grids::codes;
use crate::grids::partition::{Bounds, Part};

/// Most rows an equivalency CSV may have.
pub const MAX_CSV_ROWS: usize = 200_000;

/// Each building's grid code in plan `$1` (`building_id, code`), from [`store::BUILDING_GRID`].
fn main_code() -> String {
    format!(
        "select m.building_id, g.code from ({}) m join plan_grids g on g.plan_id = $1 and g.number = m.grid",
        store::BUILDING_GRID
    )
}

/// The plan's grids as a GeoJSON FeatureCollection.
pub async fn grids_geojson(db: &mut PgConnection, plan_id: i64, scope: &[i64]) -> Result<String, PlanError> {
    store::plan(&mut *db, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    Ok(sqlx::query_scalar(
        "select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                    'type', 'Feature', 'id', number, 'geometry', st_asgeojson(boundary, 7)::json,
                    'properties', json_build_object('number', number, 'code', code, 'name', name,
                        'households', households, 'buildings', buildings, 'status', status,
                        'connected', connected, 'locked', locked))
                order by number), '[]'::json))::text
         from plan_grids where plan_id = $1",
    )
    .bind(plan_id)
    .fetch_one(&mut *db)
    .await?)
}

/// The plan's community's buildings as a GeoJSON FeatureCollection, each with its grid (the one
/// holding most of its households) and, for a split tower, its parts.
pub async fn buildings_geojson(db: &mut PgConnection, plan_id: i64, scope: &[i64]) -> Result<String, PlanError> {
    let plan = store::plan(&mut *db, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    let sql = format!(
        "with main as ({main}),
         parts as (
             select building_id, json_agg(json_build_object(part, json_build_array(first, last),
                                                            'households', households, 'grid', grid) order by first) as parts
             from plan_parcels where plan_id = $1 and part <> 'whole' group by building_id)
         select json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(json_build_object(
                    'type', 'Feature', 'id', b.id, 'geometry', st_asgeojson(b.footprint, 7)::json,
                    'properties', json_build_object('id', b.id, 'source_id', b.source_id, 'name', b.name,
                        'households', b.households, 'estate_id', b.estate_id, 'grid', m.grid,
                        'parts', coalesce(p.parts, '[]'::json)))
                order by b.id), '[]'::json))::text
         from buildings b
         left join main m on m.building_id = b.id
         left join parts p on p.building_id = b.id
         where b.community_id = $2",
        main = store::BUILDING_GRID,
    );
    Ok(sqlx::query_scalar(&sql).bind(plan_id).bind(plan.community_id).fetch_one(&mut *db).await?)
}

/// A building whose grid differs between two plans.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, ToSchema)]
pub struct Change {
    pub building: i64,
    pub source_id: String,
    pub households: i32,
    /// Its grid's code in the first plan (null: in no grid).
    pub from: Option<String>,
    /// Its grid's code in the second plan (null: in no grid).
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Diff {
    pub changes: Vec<Change>,
    pub moved_households: i64,
}

/// The buildings whose grid code differs from plan `a` to plan `b` of one community.
pub async fn diff(db: &mut PgConnection, a: i64, b: i64, scope: &[i64]) -> Result<Diff, PlanError> {
    let from = store::plan(&mut *db, a, scope, false).await?.ok_or_else(|| not_found(a))?;
    let to = store::plan(&mut *db, b, scope, false).await?.ok_or_else(|| not_found(b))?;
    if from.community_id != to.community_id {
        return Err(PlanError::invalid("plan", format!("plans {a} and {b} are of different communities")));
    }
    let sql = format!(
        "with a as ({main_a}), b as ({main_b})
         select bl.id as building, bl.source_id, bl.households, a.code as from, b.code as to
         from buildings bl left join a on a.building_id = bl.id left join b on b.building_id = bl.id
         where bl.community_id = $3 and a.code is distinct from b.code
         order by bl.id",
        main_a = main_code(),
        main_b = main_code().replace("$1", "$2"),
    );
    let changes: Vec<Change> = sqlx::query_as(&sql).bind(a).bind(b).bind(from.community_id).fetch_all(&mut *db).await?;
    let moved_households = changes.iter().map(|c| i64::from(c.households)).sum();
    Ok(Diff { changes, moved_households })
}

/// The equivalency CSV of a plan: `building,grid` then one row per building in a grid.
pub async fn export_csv(db: &mut PgConnection, plan_id: i64, scope: &[i64]) -> Result<String, PlanError> {
    store::plan(&mut *db, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    let sql = format!(
        "with m as ({}) select b.source_id, m.code from m join buildings b on b.id = m.building_id order by m.code, b.source_id",
        main_code()
    );
    let rows: Vec<(String, String)> = sqlx::query_as(&sql).bind(plan_id).fetch_all(&mut *db).await?;
    let mut out = csv::Writer::from_writer(Vec::new());
    let write = |out: &mut csv::Writer<Vec<u8>>, a: &str, b: &str| {
        out.write_record([a, b]).map_err(|e| PlanError::Internal(e.to_string()))
    };
    write(&mut out, "building", "grid")?;
    for (building, code) in &rows {
        write(&mut out, building, code)?;
    }
    let bytes = out.into_inner().map_err(|e| PlanError::Internal(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| PlanError::Internal(e.to_string()))
}

/// Reads `building,grid` rows (a header row is optional).
fn parse_csv(text: &str) -> Result<Vec<(usize, String, String)>, PlanError> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| PlanError::invalid("csv", format!("line {}: {e}", i + 1)))?;
        let line = record.position().map_or(i as u64 + 1, |p| p.line()) as usize;
        if record.iter().all(str::is_empty) {
            continue;
        }
        if record.len() != 2 {
            return Err(PlanError::invalid(
                "csv",
                format!("line {line}: expected 2 columns (building, grid), found {}", record.len()),
            ));
        }
        if i == 0 && codes::sequence(&record[1]).is_none() {
            continue; // a header
        }
        if rows.len() == MAX_CSV_ROWS {
            return Err(PlanError::invalid("csv", format!("at most {MAX_CSV_ROWS} rows")));
        }
        rows.push((line, record[0].to_owned(), record[1].to_owned()));
    }
    if rows.is_empty() {
        return Err(PlanError::invalid("csv", "no rows: expected lines of building source id, grid code"));
    }
    Ok(rows)
}

/// A draft from an equivalency CSV. Buildings it does not list are in no grid.
pub async fn import_csv(
    pool: &PgPool,
    community_id: i64,
    scope: &[i64],
    text: &str,
    actor: &Actor,
) -> Result<PlanView, PlanError> {
    let rows = parse_csv(text)?;
    let mut tx = pool.begin().await?;
    require_community(&mut tx, community_id, scope).await?;
    let prefix = store::code_prefix(&mut tx, community_id)
        .await?
        .ok_or_else(|| PlanError::Conflict("the community's sub-district or community code is malformed".into()))?;
    let sources: Vec<(String, i64)> = sqlx::query_as("select source_id, id from buildings where community_id = $1")
        .bind(community_id)
        .fetch_all(&mut *tx)
        .await?;
    let mut by_source: HashMap<String, Option<i64>> = HashMap::new();
    for (source_id, id) in sources {
        // Two sources may reuse an id: such a row is ambiguous.
        by_source.entry(source_id).and_modify(|e| *e = None).or_insert(Some(id));
    }
    let mut grid_of: HashMap<i64, String> = HashMap::new();
    for (line, source_id, code) in &rows {
        let Some(seq) = codes::sequence(code) else {
            return Err(PlanError::invalid("csv", format!("line {line}: «{code}» is not a 15-digit grid code")));
        };
        if prefix.code(seq).as_deref() != Some(code.as_str()) {
            return Err(PlanError::invalid("csv", format!("line {line}: grid {code} is not a code of this community")));
        }
        let building = match by_source.get(source_id) {
            Some(Some(id)) => *id,
            Some(None) => {
                return Err(PlanError::invalid(
                    "csv",
                    format!("line {line}: building «{source_id}» is ambiguous in this community"),
                ));
            }
            None => {
                return Err(PlanError::invalid(
                    "csv",
                    format!("line {line}: no building «{source_id}» in this community"),
                ));
            }
        };
        if grid_of.insert(building, code.clone()).is_some() {
            return Err(PlanError::invalid("csv", format!("line {line}: building «{source_id}» is listed twice")));
        }
    }
    let codes: BTreeMap<&str, u32> =
        grid_of.values().map(String::as_str).collect::<std::collections::BTreeSet<_>>().into_iter().zip(1..).collect();
    let grids = codes
        .iter()
        .map(|(code, &number)| GridEntry {
            number,
            code: (*code).to_owned(),
            name: format!("第{}网格", codes::sequence(code).unwrap_or(number)),
            locked: false,
        })
        .collect();
    let bounds = Bounds::default();
    let loaded = request::load(&mut tx, community_id, bounds, 0).await?;
    let parcels = loaded
        .request
        .buildings
        .iter()
        .map(|b| ParcelEntry {
            building: b.id,
            part: Part::Whole.into(),
            households: b.households,
            grid: grid_of.get(&b.id).map(|code| codes[code.as_str()]),
        })
        .collect();
    let (_, state, figures) = score(loaded.request, State { grids, parcels }).await?;
    let new = NewPlan {
        community_id,
        note: Some("imported from an equivalency CSV"),
        based_on: None,
        bounds,
        seed: None,
        feasible: figures.violations.is_empty(),
        explanation: None,
        moved_households: 0,
    };
    let plan_id = store::insert_plan(&mut tx, &new, actor).await?;
    let row = store::plan(&mut *tx, plan_id, scope, false).await?.ok_or_else(|| not_found(plan_id))?;
    write(&mut tx, &row, &state, &figures).await?;
    store::record_edit(&mut tx, plan_id, 0, &json!({ "op": "import", "rows": rows.len() }), &state, actor).await?;
    let mut summary = summary_of(&figures, &state);
    summary["community_id"] = json!(community_id);
    summary["rows"] = json!(rows.len());
    audit(&mut tx, actor, "plan.import", (plan_id, community_id), summary).await?;
    tx.commit().await?;
    Ok(view(row, &state, figures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_with_or_without_a_header() {
        let rows = parse_csv("building,grid\nw1, 420111006001001\nw2,420111006001002\n,\n").unwrap();
        assert_eq!(rows, vec![(2, "w1".into(), "420111006001001".into()), (3, "w2".into(), "420111006001002".into())]);
        assert_eq!(parse_csv("w1,420111006001001").unwrap().len(), 1);
    }

    #[test]
    fn bad_csv_says_which_line() {
        let err = parse_csv("w1,420111006001001\nw2\n").unwrap_err();
        assert!(err.to_string().contains("line 2: expected 2 columns"), "{err}");
        assert!(parse_csv("building,grid\n").unwrap_err().to_string().contains("no rows"));
    }
}
