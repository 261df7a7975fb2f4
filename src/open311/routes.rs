//! HTTP routes of Open311 GeoReport v2 under `/open311/v2/` (docs/CASES.md): the services (the
//! categories residents may report), filing a service request with an API key, and the public
//! feed of requests. JSON only (`.xml` answers 400); errors are GeoReport's
//! `[{"code", "description"}]`. No session: filing needs a key, reading needs nothing.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;
use utoipa::{IntoParams, ToSchema};

use super::feed::{self, Selection, ServiceRequest};
use super::keys::{self, Sender};
use crate::auth::role::AreaSpec;
use crate::auth::routes::Client;
use crate::auth::store::resolve_area;
use crate::cases::idempotency::{self, Claim, Owner};
use crate::cases::submit::{self, NewCase, Source};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::refusal::Refusal;
use crate::spatial::datum::Crs;
use crate::units::categories::{self, Category};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/services.json", get(services))
        .route("/open311/v2/services/{file}", get(service))
        .route("/open311/v2/requests.json", get(requests).post(create))
        .route("/open311/v2/requests/{file}", get(request))
        .route("/open311/{*rest}", any(unknown))
        // Applied to the routes above only: a GeoReport client reads every refusal as JSON.
        .method_not_allowed_fallback(|| async {
            Open311Error::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "services are read with GET; requests.json also takes POST",
            )
        })
}

/// GeoReport's error answer: `[{"code": status, "description"}]`.
#[derive(Debug)]
pub struct Open311Error {
    status: StatusCode,
    description: String,
    retry_after: Option<u64>,
}

impl Open311Error {
    fn new(status: StatusCode, description: impl Into<String>) -> Self {
        Open311Error { status, description: description.into(), retry_after: None }
    }

    fn bad_request(description: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, description)
    }

    fn not_found(description: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, description)
    }

    fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "the api_key is missing, unknown or revoked")
    }
}

/// One of GeoReport's errors; an error answer is an array of them (here always one).
#[derive(Debug, Serialize, ToSchema)]
pub struct GeoReportError {
    /// The HTTP status.
    code: u16,
    description: String,
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let body = [GeoReportError { code: self.status.as_u16(), description: self.description }];
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// The service's own errors (a rate limit, a failure of ours) in GeoReport's shape.
impl From<ApiError> for Open311Error {
    fn from(error: ApiError) -> Self {
        Open311Error { status: error.status, description: error.message, retry_after: error.retry_after }
    }
}

impl From<sqlx::Error> for Open311Error {
    fn from(error: sqlx::Error) -> Self {
        ApiError::internal(error).into()
    }
}

/// A refused filing: GeoReport answers a bad request with 400 where the API says 422.
impl From<Refusal> for Open311Error {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Invalid { message, .. } => Open311Error::bad_request(message),
            other => ApiError::from(other).into(),
        }
    }
}

impl From<PathRejection> for Open311Error {
    fn from(rejection: PathRejection) -> Self {
        Open311Error::bad_request(rejection.body_text())
    }
}

impl From<BytesRejection> for Open311Error {
    fn from(rejection: BytesRejection) -> Self {
        Open311Error::new(rejection.status(), rejection.body_text())
    }
}

/// The name of a document asked for as JSON (`7.json` → `7`); `.xml` is not served.
fn json_name(file: &str) -> Result<&str, Open311Error> {
    if let Some(name) = file.strip_suffix(".json") {
        Ok(name)
    } else if file.ends_with(".xml") {
        Err(Open311Error::bad_request("only JSON is served here: ask for .json"))
    } else {
        Err(Open311Error::not_found(format!("no Open311 document «{file}»; ask for .json")))
    }
}

async fn unknown(Path(rest): Path<String>) -> Open311Error {
    match json_name(&rest) {
        Ok(_) => Open311Error::not_found(format!("no Open311 resource «{rest}»")),
        Err(error) => error,
    }
}

/// A service: a sub-category residents may report.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Service {
    service_code: String,
    service_name: String,
    description: String,
    /// Always false: no service asks for attributes.
    metadata: bool,
    /// Always `realtime`.
    #[serde(rename = "type")]
    kind: &'static str,
    keywords: String,
    group: String,
}

