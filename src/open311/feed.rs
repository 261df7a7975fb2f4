//! The public feed of service requests (`GET /open311/v2/requests.json`): the cases of
//! non-private categories, whoever filed them (GeoReport is a public feed of what the city is
//! doing), each as GeoReport v2 shows a request: open or closed, the unit responsible, the
//! deadline, the point in WGS84 and the times in China Standard Time. Disputes never appear.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, TimeDelta, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use crate::cases::calendar::Calendar;
use crate::cases::workflow::Status;

/// The window a listing covers when no dates are given, and the widest one may ask for.
pub const WINDOW_DAYS: i64 = 90;
/// Most requests in one listing.
pub const MAX_REQUESTS: i64 = 1000;

/// GeoReport's two states: `open` until the case is closed or cancelled.
pub fn open311_status(status: Status) -> &'static str {
    match status {
        Status::Reported
        | Status::Registered
        | Status::Dispatched
        | Status::InProgress
        | Status::Backlog
        | Status::Handled
        | Status::Verified => "open",
        Status::Closed | Status::Cancelled => "closed",
    }
}

/// The workflow statuses behind `open` or `closed`.
pub fn statuses(open311: &str) -> Option<Vec<&'static str>> {
    let chosen: Vec<_> =
        Status::ALL.into_iter().filter(|s| open311_status(*s) == open311).map(Status::as_str).collect();
    (!chosen.is_empty()).then_some(chosen)
}

/// An ISO 8601 time: with an offset, or without one (China time), or a bare date (its start in
/// China).
pub fn parse_time(text: &str) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.to_utc());
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
        .or_else(|_| NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(chrono::NaiveTime::MIN)))
        .map_err(|_| format!("«{text}» is not an ISO 8601 time such as 2026-11-22T09:30:00+08:00"))?;
    local
        .and_local_timezone(Calendar::offset())
        .single()
        .map(|at| at.to_utc())
        .ok_or_else(|| format!("«{text}» is not a time in China"))
}

/// The window of a listing: `end` defaults to 90 days after `start`, else now; `start` to 90
/// days before `end`; at most 90 days wide.
pub fn window(
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let span = TimeDelta::days(WINDOW_DAYS);
    let end = end.unwrap_or_else(|| start.map_or(now, |s| s + span));
    let start = start.unwrap_or(end - span);
    if start > end {
        return Err("start_date is after end_date".into());
    }
    if end - start > span {
        return Err(format!("start_date and end_date are at most {WINDOW_DAYS} days apart"));
    }
    Ok((start, end))
}

/// A time as the feed writes it: `2026-11-22T09:30:00+08:00`.
pub fn china_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Calendar::offset()).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this sub-district's (the key's or `jurisdiction_id`'s).
    pub district: Option<i64>,
    /// These requests, whatever their category, status or time (GeoReport ignores the other
    /// parameters then).
    pub ids: Option<Vec<i64>>,
    pub codes: Option<Vec<String>>,
    /// Workflow statuses.
    pub statuses: Option<Vec<&'static str>>,
    /// Filed in this window.
    pub window: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Row {
    pub id: i64,
    pub status: String,
    pub category: String,
    pub service_name: String,
    pub description: String,
    pub organisation: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deadline: Option<DateTime<Utc>>,
    pub lon: f64,
    pub lat: f64,
    pub address: Option<String>,
    pub media_url: Option<String>,
    /// The last note of the case's log.
    pub last_note: Option<String>,
}

/// A service request as GeoReport v2 shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ServiceRequest {
    pub service_request_id: i64,
    pub status: &'static str,
    /// Closed requests: the last note of the case (the result, or what the resident was told).
    pub status_notes: Option<String>,
    pub service_name: String,
    pub service_code: String,
    pub description: String,
    pub agency_responsible: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub lat: f64,
    pub long: f64,
    pub media_url: Option<String>,
}

impl From<Row> for ServiceRequest {
    fn from(row: Row) -> Self {
        let status = open311_status(row.status.parse().unwrap_or(Status::Reported));
        ServiceRequest {
            service_request_id: row.id,
            status,
            status_notes: row.last_note.filter(|_| status == "closed"),
            service_name: row.service_name,
            service_code: row.category,
            description: row.description,
            agency_responsible: row.organisation,
            requested_datetime: china_time(row.created_at),
            updated_datetime: china_time(row.updated_at),
            expected_datetime: row.deadline.map(china_time),
            address: row.address,
            lat: row.lat,
            long: row.lon,
            media_url: row.media_url,
        }
    }
}

