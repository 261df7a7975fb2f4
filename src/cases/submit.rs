//! Filing a case: the pin is converted to WGS84, placed in its community, grid and estate,
//! snapped onto a building with the locate index (within the reported GPS accuracy, else 30 m),
//! routed by its category's tier with a deadline in working time, and written with its first
//! events (reported → registered → dispatched) and photos, in one transaction; a sanitation
//! finding is left pending for its community's dead spots (settled once it commits). Inspectors and
//! administrators file through `POST /api/v1/cases`, residents' apps through Open311 with a
//! sub-district's key (src/open311).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;

use super::calendar::Calendar;
use super::store::{self, NewEvent};
use super::workflow::Status;
use crate::audit::{self, Actor, Event};
use crate::refusal::Refusal;
use crate::spatial::datum::Crs;
use crate::spatial::{is_latitude, is_longitude};
use crate::spatial::locate::LocateIndex;
use crate::units::{categories, routing};

/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
/// Most photos on one submission or step.
pub const MAX_PHOTOS: usize = 9;
/// How far a pin snaps onto a building when no accuracy is reported (a pin tapped on the map).
pub const SNAP_M: f64 = 30.0;
/// Bounds of the snap radius taken from a reported GPS accuracy.
pub const SNAP_RANGE_M: (f64, f64) = (10.0, 100.0);
/// Radius within which open cases of the same category are offered before filing a new one.
pub const DUPLICATE_RADIUS_M: f64 = 50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Inspector,
    Resident,
    Hotline,
    Open311,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Inspector => "inspector",
            Source::Resident => "resident",
            Source::Hotline => "hotline",
            Source::Open311 => "open311",
        }
    }

    /// Inspectors' and hotline operators' findings are filed as cases at once; residents' reports
    /// wait to be registered.
    fn registers_at_once(self) -> bool {
        matches!(self, Source::Inspector | Source::Hotline)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCase {
    pub lon: f64,
    pub lat: f64,
    #[serde(default)]
    pub crs: Crs,
    /// The phone's reported GPS accuracy, metres.
    pub accuracy_m: Option<f64>,
    pub category: String,
    #[serde(default)]
    pub description: String,
    /// Photos uploaded first (`POST /api/v1/photos`).
    #[serde(default)]
    pub photos: Vec<i64>,
    /// The resident's phone or e-mail, to tell them the result.
    pub reporter_contact: Option<String>,
    /// `inspector` (default), `hotline` (an operator typing a call in) or `resident`.
    pub source: Option<Source>,
    /// What a reporting app sent beyond the case's fields (Open311's `media_url` and
    /// `address_string`), kept in the details of the filing event; never read from the API's body.
    #[serde(skip)]
    pub details: Map<String, Value>,
}

/// What the service is configured with for submissions.
#[derive(Debug, Clone)]
pub struct Settings {
    pub calendar: super::calendar::WorkingHours,
    /// Above this reported accuracy (metres) the page warns before filing.
    pub accuracy_limit_m: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { calendar: Default::default(), accuracy_limit_m: 50.0 }
    }
}

/// The snap radius for a reported accuracy.
pub fn snap_radius(accuracy_m: Option<f64>) -> f64 {
    accuracy_m.map_or(SNAP_M, |a| a.clamp(SNAP_RANGE_M.0, SNAP_RANGE_M.1))
}

