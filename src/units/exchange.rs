//! People and assignments in and out as CSV (docs/UNITS.md): exports that spreadsheet software
//! opens with their Chinese text intact (UTF-8 with a BOM, CRLF), and imports that check every
//! row, report every bad line at once, and store all of the file or nothing of it.
//!
//! An import runs in the caller's transaction: rows are read and checked first (header, values,
//! duplicates inside the file, references to what is stored); only a file with no bad line is
//! written, through the same functions as the single-object endpoints ([`people::create`],
//! [`people::update`], [`organisations::create`], [`assignments::create`]), whose refusals are
//! collected with their line numbers too. Any refusal leaves the transaction to be rolled back.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use super::assignments::{self, NewAssignment, Post, TeamRole};
use super::organisations::{self, Kind, NewOrganisation};
use super::people::{self, NewPerson, PersonChange, clean_name, normalise_phone};
use super::routes::{admin_area, reader_area};
use super::{UnitsError, audit, district_communities, require_district};
use crate::audit::Actor;
use crate::auth::extract::CurrentUser;
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::http::extract::Query;
use crate::http::limit::Submitter;
use crate::http::openapi::{ChangeErrors, ReadErrors};

/// Most data rows an import reads (a file of 20,000 rows is about 1–2 MB).
pub const MAX_ROWS: usize = 20_000;

/// The byte order mark that tells spreadsheet software a CSV file is UTF-8.
const BOM: &str = "\u{feff}";

/// The people CSV, as exported and imported.
pub const PEOPLE_HEADER: [&str; 5] = ["name", "phone", "organisation", "organisation_kind", "party_member"];

/// The assignments CSV as exported; an import reads `phone, role, grid, building, unit`.
pub const ASSIGNMENTS_HEADER: [&str; 7] = ["phone", "name", "role", "grid", "building", "unit", "valid_from"];

/// What is wrong with one line of an imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// The line in the file (1 is the header), where the row starts.
    pub line: usize,
    /// The column, or `file` for the file as a whole.
    pub field: String,
    pub code: &'static str,
    pub message: String,
    /// For a duplicate: the line that the row repeats or collides with.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<usize>,
}

impl RowError {
    fn new(line: usize, field: &str, code: &'static str, message: impl Into<String>) -> Self {
        RowError { line, field: field.to_owned(), code, message: message.into(), duplicate_of: None }
    }

    fn duplicate(mut self, of: usize) -> Self {
        self.duplicate_of = Some(of);
        self
    }

    /// A refusal of one of the module's functions, at the row that caused it; a `Conflict`
    /// (which names no field) is put on `field`.
    fn from_units(line: usize, field: &str, error: UnitsError) -> Result<Self, ExchangeError> {
        match error {
            UnitsError::Invalid { field, code, message } => Ok(RowError::new(line, field, code, message)),
            UnitsError::Conflict { code, message } => Ok(RowError::new(line, field, code, message)),
            UnitsError::NotFound(message) => Ok(RowError::new(line, field, "not_found", message)),
            // Neither a database failure nor a refusal of the whole request belongs to a row.
            error @ (UnitsError::Database(_) | UnitsError::Transition(_) | UnitsError::Forbidden(_)) => {
                Err(ExchangeError::Units(error))
            }
        }
    }
}

/// Why an import or export is refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ExchangeError {
    /// The bad lines of the file, all of them, in line order; nothing was stored.
    #[error("{} errors in the file", .0.len())]
    Rows(Vec<RowError>),
    /// More data rows than [`MAX_ROWS`].
    #[error("more than {MAX_ROWS} rows")]
    TooManyRows,
    #[error(transparent)]
    Units(#[from] UnitsError),
    #[error("{0}")]
    Internal(String),
}

impl From<sqlx::Error> for ExchangeError {
    fn from(error: sqlx::Error) -> Self {
        ExchangeError::Units(UnitsError::Database(error))
    }
}

impl From<ExchangeError> for ApiError {
    fn from(error: ExchangeError) -> Self {
        match error {
            ExchangeError::Rows(errors) => {
                let lines = errors.iter().map(|e| e.line).collect::<HashSet<_>>().len();
                let message = match lines {
                    1 => "1 line of the file is wrong; nothing was imported".to_owned(),
                    n => format!("{n} lines of the file are wrong; nothing was imported"),
                };
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_csv", message)
                    .with_details(json!({ "errors": errors }))
            }
            ExchangeError::TooManyRows => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_rows",
                format!("an import has at most {MAX_ROWS} rows; split the file"),
            )
            .with_details(json!({ "max_rows": MAX_ROWS })),
            ExchangeError::Units(error) => error.into(),
            ExchangeError::Internal(error) => ApiError::internal(error),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading and writing CSV

/// Characters that make spreadsheet software read a cell as a formula.
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as exported: one that a spreadsheet would run as a formula gets a leading `'`.
fn cell(value: &str) -> String {
    if value.starts_with(FORMULA_START) { format!("'{value}") } else { value.to_owned() }
}

/// A cell as imported: the `'` that [`cell`] put before a formula-like value is dropped.
fn uncell(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) => rest,
        _ => value,
    }
}

/// A CSV file for spreadsheet software: the BOM, the header, the rows, CRLF line ends.
pub fn write_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<Vec<u8>, ExchangeError> {
    let internal = |e: csv::Error| ExchangeError::Internal(format!("writing CSV: {e}"));
    let mut out = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(BOM.as_bytes().to_vec());
    out.write_record(header).map_err(internal)?;
    for row in rows {
        out.write_record(row.iter().map(|v| cell(v))).map_err(internal)?;
    }
    out.into_inner().map_err(|e| ExchangeError::Internal(format!("writing CSV: {e}")))
}

/// The columns an import reads: those it needs, those it may have, and whether it ignores
/// others or refuses them.
struct Columns {
    required: &'static [&'static str],
    optional: &'static [&'static str],
    ignore_others: bool,
}

impl Columns {
    fn all(&self) -> impl Iterator<Item = &'static str> {
        self.required.iter().chain(self.optional).copied()
    }

    fn expected(&self) -> String {
        self.all().collect::<Vec<_>>().join(",")
    }
}

/// A data row: where it starts in the file, and the value of each of [`Columns::all`] (None
/// when the header has no such column).
#[derive(Debug)]
struct Record {
    line: usize,
    values: Vec<Option<String>>,
}

impl Record {
    /// The trimmed value of the `i`th column (None: no such column; an empty string: empty).
    fn get(&self, i: usize) -> Option<&str> {
        self.values.get(i).and_then(Option::as_deref)
    }

