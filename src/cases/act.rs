//! Moving a case along its workflow: who may take which step, what each step needs (a reason, a
//! photo, a date, the original of a duplicate), and what it changes (routing again on return,
//! the deadline on dispatch and backlog, the counters of rework, backlog and returns).
//!
//! Who may act:
//! - register, cancel, dispatch: an administrator, or a handler of the sub-district office;
//! - start, return, backlog, resume, report, duplicate: the unit the case is routed to (a handler
//!   of that organisation, or the user of the person it names) or an administrator;
//! - verify, reject, close: the grid's team, the inspector who filed it, or an administrator;
//! - feedback (telling the resident): the unit, the sub-district office or an administrator.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use super::access::Viewer;
use super::store::{self, Case, NewEvent};
use super::submit::{Settings, attach, load_calendar};
use super::workflow::{Action, Status, transition};
use crate::audit::{self, Actor, Event};
use crate::refusal::Refusal;
use crate::units::categories;
use crate::units::routing::{self, Place};

/// Longest note on a step, in characters.
pub const MAX_NOTE_CHARS: usize = 2000;

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub action: Action,
    /// The reason, the report, what the resident was told.
    pub note: Option<String>,
    #[serde(default)]
    pub photos: Vec<i64>,
    /// Backlog: the new date the case will be solved by.
    pub until: Option<NaiveDate>,
    /// Duplicate: the case this one repeats.
    pub duplicate_of: Option<i64>,
}

/// How the viewer stands to a case, which decides the steps they may take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Standing {
    pub admin: bool,
    /// A handler of the case's sub-district office.
    pub office: bool,
    /// The unit the case is routed to.
    pub assignee: bool,
    /// The grid's team or the inspector who filed it.
    pub verifier: bool,
}

/// Whether a viewer of this standing may take the step.
pub fn may(standing: Standing, action: Action) -> bool {
    use Action as A;
    standing.admin
        || match action {
            A::Register | A::Cancel | A::Dispatch => standing.office,
            A::Start | A::Return | A::Backlog | A::Resume | A::Report | A::Duplicate => standing.assignee,
            A::Verify | A::Reject | A::Close => standing.verifier,
            A::Feedback => standing.assignee || standing.office,
        }
}

pub async fn standing(db: &mut PgConnection, case: &Case, viewer: &Viewer) -> Result<Standing, sqlx::Error> {
    let (office, person_user): (bool, bool) = sqlx::query_as(
        "select exists (select 1 from organisations where id = $1 and kind = 'district_office' and district_id = $2),
                exists (select 1 from people where id = $3 and user_id = $4)",
    )
    .bind(viewer.organisation_id)
    .bind(case.district_id)
    .bind(case.person_id)
    .bind(viewer.user_id)
    .fetch_one(db)
    .await?;
    let handler = viewer.role == "handler";
    Ok(Standing {
        admin: viewer.role == "admin",
        office: handler && office,
        assignee: person_user || (handler && viewer.organisation_id.is_some() && viewer.organisation_id == case.organisation_id),
        verifier: case.on_team || case.reporter_id == Some(viewer.user_id),
    })
}

/// The steps the viewer may take on the case now.
pub fn allowed(case: &Case, standing: Standing) -> Vec<Action> {
    case.status().allowed().into_iter().filter(|a| may(standing, *a)).collect()
}

fn required<'a>(value: Option<&'a str>, field: &'static str, what: &str) -> Result<&'a str, Refusal> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() <= MAX_NOTE_CHARS => Ok(v),
        Some(_) => Err(Refusal::invalid(field, "too_long", format!("a {field} has at most {MAX_NOTE_CHARS} characters"))),
        None => Err(Refusal::invalid(field, "required", format!("{what} needs a {field}"))),
    }
}

/// What a step changes on the case row besides its status.
#[derive(Default)]
struct Change {
    organisation: Option<Option<i64>>,
    person: Option<Option<i64>>,
    routing_reason: Option<String>,
    unhandled: Option<bool>,
    deadline: Option<Option<chrono::DateTime<Utc>>>,
    dispatched: bool,
    handled: bool,
    closed: bool,
    fed_back: bool,
    rework: bool,
    backlog: bool,
    returned: bool,
    duplicate_of: Option<i64>,
}

