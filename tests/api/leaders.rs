//! The leaders' view on a real PostGIS: indicators from one aggregate query equal a case-by-case
//! count, area checks, and monthly ranking snapshots that later edits do not change.

use axum::http::StatusCode;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;
use wangge::leaders::indicators::{CaseHistory, Counts};

use super::cases::{Setup, setup};
use super::http::error_code;

#[tokio::test]
async fn indicators_equal_a_case_by_case_count_and_rankings_are_kept() {
    let Setup { mut app, community, point, .. } = setup().await;
    for (i, category) in ["sanitation.dead_spot", "order.noise", "sanitation.flyers", "safety.fire_lane", "order.street_stalls"].iter().enumerate() {
        let (status, filed) = app.post_json("/api/v1/cases", &json!({ "lon": point.0 + i as f64 * 1e-4, "lat": point.1, "category": category })).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
    }
    // Spread the histories over the month: deadlines passed, some closed on time, one late, one
    // reworked, one on the backlog, one cancelled.
    sqlx::query(
        "update cases set deadline = now() - interval '2 hours' * id, dispatched_at = now() - interval '1 day',
                handled_at = case when id % 2 = 0 then now() - interval '3 hours' * id end,
                closed_at = case when id in (2, 3, 4) then now() - interval '1 hour' end,
                status = case when id in (2, 3, 4) then 'closed' when id = 5 then 'cancelled' else status end,
                rework_count = case when id = 3 then 1 else 0 end, backlog_count = case when id = 1 then 1 else 0 end",
    )
    .execute(&app.pool)
    .await
    .expect("histories");
    type Time = Option<DateTime<Utc>>;
    let rows: Vec<(DateTime<Utc>, String, Time, Time, Time, Time, i32, i32)> =
        sqlx::query_as("select created_at, status, dispatched_at, deadline, handled_at, closed_at, rework_count, backlog_count from cases where community_id = $1")
            .bind(community)
            .fetch_all(&app.pool)
            .await
            .expect("cases");
    let today = (Utc::now() + TimeDelta::hours(8)).date_naive();
    let (from, to) = (today - TimeDelta::days(10), today);
    let start = (from.and_hms_opt(0, 0, 0).unwrap_or_default() - TimeDelta::hours(8)).and_utc();
    let end = ((to + TimeDelta::days(1)).and_hms_opt(0, 0, 0).unwrap_or_default() - TimeDelta::hours(8)).and_utc();
    let mut expected = Counts::default();
    for (created_at, status, dispatched_at, deadline, handled_at, closed_at, rework, backlog) in rows {
        let history = CaseHistory { created_at, cancelled: status == "cancelled", dispatched_at, deadline, handled_at, closed_at, reworked: rework > 0, backlogged: backlog > 0 };
        expected.add(&history, start, end);
    }
    assert!(expected.due >= 3 && expected.closed >= 2 && expected.cancelled == 1, "{expected:?}");

    app.sign_in("leader1").await;
    let (status, body) = app.json(&format!("/api/v1/indicators?unit=community&id={community}&from={from}&to={to}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let got = &body["indicators"];
    for (field, value) in [("filed", expected.filed), ("cancelled", expected.cancelled), ("due", expected.due), ("closed", expected.closed),
        ("closed_on_time", expected.closed_on_time), ("open_overdue", expected.open_overdue), ("reworked", expected.reworked), ("backlogged", expected.backlogged)] {
        assert_eq!(got[field].as_u64(), Some(value), "{field}: {got}");
    }
    assert!((got["hours_to_close"].as_f64().unwrap_or_default() - expected.hours_to_close).abs() < 1e-6);
    assert_eq!(got["closure_rate"].as_f64(), Some(((expected.closed as f64 / expected.due as f64) * 1e4).round() / 1e4));
    assert!(got["households"].as_u64() > Some(0));
    // Folded into the daily tallies, the same answer.
    wangge::leaders::tallies::fold(&app.pool).await.expect("folds");
    let (_, folded) = app.json(&format!("/api/v1/indicators?unit=community&id={community}&from={from}&to={to}")).await;
    assert_eq!(folded["indicators"], body["indicators"]);

    // The whole city: only for a user whose area is the city (here the demo's one sub-district).
    let city = format!("/api/v1/indicators?unit=city&from={from}&to={to}");
    let (status, answer) = app.json(&city).await;
    assert_eq!((status, error_code(&answer)), (StatusCode::NOT_FOUND, "not_found"), "leader1 oversees one community: {answer}");
    assert_eq!(app.json("/api/v1/communities").await.1["whole_city"], false);
    app.sign_in("admin1").await;
    assert_eq!(app.json("/api/v1/communities").await.1["whole_city"], true);
    let (status, answer) = app.json(&city).await;
    assert_eq!((status, answer["unit"].as_str()), (StatusCode::OK, Some("city")), "{answer}");
    let (all_filed, all_households): (i64, i64) = sqlx::query_as(
        "select (select count(*) from cases where status <> 'cancelled'), (select sum(households)::bigint from buildings)",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the city's cases and households");
    assert_eq!((answer["indicators"]["filed"].as_i64(), answer["indicators"]["households"].as_i64()), (Some(all_filed), Some(all_households)), "{answer}");
    app.sign_in("leader1").await;

    // An estate (小区) is a unit too: its cases and its buildings' households.
    let (estate, filed, households): (i64, i64, i64) = sqlx::query_as(
        "select e.id, (select count(*) from cases c where c.estate_id = e.id and c.status <> 'cancelled'),
                (select sum(households)::bigint from buildings b where b.estate_id = e.id and b.households > 0)
         from estates e where e.id = (select estate_id from cases where community_id = $1 and estate_id is not null limit 1)",
    )
    .bind(community)
    .fetch_one(&app.pool)
    .await
    .expect("the cases' estate");
    let (status, body) = app.json(&format!("/api/v1/indicators?unit=estate&id={estate}&from={from}&to={to}")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!((body["indicators"]["filed"].as_i64(), body["indicators"]["households"].as_i64()), (Some(filed), Some(households)), "{body}");
    assert!(filed > 0, "{body}");

    for (uri, status, code) in [
        (format!("/api/v1/indicators?unit=community&id=999999&from={from}&to={to}"), StatusCode::NOT_FOUND, "not_found"),
        (format!("/api/v1/indicators?unit=estate&id=999999&from={from}&to={to}"), StatusCode::NOT_FOUND, "not_found"),
        (format!("/api/v1/indicators?unit=planet&id={community}&from={from}&to={to}"), StatusCode::BAD_REQUEST, "invalid_parameter"),
        (format!("/api/v1/indicators?unit=community&id={community}&from={to}&to={from}"), StatusCode::BAD_REQUEST, "invalid_parameter"),
        (format!("/api/v1/indicators?unit=community&from={from}&to={to}"), StatusCode::BAD_REQUEST, "invalid_parameter"),
        (format!("/api/v1/indicators?unit=city&id={community}&from={from}&to={to}"), StatusCode::BAD_REQUEST, "invalid_parameter"),
    ] {
        let (got, answer) = app.json(&uri).await;
        assert_eq!((got, error_code(&answer)), (status, code), "{uri}: {answer}");
    }

    // Last month is over: its ranking is computed once and kept.
    let district: i64 = sqlx::query_scalar("select district_id from communities where id = $1").bind(community).fetch_one(&app.pool).await.expect("a district");
    let last_month = (today.checked_sub_months(chrono::Months::new(1)).unwrap_or(today)).format("%Y-%m").to_string();
    sqlx::query("update cases set deadline = deadline - interval '40 days', created_at = created_at - interval '40 days'").execute(&app.pool).await.expect("moves");
    // The service stores it on its own once the month is over (every sub-district, once).
    let weights = wangge::leaders::ranking::Weights::default();
    let districts: i64 = sqlx::query_scalar("select count(distinct district_id) from communities").fetch_one(&app.pool).await.expect("districts");
    assert_eq!(wangge::leaders::store::snapshot_rankings(&app.pool, &weights, today).await.ok(), Some(districts as usize));
    assert_eq!(wangge::leaders::store::snapshot_rankings(&app.pool, &weights, today).await.ok(), Some(0));
    let (status, first) = app.json(&format!("/api/v1/rankings?district={district}&month={last_month}")).await;
    assert_eq!((status, first["provisional"].as_bool()), (StatusCode::OK, Some(false)), "{first}");
    let entry = first["entries"].as_array().and_then(|e| e.iter().find(|e| e["community_id"] == community).cloned()).unwrap_or_default();
    assert!(entry["score"].as_f64().is_some_and(|s| s > 0.0) && entry["rank"] == 1, "the community is ranked: {first}");
    sqlx::query("update cases set closed_at = null, status = 'dispatched'").execute(&app.pool).await.expect("edits");
    let (_, again) = app.json(&format!("/api/v1/rankings?district={district}&month={last_month}")).await;
    assert_eq!(again["entries"], first["entries"], "a past month's ranking does not change");
    let this_month = today.format("%Y-%m").to_string();
    let (_, current) = app.json(&format!("/api/v1/rankings?district={district}&month={this_month}")).await;
    assert_eq!(current["provisional"], true);
    app.sign_in("inspector1").await;
    let (status, _) = app.json(&format!("/api/v1/rankings?district={district}&month={this_month}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

/// The point of each case as the map counts it (private ones at their grid's point), in metres
/// on the plate carrée stretched at the community's latitude, as the heatmap lays its hexagons,
/// by case id.
async fn counted_points(app: &super::http::App, community: i64, category: &str, c0: f64) -> Vec<(i64, f64, f64)> {
    let points: Vec<(i64, f64, f64)> = sqlx::query_as(
        "select c.id, st_x(p), st_y(p) from cases c left join grids g on g.id = c.grid_id
         cross join lateral (select case when c.private then st_pointonsurface(g.boundary) else c.location end as p) t
         where c.community_id = $1 and c.status <> 'cancelled' and c.category like $2 || '%' order by c.id",
    )
    .bind(community)
    .bind(category)
    .fetch_all(&app.pool)
    .await
    .expect("case points");
    points.into_iter().map(|(id, lon, lat)| (id, ground(lon, c0), ground(lat, 1.0))).collect()
}

/// The cosine of the community's latitude, which stretches the heatmap's longitudes to metres.
async fn latitude_scale(app: &super::http::App, community: i64) -> f64 {
    sqlx::query_scalar("select cos(radians(st_y(st_centroid(boundary)))) from communities where id = $1")
        .bind(community)
        .fetch_one(&app.pool)
        .await
        .expect("the community's latitude")
}

/// Degrees of longitude (scaled by the cosine of the latitude) or latitude in metres.
fn ground(degrees: f64, scale: f64) -> f64 {
    6_378_137.0 * scale * degrees.to_radians()
}

/// Tallies each point into the cell whose centre is nearest (a hexagon is the set of points
/// nearest its centre): the brute-force count of a heatmap.
fn brute_force(points: &[(i64, f64, f64)], cells: &[serde_json::Value], c0: f64) -> Vec<i64> {
    let centres: Vec<(f64, f64)> =
        cells.iter().map(|c| (ground(c[0].as_f64().unwrap_or_default(), c0), ground(c[1].as_f64().unwrap_or_default(), 1.0))).collect();
    let mut counts = vec![0; cells.len()];
    for &(_, x, y) in points {
        let nearest = centres
            .iter()
            .enumerate()
            .min_by(|a, b| ((a.1.0 - x).hypot(a.1.1 - y)).total_cmp(&(b.1.0 - x).hypot(b.1.1 - y)))
            .map(|(i, _)| i)
            .expect("a cell");
        counts[nearest] += 1;
    }
    counts
}

#[tokio::test]
async fn map_aggregates_equal_a_brute_force_count_and_private_cases_stay_private() {
    let Setup { mut app, community, .. } = setup().await;
    let buildings: Vec<(f64, f64)> = sqlx::query_as(
        "select st_x(p), st_y(p) from buildings b cross join lateral (select st_pointonsurface(b.footprint) as p) s
         where b.community_id = $1 and b.households > 0 and exists (select 1 from grids g where st_covers(g.boundary, p)) order by b.id limit 12",
    )
    .bind(community)
    .fetch_all(&app.pool)
    .await
    .expect("buildings");
    let categories = ["sanitation.exposed_garbage", "order.noise", "sanitation.flyers", "facilities.street_light"];
    for (i, (lon, lat)) in buildings.iter().enumerate() {
        let category = categories[i % categories.len()];
        let (status, filed) = app.post_json("/api/v1/cases", &json!({ "lon": lon, "lat": lat, "category": category, "description": "现场" })).await;
        assert_eq!(status, StatusCode::CREATED, "{filed}");
    }
    let (lon, lat) = buildings[5];
    let (status, private) = app.post_json("/api/v1/cases", &json!({ "lon": lon, "lat": lat, "category": "disputes.neighbour", "description": "楼上楼下噪音纠纷" })).await;
    assert_eq!(status, StatusCode::CREATED, "{private}");
    let private_id = private["id"].as_i64().expect("an id");
    let (exact_lon, exact_lat) = (private["lon"].as_f64().unwrap_or_default(), private["lat"].as_f64().unwrap_or_default());

    app.sign_in("leader1").await;
    let today = (Utc::now() + TimeDelta::hours(8)).date_naive();
    let period = format!("community={community}&from={}&to={today}", today - TimeDelta::days(7));
    let c0 = latitude_scale(&app, community).await;
    for (category, resolution) in [("", 50), ("", 400), ("sanitation", 25), ("disputes", 25)] {
        let (status, heatmap) = app.json(&format!("/api/v1/heatmap?{period}&category={category}&resolution={resolution}")).await;
        assert_eq!(status, StatusCode::OK, "{heatmap}");
        let cells = heatmap["cells"].as_array().cloned().unwrap_or_default();
        let points = counted_points(&app, community, category, c0).await;
        assert_eq!(heatmap["total"].as_u64(), Some(points.len() as u64), "{category}: {heatmap}");
        let expected = brute_force(&points, &cells, c0);
        let got: Vec<i64> = cells.iter().map(|c| c[2].as_i64().unwrap_or_default()).collect();
        assert_eq!(got, expected, "{category} at {resolution} m: {heatmap}");
        for cell in &cells {
            assert!(cell[0] != exact_lon || cell[1] != exact_lat, "no cell sits on the private pin: {cell}");
        }
    }

    let (status, choropleth) = app.json(&format!("/api/v1/choropleth?{period}")).await;
    assert_eq!(status, StatusCode::OK, "{choropleth}");
    let by_grid: Vec<(i64, i64)> = sqlx::query_as("select grid_id, count(*) from cases where community_id = $1 and status <> 'cancelled' group by 1")
        .bind(community)
        .fetch_all(&app.pool)
        .await
        .expect("per grid");
    let features = choropleth["features"].as_array().cloned().unwrap_or_default();
    assert!(!features.is_empty() && features.iter().all(|f| f["geometry"]["type"] == "MultiPolygon"), "{choropleth}");
    for feature in &features {
        let id = feature["properties"]["grid_id"].as_i64();
        let expected = by_grid.iter().find(|g| Some(g.0) == id).map_or(0, |g| g.1);
        assert_eq!(feature["properties"]["filed"].as_i64(), Some(expected), "{feature}");
    }

    // Pins: a box around the private case holds the others, never it.
    let bbox = format!("{},{},{},{}", exact_lon - 0.01, exact_lat - 0.01, exact_lon + 0.01, exact_lat + 0.01);
    let (status, pins) = app.json(&format!("/api/v1/case-pins?{period}&bbox={bbox}")).await;
    assert_eq!(status, StatusCode::OK, "{pins}");
    let ids: Vec<i64> = pins["cases"].as_array().map(|p| p.iter().filter_map(|c| c["id"].as_i64()).collect()).unwrap_or_default();
    assert!(!ids.is_empty() && !ids.contains(&private_id), "{pins}");

    // Exports: the register with a BOM and its columns; the private case without its text,
    // building or pin, in the register and the GeoJSON.
    let (status, csv) = app.get(&format!("/api/v1/register.csv?{period}")).await;
    assert_eq!(status, StatusCode::OK);
    let text = String::from_utf8(csv).expect("UTF-8");
    assert!(text.starts_with('\u{feff}'), "a BOM");
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next(), Some(wangge::leaders::register::HEADER.join(",").as_str()));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), buildings.len() + 1, "{text}");
    let private_row = rows.iter().find(|r| r.contains("邻里纠纷")).expect("the private case is in the register");
    assert!(!private_row.contains("噪音") && rows.iter().filter(|r| r.contains("现场")).count() == buildings.len(), "{text}");
    let (status, geojson) = app.json(&format!("/api/v1/cases.geojson?{period}")).await;
    assert_eq!(status, StatusCode::OK);
    let feature = geojson["features"].as_array().and_then(|f| f.iter().find(|f| f["id"] == private_id).cloned()).expect("the private case");
    assert_eq!(feature["properties"]["coarse"], true, "{feature}");
    assert_ne!(feature["geometry"]["coordinates"], json!([exact_lon, exact_lat]), "{feature}");
    assert_eq!(feature["properties"]["description"], "");

    for (uri, status, code, field) in [
        (format!("/api/v1/heatmap?{period}&district=1"), StatusCode::BAD_REQUEST, "invalid_parameter", "district"),
        (format!("/api/v1/heatmap?{period}&resolution=1"), StatusCode::BAD_REQUEST, "invalid_parameter", "resolution"),
        (format!("/api/v1/heatmap?{period}&status=lost"), StatusCode::BAD_REQUEST, "invalid_parameter", "status"),
        (format!("/api/v1/case-pins?{period}"), StatusCode::BAD_REQUEST, "invalid_parameter", "bbox"),
        (format!("/api/v1/case-pins?{period}&bbox=114,30,115,31"), StatusCode::BAD_REQUEST, "invalid_parameter", "bbox"),
    ] {
        let (got, answer) = app.json(&uri).await;
        assert_eq!((got, error_code(&answer), answer["error"]["details"]["field"].as_str()), (status, code, Some(field)), "{uri}: {answer}");
    }
    let (status, answer) = app.json(&format!("/api/v1/choropleth?community=999999&from={today}&to={today}")).await;
    assert_eq!((status, error_code(&answer)), (StatusCode::NOT_FOUND, "not_found"));
    app.sign_in("inspector1").await;
    let (status, _) = app.json(&format!("/api/v1/heatmap?{period}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