    /// The value of a column that the header must have (empty when it has not).
    fn text(&self, i: usize) -> &str {
        self.get(i).unwrap_or_default()
    }
}

/// The data rows of an imported file, and the lines wrong in their shape.
#[derive(Debug)]
struct Table {
    records: Vec<Record>,
    errors: Vec<RowError>,
}

/// The file as text: UTF-8 with or without a BOM; a file in another encoding is refused at
/// the line of its first stray byte.
fn decode(bytes: &[u8]) -> Result<&str, ExchangeError> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(ExchangeError::Rows(vec![RowError::new(
            1,
            "file",
            "not_utf8",
            "the file is UTF-16 («Unicode text»); save it as «CSV UTF-8»",
        )]));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = valid.iter().filter(|&&b| b == b'\n').count() + 1;
        ExchangeError::Rows(vec![RowError::new(
            line,
            "file",
            "not_utf8",
            format!("line {line} is not UTF-8 (a GBK/ANSI file?); save the file as «CSV UTF-8»"),
        )])
    })?;
    Ok(text.strip_prefix(BOM).unwrap_or(text))
}

/// Reads a CSV file with a header line naming its columns (in any order, any case): the
/// header's mistakes refuse the whole file; rows with more values than the header has columns
/// are reported; blank lines are skipped; values are trimmed and un-escaped ([`uncell`]).
fn read_table(bytes: &[u8], columns: &Columns) -> Result<Table, ExchangeError> {
    let text = decode(bytes)?;
    // Line ends as LF only, so that the reader counts lines as an editor does.
    let text: Cow<'_, str> = if text.contains('\r') {
        Cow::Owned(text.replace("\r\n", "\n").replace('\r', "\n"))
    } else {
        Cow::Borrowed(text)
    };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let known: Vec<&str> = columns.all().collect();
    // Where each known column is in the file, once the header is read.
    let mut positions: Option<Vec<Option<usize>>> = None;
    let mut width = 0;
    let mut table = Table { records: Vec::new(), errors: Vec::new() };
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line() as usize;
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| p.line() as usize);
                table.errors.push(RowError::new(line, "file", "invalid_csv", format!("line {line}: {e}")));
                continue;
            }
        }
        // A record's position is where the reader began, before the blank lines it skipped.
        let line = record.position().map_or(line, |p| {
            let start = usize::try_from(p.byte()).unwrap_or(usize::MAX);
            let blank = text.as_bytes().get(start..).unwrap_or_default().iter().take_while(|&&b| b == b'\n').count();
            p.line() as usize + blank
        });
        if record.iter().all(str::is_empty) {
            continue;
        }
        let Some(positions) = &positions else {
            positions = Some(read_header(&record, line, columns, &known)?);
            width = record.len();
            continue;
        };
        if table.records.len() == MAX_ROWS {
            return Err(ExchangeError::TooManyRows);
        }
        if record.len() > width && record.iter().skip(width).any(|v| !v.is_empty()) {
            table.errors.push(RowError::new(
                line,
                "file",
                "too_many_values",
                format!("line {line} has {} values; the header names {width} columns", record.len()),
            ));
        }
        let values =
            positions.iter().map(|p| p.map(|i| uncell(record.get(i).unwrap_or_default()).to_owned())).collect();
        table.records.push(Record { line, values });
    }
    if positions.is_none() {
        return Err(ExchangeError::Rows(vec![RowError::new(
            1,
            "file",
            "empty_file",
            format!("the file is empty: expected the header {} and a row per line", columns.expected()),
        )]));
    }
    if table.records.is_empty() {
        return Err(ExchangeError::Rows(vec![RowError::new(
            1,
            "file",
            "no_rows",
            "the file has a header and no rows",
        )]));
    }
    Ok(table)
}

/// The position of each known column in the header; the header's mistakes (all of them).
fn read_header(
    record: &csv::StringRecord,
    line: usize,
    columns: &Columns,
    known: &[&str],
) -> Result<Vec<Option<usize>>, ExchangeError> {
    let mut positions = vec![None; known.len()];
    let mut errors = Vec::new();
    for (i, name) in record.iter().enumerate() {
        let name = name.trim_start_matches('\u{feff}').trim().to_lowercase();
        match known.iter().position(|k| *k == name) {
            Some(k) if positions[k].is_some() => {
                errors.push(RowError::new(line, &name, "duplicate_column", format!("column «{name}» is named twice")));
            }
            Some(k) => positions[k] = Some(i),
            None if columns.ignore_others || name.is_empty() => {}
            None => errors.push(RowError::new(
                line,
                &name,
                "unknown_column",
                format!("unknown column «{name}»: the header is {}", columns.expected()),
            )),
        }
    }
    for (k, name) in columns.required.iter().enumerate() {
        if positions[k].is_none() {
            errors.push(RowError::new(
                line,
                name,
                "missing_column",
                format!("the header has no column «{name}»: the first line names the columns, {}", columns.expected()),
            ));
        }
    }
    if errors.is_empty() { Ok(positions) } else { Err(ExchangeError::Rows(errors)) }
}

/// A value that spreadsheet software turned into a number in scientific notation (a 15-digit
/// grid code shown as `4.20106E+14`, and saved so): its digits are lost.
fn mangled_number(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once("E+") else { return false };
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

fn mangled(line: usize, field: &str, value: &str) -> RowError {
    RowError::new(
        line,
        field,
        "mangled_number",
        format!(
            "«{value}» is a number a spreadsheet rewrote and cut short; format the {field} column as text and export again"
        ),
    )
}

/// A phone of an imported row, normalised; the error at its line.
fn row_phone(line: usize, raw: &str) -> Result<String, RowError> {
    if mangled_number(raw) {
        return Err(mangled(line, "phone", raw));
    }
    normalise_phone(raw).map_err(|e| match e {
        UnitsError::Invalid { code, message, .. } => RowError::new(line, "phone", code, message),
        other => RowError::new(line, "phone", "invalid_phone", other.to_string()),
    })
}

/// A yes/no cell: true/false, 1/0, yes/no, y/n, 是/否 in any case; empty is no.
fn parse_flag(raw: &str) -> Option<bool> {
    match raw.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "是" => Some(true),
        "false" | "0" | "no" | "n" | "否" | "" => Some(false),
        _ => None,
    }
}