/// The requests selected, newest first, at most [`MAX_REQUESTS`]. The address is what the app
/// sent, else the building's, else the community's name; `media_url` what the app sent.
pub async fn requests(db: &mut PgConnection, selection: &Selection) -> Result<Vec<ServiceRequest>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(
        "select c.id, c.status, c.category, k.name as service_name, c.description, o.name as organisation,
                c.created_at, c.updated_at, c.deadline, st_x(c.location) as lon, st_y(c.location) as lat,
                coalesce(f.details->>'address_string', b.address, cm.name) as address,
                f.details->>'media_url' as media_url,
                (select e.note from case_events e where e.case_id = c.id and e.note is not null
                 order by e.id desc limit 1) as last_note
         from cases c
         join categories k on k.code = c.category
         join communities cm on cm.id = c.community_id
         left join buildings b on b.id = c.building_id
         left join organisations o on o.id = c.organisation_id
         left join lateral (select e.details from case_events e where e.case_id = c.id and e.from_status is null
                            order by e.id limit 1) f on true
         where not c.private
           and ($1::bigint is null or c.district_id = $1)
           and ($2::bigint[] is null or c.id = any($2))
           and ($3::text[] is null or c.category = any($3))
           and ($4::text[] is null or c.status = any($4))
           and ($5::timestamptz is null or c.created_at between $5 and $6)
         order by c.created_at desc, c.id desc
         limit $7",
    )
    .bind(selection.district)
    .bind(&selection.ids)
    .bind(&selection.codes)
    .bind(&selection.statuses)
    .bind(selection.window.map(|w| w.0))
    .bind(selection.window.map(|w| w.1))
    .bind(MAX_REQUESTS)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(ServiceRequest::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).map(|t| t.to_utc()).unwrap_or_default()
    }

    #[test]
    fn only_closed_and_cancelled_cases_are_closed() {
        let closed: Vec<Status> = Status::ALL.into_iter().filter(|s| open311_status(*s) == "closed").collect();
        assert_eq!(closed, [Status::Cancelled, Status::Closed]);
        assert_eq!(open311_status(Status::Verified), "open", "verified is not closed yet");
        assert_eq!(statuses("closed"), Some(vec!["cancelled", "closed"]));
        assert_eq!(statuses("open").map(|s| s.len()), Some(7));
        assert_eq!(statuses("pending"), None);
    }

    #[test]
    fn times_parse_with_an_offset_without_one_or_as_a_date_in_china() {
        let expected = at("2026-11-22T01:30:00Z");
        assert_eq!(parse_time("2026-11-22T09:30:00+08:00"), Ok(expected));
        assert_eq!(parse_time("2026-11-22T01:30:00Z"), Ok(expected));
        assert_eq!(parse_time("2026-11-22T09:30:00"), Ok(expected));
        assert_eq!(parse_time("2026-11-22T09:30"), Ok(expected));
        assert_eq!(parse_time("2026-11-22"), Ok(at("2026-11-21T16:00:00Z")));
        for bad in ["", "yesterday", "2026-13-01", "22/11/2026", "2026-11-22T25:00:00+08:00"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn times_are_written_in_china_time_to_the_second() {
        assert_eq!(china_time(at("2026-11-22T01:30:00.123456Z")), "2026-11-22T09:30:00+08:00");
        assert_eq!(china_time(at("2026-12-31T16:00:00Z")), "2027-01-01T00:00:00+08:00");
    }

    #[test]
    fn the_window_defaults_to_ninety_days_and_is_never_wider() {
        let now = at("2026-11-22T00:00:00Z");
        let days = TimeDelta::days;
        assert_eq!(window(None, None, now), Ok((now - days(90), now)));
        assert_eq!(window(Some(now - days(200)), None, now), Ok((now - days(200), now - days(110))));
        assert_eq!(window(None, Some(now - days(10)), now), Ok((now - days(100), now - days(10))));
        assert_eq!(window(Some(now - days(30)), Some(now), now), Ok((now - days(30), now)));
        assert!(window(Some(now - days(91)), Some(now), now).is_err_and(|e| e.contains("90 days")));
        assert!(window(Some(now), Some(now - days(1)), now).is_err_and(|e| e.contains("after")));
    }

    #[test]
    fn open_requests_keep_their_notes_to_themselves() {
        let row = Row {
            id: 7,
            status: "in_progress".into(),
            category: "order.noise".into(),
            service_name: "噪音扰民".into(),
            description: "夜间施工".into(),
            organisation: Some("居委会".into()),
            created_at: at("2026-11-22T01:30:00Z"),
            updated_at: at("2026-11-22T02:00:00Z"),
            deadline: None,
            lon: 114.4,
            lat: 30.5,
            address: None,
            media_url: None,
            last_note: Some("不属于居委会职责".into()),
        };
        let open = ServiceRequest::from(row.clone());
        assert_eq!((open.status, open.status_notes.as_deref()), ("open", None));
        assert_eq!((open.requested_datetime.as_str(), open.expected_datetime), ("2026-11-22T09:30:00+08:00", None));
        let closed =
            ServiceRequest::from(Row { status: "closed".into(), last_note: Some("已告知居民".into()), ..row });
        assert_eq!((closed.status, closed.status_notes.as_deref()), ("closed", Some("已告知居民")));
    }
}
