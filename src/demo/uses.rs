//! What each parcel of a community becomes: part of its urban village, a school, a plaza, a
//! park, or a walk-up or tower estate, chosen so the community can hold its household target.

use rand::Rng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use super::city::CommunityPlan;
use super::estate::Style;
use super::shapes::Rect;

/// Self-built houses a village parcel holds per square metre (12 m plots, lanes, yards).
pub const HOUSES_PER_M2: f64 = 0.0055;
/// Households per village house, on average (1–4 per house, fewer in low houses).
const HOUSEHOLDS_PER_HOUSE: f64 = 1.67;
/// Share of the households outside the village that walk-up estates hold at most.
pub const WALKUP_SHARE: f64 = 0.55;
/// Households per square metre a walk-up estate holds when full (230 a hectare), and a tower
/// estate comfortably (200 a hectare).
const WALKUP_PER_M2: f64 = 0.023;
const TOWER_PER_M2: f64 = 0.02;
/// Households per square metre the parcels outside the village must be able to take, below what
/// dense towers hold (about 0.035 with shops, lanes and amenities).
const TOWER_MOST_PER_M2: f64 = 0.025;
/// Width of a school campus cut from a wider parcel, and the lane beside it, metres.
const CAMPUS: f64 = 150.0;
const LANE: f64 = 12.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Village,
    School,
    Plaza,
    Park,
    Estate(Style),
}

impl Use {
    /// Build order (and id order): the village first, as its households are what they are;
    /// towers last, as their heights absorb what is left of the target.
    pub fn rank(self) -> u8 {
        match self {
            Use::Village => 0,
            Use::School => 1,
            Use::Plaza => 2,
            Use::Park => 3,
            Use::Estate(Style::Walkup) => 4,
            Use::Estate(Style::Tower) => 5,
        }
    }
}

/// Uses per parcel, and the houses the village should have. The village takes parcels until it
/// holds its houses (leaving at least two), a school may take the end of the smallest parcel
/// left, walk-ups take parcels up to their share, towers the largest of the rest until they can
/// comfortably hold the remainder; a parcel beyond that becomes a plaza, another a park.
/// `parcels` may grow when a school is cut from one.
pub fn assign(rng: &mut ChaCha8Rng, plan: &CommunityPlan, parcels: &mut Vec<Rect>, wall: f64) -> (Vec<Use>, usize) {
    let mut uses = vec![Use::Estate(Style::Tower); parcels.len()];
    let mut free: Vec<usize> = (0..parcels.len()).collect();
    free.shuffle(rng);

    let wanted = if plan.village { village_houses(rng, plan) } else { 0.0 };
    let mut room = 0.0;
    let mut elsewhere: f64 = parcels.iter().map(Rect::area).sum();
    while room < wanted && free.len() > 2 {
        let Some(&i) = free.last() else { break };
        // Keep enough land outside the village for the households it will not hold.
        let more = room + parcels[i].inset(wall * 2.0).area() * HOUSES_PER_M2;
        let left = f64::from(plan.households) - wanted.min(more) * HOUSEHOLDS_PER_HOUSE;
        if (elsewhere - parcels[i].area()) * TOWER_MOST_PER_M2 < left {
            break;
        }
        free.pop();
        uses[i] = Use::Village;
        room = more;
        elsewhere -= parcels[i].area();
    }
    let houses = wanted.min(room);

    if free.len() > 2 && rng.random_bool(0.6) {
        let smallest = (0..free.len()).min_by(|&a, &b| parcels[free[a]].area().total_cmp(&parcels[free[b]].area()));
        if let Some(k) = smallest {
            let i = free.remove(k);
            uses[i] = Use::School;
            let p = parcels[i];
            if p.width() >= CAMPUS + LANE + 100.0 {
                parcels[i] = Rect { x1: p.x0 + CAMPUS, ..p };
                parcels.push(Rect { x0: p.x0 + CAMPUS + LANE, ..p });
                uses.push(Use::Estate(Style::Tower));
                free.push(parcels.len() - 1);
            }
        }
    }

    let rest = (f64::from(plan.households) - houses * HOUSEHOLDS_PER_HOUSE).max(0.0);
    let mut walkups = 0.0;
    // The first free parcel stays a tower estate, so some estate can absorb the remainder.
    for &i in free.iter().skip(1) {
        let capacity = parcels[i].area() * WALKUP_PER_M2;
        if walkups + capacity <= WALKUP_SHARE * rest && rng.random_bool(0.7) {
            uses[i] = Use::Estate(Style::Walkup);
            walkups += capacity;
        }
    }

    let mut towers: Vec<usize> = free.into_iter().filter(|&i| uses[i] == Use::Estate(Style::Tower)).collect();
    towers.sort_by(|&a, &b| parcels[b].area().total_cmp(&parcels[a].area()));
    let (mut capacity, mut spare) = (0.0, [Use::Plaza, Use::Park].into_iter());
    for i in towers {
        if capacity >= rest - walkups {
            match spare.next() {
                Some(u) => uses[i] = u,
                None => break,
            }
        } else {
            capacity += parcels[i].area() * TOWER_PER_M2;
        }
    }
    (uses, houses as usize)
}

/// Houses the village should have: several hundred, fewer in small communities.
fn village_houses(rng: &mut ChaCha8Rng, plan: &CommunityPlan) -> f64 {
    let most = 0.7 * f64::from(plan.households) / HOUSEHOLDS_PER_HOUSE;
    rng.random_range(800.0..1500.0f64).min(most)
}
