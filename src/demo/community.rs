//! Lays out one community's block: cuts it into parcels along community streets, gives each
//! parcel a use (see `uses`) and builds them, spreading the community's household target.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::city::CommunityPlan;
use super::estate::{self, Extras, Style};
use super::names::{self, Namer, ordinal};
use super::shapes::{Rect, chamfer};
use super::site::{Group, Site};
use super::uses::{self, Use};
use super::{campus, village};
use crate::import::dataset::{CommunityRecord, EstateRecord};

/// Kerb to the nearest parcel: pavement and roadside green, metres.
const MARGIN: f64 = 8.0;
/// Width of a community street between parcels, metres.
const STREET: f64 = 16.0;
/// Parcels wider or deeper than this are cut in two.
const MAX_PARCEL: f64 = 340.0;
/// Parcel edge to estate wall, and wall to the nearest building, metres.
const WALL: f64 = 2.0;
const SETBACK: f64 = 6.0;

/// What the community is called and where its records go.
pub struct Context<'a> {
    pub seed: u64,
    pub plan: &'a CommunityPlan,
    /// Source id and name of its sub-district.
    pub district: (&'a str, &'a str),
}

/// Lays out the community, appending its buildings and roads to `site`; returns its record and
/// estates.
pub fn build(ctx: &Context, site: &mut Site) -> (CommunityRecord, Vec<EstateRecord>) {
    let plan = ctx.plan;
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed);
    rng.set_stream(plan.index as u64 + 1);

    let cuts = [0; 4].map(|_| if rng.random_bool(0.6) { rng.random_range(3.0..10.0) } else { 0.0 });
    let boundary = site.frame.polygon(&chamfer(&plan.quad, cuts));
    let community = CommunityRecord {
        source_id: plan.source_id.clone(),
        name: plan.name.clone(),
        code: Some(plan.code.clone()),
        district: Some(ctx.district.0.to_owned()),
        boundary,
    };

    let inner = inscribed(&plan.quad).inset(MARGIN);
    let reach = inner.inset(-MARGIN);
    let mut streets = Group::new(plan.source_id.clone(), names::community_stem(&plan.name).to_owned(), false);
    let mut parcels = Vec::new();
    split(&mut rng, site, &mut streets, inner, reach, &mut parcels);

    let (uses, houses) = uses::assign(&mut rng, plan, &mut parcels, WALL);
    let estates = fill(&mut rng, plan, site, &parcels, &uses, houses);
    (community, estates)
}

/// An axis-aligned rectangle inside the convex quad (SW, SE, NE, NW): each of its sides lies
/// beyond both ends of the quad's matching edge, hence beyond the whole edge.
fn inscribed(q: &[(f64, f64); 4]) -> Rect {
    Rect::new(q[0].0.max(q[3].0), q[0].1.max(q[1].1), q[1].0.min(q[2].0), q[2].1.min(q[3].1))
}

/// Cuts `rect` along its longer side until parcels are at most `MAX_PARCEL`, recording a named
/// street in each cut; `reach` is how far the street runs (to the kerb or the crossing street).
fn split(rng: &mut ChaCha8Rng, site: &mut Site, streets: &mut Group, rect: Rect, reach: Rect, out: &mut Vec<Rect>) {
    let (w, h) = (rect.width(), rect.height());
    if w <= MAX_PARCEL && h <= MAX_PARCEL {
        out.push(rect);
        return;
    }
    let t = rng.random_range(0.4..0.6);
    let n = streets.roads() + 1;
    let half = STREET / 2.0;
    if w >= h {
        let x = rect.x0 + w * t;
        let name = format!("{}{}街", streets.label, ordinal(n));
        site.road(streets, "tertiary", Some(name), &[(x, reach.y0), (x, reach.y1)]);
        let (west, east) = (Rect { x1: x - half, ..rect }, Rect { x0: x + half, ..rect });
        split(rng, site, streets, west, Rect { x1: x, ..reach }, out);
        split(rng, site, streets, east, Rect { x0: x, ..reach }, out);
    } else {
        let y = rect.y0 + h * t;
        let name = format!("{}{}路", streets.label, ordinal(n));
        site.road(streets, "tertiary", Some(name), &[(reach.x0, y), (reach.x1, y)]);
        let (south, north) = (Rect { y1: y - half, ..rect }, Rect { y0: y + half, ..rect });
        split(rng, site, streets, south, Rect { y1: y, ..reach }, out);
        split(rng, site, streets, north, Rect { y0: y, ..reach }, out);
    }
}