/// The services: the sub-categories residents may report, which are all but the private ones
/// (disputes are filed by the grid's team).
fn offered(categories: &[Category]) -> Vec<Service> {
    categories
        .iter()
        .filter(|c| !c.private)
        .filter_map(|c| {
            let group = categories.iter().find(|g| c.parent.as_ref() == Some(&g.code))?;
            Some(Service {
                service_code: c.code.clone(),
                service_name: c.name.clone(),
                description: c.name_en.clone(),
                metadata: false,
                kind: "realtime",
                keywords: [group.name.as_str(), &group.name_en, &c.name_en].join(", "),
                group: group.name.clone(),
            })
        })
        .collect()
}

async fn service_list(db: &mut PgConnection) -> Result<Vec<Service>, sqlx::Error> {
    Ok(offered(&categories::list(db).await?))
}

/// Open311 GeoReport v2: the services, one per public sub-category.
#[utoipa::path(
    get, path = "/open311/v2/services.json", tag = "open311", security(()), operation_id = "open311_services",
    responses((status = 200, description = "The services", body = [Service]))
)]
async fn services(State(state): State<AppState>) -> Result<Response, Open311Error> {
    let mut db = state.pool.acquire().await?;
    Ok(axum::Json(service_list(&mut db).await?).into_response())
}

/// A service's definition: it asks for no attributes.
#[utoipa::path(
    get, path = "/open311/v2/services/{file}", tag = "open311", security(()), operation_id = "open311_service",
    params(("file" = String, Path, description = "The service code and `.json`: `order.noise.json`")),
    responses(
        (status = 200, description = "`{\"service_code\", \"attributes\": []}`", body = Object),
        (status = 400, description = "Not `.json`", body = [GeoReportError]),
        (status = 404, description = "No public service of that code", body = [GeoReportError]),
    )
)]
async fn service(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Open311Error> {
    let Path(file) = path?;
    let code = json_name(&file)?;
    let mut db = state.pool.acquire().await?;
    if !service_list(&mut db).await?.iter().any(|s| s.service_code == code) {
        return Err(Open311Error::not_found(format!("no service «{code}»")));
    }
    Ok(axum::Json(json!({ "service_code": code, "attributes": [] })).into_response())
}

/// The query of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct FeedQuery {
    /// Comma-separated ids; the other filters are ignored then.
    service_request_id: Option<String>,
    /// Comma-separated service codes.
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    /// `open`, `closed` or both, comma-separated.
    status: Option<String>,
    /// Only the key's sub-district.
    api_key: Option<String>,
    /// Only this sub-district (its id or name).
    jurisdiction_id: Option<String>,
}

