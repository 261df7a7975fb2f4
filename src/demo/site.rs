//! Turns placed buildings and roads of one community into dataset records: stable ids, names
//! and addresses in the form residents use (关山街道光谷社区南湖花园7栋).

use crate::import::dataset::{BuildingRecord, RoadRecord, UnitRecord};

use super::shapes::{Footprint, Frame};

/// How a building is named within its group (estate, village or campus).
#[derive(Debug, Clone)]
pub enum Label {
    /// A residential building numbered in its group: 南湖花园7栋.
    Building,
    /// A self-built house numbered in its village: 关山村12号.
    House,
    /// The n-th of its kind in the group: 南湖花园2号车棚.
    Counted(&'static str),
    /// One of a kind in the group: 南湖花园配电房.
    Single(&'static str),
    /// A name of its own, not prefixed by the group: 光谷社区党群服务中心.
    Own(String),
}

/// A building to place.
#[derive(Debug, Clone)]
pub struct Spec {
    pub kind: &'static str,
    pub floors: i32,
    pub units: Vec<UnitRecord>,
    pub households: i32,
    pub footprint: Footprint,
    pub label: Label,
}

impl Spec {
    /// A building nobody lives in.
    pub fn empty(kind: &'static str, floors: i32, footprint: Footprint, label: Label) -> Self {
        Self { kind, floors, units: Vec::new(), households: 0, footprint, label }
    }

    /// A building with `units` stairwells of `per_unit` households each.
    pub fn housing(kind: &'static str, floors: i32, units: i32, per_unit: i32, footprint: Footprint) -> Self {
        let units: Vec<UnitRecord> = (1..=units).map(|number| UnitRecord { number, households: per_unit }).collect();
        let households = units.iter().map(|u| u.households).sum();
        Self { kind, floors, units, households, footprint, label: Label::Building }
    }
}

/// Where a community's records go.
pub struct Site<'a> {
    pub frame: &'a Frame,
    /// Community name, which buildings name to be linked to it.
    pub community: &'a str,
    /// Sub-district and community name, the start of every address.
    pub address: String,
    pub buildings: &'a mut Vec<BuildingRecord>,
    pub roads: &'a mut Vec<RoadRecord>,
}

/// A group of buildings with one id prefix and name: an estate, a village or a campus.
pub struct Group {
    /// Source-id prefix, e.g. `c0001-e02`.
    pub id: String,
    /// Name buildings are prefixed with, e.g. 南湖花园.
    pub label: String,
    /// The estate's source id when the group is an estate.
    pub estate: Option<String>,
    buildings: usize,
    numbered: usize,
    roads: usize,
    counted: Vec<(&'static str, usize)>,
}

impl Group {
    pub fn new(id: String, label: String, is_estate: bool) -> Self {
        let estate = is_estate.then(|| id.clone());
        Self { id, label, estate, buildings: 0, numbered: 0, roads: 0, counted: Vec::new() }
    }

    /// Roads recorded for this group so far.
    pub fn roads(&self) -> usize {
        self.roads
    }

    fn name(&mut self, label: &Label) -> String {
        match label {
            Label::Building | Label::House => {
                self.numbered += 1;
                let suffix = if matches!(label, Label::Building) { "栋" } else { "号" };
                format!("{}{}{suffix}", self.label, self.numbered)
            }
            Label::Counted(what) => {
                let n = match self.counted.iter_mut().find(|(w, _)| w == what) {
                    Some((_, n)) => {
                        *n += 1;
                        *n
                    }
                    None => {
                        self.counted.push((what, 1));
                        1
                    }
                };
                format!("{}{n}号{what}", self.label)
            }
            Label::Single(what) => format!("{}{what}", self.label),
            Label::Own(name) => name.clone(),
        }
    }
}

impl Site<'_> {
    /// Records `spec` centred on `centre` (metres).
    pub fn building(&mut self, group: &mut Group, spec: Spec, centre: (f64, f64)) {
        group.buildings += 1;
        let name = group.name(&spec.label);
        self.buildings.push(BuildingRecord {
            source_id: format!("{}-b{:03}", group.id, group.buildings),
            address: Some(format!("{}{name}", self.address)),
            name: Some(name),
            kind: spec.kind.to_owned(),
            floors: Some(spec.floors),
            households: spec.households,
            units: spec.units,
            community: Some(self.community.to_owned()),
            estate: group.estate.clone(),
            footprint: self.frame.polygon(&spec.footprint.corners(centre)),
        });
    }

    /// Records a road through `points` (metres).
    pub fn road(&mut self, group: &mut Group, class: &str, name: Option<String>, points: &[(f64, f64)]) {
        group.roads += 1;
        self.roads.push(RoadRecord {
            source_id: format!("{}-r{:02}", group.id, group.roads),
            name,
            class: class.to_owned(),
            line: self.frame.line(points),
        });
    }
}