/// Builds every parcel in `Use::rank` order: the village first (its households are what they
/// are), towers last (their heights absorb what is left of the target).
fn fill(
    rng: &mut ChaCha8Rng,
    plan: &CommunityPlan,
    site: &mut Site,
    parcels: &[Rect],
    uses: &[Use],
    houses: usize,
) -> Vec<EstateRecord> {
    let mut order: Vec<usize> = (0..parcels.len()).collect();
    order.sort_by_key(|&i| uses[i].rank());
    let mut namer = Namer::default();
    let mut builder = Builder {
        plan,
        village: names::village(rng, &mut namer),
        villages: uses.iter().filter(|u| **u == Use::Village).count(),
        village_parts: 0,
        namer,
        remaining: plan.households,
        houses,
        walkup_left: None,
        tower_area: order
            .iter()
            .filter(|&&i| uses[i] == Use::Estate(Style::Tower))
            .map(|&i| parcels[i].inset(WALL).area())
            .sum(),
        extras: Extras {
            kindergarten: true,
            super_tower: plan.index.is_multiple_of(5),
            centre: Some(format!("{}党群服务中心", plan.name)),
        },
        estates: Vec::new(),
    };
    for (k, &i) in order.iter().enumerate() {
        let wall = parcels[i].inset(WALL);
        match uses[i] {
            Use::Village => builder.village(rng, site, k, wall),
            Use::Estate(style) => builder.estate(rng, site, k, wall, style),
            other => builder.campus(rng, site, k, wall, other),
        }
    }
    builder.estates
}

/// What is left to build as the parcels are filled one by one.
struct Builder<'a> {
    plan: &'a CommunityPlan,
    /// The urban village's name, how many parcels it spans (each is one 组, group), and how
    /// many of them are built.
    village: String,
    villages: usize,
    village_parts: usize,
    /// Estate names given so far in this community.
    namer: Namer,
    /// Households and village houses still to place.
    remaining: i32,
    houses: usize,
    /// What walk-ups may still hold: their share of what the village left, set at the first.
    walkup_left: Option<i32>,
    /// Area of the tower estates not yet built, to share `remaining` among them.
    tower_area: f64,
    /// One-offs for the first estate that can take them.
    extras: Extras,
    estates: Vec<EstateRecord>,
}

impl Builder<'_> {
    fn id(&self, kind: char, k: usize) -> String {
        format!("{}-{kind}{:02}", self.plan.source_id, k + 1)
    }

    fn village(&mut self, rng: &mut ChaCha8Rng, site: &mut Site, k: usize, wall: Rect) {
        self.village_parts += 1;
        let name = if self.villages == 1 {
            self.village.clone()
        } else {
            format!("{}{}组", self.village, ordinal(self.village_parts))
        };
        let id = self.id('e', k);
        let mut group = Group::new(id.clone(), name.clone(), true);
        let committee = (self.village_parts == 1).then_some(self.village.as_str());
        let (households, built) = village::lay_out(rng, site, &mut group, wall.inset(WALL), self.houses, committee);
        self.houses -= built.min(self.houses);
        self.remaining -= households;
        self.estates.push(estate_record(site, id, name, wall.corners().to_vec()));
    }

    fn campus(&mut self, rng: &mut ChaCha8Rng, site: &mut Site, k: usize, wall: Rect, what: Use) {
        let stem = names::community_stem(&self.plan.name);
        let name = match what {
            Use::School => format!("{stem}小学"),
            Use::Plaza => format!("{stem}{}", ["广场", "商业中心", "天地"][rng.random_range(0..3)]),
            _ => format!("{stem}公园"),
        };
        let mut group = Group::new(self.id('p', k), name, false);
        let area = wall.inset(SETBACK);
        match what {
            Use::School => campus::school(rng, site, &mut group, area),
            Use::Plaza => campus::plaza(rng, site, &mut group, area),
            _ => campus::park(site, &mut group, area),
        }
    }

    fn estate(&mut self, rng: &mut ChaCha8Rng, site: &mut Site, k: usize, wall: Rect, style: Style) {
        let name = names::estate(rng, &mut self.namer, style == Style::Walkup);
        let id = self.id('e', k);
        let mut group = Group::new(id.clone(), name.clone(), true);
        let remaining = f64::from(self.remaining.max(0));
        let budget = match style {
            Style::Walkup => *self.walkup_left.get_or_insert((uses::WALKUP_SHARE * remaining) as i32),
            Style::Tower => {
                let share = wall.area() / self.tower_area.max(1.0);
                self.tower_area -= wall.area();
                (remaining * share.min(1.0)).round() as i32
            }
        };
        let extras = Extras {
            kindergarten: style == Style::Tower && std::mem::take(&mut self.extras.kindergarten),
            super_tower: style == Style::Tower && std::mem::take(&mut self.extras.super_tower),
            centre: self.extras.centre.take(),
        };
        let cuts = [0; 4].map(|_| if rng.random_bool(0.3) { rng.random_range(2.0..8.0) } else { 0.0 });
        let ring = wall.chamfered(cuts);
        let placed = estate::lay_out(rng, site, &mut group, wall, style, budget, extras);
        self.remaining -= placed;
        if let (Style::Walkup, Some(left)) = (style, self.walkup_left.as_mut()) {
            *left -= placed;
        }
        self.estates.push(estate_record(site, id, name, ring));
    }
}

fn estate_record(site: &Site, source_id: String, name: String, ring: Vec<(f64, f64)>) -> EstateRecord {
    EstateRecord { source_id, name: Some(name), boundary: site.frame.polygon(&ring) }
}