/// The value, or None with its error added to `errors`.
fn keep<T>(errors: &mut Vec<RowError>, result: Result<T, RowError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// A refusal of a value by one of the module's checks, at its line.
fn invalid_at(line: usize, error: UnitsError) -> RowError {
    match error {
        UnitsError::Invalid { field, code, message } => RowError::new(line, field, code, message),
        other => RowError::new(line, "file", "invalid", other.to_string()),
    }
}

// ---------------------------------------------------------------------------------------------
// People

const PEOPLE_COLUMNS: Columns = Columns {
    required: &["name", "phone"],
    optional: &["organisation", "organisation_kind", "party_member"],
    ignore_others: false,
};

/// A row of a people import, checked on its own. A field that is wrong is None (its error is
/// reported); `organisation` is None when the file has no such column, Some("") when empty.
#[derive(Debug, Clone, PartialEq)]
struct PersonRow {
    line: usize,
    name: Option<String>,
    phone: Option<String>,
    organisation: Option<String>,
    kind: Option<Kind>,
    party_member: Option<bool>,
}

/// The rows of a people file and the mistakes that can be seen without the database: names,
/// phones, kinds, yes/no flags, and a phone given twice (the error names both lines).
fn parse_people(bytes: &[u8]) -> Result<(Vec<PersonRow>, Vec<RowError>), ExchangeError> {
    let Table { records, mut errors } = read_table(bytes, &PEOPLE_COLUMNS)?;
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for record in &records {
        let line = record.line;
        let name = keep(
            &mut errors,
            clean_name("name", record.text(0), people::MAX_NAME_CHARS).map_err(|e| invalid_at(line, e)),
        );
        let phone = keep(&mut errors, row_phone(line, record.text(1)));
        let organisation = match record.get(2) {
            None => None,
            Some("") => Some(String::new()),
            Some(o) => keep(
                &mut errors,
                clean_name("organisation", o, organisations::MAX_NAME_CHARS).map_err(|e| invalid_at(line, e)),
            ),
        };
        let kind = match record.get(3).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => keep(
                &mut errors,
                k.to_lowercase().parse::<Kind>().map_err(|e| match e {
                    UnitsError::Invalid { code, message, .. } => {
                        RowError::new(line, "organisation_kind", code, message)
                    }
                    other => invalid_at(line, other),
                }),
            ),
        };
        let party_member = match record.get(4) {
            None => None,
            Some(flag) => keep(
                &mut errors,
                parse_flag(flag).ok_or_else(|| {
                    RowError::new(
                        line,
                        "party_member",
                        "invalid_flag",
                        format!("«{flag}» is not a yes/no value (true or false, 是 or 否)"),
                    )
                }),
            ),
        };
        if let Some(phone) = &phone {
            if let Some(&first) = first_line.get(phone) {
                errors.push(
                    RowError::new(
                        line,
                        "phone",
                        "duplicate_phone",
                        format!("{phone} is on line {first} and on line {line}; one phone is one person"),
                    )
                    .duplicate(first),
                );
            } else {
                first_line.insert(phone.clone(), line);
            }
        }
        rows.push(PersonRow { line, name, phone, organisation, kind, party_member });
    }
    Ok((rows, errors))
}

/// What a people import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PeopleImported {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    /// Rows that match the person as stored.
    pub unchanged: usize,
    pub organisations_created: usize,
}

#[derive(Debug, sqlx::FromRow)]
struct StoredPerson {
    id: i64,
    phone: String,
    name: String,
    organisation_id: Option<i64>,
    party_member: bool,
}

/// An organisation the file creates: its kind and the first line that names it.
#[derive(Debug, Clone, Copy)]
struct NewByFile {
    kind: Kind,
    line: usize,
}

/// Checks each row's organisation against those stored and those the file creates; answers
/// the ones to create. Community committees and estates are never created here: they name a
/// place. A sub-district has one office.
fn plan_organisations(
    rows: &[PersonRow],
    stored: &HashMap<String, (i64, String)>,
    errors: &mut Vec<RowError>,
) -> BTreeMap<String, NewByFile> {
    let office =
        stored.iter().find(|(_, (_, kind))| kind == Kind::DistrictOffice.as_str()).map(|(name, _)| name.clone());
    let mut created: BTreeMap<String, NewByFile> = BTreeMap::new();
    let mut unknown = Vec::new();
    for row in rows {
        let line = row.line;
        let Some(name) = row.organisation.as_deref().filter(|o| !o.is_empty()) else { continue };
        if let Some((_, kind)) = stored.get(name) {
            if let Some(given) = row.kind.filter(|k| k.as_str() != kind) {
                errors.push(RowError::new(
                    line,
                    "organisation_kind",
                    "wrong_kind",
                    format!("«{name}» is a {kind}, not a {given}"),
                ));
            }
            continue;
        }
        match row.kind {
            // Known only if another line of the file creates it.
            None => unknown.push((line, name)),
            Some(kind @ (Kind::CommunityCommittee | Kind::Estate)) => errors.push(RowError::new(
                line,
                "organisation",
                "unknown_organisation",
                format!(
                    "no {kind} «{name}» in this sub-district; community committees and estates name a place and are registered first (POST /api/v1/organisations)"
                ),
            )),
            Some(kind) => match created.get(name) {
                Some(first) if first.kind != kind => errors.push(
                    RowError::new(
                        line,
                        "organisation_kind",
                        "conflicting_kind",
                        format!("line {} creates «{name}» as a {}, this line as a {kind}", first.line, first.kind),
                    )
                    .duplicate(first.line),
                ),
                Some(_) => {}
                None if kind == Kind::DistrictOffice => {
                    let other = created.iter().find(|(_, n)| n.kind == Kind::DistrictOffice);
                    if let Some(office) = &office {
                        errors.push(RowError::new(
                            line,
                            "organisation",
                            "duplicate_organisation",
                            format!("the sub-district already has its office, «{office}»; there is one per sub-district"),
                        ));
                    } else if let Some((other, first)) = other {
                        errors.push(
                            RowError::new(
                                line,
                                "organisation",
                                "duplicate_organisation",
                                format!("line {} creates the office «{other}»; there is one per sub-district", first.line),
                            )
                            .duplicate(first.line),
                        );
                    } else {
                        created.insert(name.to_owned(), NewByFile { kind, line });
                    }
                }
                None => {
                    created.insert(name.to_owned(), NewByFile { kind, line });
                }
            },
        }
    }
    for (line, name) in unknown.into_iter().filter(|(_, name)| !created.contains_key(*name)) {
        errors.push(RowError::new(
            line,
            "organisation",
            "unknown_organisation",
            format!(
                "no organisation «{name}» in this sub-district; to create it, give its organisation_kind (partner_unit, department or district_office)"
            ),
        ));
    }
    created
}

