//! The leaders' map, counted on the server: cases per hexagon cell (the heatmap) and per grid (the
//! choropleth) for an area and period, and pins only for a small box. Private cases (disputes)
//! count in both aggregates at their grid's point, never at their own: a cell of one private
//! case would otherwise place it. They are never pins.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use sqlx::PgConnection;

use super::indicators::{Context, indicators};
use super::store::{Unit, case_counts};
use crate::cases::workflow::Status;

/// Smallest and largest hexagon size (centre to corner, metres) a heatmap is counted in.
pub const RESOLUTION_M: (f64, f64) = (25.0, 5000.0);
/// Largest side of a box of pins, in degrees (about 3 km): pins are for a close look.
pub const MAX_PIN_BOX_DEG: f64 = 0.03;
/// Most pins in one answer.
pub const MAX_PINS: i64 = 2000;

/// The area a map covers: a sub-district or one community.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    District(i64),
    Community(i64),
}

impl Area {
    pub fn unit(self) -> Unit {
        match self {
            Area::District(id) => Unit::District(id),
            Area::Community(id) => Unit::Community(id),
        }
    }

    /// The condition on the community aliased `cm` (`$1` = the area's id).
    fn communities(self) -> &'static str {
        match self {
            Area::District(_) => "cm.district_id = $1",
            Area::Community(_) => "cm.id = $1",
        }
    }
}

/// Which cases a map shows by status; cancelled ones only when asked by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    All,
    /// Not yet closed (nor cancelled).
    Open,
    /// Open with the deadline passed (dispatched, in progress or on the backlog), as the cases
    /// list counts it.
    Overdue,
    One(Status),
}

impl StatusFilter {
    pub fn parse(text: Option<&str>) -> Result<StatusFilter, String> {
        match text.map(str::trim).filter(|t| !t.is_empty()) {
            None | Some("all") => Ok(StatusFilter::All),
            Some("open") => Ok(StatusFilter::Open),
            Some("overdue") => Ok(StatusFilter::Overdue),
            Some(name) => name
                .parse::<Status>()
                .map(StatusFilter::One)
                .map_err(|_| format!("status is all, open, overdue or a case status; «{name}» is none of them")),
        }
    }

    /// The condition on the case aliased `c`: only fixed text and status names reach the SQL.
    pub fn condition(self) -> String {
        match self {
            StatusFilter::All => "c.status <> 'cancelled'".into(),
            StatusFilter::Open => "c.status not in ('closed', 'cancelled')".into(),
            StatusFilter::Overdue => "(c.status in ('dispatched', 'in_progress', 'backlog') and c.deadline < now())".into(),
            StatusFilter::One(status) => format!("c.status = '{}'", status.as_str()),
        }
    }
}

/// What a map counts: the area (checked against the viewer's communities as well), the period
/// of filing [start, end), a category or group, and a status.
#[derive(Debug, Clone)]
pub struct Selection<'a> {
    pub area: Area,
    pub scope: &'a [i64],
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub category: Option<String>,
    pub status: StatusFilter,
}

impl Selection<'_> {
    /// The condition on the case aliased `c`, its parameters numbered from `$first` in the order
    /// [`Selection::bind`] binds them: the area, the period's start and end, the category, the
    /// viewer's communities.
    pub fn condition(&self, first: usize) -> String {
        let p = |n: usize| format!("${}", first + n);
        format!(
            "{area} and c.community_id = any({scope}) and c.created_at >= {start} and c.created_at < {end}
             and ({category}::text is null or c.category = {category} or c.category like {category} || '.%') and {status}",
            area = self.area.unit().cases().replace("$1", &p(0)),
            start = p(1),
            end = p(2),
            category = p(3),
            scope = p(4),
            status = self.status.condition(),
        )
    }

    /// Binds the five parameters of [`Selection::condition`].
    pub fn bind<'q, O>(
        &'q self,
        query: sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::QueryAs<'q, sqlx::Postgres, O, sqlx::postgres::PgArguments> {
        query.bind(self.area.unit().id()).bind(self.start).bind(self.end).bind(&self.category).bind(self.scope)
    }
}

