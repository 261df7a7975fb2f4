//! Exports of an area's cases for a period: the problem register (台账) as CSV for spreadsheet
//! software, and the cases as GeoJSON. A file leaves the service's access checks, so exports are
//! made as a leader outside every grid's team sees the cases, whoever asks: a private case
//! (邻里纠纷, 家庭矛盾) has its grid's point, no description and no building.

use serde_json::{Value, json};
use sqlx::PgConnection;

use super::map::Selection;
use crate::cases::access::{Viewer, visible};
use crate::cases::store::{Case, columns};
use crate::cases::workflow::Status;
use crate::units::exchange::{ExchangeError, write_csv};

/// The register's columns.
pub const HEADER: [&str; 11] =
    ["案卷号", "立案时间", "类别", "问题描述", "社区", "网格", "楼栋", "责任单位", "处置时限", "状态", "是否逾期"];

/// The selection's cases, oldest first, as the export's viewer sees them.
pub async fn cases(db: &mut PgConnection, selection: &Selection<'_>) -> Result<Vec<Case>, sqlx::Error> {
    // No user id: on no grid's team.
    let viewer = Viewer { user_id: 0, role: "leader", communities: selection.scope.to_vec(), organisation_id: None };
    let sql = format!("select {} where {} and {} order by c.created_at, c.id", columns(), visible(1), selection.condition(5));
    selection.bind(viewer.bind(sqlx::query_as(&sql))).fetch_all(db).await
}

/// China time, to the minute, as the register shows times.
fn local(time: chrono::DateTime<chrono::Utc>) -> String {
    (time + chrono::TimeDelta::hours(8)).format("%Y-%m-%d %H:%M").to_string()
}

/// One register row.
pub fn row(case: &Case) -> Vec<String> {
    vec![
        case.number.clone(),
        local(case.created_at),
        case.category_name.clone(),
        case.description.clone(),
        case.community.clone(),
        case.grid_code.clone().unwrap_or_default(),
        case.building.clone().unwrap_or_default(),
        case.organisation.clone().unwrap_or_default(),
        case.deadline.map(local).unwrap_or_default(),
        case.status().label().to_owned(),
        if case.overdue { "是" } else { "否" }.to_owned(),
    ]
}

/// The register as CSV: UTF-8 with a BOM, CRLF.
pub fn csv(cases: &[Case]) -> Result<Vec<u8>, ExchangeError> {
    write_csv(&HEADER, cases.iter().map(row))
}

/// The cases as a GeoJSON FeatureCollection of points.
pub fn geojson(cases: &[Case]) -> Value {
    let features: Vec<Value> = cases
        .iter()
        .map(|c| {
            json!({
                "type": "Feature",
                "id": c.id,
                "geometry": { "type": "Point", "coordinates": [c.lon, c.lat] },
                "properties": {
                    "number": c.number, "category": c.category, "category_name": c.category_name,
                    "description": c.description, "community": c.community, "grid_code": c.grid_code,
                    "building": c.building, "organisation": c.organisation, "deadline": c.deadline,
                    "status": c.status, "status_name": c.status.parse::<Status>().map(Status::label).unwrap_or_default(),
                    "overdue": c.overdue, "created_at": c.created_at, "closed_at": c.closed_at,
                    "private": c.private, "coarse": c.coarse,
                },
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}