/// Imports a people file into a sub-district: a row whose phone is stored updates that person
/// (name, organisation, party flag: the columns the file has), others create people; missing
/// co-building units, departments and the office are created. All or nothing: on an error the
/// caller rolls the transaction back.
pub async fn import_people(
    db: &mut PgConnection,
    district_id: i64,
    bytes: &[u8],
    scope: &[i64],
    actor: &Actor,
) -> Result<PeopleImported, ExchangeError> {
    require_district(db, district_id, scope).await?;
    let (rows, mut errors) = parse_people(bytes)?;
    let stored_organisations: Vec<(String, i64, String)> =
        sqlx::query_as("select name, id, kind from organisations where district_id = $1")
            .bind(district_id)
            .fetch_all(&mut *db)
            .await?;
    let mut organisations: HashMap<String, (i64, String)> =
        stored_organisations.into_iter().map(|(name, id, kind)| (name, (id, kind))).collect();
    let to_create = plan_organisations(&rows, &organisations, &mut errors);
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }

    let mut done = PeopleImported { rows: rows.len(), ..PeopleImported::default() };
    for (name, NewByFile { kind, line }) in &to_create {
        let new = NewOrganisation {
            district: district_id,
            kind: *kind,
            name: name.clone(),
            community: None,
            estate: None,
            phone: None,
        };
        match organisations::create(db, &new, scope, actor).await {
            Ok(id) => {
                organisations.insert(name.clone(), (id, kind.as_str().to_owned()));
                done.organisations_created += 1;
            }
            Err(error) => errors.push(RowError::from_units(*line, "organisation", error)?),
        }
    }
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }

    let stored: Vec<StoredPerson> =
        sqlx::query_as("select id, phone, name, organisation_id, party_member from people where district_id = $1")
            .bind(district_id)
            .fetch_all(&mut *db)
            .await?;
    let stored: HashMap<&str, &StoredPerson> = stored.iter().map(|p| (p.phone.as_str(), p)).collect();
    for row in &rows {
        let (Some(name), Some(phone)) = (&row.name, &row.phone) else { continue };
        // None: the file has no organisation column (kept as stored); Some(None): empty.
        let organisation = row.organisation.as_deref().map(|o| organisations.get(o).map(|(id, _)| *id));
        let result = match stored.get(phone.as_str()) {
            None => {
                let new = NewPerson {
                    district: district_id,
                    name: name.clone(),
                    phone: phone.clone(),
                    organisation: organisation.flatten(),
                    party_member: row.party_member.unwrap_or(false),
                };
                people::create(db, &new, scope, actor).await.map(|_| done.created += 1)
            }
            Some(person) => {
                let change = PersonChange {
                    name: (*name != person.name).then(|| name.clone()),
                    phone: None,
                    organisation: organisation.filter(|o| *o != person.organisation_id),
                    party_member: row.party_member.filter(|p| *p != person.party_member),
                };
                if change.name.is_none() && change.organisation.is_none() && change.party_member.is_none() {
                    done.unchanged += 1;
                    Ok(())
                } else {
                    people::update(db, person.id, &change, scope, actor).await.map(|_| done.updated += 1)
                }
            }
        };
        if let Err(error) = result {
            // The functions refuse before they write, so the transaction is still usable and
            // the other rows are checked too; a database error ends the import at once.
            errors.push(RowError::from_units(row.line, "phone", error)?);
        }
    }
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }
    let communities = district_communities(db, district_id).await?;
    let summary = json!({ "rows": done.rows, "created": done.created, "updated": done.updated,
                          "unchanged": done.unchanged, "organisations_created": done.organisations_created });
    audit(db, actor, "people.import", ("district", district_id), summary, &communities).await?;
    Ok(done)
}

/// The people of a sub-district as CSV ([`PEOPLE_HEADER`]), ordered by name.
pub async fn export_people(db: &mut PgConnection, district_id: i64, scope: &[i64]) -> Result<Vec<u8>, ExchangeError> {
    let kinds: HashMap<i64, String> =
        organisations::list(db, district_id, scope).await?.into_iter().map(|o| (o.id, o.kind)).collect();
    let people = people::list(db, district_id, scope).await?;
    let rows = people.into_iter().map(|p| {
        let kind = p.organisation_id.and_then(|id| kinds.get(&id)).cloned().unwrap_or_default();
        vec![p.name, p.phone, p.organisation.unwrap_or_default(), kind, p.party_member.to_string()]
    });
    write_csv(&PEOPLE_HEADER, rows)
}

// ---------------------------------------------------------------------------------------------
// Assignments

const ASSIGNMENT_COLUMNS: Columns =
    Columns { required: &["phone", "role"], optional: &["grid", "building", "unit"], ignore_others: true };

/// A row of an assignments import, checked on its own; a field that is wrong is None.
#[derive(Debug, Clone, PartialEq)]
struct AssignmentRow {
    line: usize,
    phone: Option<String>,
    role: Option<TeamRole>,
    /// A grid code (empty: none).
    grid: String,
    /// A building's source id (empty: none).
    building: String,
    unit: Option<i32>,
    /// Whether the role, grid, building and unit fit together (see [`Post::for_role`]).
    post_ok: bool,
}

/// The rows of an assignments file and the mistakes seen without the database.
fn parse_assignments(bytes: &[u8]) -> Result<(Vec<AssignmentRow>, Vec<RowError>), ExchangeError> {
    let Table { records, mut errors } = read_table(bytes, &ASSIGNMENT_COLUMNS)?;
    let mut rows = Vec::with_capacity(records.len());
    for record in &records {
        let line = record.line;
        let phone = row_phone(line, record.text(0)).map_err(|e| errors.push(e)).ok();
        let role = record.text(1).to_lowercase().parse::<TeamRole>().map_err(|e| errors.push(invalid_at(line, e))).ok();
        let grid = record.get(2).unwrap_or_default().to_owned();
        let building = record.get(3).unwrap_or_default().to_owned();
        let mut unit_ok = true;
        let unit = match record.get(4).filter(|u| !u.is_empty()) {
            None => None,
            Some(raw) => match raw.parse::<i32>() {
                Ok(n) if n >= 1 => Some(n),
                _ => {
                    unit_ok = false;
                    errors.push(RowError::new(
                        line,
                        "unit",
                        "unknown_unit",
                        format!("«{raw}» is not a unit number (units are numbered from 1)"),
                    ));
                    None
                }
            },
        };
        for (field, value) in [("grid", &grid), ("building", &building)] {
            if mangled_number(value) {
                errors.push(mangled(line, field, value));
            }
        }
        // The shape of the post, checked as the single-assignment endpoint checks it.
        let mut post_ok = unit_ok;
        if let (Some(role), true) = (role, unit_ok) {
            let present = |v: &str| (!v.is_empty()).then_some(0);
            if let Err(error) = Post::for_role(role, present(&grid), present(&building), unit) {
                errors.push(invalid_at(line, error));
                post_ok = false;
            }
        }
        rows.push(AssignmentRow { line, phone, role, grid, building, unit, post_ok });
    }
    Ok((rows, errors))
}