/// A heatmap: `[lon, lat, count]` at each hexagon's centre that holds cases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Heatmap {
    pub resolution_m: f64,
    pub total: i64,
    pub max: i64,
    /// `[lon, lat, count]`.
    #[schema(value_type = Vec<Vec<f64>>)]
    pub cells: Vec<(f64, f64, i64)>,
}

/// Cases per hexagon of `size_m` metres (centre to corner); a case falls in the one whose centre
/// is nearest. The hexagons are laid on the plate carrée stretched to metres at the area's
/// latitude (x = R·cos φ₀·λ, y = R·φ), where they measure `size_m` on the ground: a linear map, so
/// that a case costs two multiplications and a rounding (`hex_round`, inlined by PostgreSQL).
pub async fn heatmap(db: &mut PgConnection, selection: &Selection<'_>, size_m: f64) -> Result<Heatmap, sqlx::Error> {
    let sql = format!(
        "with s as (select radians(6378137.0) / $6 as k, cos(radians(st_y(st_centroid(st_collect(cm.boundary))))) as c0
                    from communities cm where {communities}),
              coarse as materialized (select cm.id as community_id, null::bigint as grid_id, st_pointonsurface(cm.boundary) as point
                         from communities cm where {communities}
                         union all
                         select g.community_id, g.id, st_pointonsurface(g.boundary)
                         from grids g join communities cm on cm.id = g.community_id where {communities}),
              axial as materialized (
                  select s.k * (sqrt(3.0) / 3.0 * s.c0 * st_x(t.point) - st_y(t.point) / 3.0) as qf, s.k * 2.0 / 3.0 * st_y(t.point) as rf
                  from cases c cross join s
                  left join coarse k on c.private and k.community_id = c.community_id and k.grid_id is not distinct from c.grid_id
                  cross join lateral (select coalesce(k.point, c.location) as point) t
                  where {condition}),
              counted as (select hex_round(qf, rf) as h, count(*) as n from axial group by 1)
         select round(degrees($6 * sqrt(3.0) * (h[1] + h[2] / 2.0) / (6378137.0 * s.c0))::numeric, 6)::float8,
                round(degrees($6 * 1.5 * h[2] / 6378137.0)::numeric, 6)::float8, n
         from counted cross join s
         order by n desc, 1, 2",
        communities = selection.area.communities(),
        condition = selection.condition(1),
    );
    // Planned for each request's values: the generic plan PostgreSQL caches for a prepared
    // statement guesses one case a period and joins in a nested loop (2.3 s against 0.1 s).
    let query = sqlx::query_as(&sql).persistent(false);
    let rows: Vec<(f64, f64, i64)> = selection
        .bind(query)
        .bind(size_m)
    .fetch_all(db)
    .await?;
    let total = rows.iter().map(|r| r.2).sum();
    let max = rows.first().map_or(0, |r| r.2);
    Ok(Heatmap { resolution_m: size_m, total, max, cells: rows })
}