fn comma_list(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

impl FeedQuery {
    /// What to list, but for the sub-district (which needs the database).
    fn selection(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Selection, Open311Error> {
        if let Some(ids) = &self.service_request_id {
            let ids = comma_list(ids)
                .map(|id| {
                    id.parse()
                        .map_err(|_| Open311Error::bad_request(format!("service_request_id «{id}» is not a number")))
                })
                .collect::<Result<_, _>>()?;
            return Ok(Selection { ids: Some(ids), ..Selection::default() });
        }
        let time = |text: &Option<String>| {
            text.as_deref().map(feed::parse_time).transpose().map_err(Open311Error::bad_request)
        };
        let window =
            feed::window(time(&self.start_date)?, time(&self.end_date)?, now).map_err(Open311Error::bad_request)?;
        let mut statuses = Vec::new();
        for status in comma_list(self.status.as_deref().unwrap_or("")) {
            let chosen = feed::statuses(status)
                .ok_or_else(|| Open311Error::bad_request(format!("status «{status}» is open or closed")))?;
            statuses.extend(chosen);
        }
        let codes: Vec<String> = comma_list(self.service_code.as_deref().unwrap_or("")).map(str::to_owned).collect();
        Ok(Selection {
            codes: Some(codes).filter(|c| !c.is_empty()),
            statuses: Some(statuses).filter(|s| !s.is_empty()),
            window: Some(window),
            ..Selection::default()
        })
    }

    /// The sub-district asked for by key or by `jurisdiction_id`.
    async fn district(&self, db: &mut PgConnection) -> Result<Option<i64>, Open311Error> {
        let by_key = match &self.api_key {
            Some(secret) => {
                Some(keys::authenticate(db, secret).await?.ok_or_else(Open311Error::forbidden)?.key.district_id)
            }
            None => None,
        };
        let by_jurisdiction = match &self.jurisdiction_id {
            Some(name) => Some(
                resolve_area(db, &AreaSpec::District(name.trim().to_owned()))
                    .await
                    .map_err(|e| Open311Error::not_found(format!("jurisdiction_id: {e}")))?
                    .1,
            ),
            None => None,
        };
        match (by_key, by_jurisdiction) {
            (Some(a), Some(b)) if a != b => {
                Err(Open311Error::bad_request("the api_key belongs to another sub-district than jurisdiction_id"))
            }
            (a, b) => Ok(a.or(b)),
        }
    }
}

/// The feed: newest first, at most 1,000, filed in the last 90 days unless dates are given.
#[utoipa::path(
    get, path = "/open311/v2/requests.json", tag = "open311", security(()), operation_id = "open311_requests",
    params(FeedQuery),
    responses(
        (status = 200, description = "The requests, newest first", body = [ServiceRequest]),
        (status = 400, description = "A bad date, window, status, id or parameter", body = [GeoReportError]),
        (status = 403, description = "An unknown or revoked api_key", body = [GeoReportError]),
        (status = 404, description = "An unknown jurisdiction_id", body = [GeoReportError]),
    )
)]
async fn requests(State(state): State<AppState>, RawQuery(query): RawQuery) -> Result<Response, Open311Error> {
    let query: FeedQuery = serde_urlencoded::from_str(query.as_deref().unwrap_or(""))
        .map_err(|e| Open311Error::bad_request(e.to_string()))?;
    let mut selection = query.selection(chrono::Utc::now())?;
    let mut db = state.pool.acquire().await?;
    selection.district = query.district(&mut db).await?;
    Ok(axum::Json(feed::requests(&mut db, &selection).await?).into_response())
}

/// One request, as a one-element array.
#[utoipa::path(
    get, path = "/open311/v2/requests/{file}", tag = "open311", security(()), operation_id = "open311_request",
    params(("file" = String, Path, description = "The service_request_id and `.json`: `17.json`")),
    responses(
        (status = 200, description = "The request", body = [ServiceRequest]),
        (status = 400, description = "Not `.json`", body = [GeoReportError]),
        (status = 404, description = "No such request, or a private one", body = [GeoReportError]),
    )
)]
async fn request(
    State(state): State<AppState>,
    path: Result<Path<String>, PathRejection>,
) -> Result<Response, Open311Error> {
    let Path(file) = path?;
    let name = json_name(&file)?;
    let missing = || Open311Error::not_found(format!("no service request «{name}»"));
    let id: i64 = name.parse().map_err(|_| missing())?;
    let mut db = state.pool.acquire().await?;
    let found: Vec<ServiceRequest> =
        feed::requests(&mut db, &Selection { ids: Some(vec![id]), ..Selection::default() }).await?;
    if found.is_empty() {
        return Err(missing());
    }
    Ok(axum::Json(found).into_response())
}

/// The answer to a filed request.
#[derive(Debug, Serialize, ToSchema)]
struct Filed {
    /// The case's id.
    service_request_id: i64,
    /// The case's number and what happens next.
    service_notice: String,
    /// Always null: there are no residents' accounts.
    account_id: Option<String>,
}