/// What an assignments import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AssignmentsImported {
    pub rows: usize,
    pub started: usize,
    /// Rows that are current assignments already (an exported file imported again).
    pub unchanged: usize,
}

/// An assignment as a key: person, role, grid, building, unit.
type AssignmentKey = (i64, &'static str, Option<i64>, Option<i64>, Option<i32>);

/// A post that a role holds: role, grid, building, unit.
type RolePost = (&'static str, Option<i64>, Option<i64>, Option<i32>);

/// A current assignment of the community, as stored.
#[derive(Debug, sqlx::FromRow)]
struct CurrentAssignment {
    person_id: i64,
    role: String,
    grid_id: Option<i64>,
    building_id: Option<i64>,
    unit: Option<i32>,
}

impl CurrentAssignment {
    fn key(self) -> Option<AssignmentKey> {
        let role = self.role.parse::<TeamRole>().ok()?;
        Some((self.person_id, role.as_str(), self.grid_id, self.building_id, self.unit))
    }
}

/// A row resolved against the database, ready to start.
struct Resolved {
    line: usize,
    key: AssignmentKey,
    role: TeamRole,
    /// How the post reads in messages: `grid 420…001`, `building b-12 unit 2`.
    label: String,
}

/// The community's sub-district, for a user who may act in the community.
async fn require_community(db: &mut PgConnection, community_id: i64, scope: &[i64]) -> Result<i64, ExchangeError> {
    sqlx::query_scalar("select district_id from communities where id = $1 and id = any($2)")
        .bind(community_id)
        .bind(scope)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| UnitsError::NotFound(format!("no community {community_id} in your area")).into())
}

/// Imports an assignments file into a community: each row starts an assignment through
/// [`assignments::create`]; a row that is a current assignment already is left as it is.
/// All or nothing: on an error the caller rolls the transaction back.
pub async fn import_assignments(
    db: &mut PgConnection,
    community_id: i64,
    bytes: &[u8],
    scope: &[i64],
    actor: &Actor,
) -> Result<AssignmentsImported, ExchangeError> {
    let district_id = require_community(db, community_id, scope).await?;
    let (rows, mut errors) = parse_assignments(bytes)?;

    let people: HashMap<String, i64> = sqlx::query_as("select phone, id from people where district_id = $1")
        .bind(district_id)
        .fetch_all(&mut *db)
        .await?
        .into_iter()
        .collect();
    let grids: HashMap<String, i64> = sqlx::query_as("select code, id from grids where community_id = $1")
        .bind(community_id)
        .fetch_all(&mut *db)
        .await?
        .into_iter()
        .collect();
    let mut buildings: HashMap<String, Option<i64>> = HashMap::new();
    let sources: Vec<(String, i64)> = sqlx::query_as("select source_id, id from buildings where community_id = $1")
        .bind(community_id)
        .fetch_all(&mut *db)
        .await?;
    for (source_id, id) in sources {
        // Two sources may use one id: a row naming it is ambiguous.
        buildings.entry(source_id).and_modify(|e| *e = None).or_insert(Some(id));
    }
    let current: Vec<CurrentAssignment> = sqlx::query_as(
        "select a.person_id, a.role, a.grid_id, a.building_id, a.unit
         from assignments a left join grids g on g.id = a.grid_id left join buildings b on b.id = a.building_id
         where a.valid_to is null and coalesce(g.community_id, b.community_id) = $1",
    )
    .bind(community_id)
    .fetch_all(&mut *db)
    .await?;
    let current: HashSet<AssignmentKey> = current.into_iter().filter_map(CurrentAssignment::key).collect();

    // Resolve phones, grid codes and buildings; then duplicates and second holders in the file.
    let mut resolved = Vec::with_capacity(rows.len());
    for row in &rows {
        let line = row.line;
        let person = row.phone.as_deref().and_then(|phone| {
            let found = people.get(phone).copied();
            if found.is_none() {
                errors.push(RowError::new(
                    line,
                    "phone",
                    "unknown_person",
                    format!("no person with phone {phone} in this sub-district (import or register the people first)"),
                ));
            }
            found
        });
        let grid = match row.grid.as_str() {
            "" => Some(None),
            code => {
                let found = grids.get(code).copied();
                if found.is_none() && !mangled_number(code) {
                    errors.push(RowError::new(
                        line,
                        "grid",
                        "unknown_grid",
                        format!("no grid «{code}» in this community (grids are named by their 15-digit code)"),
                    ));
                }
                found.map(Some)
            }
        };
        let building = match row.building.as_str() {
            "" => Some(None),
            source => match buildings.get(source) {
                Some(Some(id)) => Some(Some(*id)),
                Some(None) => {
                    errors.push(RowError::new(
                        line,
                        "building",
                        "ambiguous_building",
                        format!("two buildings of this community have the source id «{source}»"),
                    ));
                    None
                }
                None => {
                    if !mangled_number(source) {
                        errors.push(RowError::new(
                            line,
                            "building",
                            "unknown_building",
                            format!(
                                "no building «{source}» in this community (buildings are named by their source id)"
                            ),
                        ));
                    }
                    None
                }
            },
        };
        if let (Some(person), Some(role), Some(grid), Some(building), true) =
            (person, row.role, grid, building, row.post_ok)
        {
            let label = match (grid, row.unit) {
                (Some(_), _) => format!("grid {}", row.grid),
                (None, Some(unit)) => format!("building «{}» unit {unit}", row.building),
                (None, None) => format!("building «{}»", row.building),
            };
            resolved.push(Resolved { line, key: (person, role.as_str(), grid, building, row.unit), role, label });
        }
    }
    refuse_clashes_in_file(&resolved, &mut errors);
    let refused: HashSet<usize> = errors.iter().map(|e| e.line).collect();

    let mut done = AssignmentsImported { rows: rows.len(), ..AssignmentsImported::default() };
    for row in resolved.iter().filter(|r| !refused.contains(&r.line)) {
        if current.contains(&row.key) {
            done.unchanged += 1;
            continue;
        }
        let (person, _, grid, building, unit) = row.key;
        let new = NewAssignment { person, role: row.role, grid, building, unit, replaces: None };
        if let Err(error) = assignments::create(db, &new, scope, actor).await {
            // create refuses before it writes: the other rows are still checked.
            let field = if row.role.on_building() { "building" } else { "grid" };
            errors.push(RowError::from_units(row.line, field, error)?);
        } else {
            done.started += 1;
        }
    }
    if !errors.is_empty() {
        return Err(rows_error(errors));
    }
    let summary = json!({ "rows": done.rows, "started": done.started, "unchanged": done.unchanged });
    audit(db, actor, "assignments.import", ("community", community_id), summary, &[community_id]).await?;
    Ok(done)
}

/// Refuses, inside the file, the same assignment twice and two people in a role that a post
/// holds once (two grid leaders of one grid); each error names the earlier line.
fn refuse_clashes_in_file(rows: &[Resolved], errors: &mut Vec<RowError>) {
    let mut seen: HashMap<AssignmentKey, usize> = HashMap::new();
    let mut holders: HashMap<RolePost, (usize, i64)> = HashMap::new();
    for row in rows {
        let (person, role, grid, building, unit) = row.key;
        let field = if row.role.on_building() { "building" } else { "grid" };
        if let Some(&first) = seen.get(&row.key) {
            errors.push(
                RowError::new(
                    row.line,
                    field,
                    "duplicate_assignment",
                    format!("line {first} already makes this person {role} of {}", row.label),
                )
                .duplicate(first),
            );
            continue;
        }
        seen.insert(row.key, row.line);
        if !row.role.single() {
            continue;
        }
        match holders.get(&(role, grid, building, unit)) {
            Some(&(first, holder)) if holder != person => errors.push(
                RowError::new(
                    row.line,
                    field,
                    "already_assigned",
                    format!("line {first} already names the {role} of {}; a post has one", row.label),
                )
                .duplicate(first),
            ),
            Some(_) => {}
            None => {
                holders.insert((role, grid, building, unit), (row.line, person));
            }
        }
    }
}

fn rows_error(mut errors: Vec<RowError>) -> ExchangeError {
    errors.sort_by_key(|e| e.line);
    ExchangeError::Rows(errors)
}

#[derive(Debug, sqlx::FromRow)]
struct ExportedAssignment {
    phone: String,
    name: String,
    role: String,
    grid: Option<String>,
    building: Option<String>,
    unit: Option<i32>,
    valid_from: DateTime<Utc>,
}

/// The community's current assignments as CSV ([`ASSIGNMENTS_HEADER`]): grid posts by grid
/// code, building posts by the building's source id. Assignments left on a grid that ended
/// are listed too, with its code.
pub async fn export_assignments(
    db: &mut PgConnection,
    community_id: i64,
    scope: &[i64],
) -> Result<Vec<u8>, ExchangeError> {
    require_community(db, community_id, scope).await?;
    let rows: Vec<ExportedAssignment> = sqlx::query_as(
        "select p.phone, p.name, a.role, g.code as grid, b.source_id as building, a.unit, a.valid_from
         from assignments a join people p on p.id = a.person_id
         left join grids g on g.id = a.grid_id left join buildings b on b.id = a.building_id
         where a.valid_to is null and coalesce(g.community_id, b.community_id) = $1
         order by g.code nulls last, b.source_id, a.unit nulls first, a.role, p.phone",
    )
    .bind(community_id)
    .fetch_all(&mut *db)
    .await?;
    let rows = rows.into_iter().map(|a| {
        vec![
            a.phone,
            a.name,
            a.role,
            a.grid.unwrap_or_default(),
            a.building.unwrap_or_default(),
            a.unit.map(|u| u.to_string()).unwrap_or_default(),
            a.valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
        ]
    });
    write_csv(&ASSIGNMENTS_HEADER, rows)
}

// ---------------------------------------------------------------------------------------------
// HTTP

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/people/export.csv", get(people_csv))
        .route("/api/v1/people/import", post(people_import))
        .route("/api/v1/assignments/export.csv", get(assignments_csv))
        .route("/api/v1/assignments/import", post(assignments_import))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DistrictQuery {
    district: i64,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct CommunityQuery {
    community: i64,
}

/// A CSV download; personal data, so not kept in caches.
pub fn csv_response(body: Vec<u8>, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The uploaded file, or the body limit's refusal in the API's error format.
fn upload(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "the file is larger than the service takes in one request; split it",
        ),
        status => ApiError::new(status, "invalid_body", rejection.body_text()),
    })
}

