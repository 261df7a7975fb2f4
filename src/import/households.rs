//! The household register (CSV, UTF-8, an optional BOM): households and units per building, by
//! the building's `source_id` (with an optional `source` column when ids repeat across sources) or
//! by its `address`. Columns: `source_id` or `address`, `households`, and optionally `units`,
//! `source`. A malformed line stops the import before anything is written; a line naming no
//! known building is skipped and listed.

use std::path::Path;

use sqlx::PgPool;

use super::dataset::Skipped;
use super::{LayerCount, Summary};
use crate::db::copy::CopyRows;

#[derive(Debug, thiserror::Error)]
pub enum HouseholdsError {
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    #[error("{file}, line {line}: {reason}")]
    Line { file: String, line: u64, reason: String },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One register line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterRow {
    pub line: u64,
    pub key: BuildingKey,
    pub households: i32,
    pub units: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildingKey {
    SourceId { source: Option<String>, source_id: String },
    Address(String),
}

/// Reads and checks every line; the first bad line is the error.
pub fn parse(text: &str, file: &str) -> Result<Vec<RegisterRow>, HouseholdsError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let file_error = |reason: String| HouseholdsError::File { file: file.to_owned(), reason };
    let headers = reader.headers().map_err(|e| file_error(e.to_string()))?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let households_col = column("households").ok_or_else(|| file_error("no `households` column".into()))?;
    let (source_id_col, address_col) = (column("source_id"), column("address"));
    if source_id_col.is_none() && address_col.is_none() {
        return Err(file_error("no `source_id` or `address` column to find the buildings by".into()));
    }
    let (units_col, source_col) = (column("units"), column("source"));

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| file_error(e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |reason: String| HouseholdsError::Line { file: file.to_owned(), line, reason };
        let field = |col: Option<usize>| col.and_then(|c| record.get(c)).filter(|v| !v.is_empty());
        let key = match (field(source_id_col), field(address_col)) {
            (Some(id), _) => {
                BuildingKey::SourceId { source: field(source_col).map(str::to_owned), source_id: id.to_owned() }
            }
            (None, Some(address)) => BuildingKey::Address(address.to_owned()),
            (None, None) => return Err(bad("no source_id or address".into())),
        };
        let households = number(field(Some(households_col)), "households", 0)
            .map_err(&bad)?
            .ok_or_else(|| bad("households is empty".into()))?;
        let units = number(field(units_col), "units", 1).map_err(&bad)?;
        rows.push(RegisterRow { line, key, households, units });
    }
    Ok(rows)
}

fn number(value: Option<&str>, name: &str, min: i32) -> Result<Option<i32>, String> {
    let Some(value) = value else { return Ok(None) };
    match value.parse::<i32>() {
        Ok(n) if n >= min => Ok(Some(n)),
        _ => Err(format!("{name} «{value}» is not a whole number of at least {min}")),
    }
}

/// Applies the register in one transaction. Units are rewritten (households split evenly) when
/// the line gives a unit count, or when the building already has units.
pub async fn import(pool: &PgPool, path: &Path) -> Result<Summary, HouseholdsError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| HouseholdsError::File { file: file.clone(), reason: e.to_string() })?;
    let rows = parse(&text, &file)?;
    apply(pool, &rows, &file).await
}