/// Takes one step on a case the viewer sees at `now` (the request's time; generated histories
/// step in the past); answers the case after it, or None when the step took it out of the
/// viewer's sight (a unit that returned it).
pub async fn act(
    db: &mut PgConnection,
    case_id: i64,
    step: &Step,
    viewer: &Viewer,
    actor: &Actor,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<Option<Case>, Refusal> {
    let case = store::get(db, case_id, viewer, true).await?.ok_or_else(|| Refusal::NotFound(format!("no case {case_id} in your area")))?;
    let from = case.status();
    let to = transition(from, step.action)?;
    let standing = standing(db, &case, viewer).await?;
    if !may(standing, step.action) {
        return Err(Refusal::Forbidden(format!("you may not {} this case", step.action)));
    }
    let note = step.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE_CHARS) {
        return Err(Refusal::invalid("note", "too_long", format!("a note has at most {MAX_NOTE_CHARS} characters")));
    }
    let mut change = Change::default();
    let mut details = json!({});
    match step.action {
        Action::Cancel => {
            required(note, "note", "cancelling")?;
        }
        Action::Reject => {
            required(note, "note", "sending back for rework")?;
            change.rework = true;
        }
        Action::Dispatch | Action::Return => {
            if step.action == Action::Return {
                required(note, "note", "returning a case")?;
                if is_office(db, case.organisation_id).await? {
                    return Err(Refusal::invalid("action", "owner_of_last_resort", "the sub-district office takes what nobody else owns (属地兜底); it cannot return a case"));
                }
                change.returned = true;
            }
            let routed = reroute(db, &case, (step.action == Action::Return).then_some(case.organisation_id).flatten()).await?;
            let deadline = match routed.deadline {
                Some(rule) => load_calendar(db, settings, now).await?.deadline(now, rule),
                None => None,
            };
            let decision = &routed.decision;
            change.organisation = Some(decision.organisation.as_ref().map(|o| o.id));
            change.person = Some(decision.person.as_ref().map(|p| p.id));
            change.routing_reason = serde_json::to_value(decision.reason).ok().and_then(|r| r.as_str().map(str::to_owned));
            change.unhandled = Some(decision.unhandled);
            change.deadline = Some(deadline);
            change.dispatched = true;
            details = json!({ "organisation": decision.organisation, "person": decision.person, "reason": decision.reason,
                              "fallback": decision.fallback, "unhandled": decision.unhandled, "deadline": deadline,
                              "explanation": routed.explanation, "returned_by": change.returned.then_some(case.organisation_id) });
        }
        Action::Backlog => {
            required(note, "note", "putting a case on the backlog")?;
            let until = step.until.ok_or_else(|| Refusal::invalid("until", "required", "the backlog needs the date the case will be solved by"))?;
            let today = (now + chrono::TimeDelta::hours(8)).date_naive();
            if until < today {
                return Err(Refusal::invalid("until", "in_the_past", "the new date is in the past"));
            }
            let deadline = load_calendar(db, settings, now).await?.end_of(until);
            change.deadline = Some(deadline);
            change.backlog = true;
            details = json!({ "until": until, "previous_deadline": case.deadline });
        }
        Action::Report => {
            required(note, "note", "reporting back")?;
            if step.photos.is_empty() {
                return Err(Refusal::invalid("photos", "photo_required", "reporting back needs at least one photo of the result"));
            }
            change.handled = true;
        }
        Action::Close => change.closed = true,
        Action::Feedback => {
            required(note, "note", "feedback to the resident")?;
            if case.fed_back_at.is_some() {
                return Err(Refusal::conflict("already_fed_back", "the resident has already been told the result"));
            }
            change.fed_back = true;
        }
        Action::Duplicate => {
            let original = step.duplicate_of.ok_or_else(|| Refusal::invalid("duplicate_of", "required", "name the case this one repeats"))?;
            link_duplicate(db, &case, original, actor, now).await?;
            change.duplicate_of = Some(original);
            details = json!({ "duplicate_of": original });
        }
        Action::Register | Action::Start | Action::Resume | Action::Verify => {}
    }
    if !step.photos.is_empty() && step.action != Action::Report && note.is_none() {
        return Err(Refusal::invalid("note", "required", "photos on a step come with a note"));
    }
    let event = store::append(db, NewEvent { case_id, at: now, actor, action: step.action.as_str(), from: Some(from), to, note, details }).await?;
    attach(db, &step.photos, actor, case_id, event).await?;
    write(db, case_id, to, &change, now).await?;
    let summary = json!({ "action": step.action, "from": from, "to": to });
    let entry = Event { action: "case.step", object_type: Some("case"), object_id: Some(case_id.to_string()), summary };
    audit::record_in(&mut *db, actor, entry, &[case.community_id]).await?;
    if to == Status::Cancelled && super::dead_spots::is_finding(&case.category) {
        sqlx::query("update cases set dead_spot_pending = true where id = $1").bind(case_id).execute(&mut *db).await?;
    }
    Ok(store::get(db, case_id, viewer, false).await?)
}

async fn is_office(db: &mut PgConnection, organisation: Option<i64>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists (select 1 from organisations where id = $1 and kind = 'district_office')")
        .bind(organisation)
        .fetch_one(db)
        .await
}