/// The sub-district's people as CSV.
#[utoipa::path(
    get, path = "/api/v1/people/export.csv", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(DistrictQuery),
    responses(
        (status = 200, description = "UTF-8 CSV with a BOM: name,phone,organisation,organisation_kind,party_member", body = String, content_type = "text/csv"),
        ReadErrors,
    )
)]
async fn people_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<DistrictQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let body = export_people(&mut db, query.district, reader_area(&user)?).await?;
    Ok(csv_response(body, &format!("people-district-{}.csv", query.district)))
}

/// Imports people from CSV; 422 `invalid_csv` lists every bad line in `details.errors`.
#[utoipa::path(
    post, path = "/api/v1/people/import", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(DistrictQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "Imported, all or nothing", body = PeopleImported),
        ChangeErrors,
    )
)]
async fn people_import(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Query(query): Query<DistrictQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let scope = admin_area(&user)?;
    let body = upload(body)?;
    let mut tx = state.pool.begin().await?;
    let done = import_people(&mut tx, query.district, &body, scope, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(done).into_response())
}

/// The community's current assignments as CSV.
#[utoipa::path(
    get, path = "/api/v1/assignments/export.csv", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(CommunityQuery),
    responses(
        (status = 200, description = "UTF-8 CSV with a BOM: phone,role,grid,building,unit", body = String, content_type = "text/csv"),
        ReadErrors,
    )
)]
async fn assignments_csv(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(query): Query<CommunityQuery>,
) -> Result<Response, ApiError> {
    let mut db = state.pool.acquire().await?;
    let body = export_assignments(&mut db, query.community, reader_area(&user)?).await?;
    Ok(csv_response(body, &format!("assignments-community-{}.csv", query.community)))
}

