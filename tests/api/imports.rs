//! Importers and the writer against PostGIS: idempotence, placement, repair, all-or-nothing.

use std::path::Path;

use geo::{MultiPolygon, polygon};
use indicatif::ProgressBar;
use sqlx::PgPool;
use wangge::import::dataset::{BuildingRecord, CommunityRecord, Dataset};
use wangge::import::geojson::{self, GeojsonOptions};
use wangge::import::{self, Summary, Target, households};

use super::harness::test_db;

fn shared(file: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(file)
}

fn target(community: Option<&str>) -> Target {
    Target { district: "测试街道".into(), community: community.map(str::to_owned) }
}

async fn store(pool: &PgPool, dataset: &Dataset, target: &Target) -> Summary {
    let mut summaries =
        import::store(pool, std::slice::from_ref(dataset), target, &ProgressBar::hidden()).await.expect("stores");
    summaries.pop().expect("one summary")
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(pool).await.expect("counts")
}

fn square(x: f64, y: f64, side: f64) -> MultiPolygon<f64> {
    MultiPolygon::new(vec![
        polygon![(x: x, y: y), (x: x + side, y: y), (x: x + side, y: y + side), (x: x, y: y + side), (x: x, y: y)],
    ])
}

fn building(id: &str, footprint: MultiPolygon<f64>, households: i32) -> BuildingRecord {
    BuildingRecord {
        source_id: id.into(),
        name: None,
        kind: "residential".into(),
        floors: Some(6),
        households,
        units: Vec::new(),
        address: None,
        community: None,
        estate: None,
        footprint,
    }
}

#[tokio::test]
async fn lujiazui_geojson_import_twice_changes_nothing_the_second_time() {
    let pool = test_db().await;
    let dataset =
        geojson::read_file(&shared("shanghai-lujiazui-buildings.geojson"), &GeojsonOptions::default()).expect("reads");
    let first = store(&pool, &dataset, &target(Some("陆家嘴社区"))).await;
    assert_eq!(first.communities.inserted, 1);
    assert_eq!(first.buildings.inserted + first.skipped.len() as i64, 1322, "{first}");
    assert!(first.buildings.inserted > 1300, "{first}");
    let second = store(&pool, &dataset, &target(Some("陆家嘴社区"))).await;
    assert!(!second.changed_anything(), "the second import changed something:\n{second}");
    assert_eq!(second.buildings.unchanged, first.buildings.inserted);
    assert_eq!(count(&pool, "buildings").await, first.buildings.inserted);
    let outside: i64 = sqlx::query_scalar(
        "select count(*) from buildings b join communities c on c.id = b.community_id where not st_intersects(c.boundary, st_pointonsurface(b.footprint))",
    )
    .fetch_one(&pool)
    .await
    .expect("queries");
    assert_eq!(outside, 0, "the hull community contains every building");
}

#[tokio::test]
async fn buildings_are_placed_by_containment_and_the_unplaceable_are_listed() {
    let pool = test_db().await;
    let dataset = Dataset {
        source: "test".into(),
        communities: vec![CommunityRecord {
            source_id: "c1".into(),
            name: "甲社区".into(),
            code: Some("001".into()),
            district: None,
            boundary: square(114.0, 30.0, 0.01),
        }],
        buildings: vec![
            building("in", square(114.001, 30.001, 0.0002), 30),
            building("out", square(115.0, 30.0, 0.0002), 40),
        ],
        ..Dataset::default()
    };
    let summary = store(&pool, &dataset, &target(None)).await;
    assert_eq!(summary.buildings.inserted, 1);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].feature, "building out");
    assert_eq!(summary.skipped[0].reason, "outside every community (40 households)");
    let community: String = sqlx::query_scalar(
        "select c.name from buildings b join communities c on c.id = b.community_id where b.source_id = 'in'",
    )
    .fetch_one(&pool)
    .await
    .expect("placed");
    assert_eq!(community, "甲社区");
}

#[tokio::test]
async fn a_self_intersecting_footprint_is_repaired_and_listed() {
    let pool = test_db().await;
    let bowtie = MultiPolygon::new(vec![
        polygon![(x: 114.0, y: 30.0), (x: 114.001, y: 30.001), (x: 114.001, y: 30.0), (x: 114.0, y: 30.001), (x: 114.0, y: 30.0)],
    ]);
    let dataset =
        Dataset { source: "test".into(), buildings: vec![building("bowtie", bowtie, 10)], ..Dataset::default() };
    let summary = store(&pool, &dataset, &target(Some("乙社区"))).await;
    assert_eq!(summary.buildings.inserted, 1, "{summary}");
    assert_eq!(summary.repaired.len(), 1);
    assert!(summary.repaired[0].reason.contains("Self-intersection"), "{:?}", summary.repaired);
    let valid: bool =
        sqlx::query_scalar("select st_isvalid(footprint) from buildings").fetch_one(&pool).await.expect("queries");
    assert!(valid);
}

