//! Queries on the plan tables. Everything that changes a plan runs inside the caller's
//! transaction, with the plan's row locked first.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::{FromRow, PgConnection, PgExecutor};
use utoipa::ToSchema;

use super::edit::{GridEntry, ParcelEntry, PartKey, PartKind, State};
use super::figures::Figures;
use crate::audit::Actor;
use crate::grids::codes::{self, Prefix};
use crate::grids::partition::Bounds;

/// A plan's row, with its community's name and its edit history's length.
#[derive(Debug, Clone, Serialize, FromRow, ToSchema)]
pub struct PlanRow {
    pub id: i64,
    pub community_id: i64,
    pub community: String,
    pub version: i32,
    /// `draft`, `published` or `archived`.
    pub status: String,
    pub note: Option<String>,
    pub author: String,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub based_on: Option<i64>,
    #[serde(skip)]
    pub min_households: i32,
    #[serde(skip)]
    pub max_households: i32,
    #[serde(skip)]
    pub target_households: i32,
    pub feasible: bool,
    pub explanation: Option<String>,
    pub moved_households: i32,
    #[serde(skip)]
    pub edit_seq: i32,
    #[serde(skip)]
    pub last_edit: i32,
    pub grid_count: i64,
}

impl PlanRow {
    pub fn bounds(&self) -> Bounds {
        let n = |v: i32| v.max(0) as u32;
        Bounds { min: n(self.min_households), max: n(self.max_households), target: n(self.target_households) }
    }
}

/// Each building's grid in plan `$1` (`building_id, grid`): the grid holding most of its
/// households (a split tower's parts summed per grid; ties to the lower number). Buildings in no
/// grid are absent.
pub const BUILDING_GRID: &str = "select distinct on (x.building_id) x.building_id, x.grid
    from (select building_id, grid, sum(households) as households from plan_parcels
          where plan_id = $1 and grid is not null group by building_id, grid) x
    order by x.building_id, x.households desc, x.grid";

const PLAN_COLUMNS: &str = "p.id, p.community_id, c.name as community, p.version, p.status, p.note, p.author,
    p.created_at, p.published_at, p.based_on, p.min_households, p.max_households, p.target_households,
    p.feasible, p.explanation, p.moved_households, p.edit_seq,
    (select coalesce(max(seq), 0) from plan_edits e where e.plan_id = p.id) as last_edit,
    (select count(*) from plan_grids g where g.plan_id = p.id) as grid_count
    from plans p join communities c on c.id = p.community_id";

/// One plan among the communities of `scope`; with `lock`, its row is locked for the transaction.
pub async fn plan(db: impl PgExecutor<'_>, id: i64, scope: &[i64], lock: bool) -> Result<Option<PlanRow>, sqlx::Error> {
    let sql = format!(
        "select {PLAN_COLUMNS} where p.id = $1 and p.community_id = any($2){}",
        if lock { " for update of p" } else { "" }
    );
    sqlx::query_as(&sql).bind(id).bind(scope).fetch_optional(db).await
}

/// A community's plans, newest first.
pub async fn plans(db: impl PgExecutor<'_>, community_id: i64) -> Result<Vec<PlanRow>, sqlx::Error> {
    let sql = format!("select {PLAN_COLUMNS} where p.community_id = $1 order by p.version desc");
    sqlx::query_as(&sql).bind(community_id).fetch_all(db).await
}

/// The community's published plan, if any.
pub async fn published(db: impl PgExecutor<'_>, community_id: i64) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("select id from plans where community_id = $1 and status = 'published'")
        .bind(community_id)
        .fetch_optional(db)
        .await
}

/// What a new plan row holds.
pub struct NewPlan<'a> {
    pub community_id: i64,
    pub note: Option<&'a str>,
    pub based_on: Option<i64>,
    pub bounds: Bounds,
    pub seed: Option<u64>,
    pub feasible: bool,
    pub explanation: Option<&'a str>,
    pub moved_households: u32,
}

pub async fn insert_plan(db: &mut PgConnection, new: &NewPlan<'_>, actor: &Actor) -> Result<i64, sqlx::Error> {
    // The community's row lock serialises version numbers.
    sqlx::query("select 1 from communities where id = $1 for update").bind(new.community_id).execute(&mut *db).await?;
    sqlx::query_scalar(
        "insert into plans (community_id, version, note, author_id, author, based_on, min_households, max_households,
                            target_households, seed, feasible, explanation, moved_households)
         values ($1, (select coalesce(max(version), 0) + 1 from plans where community_id = $1), $2, $3, $4, $5,
                 $6, $7, $8, $9, $10, $11, $12)
         returning id",
    )
    .bind(new.community_id)
    .bind(new.note)
    .bind(actor.id)
    .bind(actor.name.as_deref().unwrap_or("command line"))
    .bind(new.based_on)
    .bind(new.bounds.min as i32)
    .bind(new.bounds.max as i32)
    .bind(new.bounds.target as i32)
    .bind(new.seed.map(|s| s as i64))
    .bind(new.feasible)
    .bind(new.explanation)
    .bind(new.moved_households as i32)
    .fetch_one(&mut *db)
    .await
}