/// Checks what needs no database: coordinates, accuracy, text lengths, photo count.
pub fn check(new: &NewCase) -> Result<(f64, f64), Refusal> {
    if !is_longitude(new.lon) {
        return Err(Refusal::invalid("lon", "invalid_coordinates", format!("lon must be a longitude from -180 to 180, got {}", new.lon)));
    }
    if !is_latitude(new.lat) {
        return Err(Refusal::invalid("lat", "invalid_coordinates", format!("lat must be a latitude from -90 to 90, got {}", new.lat)));
    }
    if new.accuracy_m.is_some_and(|a| !a.is_finite() || a < 0.0) {
        return Err(Refusal::invalid("accuracy_m", "invalid_accuracy", "accuracy_m is a distance in metres, 0 or more"));
    }
    if new.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(Refusal::invalid("description", "too_long", format!("a description has at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    if new.reporter_contact.as_ref().is_some_and(|c| c.chars().count() > 100) {
        return Err(Refusal::invalid("reporter_contact", "too_long", "a contact has at most 100 characters"));
    }
    if new.photos.len() > MAX_PHOTOS {
        return Err(Refusal::invalid("photos", "too_many_photos", format!("at most {MAX_PHOTOS} photos")));
    }
    Ok(new.crs.to_wgs84(new.lon, new.lat))
}

/// Files the case at a point of one of the `scope` communities (the filer's area) at `now` (the
/// request's time; the demo's and the simulator's histories file in the past); answers its id.
pub async fn submit(
    db: &mut PgConnection,
    index: &LocateIndex,
    new: &NewCase,
    scope: &[i64],
    actor: &Actor,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Result<i64, Refusal> {
    let (lon, lat) = check(new)?;
    let source = new.source.unwrap_or(Source::Inspector);
    let category = categories::leaf(db, new.category.trim()).await?;
    let mut place = routing::locate(db, lon, lat, scope).await?.ok_or_else(|| {
        Refusal::invalid("lon", "outside_communities", format!("the pin ({lon:.6}, {lat:.6}) WGS84 is in no community of your area"))
    })?;
    let hit = index.locate(lon, lat, snap_radius(new.accuracy_m));
    place.building_id = hit.map(|h| h.building_id);
    let routing = routing::route_at(db, place, category, None).await?;
    let dispatched = source.registers_at_once();
    let deadline = match (dispatched, routing.deadline) {
        (true, Some(rule)) => load_calendar(db, settings, now).await?.deadline(now, rule),
        _ => None,
    };
    let status = if dispatched { Status::Dispatched } else { Status::Reported };
    let decision = &routing.decision;
    let id: i64 = sqlx::query_scalar(
        "insert into cases (number, source, category, description, location, submitted_crs, submitted_lon, submitted_lat,
                            accuracy_m, district_id, community_id, estate_id, grid_id, building_id, snapped_m,
                            reporter_id, reporter_name, reporter_contact, organisation_id, person_id, tier,
                            routing_reason, unhandled, status, private, deadline, dispatched_at, created_at, updated_at, dead_spot_pending)
         values (next_case_number($28),
                 $1, $2, $3, st_setsrid(st_makepoint($4, $5), 4326), $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                 $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $28, $29)
         returning id",
    )
    .bind(source.as_str())
    .bind(&routing.category.code)
    .bind(new.description.trim())
    .bind(lon)
    .bind(lat)
    .bind(new.crs.name().to_ascii_lowercase())
    .bind(new.lon)
    .bind(new.lat)
    .bind(new.accuracy_m.map(|a| a as f32))
    .bind(routing.place.district_id)
    .bind(routing.place.community_id)
    .bind(routing.place.estate_id)
    .bind(routing.place.grid_id)
    .bind(routing.place.building_id)
    .bind(hit.map(|h| h.distance_m as f32))
    .bind(actor.id)
    .bind(&actor.name)
    .bind(new.reporter_contact.as_deref().map(str::trim).filter(|c| !c.is_empty()))
    .bind(dispatched.then_some(decision.organisation.as_ref().map(|o| o.id)).flatten())
    .bind(dispatched.then_some(decision.person.as_ref().map(|p| p.id)).flatten())
    .bind(i16::from(routing.tier))
    .bind(serde_json::to_value(decision.reason).ok().and_then(|r| r.as_str().map(str::to_owned)))
    .bind(decision.unhandled)
    .bind(status.as_str())
    .bind(routing.category.private)
    .bind(deadline)
    .bind(dispatched.then_some(now))
    .bind(now)
    .bind(super::dead_spots::is_finding(&routing.category.code))
    .fetch_one(&mut *db)
    .await?;
    let event = |action, from, to, details| NewEvent { case_id: id, at: now, actor, action, from, to, note: None, details };
    let mut details = new.details.clone();
    details.insert("source".into(), json!(source));
    let reported = store::append(db, NewEvent { note: Some(new.description.trim()).filter(|d| !d.is_empty()), ..event("report", None, Status::Reported, Value::Object(details)) }).await?;
    if dispatched {
        store::append(db, event("register", Some(Status::Reported), Status::Registered, json!({}))).await?;
        let details = json!({ "organisation": decision.organisation, "person": decision.person, "reason": decision.reason,
                              "fallback": decision.fallback, "unhandled": decision.unhandled, "deadline": deadline,
                              "explanation": routing.explanation });
        store::append(db, event("dispatch", Some(Status::Registered), Status::Dispatched, details)).await?;
    }
    attach(db, &new.photos, actor, id, reported).await?;
    let summary = json!({ "category": routing.category.code, "status": status, "organisation": decision.organisation.as_ref().map(|o| o.id) });
    let entry = Event { action: "case.create", object_type: Some("case"), object_id: Some(id.to_string()), summary };
    audit::record_in(&mut *db, actor, entry, &[routing.place.community_id]).await?;
    Ok(id)
}

/// Attaches the actor's uploaded photos to a case's event, refusing photos that are not theirs
/// to attach.
pub async fn attach(db: &mut PgConnection, photos: &[i64], actor: &Actor, case_id: i64, event_id: i64) -> Result<(), Refusal> {
    if photos.is_empty() {
        return Ok(());
    }
    let mut unique = photos.to_vec();
    unique.sort_unstable();
    unique.dedup();
    let attached = store::attach_photos(db, &unique, actor.id.unwrap_or(0), case_id, event_id).await?;
    if attached as usize != unique.len() {
        return Err(Refusal::invalid("photos", "unknown_photo", "a photo is unknown, not uploaded by you, or already attached"));
    }
    Ok(())
}

/// The working calendar from `since` on: the configured hours and the exceptions stored.
pub async fn load_calendar(db: &mut PgConnection, settings: &Settings, since: DateTime<Utc>) -> Result<Calendar, sqlx::Error> {
    let days: Vec<(chrono::NaiveDate, bool)> =
        sqlx::query_as("select day, working from working_calendar where day >= ($1 at time zone 'Asia/Shanghai')::date - 1")
            .bind(since)
            .fetch_all(db)
            .await?;
    Ok(Calendar::new(settings.calendar.clone(), days))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_case(lon: f64, lat: f64) -> NewCase {
        NewCase {
            lon,
            lat,
            crs: Crs::Wgs84,
            accuracy_m: None,
            category: "sanitation.dead_spot".into(),
            description: String::new(),
            photos: vec![],
            reporter_contact: None,
            source: None,
            details: Map::new(),
        }
    }

    #[test]
    fn the_snap_radius_follows_the_reported_accuracy_within_bounds() {
        assert_eq!(snap_radius(None), SNAP_M);
        assert_eq!(snap_radius(Some(3.0)), 10.0);
        assert_eq!(snap_radius(Some(45.0)), 45.0);
        assert_eq!(snap_radius(Some(5000.0)), 100.0);
    }

    #[test]
    fn bad_coordinates_and_oversized_fields_are_named() {
        let field = |new: &NewCase| match check(new) {
            Err(Refusal::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(&new_case(f64::NAN, 30.0)), "lon");
        assert_eq!(field(&new_case(114.0, 91.0)), "lat");
        assert_eq!(field(&NewCase { accuracy_m: Some(-1.0), ..new_case(114.0, 30.0) }), "accuracy_m");
        assert_eq!(field(&NewCase { description: "脏".repeat(2001), ..new_case(114.0, 30.0) }), "description");
        assert_eq!(field(&NewCase { photos: (0..10).collect(), ..new_case(114.0, 30.0) }), "photos");
    }

    #[test]
    fn pins_in_other_datums_come_back_to_wgs84() {
        let (lon, lat) = (114.41, 30.50);
        let gcj = Crs::Gcj02.from_wgs84(lon, lat);
        let back = check(&NewCase { crs: Crs::Gcj02, ..new_case(gcj.0, gcj.1) }).unwrap_or_default();
        assert!((back.0 - lon).abs() < 1e-5 && (back.1 - lat).abs() < 1e-5, "{back:?}");
        let bd = Crs::Bd09.from_wgs84(lon, lat);
        let back = check(&NewCase { crs: Crs::Bd09, ..new_case(bd.0, bd.1) }).unwrap_or_default();
        assert!((back.0 - lon).abs() < 1e-5 && (back.1 - lat).abs() < 1e-5, "{back:?}");
    }
}
