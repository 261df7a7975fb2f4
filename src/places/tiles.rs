//! Mapbox vector tiles of the places layers, straight from PostGIS (`ST_AsMVT`).

use sqlx::PgPool;

use crate::spatial::tile::TileId;

/// A vector tile layer of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Layer {
    Communities,
    Estates,
    Buildings,
    Roads,
}

impl Layer {
    pub fn parse(name: &str) -> Option<Layer> {
        match name {
            "communities" => Some(Layer::Communities),
            "estates" => Some(Layer::Estates),
            "buildings" => Some(Layer::Buildings),
            "roads" => Some(Layer::Roads),
            _ => None,
        }
    }

    /// Below this zoom the layer's tiles are empty: a city's million buildings are no use as
    /// specks and would make every low-zoom tile huge.
    fn min_zoom(self) -> u8 {
        match self {
            Layer::Buildings => 13,
            Layer::Estates => 11,
            Layer::Communities | Layer::Roads => 0,
        }
    }

    fn sql(self) -> &'static str {
        match self {
            Layer::Communities => {
                concat!(include_str!("sql/tile_bounds.sql"), include_str!("sql/tile_communities.sql"))
            }
            Layer::Estates => concat!(include_str!("sql/tile_bounds.sql"), include_str!("sql/tile_estates.sql")),
            Layer::Buildings => concat!(include_str!("sql/tile_bounds.sql"), include_str!("sql/tile_buildings.sql")),
            Layer::Roads => concat!(include_str!("sql/tile_bounds.sql"), include_str!("sql/tile_roads.sql")),
        }
    }
}

/// The tile's MVT bytes (empty when the layer has nothing there), holding only what lies in the
/// communities of `scope`; roads belong to no community and are shown to every user.
pub async fn tile(pool: &PgPool, layer: Layer, tile: TileId, scope: &[i64]) -> Result<Vec<u8>, sqlx::Error> {
    if tile.z < layer.min_zoom() {
        return Ok(Vec::new());
    }
    let query = sqlx::query_scalar(layer.sql()).bind(i32::from(tile.z)).bind(tile.x as i32).bind(tile.y as i32);
    let query = if layer == Layer::Roads { query } else { query.bind(scope) };
    let bytes: Option<Vec<u8>> = query.fetch_one(pool).await?;
    Ok(bytes.unwrap_or_default())
}
