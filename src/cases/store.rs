//! Case queries: one case or a page of them as the viewer may see them (private cases keep their
//! exact location and description from viewers outside the grid's team), its events and photos,
//! and the appends every change makes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::PgConnection;

use super::access::{Viewer, awaiting_office, team, visible};
use super::workflow::Status;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Case {
    pub id: i64,
    pub number: String,
    pub source: String,
    pub category: String,
    pub category_name: String,
    pub description: String,
    /// WGS84; for a private case shown to a viewer outside the grid's team, the point of its grid
    /// (or community) instead.
    pub lon: f64,
    pub lat: f64,
    /// Whether `lon`/`lat` are the grid's point rather than the pin.
    pub coarse: bool,
    pub submitted_crs: String,
    pub submitted_lon: f64,
    pub submitted_lat: f64,
    pub accuracy_m: Option<f32>,
    pub district_id: i64,
    pub community_id: i64,
    pub community: String,
    pub estate_id: Option<i64>,
    pub grid_id: Option<i64>,
    pub grid_code: Option<String>,
    pub building_id: Option<i64>,
    pub building: Option<String>,
    pub snapped_m: Option<f32>,
    pub reporter_id: Option<i64>,
    pub reporter_name: Option<String>,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    pub person_id: Option<i64>,
    pub person: Option<String>,
    pub person_phone: Option<String>,
    pub tier: Option<i16>,
    pub routing_reason: Option<String>,
    pub unhandled: bool,
    pub status: String,
    pub private: bool,
    pub deadline: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub handled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub fed_back_at: Option<DateTime<Utc>>,
    pub rework_count: i32,
    pub backlog_count: i32,
    pub returned_count: i32,
    pub duplicate_of: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the viewer is on the team of the case's grid.
    #[serde(skip)]
    pub on_team: bool,
}

impl Case {
    pub fn status(&self) -> Status {
        self.status.parse().unwrap_or(Status::Reported)
    }
}

/// The columns of [`Case`] for the case aliased `c`, with the viewer bound at `$1..$4`.
pub fn columns() -> String {
    format!(
        "c.id, c.number, c.source, c.category, k.name as category_name,
         case when hide then '' else c.description end as description,
         st_x(case when hide then coarse else c.location end) as lon,
         st_y(case when hide then coarse else c.location end) as lat,
         hide as coarse, c.submitted_crs,
         case when hide then st_x(coarse) else c.submitted_lon end as submitted_lon,
         case when hide then st_y(coarse) else c.submitted_lat end as submitted_lat,
         c.accuracy_m, c.district_id, c.community_id, cm.name as community, c.estate_id, c.grid_id,
         g.code as grid_code, case when hide then null else c.building_id end as building_id,
         case when hide then null else b.name end as building, c.snapped_m,
         c.reporter_id, c.reporter_name, c.organisation_id, o.name as organisation, c.person_id,
         p.name as person, p.phone as person_phone, c.tier, c.routing_reason, c.unhandled, c.status, c.private,
         c.deadline, c.status in ('dispatched', 'in_progress', 'backlog') and c.deadline < now() as overdue,
         c.dispatched_at, c.handled_at, c.closed_at, c.fed_back_at, c.rework_count, c.backlog_count,
         c.returned_count, c.duplicate_of, c.created_at, c.updated_at, on_team
         from cases c
         join categories k on k.code = c.category
         join communities cm on cm.id = c.community_id
         left join grids g on g.id = c.grid_id
         left join buildings b on b.id = c.building_id
         left join organisations o on o.id = c.organisation_id
         left join people p on p.id = c.person_id
         cross join lateral (select {team} as on_team) t
         -- `(select $2)`: a role compared as a constant would give each viewer a plan of its own,
         -- made anew at every execution (milliseconds, more than the query); this way the
         -- statement's cached plan serves everyone.
         cross join lateral (select c.private and (select $2) = 'leader' and not on_team as hide,
                                    case when c.private then coarse_point(c.grid_id, c.community_id) end as coarse) v",
        team = team(1),
    )
}

/// A case the viewer may see; `lock` locks its row for the transaction.
pub async fn get(db: &mut PgConnection, id: i64, viewer: &Viewer, lock: bool) -> Result<Option<Case>, sqlx::Error> {
    if lock {
        sqlx::query("select 1 from cases where id = $1 for update").bind(id).execute(&mut *db).await?;
    }
    let sql = format!("select {} where c.id = $5 and {}", columns(), visible(1));
    viewer.bind(sqlx::query_as(&sql)).bind(id).fetch_optional(db).await
}