/// Imports assignments from CSV; 422 `invalid_csv` lists every bad line.
#[utoipa::path(
    post, path = "/api/v1/assignments/import", tag = "units", security(("bearer" = []), ("session_cookie" = [])),
    params(CommunityQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "Imported, all or nothing", body = AssignmentsImported),
        ChangeErrors,
    )
)]
async fn assignments_import(
    State(state): State<AppState>,
    Submitter(user): Submitter,
    Query(query): Query<CommunityQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let scope = admin_area(&user)?;
    let body = upload(body)?;
    let mut tx = state.pool.begin().await?;
    let done = import_assignments(&mut tx, query.community, &body, scope, &user.actor()).await?;
    tx.commit().await?;
    Ok(axum::Json(done).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people(text: &str) -> (Vec<PersonRow>, Vec<RowError>) {
        parse_people(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn refused(result: Result<impl std::fmt::Debug, ExchangeError>) -> Vec<RowError> {
        match result {
            Err(ExchangeError::Rows(errors)) => errors,
            other => panic!("{other:?}"),
        }
    }

    fn codes(errors: &[RowError]) -> Vec<(usize, &str, &str)> {
        errors.iter().map(|e| (e.line, e.field.as_str(), e.code)).collect()
    }

    #[test]
    fn a_bom_and_crlf_are_read_and_lines_are_counted_from_the_header() {
        let text = "\u{feff}name,phone,organisation,organisation_kind,party_member\r\n张伟,13812345678,,,true\r\n\r\n李娜,+86 139-1234-5678,光谷社区居委会,,否\r\n";
        let (rows, errors) = people(text);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].line, rows[0].name.as_deref(), rows[0].phone.as_deref()),
            (2, Some("张伟"), Some("13812345678"))
        );
        assert_eq!((rows[0].organisation.as_deref(), rows[0].party_member), (Some(""), Some(true)));
        // The blank line 3 is skipped but counted.
        assert_eq!((rows[1].line, rows[1].phone.as_deref()), (4, Some("13912345678")));
        assert_eq!((rows[1].organisation.as_deref(), rows[1].party_member), (Some("光谷社区居委会"), Some(false)));
        // Without a BOM and with LF, the same.
        let (plain, _) = people(&text.trim_start_matches('\u{feff}').replace("\r\n", "\n"));
        assert_eq!(plain, rows);
    }

    #[test]
    fn a_row_that_spans_lines_is_reported_at_its_first() {
        let text = "name,phone\n\"张\n伟\",13812345678\nbad,123\n";
        let (rows, errors) = people(text);
        assert_eq!(rows[0].line, 2);
        assert_eq!(codes(&errors), [(2, "name", "invalid_name"), (4, "phone", "invalid_phone")]);
        // The same with CRLF, blank lines before and between rows, and a line of spaces.
        let text = "\r\n\r\nname,phone\r\n\r\n\"张\r\n伟\",13812345678\r\n  ,  \r\n\r\n\r\nbad,123\r\n\r\n";
        let (rows, errors) = people(text);
        assert_eq!(rows.iter().map(|r| r.line).collect::<Vec<_>>(), [5, 10]);
        assert_eq!(codes(&errors), [(5, "name", "invalid_name"), (10, "phone", "invalid_phone")]);
    }

    #[test]
    fn the_header_names_columns_in_any_order_and_case_and_its_mistakes_are_all_named() {
        let (rows, errors) = people(" Phone , NAME \n13812345678,张伟\n");
        assert!(errors.is_empty());
        assert_eq!(
            (rows[0].name.as_deref(), rows[0].organisation.as_deref(), rows[0].party_member),
            (Some("张伟"), None, None)
        );

        let errors = refused(parse_people("name,name,notes\n张伟,13812345678,x\n".as_bytes()));
        assert_eq!(
            codes(&errors),
            [(1, "name", "duplicate_column"), (1, "notes", "unknown_column"), (1, "phone", "missing_column")]
        );
        // A file without its header: the first row is read as one and refused.
        let errors = refused(parse_people("张伟,13812345678\n".as_bytes()));
        assert!(errors.iter().all(|e| e.line == 1) && errors.iter().any(|e| e.code == "missing_column"), "{errors:?}");
        assert!(errors[0].message.contains("name,phone,organisation,organisation_kind,party_member"));

        // Assignments ignore other columns (the exported name and valid_from among them).
        let text = "phone,name,role,grid,building,unit,valid_from,备注\n13812345678,张伟,grid_leader,420106001001001,,,2026-01-01T00:00:00Z,x\n";
        let (rows, errors) = parse_assignments(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            (rows[0].role, rows[0].grid.as_str(), rows[0].post_ok),
            (Some(TeamRole::GridLeader), "420106001001001", true)
        );
        let errors = refused(parse_assignments("phone,grid\n13812345678,420106001001001\n".as_bytes()));
        assert_eq!(codes(&errors), [(1, "role", "missing_column")]);
    }

    #[test]
    fn empty_files_files_without_rows_and_other_encodings_are_refused() {
        assert_eq!(codes(&refused(parse_people(b""))), [(1, "file", "empty_file")]);
        assert_eq!(codes(&refused(parse_people("\u{feff}\r\n".as_bytes()))), [(1, "file", "empty_file")]);
        assert_eq!(codes(&refused(parse_people(b"name,phone\r\n\r\n"))), [(1, "file", "no_rows")]);
        // 张伟 in GBK on line 3.
        let gbk =
            [b"name,phone\n".as_slice(), b"a,13812345678\n", &[0xd5, 0xc5, 0xce, 0xb0], b",13912345678\n"].concat();
        assert_eq!(codes(&refused(parse_people(&gbk))), [(3, "file", "not_utf8")]);
        assert_eq!(codes(&refused(parse_people(&[0xff, 0xfe, b'n', 0]))), [(1, "file", "not_utf8")]);
    }

    #[test]
    fn more_than_the_most_rows_is_refused_before_anything_is_checked() {
        let mut text = String::from("name,phone\n");
        for i in 0..MAX_ROWS {
            text.push_str(&format!("p{i},138{i:08}\n"));
        }
        let (rows, _) = people(&text);
        assert_eq!(rows.len(), MAX_ROWS);
        text.push_str("one more,13900000000\n");
        assert!(matches!(parse_people(text.as_bytes()), Err(ExchangeError::TooManyRows)));
    }

    #[test]
    fn every_bad_line_is_reported_and_a_phone_twice_names_both_lines() {
        let text = "name,phone,organisation,organisation_kind,party_member
张伟,13812345678,,,true
,12345,,bureau,maybe
李娜,138 1234 5678,,,false
王芳,13912345678,,,
王芳,1.39123E+10,,,
x,13612345678,,,,extra
";
        let (rows, errors) = people(text);
        assert_eq!(rows.len(), 6);
        let mut found = codes(&errors);
        found.sort_unstable();
        assert_eq!(
            found,
            [
                (3, "name", "invalid_name"),
                (3, "organisation_kind", "unknown_kind"),
                (3, "party_member", "invalid_flag"),
                (3, "phone", "invalid_phone"),
                (4, "phone", "duplicate_phone"),
                (6, "phone", "mangled_number"),
                (7, "file", "too_many_values"),
            ]
        );
        let duplicate = errors.iter().find(|e| e.code == "duplicate_phone").unwrap();
        assert_eq!(duplicate.duplicate_of, Some(2));
        assert!(duplicate.message.contains("line 2") && duplicate.message.contains("line 4"), "{}", duplicate.message);
        // An empty party flag is no; Excel's TRUE is yes.
        assert_eq!(rows[3].party_member, Some(false));
        assert_eq!(parse_flag("TRUE"), Some(true));
        assert_eq!(parse_flag("是"), Some(true));
    }

    #[test]
    fn formula_like_cells_are_escaped_on_export_and_read_back() {
        for value in ["=1+1", "+86", "-12", "@x", "'quoted", "张伟", ""] {
            assert_eq!(uncell(&cell(value)), value);
        }
        assert_eq!(cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(cell("张伟"), "张伟");
        let csv = write_csv(&["name", "phone"], [vec!["=cmd".to_owned(), "13812345678".to_owned()]]).unwrap();
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text, "\u{feff}name,phone\r\n'=cmd,13812345678\r\n");
        let (rows, _) = people(&text);
        assert_eq!(rows[0].name.as_deref(), Some("=cmd"));
    }

    #[test]
    fn numbers_that_a_spreadsheet_rewrote_are_recognised() {
        assert!(mangled_number("4.20106E+14") && mangled_number("4.20106e+14") && mangled_number("1E+10"));
        assert!(!mangled_number("420106001001001") && !mangled_number("b-E+1") && !mangled_number("E+14"));
    }

    #[test]
    fn assignment_rows_are_checked_for_their_post() {
        let text = "phone,role,grid,building,unit
13812345678,grid_leader,420106001001001,,
13812345678,building_leader,,b-12,2
13812345678,building_leader,420106001001001,,
13812345678,grid_worker,420106001001001,,1
13812345678,party_group_leader,,b-12,0
13812345678,mayor,420106001001001,,
13812345678,Grid_Leader,4.20106E+14,,
";
        let (rows, errors) = parse_assignments(text.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(rows.len(), 7);
        assert_eq!((rows[1].building.as_str(), rows[1].unit, rows[1].post_ok), ("b-12", Some(2), true));
        assert_eq!(
            codes(&errors),
            [
                (4, "building", "wrong_post"),
                (5, "grid", "wrong_post"),
                (6, "unit", "unknown_unit"),
                (7, "role", "unknown_role"),
                (8, "grid", "mangled_number"),
            ]
        );
    }

    fn stored(pairs: &[(&str, Kind)]) -> HashMap<String, (i64, String)> {
        pairs.iter().zip(1..).map(|((name, kind), id)| ((*name).to_owned(), (id, kind.as_str().to_owned()))).collect()
    }

    fn person_with(line: usize, organisation: &str, kind: Option<Kind>) -> PersonRow {
        PersonRow {
            line,
            name: Some("张伟".into()),
            phone: Some(format!("138000000{line:02}")),
            organisation: Some(organisation.into()),
            kind,
            party_member: None,
        }
    }

    #[test]
    fn organisations_are_created_only_with_a_kind_that_names_no_place() {
        let stored = stored(&[("光谷社区居委会", Kind::CommunityCommittee), ("关山街道办事处", Kind::DistrictOffice)]);
        let rows = [
            person_with(2, "光谷社区居委会", None),
            person_with(3, "光谷社区居委会", Some(Kind::CommunityCommittee)),
            person_with(4, "光谷社区居委会", Some(Kind::PartnerUnit)),
            person_with(5, "交通运输局", None),
            person_with(6, "南湖社区居委会", Some(Kind::CommunityCommittee)),
            person_with(7, "交通运输局", Some(Kind::PartnerUnit)),
            person_with(8, "交通运输局", Some(Kind::PartnerUnit)),
            person_with(9, "交通运输局", Some(Kind::Department)),
            person_with(10, "另一个街道办", Some(Kind::DistrictOffice)),
            person_with(11, "", Some(Kind::Department)),
            // Line 5 and this one name what line 7 creates.
            person_with(12, "交通运输局", None),
            person_with(13, "无此单位", None),
        ];
        let mut errors = Vec::new();
        let created = plan_organisations(&rows, &stored, &mut errors);
        errors.sort_by_key(|e| e.line);
        assert_eq!(
            codes(&errors),
            [
                (4, "organisation_kind", "wrong_kind"),
                (6, "organisation", "unknown_organisation"),
                (9, "organisation_kind", "conflicting_kind"),
                (10, "organisation", "duplicate_organisation"),
                (13, "organisation", "unknown_organisation"),
            ]
        );
        assert_eq!(errors[2].duplicate_of, Some(7));
        assert_eq!(created.keys().collect::<Vec<_>>(), ["交通运输局"]);
        assert_eq!((created["交通运输局"].kind, created["交通运输局"].line), (Kind::PartnerUnit, 7));

        // Without a stored office, the file creates one, and only one.
        let rows = [
            person_with(2, "关山街道办事处", Some(Kind::DistrictOffice)),
            person_with(3, "街道办", Some(Kind::DistrictOffice)),
        ];
        let mut errors = Vec::new();
        let created = plan_organisations(&rows, &HashMap::new(), &mut errors);
        assert_eq!(codes(&errors), [(3, "organisation", "duplicate_organisation")]);
        assert_eq!(created.len(), 1);
    }

    #[test]
    fn the_file_holds_an_assignment_once_and_a_single_post_one_person() {
        let row = |line, person, role: TeamRole, grid| Resolved {
            line,
            key: (person, role.as_str(), Some(grid), None, None),
            role,
            label: format!("grid {grid}"),
        };
        let rows = [
            row(2, 1, TeamRole::GridLeader, 10),
            row(3, 1, TeamRole::GridLeader, 10),
            row(4, 2, TeamRole::GridLeader, 10),
            row(5, 2, TeamRole::GridWorker, 10),
            row(6, 3, TeamRole::GridWorker, 10),
            row(7, 2, TeamRole::GridLeader, 11),
            row(8, 2, TeamRole::GridWorker, 10),
        ];
        let mut errors = Vec::new();
        refuse_clashes_in_file(&rows, &mut errors);
        assert_eq!(
            codes(&errors),
            [(3, "grid", "duplicate_assignment"), (4, "grid", "already_assigned"), (8, "grid", "duplicate_assignment")]
        );
        assert_eq!(errors.iter().map(|e| e.duplicate_of).collect::<Vec<_>>(), [Some(2), Some(2), Some(5)]);
    }
}
