//! Importers: OpenStreetMap PBF, GeoJSON and the CSV household register. Parsers turn files into
//! a [`dataset::Dataset`] (pure, no database); [`writer`] stores it in one transaction.

pub mod dataset;
pub mod estimate;
pub mod geojson;
pub mod households;
pub mod osm;
pub mod rings;
pub mod writer;

use std::collections::BTreeMap;
use std::fmt;

use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

use dataset::{Dataset, Skipped};
pub use writer::Target;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Osm(#[from] osm::OsmError),
    #[error("{0}")]
    Geojson(#[from] geojson::GeojsonError),
    #[error("{0}")]
    Households(#[from] households::HouseholdsError),
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// What one layer of an import did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LayerCount {
    pub inserted: i64,
    pub updated: i64,
    pub unchanged: i64,
}

impl LayerCount {
    pub fn changed(&self) -> i64 {
        self.inserted + self.updated
    }
}

/// The closing summary of an import: what was imported, repaired, and skipped and why.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub source: String,
    pub districts: LayerCount,
    pub communities: LayerCount,
    pub estates: LayerCount,
    pub buildings: LayerCount,
    pub units: LayerCount,
    pub roads: LayerCount,
    /// Households in the buildings this import placed.
    pub households: i64,
    /// Features whose invalid geometry was repaired, with what was wrong.
    pub repaired: Vec<Skipped>,
    /// Features left out, with the reason.
    pub skipped: Vec<Skipped>,
}

impl Summary {
    /// Whether storing this summary's import changed anything.
    pub fn changed_anything(&self) -> bool {
        [self.districts, self.communities, self.estates, self.buildings, self.units, self.roads]
            .iter()
            .any(|c| c.changed() > 0)
    }
}

/// How many skipped or repaired features are listed one by one before the rest are counted by reason.
const LISTED: usize = 20;

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "import of {}:", self.source)?;
        writeln!(f, "  {:<12} {:>9} {:>9} {:>9}", "", "inserted", "updated", "unchanged")?;
        for (name, c) in [
            ("sub-districts", self.districts),
            ("communities", self.communities),
            ("estates", self.estates),
            ("buildings", self.buildings),
            ("units", self.units),
            ("roads", self.roads),
        ] {
            writeln!(f, "  {name:<12} {:>9} {:>9} {:>9}", c.inserted, c.updated, c.unchanged)?;
        }
        writeln!(f, "  households in imported buildings: {}", self.households)?;
        write_list(f, "repaired (invalid geometry made valid)", &self.repaired)?;
        write_list(f, "skipped", &self.skipped)
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, title: &str, items: &[Skipped]) -> fmt::Result {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(f, "  {title}: {}", items.len())?;
    for item in items.iter().take(LISTED) {
        writeln!(f, "    {}: {}", item.feature, item.reason)?;
    }
    if items.len() > LISTED {
        let mut by_reason: BTreeMap<&str, usize> = BTreeMap::new();
        for item in &items[LISTED..] {
            *by_reason.entry(item.reason.as_str()).or_default() += 1;
        }
        writeln!(f, "    … and {} more:", items.len() - LISTED)?;
        for (reason, n) in by_reason {
            writeln!(f, "      {n} × {reason}")?;
        }
    }
    Ok(())
}

/// A progress bar on stderr, hidden when stderr is not a terminal.
pub fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(0);
    if let Ok(style) =
        ProgressStyle::with_template("{spinner} {msg:12} [{bar:40}] {human_pos}/{human_len} ({per_sec}, {eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Stores datasets in order in one transaction: all of them, or nothing.
pub async fn store(
    pool: &PgPool,
    datasets: &[Dataset],
    target: &Target,
    progress: &ProgressBar,
) -> Result<Vec<Summary>, ImportError> {
    let mut tx = pool.begin().await?;
    let mut summaries = Vec::with_capacity(datasets.len());
    for dataset in datasets {
        summaries.push(writer::write(&mut tx, dataset, target, progress).await?);
    }
    tx.commit().await?;
    Ok(summaries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_lists_the_first_skipped_and_counts_the_rest_by_reason() {
        let skipped = (0..25)
            .map(|i| Skipped { feature: format!("way/{i}"), reason: if i % 2 == 0 { "a".into() } else { "b".into() } })
            .collect();
        let summary = Summary { source: "osm".into(), skipped, ..Summary::default() };
        let text = summary.to_string();
        assert!(text.contains("skipped: 25"));
        assert!(text.contains("way/19: b"));
        assert!(!text.contains("way/20:"));
        assert!(text.contains("… and 5 more"));
        assert!(text.contains("3 × a") && text.contains("2 × b"), "{text}");
    }
}
