//! The household (户数) estimate for buildings whose source gives no count: the documented,
//! configurable rule every importer applies, so a figure can always be explained.
//!
//! The rule, in order:
//! 1. `building:flats` (the number of dwellings) when the source has it, whatever the kind;
//! 2. otherwise, for a residential kind, floor area × levels ÷ `m2_per_household` (default
//!    80 m²), rounded to the nearest whole household; floor area is the geodesic area of the
//!    footprint, levels are `building:levels` when known, else the default for the kind;
//! 3. otherwise 0 (shops, offices, schools… nobody is registered as living there).
//!
//! A kind is residential when it has an entry in the default-levels table below. `yes` (a
//! building of unknown use) is residential only inside a `landuse=residential` area, because
//! city centres are mixed use: counting every `building=yes` would inflate the figure
//! several-fold (central Helsinki: about 20,800 households instead of about 3,400).
//!
//! | kind | default levels |
//! |---|---|
//! | `apartments`, `residential`, `dormitory`, `yes` | 4 |
//! | `house`, `detached`, `semidetached_house`, `terrace` | 2 |
//!
//! The table can be overridden (and extended with new residential kinds) with a string such as
//! `apartments=6,house=2`, parsed by [`DefaultLevels::from_str`] for a `--default-levels` flag.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// Floor area per household when nothing better is known, m².
pub const DEFAULT_M2_PER_HOUSEHOLD: f64 = 80.0;

/// The kind that counts as residential only inside residential land use.
const UNKNOWN_USE: &str = "yes";

/// Default levels by building kind; its keys are the residential kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultLevels(pub BTreeMap<String, i32>);

impl Default for DefaultLevels {
    fn default() -> Self {
        let table = [
            ("apartments", 4),
            ("residential", 4),
            ("dormitory", 4),
            (UNKNOWN_USE, 4),
            ("house", 2),
            ("detached", 2),
            ("semidetached_house", 2),
            ("terrace", 2),
        ];
        Self(table.into_iter().map(|(kind, levels)| (kind.to_owned(), levels)).collect())
    }
}

impl DefaultLevels {
    /// Replaces or adds the entries of `overrides`, keeping the others.
    pub fn apply(&mut self, overrides: &DefaultLevels) {
        self.0.extend(overrides.0.iter().map(|(kind, levels)| (kind.clone(), *levels)));
    }
}

/// Why a default-levels string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LevelsParseError {
    #[error("`{0}` is not of the form kind=levels (e.g. apartments=6)")]
    NotAPair(String),
    #[error("`{0}`: levels must be a whole number from 0 to 200")]
    BadLevels(String),
}

/// Parses `apartments=6,house=2` (spaces allowed, empty string = no entries).
impl FromStr for DefaultLevels {
    type Err = LevelsParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut table = BTreeMap::new();
        for entry in s.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (kind, levels) = entry.split_once('=').ok_or_else(|| LevelsParseError::NotAPair(entry.to_owned()))?;
            let kind = kind.trim();
            if kind.is_empty() {
                return Err(LevelsParseError::NotAPair(entry.to_owned()));
            }
            let levels: i32 = levels
                .trim()
                .parse()
                .ok()
                .filter(|l| (0..=200).contains(l))
                .ok_or_else(|| LevelsParseError::BadLevels(entry.to_owned()))?;
            table.insert(kind.to_owned(), levels);
        }
        Ok(Self(table))
    }
}

impl fmt::Display for DefaultLevels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let entries: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&entries.join(","))
    }
}

/// The household rule's parameters (see the module doc).
#[derive(Debug, Clone, PartialEq)]
pub struct HouseholdEstimate {
    /// Floor area per household, m²; must be positive.
    pub m2_per_household: f64,
    pub default_levels: DefaultLevels,
}

impl Default for HouseholdEstimate {
    fn default() -> Self {
        Self { m2_per_household: DEFAULT_M2_PER_HOUSEHOLD, default_levels: DefaultLevels::default() }
    }
}

/// Why an estimate configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("floor area per household must be a positive number of m², not {0}")]
pub struct BadAreaPerHousehold(pub f64);