/// Files a service request with an API key: a case of source `open311`, waiting in `reported`
/// for the sub-district office. Honours `Idempotency-Key` as `POST /api/v1/cases` does.
#[utoipa::path(
    post, path = "/open311/v2/requests.json", tag = "open311", security(()), operation_id = "open311_create",
    params(("Idempotency-Key" = Option<String>, Header, description = "As for `POST /api/v1/cases`, in the API key's own key space")),
    request_body(
        description = "`api_key`, `service_code`, `lat`, `long`, optional `crs`, `description`, `address_string`, `first_name`, `last_name`, `phone`, `email`, `media_url` (docs/CASES.md); also taken from the query",
        content(("application/x-www-form-urlencoded"), ("application/json"))
    ),
    responses(
        (status = 201, description = "Filed", body = [Filed]),
        (status = 400, description = "A missing or bad field, an unknown service, a point outside the key's sub-district", body = [GeoReportError]),
        (status = 403, description = "A missing, unknown or revoked api_key", body = [GeoReportError]),
        (status = 415, description = "Neither a form nor JSON", body = [GeoReportError]),
        (status = 429, description = "Over the key's rate limit (`Retry-After`)", body = [GeoReportError]),
    )
)]
async fn create(
    State(state): State<AppState>,
    Client(client): Client,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Open311Error> {
    let mut fields = fields(query.as_deref(), &headers, &body?)?;
    let secret = fields.remove("api_key").ok_or_else(Open311Error::forbidden)?;
    let mut tx = state.pool.begin().await?;
    let sender = keys::authenticate(&mut tx, &secret).await?.ok_or_else(Open311Error::forbidden)?;
    state.limits.check_open311(sender.key.id)?;
    let key = idempotency::from_headers(&headers)?;
    let fingerprint = idempotency::fingerprint(&json!(fields));
    let new = new_case(fields)?;
    if !service_list(&mut tx).await?.iter().any(|s| s.service_code == new.category) {
        return Err(Open311Error::bad_request(format!("no service «{}»; see services.json", new.category)));
    }
    let owner = Owner::Open311Key(sender.key.id);
    if let Some(key) = &key
        && let Claim::Replay { status, body } = idempotency::claim(&mut tx, owner, key, &fingerprint).await?
    {
        return Ok(idempotency::replay(status, body));
    }
    let index = state.buildings.get();
    let id = submit::submit(&mut tx, &index, &new, &sender.communities, &sender.actor(client), &state.cases, chrono::Utc::now())
        .await
        .map_err(|refusal| outside(refusal, &sender))?;
    let (number, community, category): (String, i64, String) =
        sqlx::query_as("select number, community_id, category from cases where id = $1").bind(id).fetch_one(&mut *tx).await?;
    let notice = format!(
        "已收到，案卷号 {number}：{}立案后派遣处理 (received; the sub-district office registers and dispatches it)",
        sender.key.district
    );
    let answer = json!([Filed { service_request_id: id, service_notice: notice, account_id: None }]);
    if let Some(key) = &key {
        idempotency::record(&mut tx, owner, key, StatusCode::CREATED.as_u16(), &answer).await?;
    }
    tx.commit().await?;
    state.dead_spots.filed(&category, community);
    Ok((StatusCode::CREATED, axum::Json(answer)).into_response())
}

/// A point outside the key's sub-district, said in its terms.
fn outside(refusal: Refusal, sender: &Sender) -> Open311Error {
    match refusal {
        Refusal::Invalid { code: "outside_communities", .. } => Open311Error::bad_request(format!(
            "the point is outside {}, the sub-district this api_key files into",
            sender.key.district
        )),
        other => other.into(),
    }
}

/// The request's fields: the query's and the body's, a form as GeoReport sends it or a JSON
/// object of strings and numbers. A field given twice is refused.
fn fields(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<BTreeMap<String, String>, Open311Error> {
    let form = |bytes: &[u8]| {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
            .map_err(|e| Open311Error::bad_request(e.to_string()))
    };
    let mut pairs = form(query.unwrap_or("").as_bytes())?;
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    match media_type.as_deref() {
        _ if body.is_empty() => {}
        Some("application/x-www-form-urlencoded") => pairs.extend(form(body)?),
        Some("application/json") => {
            let object: Map<String, Value> =
                serde_json::from_slice(body).map_err(|e| Open311Error::bad_request(format!("the JSON body: {e}")))?;
            for (name, value) in object {
                let text = match value {
                    Value::String(text) => text,
                    Value::Number(number) => number.to_string(),
                    Value::Null => continue,
                    _ => return Err(Open311Error::bad_request(format!("{name}: a field is a string or a number"))),
                };
                pairs.push((name, text));
            }
        }
        _ => {
            return Err(Open311Error::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the fields as application/x-www-form-urlencoded or application/json",
            ));
        }
    }
    let mut fields = BTreeMap::new();
    for (name, value) in pairs {
        if fields.contains_key(&name) {
            return Err(Open311Error::bad_request(format!("{name} is given twice")));
        }
        fields.insert(name, value);
    }
    Ok(fields)
}

/// GeoReport's fields this service takes and ignores: the key decides the jurisdiction, and
/// there are no accounts or address ids.
const IGNORED: [&str; 4] = ["jurisdiction_id", "address_id", "account_id", "device_id"];
/// Longest `address_string` and `media_url`, in characters.
const MAX_ADDRESS_CHARS: usize = 200;
const MAX_URL_CHARS: usize = 1000;

fn take(fields: &mut BTreeMap<String, String>, name: &str) -> Option<String> {
    fields.remove(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// The case a request's fields describe (all but the api_key). The point is required: addresses
/// are not looked up. The reporter's name, phone and e-mail become the case's contact;
/// `address_string` and `media_url` (a link, never fetched) go to its filing event.
fn new_case(mut fields: BTreeMap<String, String>) -> Result<NewCase, Open311Error> {
    let bad = |message: String| Open311Error::bad_request(message);
    let category = take(&mut fields, "service_code").ok_or_else(|| bad("service_code is required".into()))?;
    let (Some(lat), Some(long)) = (take(&mut fields, "lat"), take(&mut fields, "long")) else {
        return Err(bad(
            "lat and long are required: requests are filed at a point (addresses are not looked up)".into()
        ));
    };
    let number =
        |name: &str, text: &str| text.parse::<f64>().map_err(|_| bad(format!("{name} «{text}» is not a number")));
    let (lat, lon) = (number("lat", &lat)?, number("long", &long)?);
    let crs = take(&mut fields, "crs").map(|c| c.parse::<Crs>()).transpose().map_err(|e| bad(format!("crs: {e}")))?;
    let name = full_name(take(&mut fields, "first_name"), take(&mut fields, "last_name"));
    let contact: Vec<String> =
        [name, take(&mut fields, "phone"), take(&mut fields, "email")].into_iter().flatten().collect();
    let mut details = Map::new();
    if let Some(url) = take(&mut fields, "media_url") {
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.chars().count() > MAX_URL_CHARS {
            return Err(bad(format!("media_url is an http(s) link of at most {MAX_URL_CHARS} characters")));
        }
        details.insert("media_url".into(), url.into());
    }
    if let Some(address) = take(&mut fields, "address_string") {
        if address.chars().count() > MAX_ADDRESS_CHARS {
            return Err(bad(format!("address_string has at most {MAX_ADDRESS_CHARS} characters")));
        }
        details.insert("address_string".into(), address.into());
    }
    let description = take(&mut fields, "description").unwrap_or_default();
    for name in IGNORED {
        fields.remove(name);
    }
    if let Some(name) = fields.keys().next() {
        return Err(bad(format!("unknown field «{name}» (services here have no attributes)")));
    }
    Ok(NewCase {
        lon,
        lat,
        crs: crs.unwrap_or_default(),
        accuracy_m: None,
        category,
        description,
        photos: Vec::new(),
        reporter_contact: Some(contact.join(", ")).filter(|c| !c.is_empty()),
        source: Some(Source::Open311),
        details,
    })
}

/// A reporter's name: a Chinese one family name first with no space, any other given name first.
fn full_name(first: Option<String>, last: Option<String>) -> Option<String> {
    match (first, last) {
        (Some(first), Some(last)) if last.is_ascii() => Some(format!("{first} {last}")),
        (Some(first), Some(last)) => Some(format!("{last}{first}")),
        (first, last) => first.or(last),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::categories::Deadline;

    fn category(code: &str, parent: Option<&str>, name: &str, private: bool) -> Category {
        Category {
            code: code.into(),
            parent: parent.map(Into::into),
            name: name.into(),
            name_en: format!("{code} in English"),
            tier: parent.map(|_| 1),
            deadline: parent.map(|_| Deadline::SameDay),
            private,
        }
    }

    fn form(text: &str) -> BTreeMap<String, String> {
        serde_urlencoded::from_str(text).unwrap_or_default()
    }

    #[test]
    fn services_are_the_public_sub_categories_with_their_group() {
        let categories = [
            category("order", None, "秩序", false),
            category("order.noise", Some("order"), "噪音扰民", false),
            category("disputes", None, "矛盾纠纷", true),
            category("disputes.family", Some("disputes"), "家庭矛盾", true),
        ];
        let services = offered(&categories);
        assert_eq!(services.len(), 1);
        let noise = &services[0];
        assert_eq!(
            (noise.service_code.as_str(), noise.service_name.as_str(), noise.group.as_str()),
            ("order.noise", "噪音扰民", "秩序")
        );
        assert_eq!(noise.keywords, "秩序, order in English, order.noise in English");
        let json = serde_json::to_value(noise).unwrap_or_default();
        assert_eq!((json["type"].as_str(), json["metadata"].as_bool()), (Some("realtime"), Some(false)));
    }

    #[test]
    fn only_json_is_served() {
        assert_eq!(json_name("7.json").ok(), Some("7"));
        assert_eq!(json_name("7.xml").err().map(|e| e.status), Some(StatusCode::BAD_REQUEST));
        assert_eq!(json_name("7").err().map(|e| e.status), Some(StatusCode::NOT_FOUND));
    }

    #[test]
    fn a_request_becomes_a_case_with_its_contact_and_links() {
        let fields = form(
            "service_code=order.noise&lat=30.5&long=114.4&crs=gcj02&description=%E5%90%B5&first_name=%E5%B0%8F%E6%98%8E\
             &last_name=%E7%8E%8B&phone=13800000000&media_url=https://img.example/1.jpg&address_string=3%E6%A0%8B&device_id=x",
        );
        let new = new_case(fields).unwrap_or_else(|e| panic!("{}", e.description));
        assert_eq!((new.lon, new.lat, new.crs, new.source), (114.4, 30.5, Crs::Gcj02, Some(Source::Open311)));
        assert_eq!((new.category.as_str(), new.description.as_str()), ("order.noise", "吵"));
        assert_eq!(new.reporter_contact.as_deref(), Some("王小明, 13800000000"));
        assert_eq!(
            Value::Object(new.details),
            json!({ "media_url": "https://img.example/1.jpg", "address_string": "3栋" })
        );
    }

    #[test]
    fn requests_without_a_point_or_with_bad_fields_are_refused() {
        for (text, says) in [
            ("service_code=order.noise&address_string=3%E6%A0%8B", "lat and long are required"),
            ("service_code=order.noise&lat=30.5", "lat and long are required"),
            ("lat=30.5&long=114.4", "service_code is required"),
            ("service_code=order.noise&lat=north&long=114.4", "lat «north» is not a number"),
            ("service_code=order.noise&lat=30.5&long=114.4&crs=utm", "crs"),
            ("service_code=order.noise&lat=30.5&long=114.4&media_url=file:///etc/passwd", "media_url"),
            ("service_code=order.noise&lat=30.5&long=114.4&attribute[size]=big", "unknown field «attribute[size]»"),
        ] {
            let refused = new_case(form(text)).err().map(|e| (e.status, e.description)).unwrap_or_default();
            assert_eq!(refused.0, StatusCode::BAD_REQUEST, "{text}");
            assert!(refused.1.contains(says), "{text}: {}", refused.1);
        }
    }

    #[test]
    fn names_keep_their_own_order() {
        assert_eq!(full_name(Some("小明".into()), Some("王".into())).as_deref(), Some("王小明"));
        assert_eq!(full_name(Some("Ada".into()), Some("Lovelace".into())).as_deref(), Some("Ada Lovelace"));
        assert_eq!(full_name(None, Some("王".into())).as_deref(), Some("王"));
        assert_eq!(full_name(None, None), None);
    }

    #[test]
    fn fields_come_from_the_query_and_a_form_or_json_body_once_each() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let both = fields(Some("api_key=k"), &headers, b"lat=30.5&long=114.4").unwrap_or_default();
        assert_eq!(both.keys().map(String::as_str).collect::<Vec<_>>(), ["api_key", "lat", "long"]);
        assert!(fields(Some("lat=1"), &headers, b"lat=2").is_err_and(|e| e.description.contains("given twice")));
        headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
        let json = fields(None, &headers, br#"{"lat": 30.5, "long": "114.4", "email": null}"#).unwrap_or_default();
        assert_eq!(json.get("lat").map(String::as_str), Some("30.5"));
        assert!(!json.contains_key("email"));
        assert!(fields(None, &headers, br#"{"lat": [30.5]}"#).is_err());
        headers.insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/xml"));
        assert_eq!(fields(None, &headers, b"<x/>").err().map(|e| e.status), Some(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
}