pub async fn apply(pool: &PgPool, rows: &[RegisterRow], file: &str) -> Result<Summary, HouseholdsError> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "create temp table stage_register (line bigint not null, source text, source_id text, address text, \
         households integer not null, units integer) on commit drop",
    )
    .execute(&mut *tx)
    .await?;
    let mut copy_rows = CopyRows::default();
    for row in rows {
        let (source, source_id, address) = match &row.key {
            BuildingKey::SourceId { source, source_id } => (source.as_deref(), Some(source_id.as_str()), None),
            BuildingKey::Address(address) => (None, None, Some(address.as_str())),
        };
        copy_rows
            .int(Some(row.line as i64))
            .text(source)
            .text(source_id)
            .text(address)
            .int(Some(i64::from(row.households)))
            .int(row.units.map(i64::from));
        copy_rows.end_row();
    }
    let mut copy =
        tx.copy_in_raw("copy stage_register (line, source, source_id, address, households, units) from stdin").await?;
    copy.send(copy_rows.take().as_bytes()).await?;
    copy.finish().await?;

    let matches: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(MATCH_BUILDINGS).fetch_all(&mut *tx).await?;
    let mut summary = Summary { source: format!("household register {file}"), ..Summary::default() };
    for (line, _, n) in matches.iter().filter(|(_, _, n)| *n != 1) {
        let reason = if *n == 0 {
            "no building with this source id or address".to_owned()
        } else {
            format!("{n} buildings match; add a `source` column")
        };
        summary.skipped.push(Skipped { feature: format!("line {line}"), reason });
    }
    let unique: Vec<(i64, i64)> =
        matches.iter().filter(|(_, _, n)| *n == 1).filter_map(|(line, id, _)| Some((*line, (*id)?))).collect();
    let (lines, ids): (Vec<i64>, Vec<i64>) = unique.into_iter().unzip();
    let updated: i64 = sqlx::query_scalar(UPDATE_BUILDINGS).bind(&lines).bind(&ids).fetch_one(&mut *tx).await?;
    summary.buildings = LayerCount { inserted: 0, updated, unchanged: ids.len() as i64 - updated };
    let (inserted, changed): (i64, i64) = sqlx::query_as(REWRITE_UNITS).bind(&ids).fetch_one(&mut *tx).await?;
    summary.units = LayerCount { inserted, updated: changed, unchanged: 0 };
    summary.households =
        sqlx::query_scalar("select coalesce(sum(households), 0)::bigint from buildings where id = any($1)")
            .bind(&ids)
            .fetch_one(&mut *tx)
            .await?;
    sqlx::query("select pg_notify($1, 'households')").bind(super::writer::PLACES_CHANGED).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(summary)
}

/// Per line: the one matching building, and how many matched.
const MATCH_BUILDINGS: &str = "
select r.line, min(b.id), count(b.id)
from stage_register r
left join buildings b on (r.source_id is not null and b.source_id = r.source_id and (r.source is null or b.source = r.source))
                      or (r.source_id is null and b.address = r.address)
group by r.line order by r.line";

const UPDATE_BUILDINGS: &str = "
with m as (select * from unnest($1::bigint[], $2::bigint[]) as m(line, id)),
up as (
    update buildings b set households = r.households, units = coalesce(r.units, b.units)
    from m join stage_register r on r.line = m.line
    where b.id = m.id and (b.households, b.units) is distinct from (r.households, coalesce(r.units, b.units))
    returning 1)
select count(*) from up";

/// Units split evenly: unit n of u gets households / u, the first (households mod u) one more.
const REWRITE_UNITS: &str = "
with target as (
    select b.id, b.households, b.units from buildings b where b.id = any($1) and b.units > 0),
wanted as (
    select t.id as building_id, n as number,
           t.households / t.units + case when n <= t.households % t.units then 1 else 0 end as households
    from target t cross join lateral generate_series(1, t.units) as n),
gone as (
    delete from units u using target t
    where u.building_id = t.id and u.number > t.units),
up as (
    insert into units (building_id, number, households) select building_id, number, households from wanted
    on conflict (building_id, number) do update set households = excluded.households
    where units.households is distinct from excluded.households
    returning (xmax = 0) as inserted)
select count(*) filter (where inserted), count(*) filter (where not inserted) from up";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_id_and_address_lines_are_read() {
        let text = "\u{feff}source_id,address,households,units\nway/1,,120,4\n,光谷社区3栋,36,\n";
        let rows = parse(text, "r.csv").expect("parses");
        assert_eq!(rows[0].key, BuildingKey::SourceId { source: None, source_id: "way/1".into() });
        assert_eq!((rows[0].households, rows[0].units, rows[0].line), (120, Some(4), 2));
        assert_eq!(rows[1].key, BuildingKey::Address("光谷社区3栋".into()));
        assert_eq!(rows[1].units, None);
    }

    #[test]
    fn a_bad_number_names_its_line() {
        let err = parse("source_id,households\na,1\nb,-3\n", "r.csv").unwrap_err().to_string();
        assert_eq!(err, "r.csv, line 3: households «-3» is not a whole number of at least 0");
    }

    #[test]
    fn a_register_without_key_columns_is_refused() {
        let err = parse("name,households\na,1\n", "r.csv").unwrap_err().to_string();
        assert!(err.contains("no `source_id` or `address` column"), "{err}");
    }
}