pub async fn load_state(db: &mut PgConnection, plan_id: i64) -> Result<State, sqlx::Error> {
    let grids: Vec<(i32, String, String, bool)> =
        sqlx::query_as("select number, code, name, locked from plan_grids where plan_id = $1 order by number")
            .bind(plan_id)
            .fetch_all(&mut *db)
            .await?;
    let parcels: Vec<(i64, String, i32, i32, i32, Option<i32>)> = sqlx::query_as(
        "select building_id, part, first, last, households, grid from plan_parcels
         where plan_id = $1 order by building_id, first",
    )
    .bind(plan_id)
    .fetch_all(&mut *db)
    .await?;
    let u = |v: i32| v.max(0) as u32;
    Ok(State {
        grids: grids
            .into_iter()
            .map(|(n, code, name, locked)| GridEntry { number: u(n), code, name, locked })
            .collect(),
        parcels: parcels
            .into_iter()
            .map(|(building, part, first, last, households, grid)| ParcelEntry {
                building,
                part: PartKey {
                    kind: PartKind::parse(&part).unwrap_or(PartKind::Whole),
                    first: u(first),
                    last: u(last),
                },
                households: u(households),
                grid: grid.map(u),
            })
            .collect(),
    })
}

/// Replaces the plan's grids and parcels by `state`, with the figures of its grids.
pub async fn save_state(
    db: &mut PgConnection,
    plan_id: i64,
    state: &State,
    figures: &Figures,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from plan_parcels where plan_id = $1").bind(plan_id).execute(&mut *db).await?;
    sqlx::query("delete from plan_grids where plan_id = $1").bind(plan_id).execute(&mut *db).await?;
    let g = &state.grids;
    let f = &figures.grids;
    sqlx::query(
        "insert into plan_grids (plan_id, number, code, name, locked, households, buildings, parcels, connected,
                                 polsby_popper, status)
         select $1, * from unnest($2::int[], $3::text[], $4::text[], $5::bool[], $6::int[], $7::int[], $8::int[],
                                  $9::bool[], $10::float8[], $11::text[])",
    )
    .bind(plan_id)
    .bind(g.iter().map(|g| g.number as i32).collect::<Vec<_>>())
    .bind(g.iter().map(|g| g.code.clone()).collect::<Vec<_>>())
    .bind(g.iter().map(|g| g.name.clone()).collect::<Vec<_>>())
    .bind(g.iter().map(|g| g.locked).collect::<Vec<_>>())
    .bind(f.iter().map(|f| f.households as i32).collect::<Vec<_>>())
    .bind(f.iter().map(|f| f.buildings as i32).collect::<Vec<_>>())
    .bind(f.iter().map(|f| f.parcels as i32).collect::<Vec<_>>())
    .bind(f.iter().map(|f| f.connected).collect::<Vec<_>>())
    .bind(f.iter().map(|f| f.polsby_popper).collect::<Vec<_>>())
    .bind(f.iter().map(|f| f.status.to_owned()).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    let p = &state.parcels;
    sqlx::query(
        "insert into plan_parcels (plan_id, building_id, part, first, last, households, grid)
         select $1, * from unnest($2::bigint[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[])",
    )
    .bind(plan_id)
    .bind(p.iter().map(|p| p.building).collect::<Vec<_>>())
    .bind(p.iter().map(|p| p.part.kind.as_str().to_owned()).collect::<Vec<_>>())
    .bind(p.iter().map(|p| p.part.first as i32).collect::<Vec<_>>())
    .bind(p.iter().map(|p| p.part.last as i32).collect::<Vec<_>>())
    .bind(p.iter().map(|p| p.households as i32).collect::<Vec<_>>())
    .bind(p.iter().map(|p| p.grid.map(|g| g as i32)).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Keeps an edit (seq `seq`, the state after it) and forgets edits that were undone before it.
pub async fn record_edit(
    db: &mut PgConnection,
    plan_id: i64,
    seq: i32,
    op: &Value,
    state: &State,
    actor: &Actor,
) -> Result<(), sqlx::Error> {
    sqlx::query("delete from plan_edits where plan_id = $1 and seq >= $2")
        .bind(plan_id)
        .bind(seq)
        .execute(&mut *db)
        .await?;
    sqlx::query("insert into plan_edits (plan_id, seq, op, state, actor_id, actor) values ($1, $2, $3, $4, $5, $6)")
        .bind(plan_id)
        .bind(seq)
        .bind(op)
        .bind(serde_json::to_value(state).map_err(|e| sqlx::Error::Encode(Box::new(e)))?)
        .bind(actor.id)
        .bind(actor.name.as_deref().unwrap_or("command line"))
        .execute(&mut *db)
        .await?;
    set_edit_seq(db, plan_id, seq).await
}

pub async fn set_edit_seq(db: impl PgExecutor<'_>, plan_id: i64, seq: i32) -> Result<(), sqlx::Error> {
    sqlx::query("update plans set edit_seq = $2 where id = $1").bind(plan_id).bind(seq).execute(db).await?;
    Ok(())
}

/// The state kept with edit `seq`.
pub async fn edit_state(db: impl PgExecutor<'_>, plan_id: i64, seq: i32) -> Result<Option<State>, sqlx::Error> {
    let state: Option<Value> = sqlx::query_scalar("select state from plan_edits where plan_id = $1 and seq = $2")
        .bind(plan_id)
        .bind(seq)
        .fetch_optional(db)
        .await?;
    state.map(|v| serde_json::from_value(v).map_err(|e| sqlx::Error::Decode(Box::new(e)))).transpose()
}

/// The 12-digit prefix of the community's grid codes. A sub-district or community without a code
/// gets the next free one (sub-districts `000000` + 3 digits, for an unknown county code).
pub async fn code_prefix(db: &mut PgConnection, community_id: i64) -> Result<Option<Prefix>, sqlx::Error> {
    sqlx::query(
        "update districts d set code = '000000' || lpad((select coalesce(max(substr(code, 7, 3)::int), 0) + 1
                                                          from districts where code like '000000%')::text, 3, '0')
         where d.id = (select district_id from communities where id = $1) and d.code is null",
    )
    .bind(community_id)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "update communities c set code = lpad((select coalesce(max(code::int), 0) + 1 from communities
                                               where district_id = c.district_id)::text, 3, '0')
         where c.id = $1 and c.code is null",
    )
    .bind(community_id)
    .execute(&mut *db)
    .await?;
    let (district, community): (String, String) = sqlx::query_as(
        "select d.code, c.code from communities c join districts d on d.id = c.district_id where c.id = $1",
    )
    .bind(community_id)
    .fetch_one(&mut *db)
    .await?;
    Ok(Prefix::new(&district, &community))
}