/// Which cases to list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    pub status: Option<String>,
    pub category: Option<String>,
    pub community: Option<i64>,
    pub grid: Option<i64>,
    /// Open cases past their deadline.
    #[serde(default)]
    pub overdue: bool,
    /// Open cases due before the end of today (China time).
    #[serde(default)]
    pub due_today: bool,
    /// Only cases routed to the viewer's organisation or person (a handler's queue), and for the
    /// sub-district office those never dispatched (reports waiting to be registered).
    #[serde(default)]
    pub queue: bool,
    /// `deadline` (overdue first, then soonest; the default), `created` or `-created`.
    pub sort: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

pub const MAX_PAGE: i64 = 500;

/// The order a sort name stands for; only these (never the request's text) reach the SQL. By
/// deadline, cases past the unit's hands (handled, verified, closed, cancelled) come after those
/// still to be done: their deadlines are history, and would otherwise head a handler's queue.
pub fn order_by(sort: Option<&str>) -> Option<&'static str> {
    match sort.unwrap_or("deadline") {
        "deadline" => Some("overdue desc, c.status in ('handled', 'verified', 'closed', 'cancelled'), c.deadline asc nulls last, c.id"),
        "created" => Some("c.created_at, c.id"),
        "-created" => Some("c.created_at desc, c.id desc"),
        _ => None,
    }
}

pub async fn list(db: &mut PgConnection, filter: &Filter, viewer: &Viewer, order: &str) -> Result<Vec<Case>, sqlx::Error> {
    let sql = format!(
        "select * from (select {} where {}
           and ($5::text is null or c.status = $5)
           and ($6::text is null or c.category = $6 or c.category like $6 || '.%')
           and ($7::bigint is null or c.community_id = $7)
           and ($8::bigint is null or c.grid_id = $8)
           and (not $9 or (c.status in ('dispatched', 'in_progress', 'backlog') and c.deadline < now()))
           and (not $10 or (c.status in ('dispatched', 'in_progress', 'backlog')
                and c.deadline < ((now() at time zone 'Asia/Shanghai')::date + 1) at time zone 'Asia/Shanghai'))
           and (not $11 or c.organisation_id = $4 or c.person_id in (select id from people where user_id = $1) or {office})) c
         order by {order} limit $12 offset $13",
        columns(),
        visible(1),
        office = awaiting_office(4),
    );
    viewer
        .bind(sqlx::query_as(&sql))
        .bind(&filter.status)
        .bind(&filter.category)
        .bind(filter.community)
        .bind(filter.grid)
        .bind(filter.overdue)
        .bind(filter.due_today)
        .bind(filter.queue)
        .bind(filter.limit.unwrap_or(100).clamp(1, MAX_PAGE))
        .bind(filter.offset.unwrap_or(0).max(0))
        .fetch_all(db)
        .await
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CaseEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub note: Option<String>,
    #[schema(value_type = Object)]
    pub details: Value,
    pub photos: Vec<i64>,
}

pub async fn events(db: &mut PgConnection, case_id: i64) -> Result<Vec<CaseEvent>, sqlx::Error> {
    sqlx::query_as(
        "select e.id, e.at, e.actor_name, e.action, e.from_status, e.to_status, e.note, e.details,
                array(select ph.id from photos ph where ph.event_id = e.id order by ph.id) as photos
         from case_events e where e.case_id = $1 order by e.id",
    )
    .bind(case_id)
    .fetch_all(db)
    .await
}

/// One step of a case's log.
pub struct NewEvent<'a> {
    pub case_id: i64,
    /// When it happened: now, except in a generated history (the demo's, the simulator's).
    pub at: DateTime<Utc>,
    pub actor: &'a crate::audit::Actor,
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub note: Option<&'a str>,
    pub details: Value,
}

pub async fn append(db: &mut PgConnection, event: NewEvent<'_>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "insert into case_events (case_id, at, actor_id, actor_name, action, from_status, to_status, note, details)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
    )
    .bind(event.case_id)
    .bind(event.at)
    .bind(event.actor.id)
    .bind(event.actor.name.as_deref().unwrap_or("command line"))
    .bind(event.action)
    .bind(event.from.map(Status::as_str))
    .bind(event.to.as_str())
    .bind(event.note)
    .bind(event.details)
    .fetch_one(db)
    .await
}

/// Attaches the user's own unattached photos to a case and one of its events; answers how many
/// were attached (fewer than asked: some are not theirs, already used, or unknown).
pub async fn attach_photos(
    db: &mut PgConnection,
    photos: &[i64],
    uploader: i64,
    case_id: i64,
    event_id: i64,
) -> Result<u64, sqlx::Error> {
    let attached = sqlx::query(
        "update photos set case_id = $3, event_id = $4 where id = any($1) and uploader_id = $2 and case_id is null",
    )
    .bind(photos)
    .bind(uploader)
    .bind(case_id)
    .bind(event_id)
    .execute(db)
    .await?;
    Ok(attached.rows_affected())
}