#[tokio::test]
async fn the_database_refuses_negative_households_and_an_estate_of_another_community() {
    let pool = test_db().await;
    let dataset = Dataset {
        source: "test".into(),
        communities: vec![
            CommunityRecord {
                source_id: "a".into(),
                name: "甲".into(),
                code: None,
                district: None,
                boundary: square(114.0, 30.0, 0.01),
            },
            CommunityRecord {
                source_id: "b".into(),
                name: "乙".into(),
                code: None,
                district: None,
                boundary: square(114.02, 30.0, 0.01),
            },
        ],
        buildings: vec![building("x", square(114.001, 30.001, 0.0002), 10)],
        estates: vec![wangge::import::dataset::EstateRecord {
            source_id: "e".into(),
            name: Some("丙小区".into()),
            boundary: square(114.021, 30.001, 0.005),
        }],
        ..Dataset::default()
    };
    store(&pool, &dataset, &target(None)).await;
    let negative = sqlx::query("update buildings set households = -1").execute(&pool).await.expect_err("refused");
    assert!(negative.to_string().contains("buildings_households_nonnegative"), "{negative}");
    let wrong_estate = sqlx::query("update buildings set estate_id = (select id from estates)")
        .execute(&pool)
        .await
        .expect_err("refused");
    assert!(wrong_estate.to_string().contains("buildings_estate_in_community_fkey"), "{wrong_estate}");
}

#[tokio::test]
async fn household_register_updates_buildings_and_units_and_lists_unknown_ids() {
    let pool = test_db().await;
    let dataset = Dataset {
        source: "test".into(),
        buildings: vec![
            building("b1", square(114.0, 30.0, 0.0002), 10),
            building("b2", square(114.001, 30.0, 0.0002), 20),
        ],
        ..Dataset::default()
    };
    store(&pool, &dataset, &target(Some("丁社区"))).await;
    let rows = households::parse("source_id,households,units\nb1,25,2\nnope,5,\n", "r.csv").expect("parses");
    let summary = households::apply(&pool, &rows, "r.csv").await.expect("applies");
    assert_eq!(summary.buildings.updated, 1);
    assert_eq!(summary.skipped.len(), 1);
    assert_eq!(summary.skipped[0].feature, "line 3");
    let units: Vec<(i32, i32)> =
        sqlx::query_as("select u.number, u.households from units u join buildings b on b.id = u.building_id where b.source_id = 'b1' order by 1")
            .fetch_all(&pool)
            .await
            .expect("queries");
    assert_eq!(units, vec![(1, 13), (2, 12)]);
    let again = households::apply(&pool, &rows, "r.csv").await.expect("applies");
    assert_eq!(again.buildings.updated, 0, "replaying the register changes nothing");
}

#[tokio::test]
async fn a_failed_import_leaves_what_was_stored_untouched() {
    let pool = test_db().await;
    let first = Dataset {
        source: "one".into(),
        communities: vec![CommunityRecord {
            source_id: "c".into(),
            name: "戊社区".into(),
            code: None,
            district: None,
            boundary: square(114.0, 30.0, 0.01),
        }],
        buildings: vec![building("b", square(114.001, 30.001, 0.0002), 10)],
        ..Dataset::default()
    };
    store(&pool, &first, &target(None)).await;
    // Another source with a community of the same name in the same sub-district: refused whole.
    let mut second = first.clone();
    second.source = "two".into();
    second.buildings[0].households = 99;
    let error = import::store(&pool, &[second], &target(None), &ProgressBar::hidden()).await.expect_err("refused");
    assert!(error.to_string().contains("same name already exists"), "{error}");
    assert_eq!(count(&pool, "buildings").await, 1);
    let households: i32 =
        sqlx::query_scalar("select households from buildings").fetch_one(&pool).await.expect("queries");
    assert_eq!(households, 10);
}

#[tokio::test]
async fn helsinki_osm_import_places_every_household_and_is_idempotent() {
    let pool = test_db().await;
    let options = wangge::import::osm::OsmOptions::default();
    let dataset =
        wangge::import::osm::read_osm(&shared("helsinki.osm.pbf"), &options, &ProgressBar::hidden()).expect("reads");
    let first = store(&pool, &dataset, &target(Some("赫尔辛基中心"))).await;
    assert_eq!(first.buildings.inserted, 446, "{first}");
    assert_eq!(first.estates.inserted, 13, "{first}");
    assert_eq!(first.households, 3370, "{first}");
    assert!(first.roads.inserted > 2400, "{first}");
    assert!(first.skipped.iter().all(|s| !s.reason.is_empty()));
    let in_estates: i64 = sqlx::query_scalar("select count(*) from buildings where estate_id is not null")
        .fetch_one(&pool)
        .await
        .expect("counts");
    assert!(in_estates > 0, "buildings inside residential landuse are linked to their estate");
    let second = store(&pool, &dataset, &target(Some("赫尔辛基中心"))).await;
    assert!(!second.changed_anything(), "{second}");
}

#[tokio::test]
async fn the_default_demo_loads_whole_and_reloads_without_change() {
    let pool = test_db().await;
    let dataset = wangge::demo::generate(&wangge::demo::DemoOptions::default());
    let first = store(&pool, &dataset, &target(None)).await;
    assert!(first.skipped.is_empty() && first.repaired.is_empty(), "{first}");
    assert_eq!(first.buildings.inserted, dataset.buildings.len() as i64);
    assert_eq!(first.communities.inserted, 6);
    let households: i64 = dataset.buildings.iter().map(|b| i64::from(b.households)).sum();
    assert_eq!(first.households, households);
    // Every building the generator put in an estate is linked to it, inside its community.
    let unlinked: i64 = sqlx::query_scalar(
        "select count(*) from buildings b join estates e on e.source_id = split_part(b.source_id, '-b', 1) where b.estate_id is distinct from e.id",
    )
    .fetch_one(&pool)
    .await
    .expect("counts");
    assert_eq!(unlinked, 0);
    let second = store(&pool, &dataset, &target(None)).await;
    assert!(!second.changed_anything(), "{second}");
}