/// The grids in force of the area as a GeoJSON FeatureCollection with, for the period, the
/// cases filed, filed per 1,000 households, overdue (due and not closed), and the on-time and
/// closure rates with the indicators' definitions (docs/LEADERS.md).
pub async fn choropleth(db: &mut PgConnection, selection: &Selection<'_>) -> Result<Value, sqlx::Error> {
    let grids: Vec<(i64, String, String, String, i64, String)> = sqlx::query_as(&format!(
        "select g.id, g.code, g.name, cm.name, coalesce(h.households, 0)::bigint, st_asgeojson(g.boundary, 6)
         from grids g join communities cm on cm.id = g.community_id
         cross join lateral (select sum(b.households) as households from buildings b
                             where b.community_id = g.community_id and st_covers(g.boundary, st_pointonsurface(b.footprint))) h
         where {} and cm.id = any($2) and g.ended_on is null
         order by g.code",
        selection.area.communities()
    ))
    .bind(selection.area.unit().id())
    .bind(selection.scope)
    .fetch_all(&mut *db)
    .await?;
    // Counts are kept only for the grids above, all in the viewer's communities.
    let unit = selection.area.unit();
    let counts = case_counts(db, "c.grid_id", unit.cases(), unit.id(), selection.start, selection.end).await?;
    let features: Vec<Value> = grids
        .into_iter()
        .map(|(id, code, name, community, households, geometry)| {
            let counts = counts.iter().find(|c| c.0 == Some(id)).map(|c| c.1).unwrap_or_default();
            let households = households.max(0) as u64;
            let rates = indicators(counts, Context { households, ..Default::default() });
            json!({
                "type": "Feature",
                "id": id,
                "geometry": serde_json::from_str::<Value>(&geometry).unwrap_or(Value::Null),
                "properties": {
                    "grid_id": id, "code": code, "name": name, "community": community, "households": households,
                    "filed": counts.filed, "per_1000_households": per_thousand(counts.filed, households),
                    "open_overdue": counts.open_overdue, "on_time_rate": rates.on_time_rate, "closure_rate": rates.closure_rate,
                },
            })
        })
        .collect();
    Ok(json!({ "type": "FeatureCollection", "features": features }))
}

/// `filed` per 1,000 households, one decimal; none without households.
pub fn per_thousand(filed: u64, households: u64) -> Option<f64> {
    (households > 0).then(|| (filed as f64 * 10_000.0 / households as f64).round() / 10.0)
}

/// A case pin: never a private case.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Pin {
    pub id: i64,
    pub number: String,
    pub category: String,
    pub category_name: String,
    pub status: String,
    pub overdue: bool,
    pub lon: f64,
    pub lat: f64,
}

/// The non-private cases of the selection, inside the box when one is given; at most
/// [`MAX_PINS`] (`truncated` says when more matched).
pub async fn pins(
    db: &mut PgConnection,
    selection: &Selection<'_>,
    bbox: Option<[f64; 4]>,
) -> Result<(Vec<Pin>, bool), sqlx::Error> {
    let [west, south, east, north] = bbox.unwrap_or([-180.0, -90.0, 180.0, 90.0]);
    let sql = format!(
        "select c.id, c.number, c.category, k.name as category_name, c.status,
                c.status in ('dispatched', 'in_progress', 'backlog') and c.deadline < now() as overdue,
                st_x(c.location) as lon, st_y(c.location) as lat
         from cases c join categories k on k.code = c.category
         where {} and not c.private and c.location && st_makeenvelope($6, $7, $8, $9, 4326)
         order by c.created_at desc, c.id desc limit $10",
        selection.condition(1)
    );
    let mut pins: Vec<Pin> = selection
        .bind(sqlx::query_as(&sql))
        .bind(west)
    .bind(south)
    .bind(east)
    .bind(north)
    .bind(MAX_PINS + 1)
    .fetch_all(db)
    .await?;
    let truncated = pins.len() as i64 > MAX_PINS;
    pins.truncate(MAX_PINS as usize);
    Ok((pins, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_filters_name_only_known_statuses() {
        assert_eq!(StatusFilter::parse(None), Ok(StatusFilter::All));
        assert_eq!(StatusFilter::parse(Some("overdue")), Ok(StatusFilter::Overdue));
        assert_eq!(StatusFilter::parse(Some("closed")), Ok(StatusFilter::One(Status::Closed)));
        assert!(StatusFilter::parse(Some("closed' or 1=1 --")).is_err());
        assert_eq!(StatusFilter::One(Status::InProgress).condition(), "c.status = 'in_progress'");
        assert!(StatusFilter::All.condition().contains("<> 'cancelled'"));
    }

    #[test]
    fn cases_per_thousand_households_need_households() {
        assert_eq!(per_thousand(3, 600), Some(5.0));
        assert_eq!(per_thousand(1, 3), Some(333.3));
        assert_eq!(per_thousand(4, 0), None);
    }
}