impl HouseholdEstimate {
    /// The default rule with the CLI's settings: `m2_per_household` and overrides of the
    /// default-levels table.
    pub fn new(m2_per_household: f64, overrides: &DefaultLevels) -> Result<Self, BadAreaPerHousehold> {
        if !(m2_per_household.is_finite() && m2_per_household > 0.0) {
            return Err(BadAreaPerHousehold(m2_per_household));
        }
        let mut default_levels = DefaultLevels::default();
        default_levels.apply(overrides);
        Ok(Self { m2_per_household, default_levels })
    }

    /// Whether buildings of `kind` house people (`yes` only inside residential land use).
    pub fn is_residential(&self, kind: &str, in_residential_landuse: bool) -> bool {
        self.default_levels.0.contains_key(kind) && (kind != UNKNOWN_USE || in_residential_landuse)
    }

    /// Households of one building: `flats` (`building:flats`) when known, else the area rule
    /// for residential kinds, else 0. `levels` is `building:levels`, `area_m2` the footprint's
    /// geodesic area.
    pub fn households(
        &self,
        kind: &str,
        flats: Option<i32>,
        levels: Option<i32>,
        area_m2: f64,
        in_residential_landuse: bool,
    ) -> i32 {
        if let Some(flats) = flats {
            return flats.max(0);
        }
        let usable = self.m2_per_household > 0.0; // `new` refuses the rest; pub fields may not
        if !usable || !self.is_residential(kind, in_residential_landuse) {
            return 0;
        }
        let levels = levels.or_else(|| self.default_levels.0.get(kind).copied()).unwrap_or(0);
        let households = area_m2.max(0.0) * f64::from(levels.max(0)) / self.m2_per_household;
        // `as` saturates, so an absurd footprint cannot wrap around.
        households.round() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flats_win_over_the_area_rule_even_for_non_residential_kinds() {
        let e = HouseholdEstimate::default();
        assert_eq!(e.households("apartments", Some(24), Some(10), 5_000.0, false), 24);
        assert_eq!(e.households("commercial", Some(6), None, 500.0, false), 6);
        assert_eq!(e.households("apartments", Some(-3), None, 500.0, false), 0);
    }

    #[test]
    fn area_rule_uses_levels_or_the_default_for_the_kind() {
        let e = HouseholdEstimate::default();
        // 400 m² × 5 levels ÷ 80 = 25
        assert_eq!(e.households("apartments", None, Some(5), 400.0, false), 25);
        // 400 m² × 4 (apartments default) ÷ 80 = 20
        assert_eq!(e.households("apartments", None, None, 400.0, false), 20);
        // 100 m² × 2 (house default) ÷ 80 = 2.5 → 3 (rounded half away from zero)
        assert_eq!(e.households("house", None, None, 100.0, false), 3);
    }

    #[test]
    fn unknown_use_counts_only_inside_residential_landuse() {
        let e = HouseholdEstimate::default();
        assert_eq!(e.households("yes", None, None, 400.0, true), 20);
        assert_eq!(e.households("yes", None, None, 400.0, false), 0);
        assert_eq!(e.households("school", None, Some(3), 4_000.0, true), 0);
    }

    #[test]
    fn default_levels_parse_and_override() {
        let overrides: DefaultLevels = " apartments=6, bungalow = 1 ".parse().expect("valid");
        let e = HouseholdEstimate::new(100.0, &overrides).expect("positive");
        assert_eq!(e.default_levels.0.get("apartments"), Some(&6));
        assert_eq!(e.default_levels.0.get("house"), Some(&2));
        // A new kind in the table becomes residential: 200 m² × 1 ÷ 100 = 2
        assert_eq!(e.households("bungalow", None, None, 200.0, false), 2);
        assert_eq!("".parse::<DefaultLevels>(), Ok(DefaultLevels(BTreeMap::new())));
        assert_eq!(overrides.to_string(), "apartments=6,bungalow=1");
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(matches!("apartments".parse::<DefaultLevels>(), Err(LevelsParseError::NotAPair(_))));
        assert!(matches!("=4".parse::<DefaultLevels>(), Err(LevelsParseError::NotAPair(_))));
        assert!(matches!("house=two".parse::<DefaultLevels>(), Err(LevelsParseError::BadLevels(_))));
        assert!(matches!("house=-1".parse::<DefaultLevels>(), Err(LevelsParseError::BadLevels(_))));
        assert!(HouseholdEstimate::new(0.0, &DefaultLevels::default()).is_err());
        assert!(HouseholdEstimate::new(f64::NAN, &DefaultLevels::default()).is_err());
    }
}