/// One above the largest grid sequence in the community's register (every code ever published)
/// and in plan `plan_id`, if given: drafts never published do not use up codes.
pub async fn next_sequence(
    db: impl PgExecutor<'_>,
    community_id: i64,
    plan_id: Option<i64>,
) -> Result<u32, sqlx::Error> {
    let codes: Vec<String> = sqlx::query_scalar(
        "select code from grids where community_id = $1 union select code from plan_grids where plan_id = $2",
    )
    .bind(community_id)
    .bind(plan_id)
    .fetch_all(db)
    .await?;
    Ok(codes.iter().filter_map(|c| codes::sequence(c)).max().unwrap_or(0) + 1)
}

/// Marks `plan_id` published (archiving the plan it replaces) and brings the grid register up to
/// date: its codes in force from today (or still), the replaced plan's other codes ended today.
pub async fn publish(db: &mut PgConnection, plan: &PlanRow) -> Result<Option<i64>, sqlx::Error> {
    let replaced: Option<i64> = sqlx::query_scalar(
        "update plans set status = 'archived', archived_at = now()
         where community_id = $1 and status = 'published' returning id",
    )
    .bind(plan.community_id)
    .fetch_optional(&mut *db)
    .await?;
    sqlx::query("update plans set status = 'published', published_at = now() where id = $1")
        .bind(plan.id)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "update grids set ended_on = current_date
         where community_id = $1 and ended_on is null
           and code not in (select code from plan_grids where plan_id = $2)",
    )
    .bind(plan.community_id)
    .bind(plan.id)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into grids (community_id, code, name, started_on, plan_id, boundary)
         select $1, code, name, current_date, $2, boundary from plan_grids where plan_id = $2
         on conflict (code) do update
            set name = excluded.name, plan_id = excluded.plan_id, boundary = excluded.boundary,
                started_on = case when grids.ended_on is null then grids.started_on else current_date end,
                ended_on = null",
    )
    .bind(plan.community_id)
    .bind(plan.id)
    .execute(&mut *db)
    .await?;
    Ok(replaced)
}
