//! The GeoJSON that the plan queries build in SQL (`plans::grids_geojson`, `buildings_geojson`),
//! described for the OpenAPI document.

use utoipa::ToSchema;

use crate::http::openapi::{FeatureCollectionTag, FeatureTag, MultiPolygon};

/// A plan's grids.
#[derive(ToSchema)]
pub struct GridCollection {
    #[schema(rename = "type", inline)]
    pub kind: FeatureCollectionTag,
    pub features: Vec<GridFeature>,
}

/// A grid, its id its number.
#[derive(ToSchema)]
pub struct GridFeature {
    #[schema(rename = "type", inline)]
    pub kind: FeatureTag,
    pub id: u32,
    /// Null until the grid's polygon is drawn.
    pub geometry: Option<MultiPolygon>,
    pub properties: GridProperties,
}

#[derive(ToSchema)]
pub struct GridProperties {
    pub number: u32,
    /// The 15-digit grid code.
    pub code: String,
    pub name: String,
    pub households: i32,
    pub buildings: i32,
    /// `under`, `within` or `over` the plan's bounds.
    pub status: String,
    pub connected: bool,
    pub locked: bool,
}

/// The buildings of a plan's community.
#[derive(ToSchema)]
pub struct PlanBuildingCollection {
    #[schema(rename = "type", inline)]
    pub kind: FeatureCollectionTag,
    pub features: Vec<PlanBuildingFeature>,
}

/// A building, its id the building's.
#[derive(ToSchema)]
pub struct PlanBuildingFeature {
    #[schema(rename = "type", inline)]
    pub kind: FeatureTag,
    pub id: i64,
    pub geometry: MultiPolygon,
    pub properties: PlanBuildingProperties,
}

#[derive(ToSchema)]
pub struct PlanBuildingProperties {
    pub id: i64,
    pub source_id: String,
    pub name: Option<String>,
    pub households: i32,
    pub estate_id: Option<i64>,
    /// The grid holding most of its households; null: in no grid.
    pub grid: Option<u32>,
    /// A split tower's parts (empty for a whole building).
    pub parts: Vec<PartProperties>,
}

/// One part of a split tower: `units` first and last, or `virtual` part and of how many.
#[derive(ToSchema)]
pub struct PartProperties {
    pub units: Option<[u32; 2]>,
    #[schema(rename = "virtual")]
    pub virtual_part: Option<[u32; 2]>,
    pub households: i32,
    pub grid: Option<u32>,
}