/// Routes the case again from where it is, passing over the unit that returned it.
async fn reroute(db: &mut PgConnection, case: &Case, returned_by: Option<i64>) -> Result<routing::Routing, Refusal> {
    let category = categories::leaf(db, &case.category).await?;
    let (lon, lat): (f64, f64) = sqlx::query_as("select st_x(location), st_y(location) from cases where id = $1")
        .bind(case.id)
        .fetch_one(&mut *db)
        .await?;
    let place = Place {
        lon,
        lat,
        district_id: case.district_id,
        community_id: case.community_id,
        community: case.community.clone(),
        grid_id: case.grid_id,
        grid_code: case.grid_code.clone(),
        estate_id: case.estate_id,
        building_id: case.building_id,
    };
    Ok(routing::route_at(db, place, category, returned_by).await?)
}

/// Checks the original of a duplicate and records the link on it too.
async fn link_duplicate(db: &mut PgConnection, case: &Case, original: i64, actor: &Actor, now: DateTime<Utc>) -> Result<(), Refusal> {
    let found: Option<(String, String)> = sqlx::query_as("select status, category from cases where id = $1 and community_id = $2")
        .bind(original)
        .bind(case.community_id)
        .fetch_optional(&mut *db)
        .await?;
    let (status, category) = found.ok_or_else(|| Refusal::invalid("duplicate_of", "unknown_case", format!("no case {original} in this community")))?;
    if original == case.id || status == Status::Cancelled.as_str() {
        return Err(Refusal::invalid("duplicate_of", "invalid_original", "a case repeats another case that is not cancelled"));
    }
    if category != case.category {
        return Err(Refusal::invalid("duplicate_of", "other_category", "a duplicate has the same category as its original"));
    }
    let status: Status = status.parse().map_err(|e: String| Refusal::invalid("duplicate_of", "invalid_original", e))?;
    let details = json!({ "duplicate": case.id, "number": case.number });
    store::append(db, NewEvent { case_id: original, at: now, actor, action: "duplicate_linked", from: Some(status), to: status, note: None, details }).await?;
    Ok(())
}

async fn write(db: &mut PgConnection, case_id: i64, to: Status, change: &Change, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update cases set status = $2, updated_at = $19,
                organisation_id = case when $3 then $4 else organisation_id end,
                person_id = case when $5 then $6 else person_id end,
                routing_reason = coalesce($7, routing_reason),
                unhandled = coalesce($8, unhandled),
                deadline = case when $9 then $10 else deadline end,
                dispatched_at = case when $11 then $19 else dispatched_at end,
                handled_at = case when $12 then $19 else handled_at end,
                closed_at = case when $13 then $19 else closed_at end,
                fed_back_at = case when $14 then $19 else fed_back_at end,
                rework_count = rework_count + $15::int,
                backlog_count = backlog_count + $16::int,
                returned_count = returned_count + $17::int,
                duplicate_of = coalesce($18, duplicate_of)
         where id = $1",
    )
    .bind(case_id)
    .bind(to.as_str())
    .bind(change.organisation.is_some())
    .bind(change.organisation.flatten())
    .bind(change.person.is_some())
    .bind(change.person.flatten())
    .bind(&change.routing_reason)
    .bind(change.unhandled)
    .bind(change.deadline.is_some())
    .bind(change.deadline.flatten())
    .bind(change.dispatched)
    .bind(change.handled)
    .bind(change.closed)
    .bind(change.fed_back)
    .bind(i32::from(change.rework))
    .bind(i32::from(change.backlog))
    .bind(i32::from(change.returned))
    .bind(change.duplicate_of)
    .bind(now)
    .execute(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_standing_takes_its_own_steps() {
        let office = Standing { office: true, ..Standing::default() };
        let assignee = Standing { assignee: true, ..Standing::default() };
        let verifier = Standing { verifier: true, ..Standing::default() };
        let admin = Standing { admin: true, ..Standing::default() };
        for action in Action::ALL {
            assert!(may(admin, action), "an administrator may {action}");
            assert!(!may(Standing::default(), action), "a bystander may not {action}");
        }
        assert!(may(office, Action::Register) && may(office, Action::Dispatch) && !may(office, Action::Report));
        assert!(may(assignee, Action::Report) && may(assignee, Action::Return) && !may(assignee, Action::Verify));
        assert!(may(verifier, Action::Verify) && may(verifier, Action::Close) && !may(verifier, Action::Report));
        assert!(may(assignee, Action::Feedback) && may(office, Action::Feedback) && !may(verifier, Action::Feedback));
    }

    #[test]
    fn required_fields_are_named() {
        assert!(matches!(required(None, "note", "x"), Err(Refusal::Invalid { field: "note", code: "required", .. })));
        assert!(matches!(required(Some("  "), "note", "x"), Err(Refusal::Invalid { code: "required", .. })));
        assert!(matches!(required(Some(&"字".repeat(2001)), "note", "x"), Err(Refusal::Invalid { code: "too_long", .. })));
        assert_eq!(required(Some(" 已清理 "), "note", "x").ok(), Some("已清理"));
    }
}
