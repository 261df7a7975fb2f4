//! Lays out one walled estate (小区): street shops and the gatehouse along the south wall, then
//! rows of walk-ups or towers spaced for sunlight, with sheds, substations and garages in the
//! ends of rows. Rows and the items in a row are separated by gaps, so nothing overlaps.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::shapes::{Footprint, Rect};
use super::site::{Group, Label, Site, Spec};

/// Estate styles: an old compound of 6-storey walk-ups (老旧小区) or a tower compound (高层小区).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Walkup,
    Tower,
}

/// One-off buildings this estate should hold.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub kindergarten: bool,
    /// A tower of over 700 households, which the grid engine must split by units.
    pub super_tower: bool,
    /// The community's service centre, by name, placed in the shop row.
    pub centre: Option<String>,
}

/// Wall to the nearest building: fire lane and greenery, metres.
const SETBACK: f64 = 6.0;
/// Half-width of the estate's main lane (its spine, from the gate north).
const SPINE: f64 = 4.0;
/// Lane between the shop row and the first residential row, metres.
const SHOP_LANE: f64 = 10.0;
/// Households per square metre beyond which a tower estate is built dense (200 a hectare).
const DENSE: f64 = 0.02;
/// The smallest leftover worth a shed or a substation, metres.
const MIN_ROOM: f64 = 7.0;

/// A residential building type, fixed per estate so its rows look alike.
#[derive(Debug, Clone, Copy)]
struct Template {
    units: i32,
    per_floor: i32,
    unit_length: f64,
    depth: f64,
}

/// What is still to be placed; cloned to try a row and kept only if the row fits.
#[derive(Debug, Clone)]
struct Fill {
    remaining: i32,
    placed: i32,
    /// Residential places left, to spread `remaining` evenly over tower heights.
    slots: usize,
    kindergarten: bool,
    super_tower: bool,
    /// Which ancillary comes next, so they take turns.
    turn: usize,
    /// Tower estates' one-off amenities placed so far (see `AMENITIES`).
    amenities: usize,
}

/// What a tower estate builds once its housing is placed: its management office and clubhouse.
const AMENITIES: [(&str, i32, f64, f64, &str); 2] =
    [("office", 2, 24.0, 12.0, "物业服务中心"), ("commercial", 2, 30.0, 18.0, "会所")];

struct Row {
    items: Vec<(f64, Spec)>,
    depth: f64,
}

/// Estate layout parameters and state.
struct Plan {
    style: Style,
    template: Template,
    segments: Vec<(f64, f64)>,
    gap: f64,
    row_gap: f64,
    angle_jitter: f64,
}

/// Lays out the estate within `wall`, aiming at `budget` households; returns the households
/// placed.
pub fn lay_out(
    rng: &mut ChaCha8Rng,
    site: &mut Site,
    group: &mut Group,
    wall: Rect,
    style: Style,
    budget: i32,
    extras: Extras,
) -> i32 {
    let inner = wall.inset(SETBACK);
    // A super tower needs one wide segment, so its estate keeps the spine by the west wall.
    let spine = if inner.width() >= 150.0 && !extras.super_tower {
        inner.centre().0 + rng.random_range(-15.0..15.0)
    } else {
        inner.x0 + SPINE
    };
    let segments: Vec<(f64, f64)> =
        [(inner.x0, spine - SPINE), (spine + SPINE, inner.x1)].into_iter().filter(|(a, b)| b - a >= 10.0).collect();
    let widest = segments.iter().map(|(a, b)| b - a).fold(0.0, f64::max);
    let density = f64::from(budget.max(0)) / inner.area().max(1.0);
    let row_gap = match style {
        Style::Walkup => rng.random_range(14.0..18.0),
        // Dense estates keep towers closer, as real ones on expensive land do.
        Style::Tower if density > DENSE => rng.random_range(24.0..30.0),
        Style::Tower => rng.random_range(28.0..40.0),
    };
    let mut plan = Plan {
        style,
        template: template(rng, style, widest, density),
        segments,
        gap: if style == Style::Walkup { rng.random_range(6.0..9.0) } else { rng.random_range(12.0..18.0) },
        row_gap,
        angle_jitter: rng.random_range(0.0..0.04),
    };
    site.road(group, "residential", None, &[(spine, wall.y0), (spine, inner.y1)]);

    let mut y = inner.y0;
    let shops = shop_row(rng, &plan, spine, extras.centre);
    if y + shops.depth <= inner.y1 {
        y = place(site, group, shops, y) + SHOP_LANE;
    }
    let mut fill = Fill {
        remaining: budget,
        placed: 0,
        slots: usize::MAX,
        kindergarten: extras.kindergarten,
        super_tower: extras.super_tower,
        turn: 0,
        amenities: 0,
    };
    if style == Style::Tower {
        fill.slots = spread(&mut plan, budget, inner.y1 - y);
    }
    let mut fillers = if style == Style::Walkup { 2 } else { 1 };
    loop {
        let housing = fill.remaining > 0 && fill.slots > 0;
        if !housing {
            if fillers == 0 {
                break;
            }
            fillers -= 1;
        }
        let mut trial = fill.clone();
        let row = pack_row(rng, &plan, &mut trial, housing);
        if row.items.is_empty() || y + row.depth > inner.y1 {
            break;
        }
        fill = trial;
        let top = place(site, group, row, y);
        let lane = top + plan.row_gap / 2.0;
        if top + plan.row_gap < inner.y1 {
            site.road(group, "service", None, &[(inner.x0, lane), (inner.x1, lane)]);
        }
        y = top + plan.row_gap;
    }
    fill.placed
}

/// Records a row's buildings with their south sides on `y`; returns the row's north edge.
fn place(site: &mut Site, group: &mut Group, row: Row, y: f64) -> f64 {
    for (x, spec) in row.items {
        let (w, h) = spec.footprint.extent();
        site.building(group, spec, (x + w / 2.0, y + h / 2.0));
    }
    y + row.depth
}

/// The estate's building type. Towers get 4 flats a floor and as many units as fit when the
/// estate must be dense, else a random type that fits `widest`.
fn template(rng: &mut ChaCha8Rng, style: Style, widest: f64, density: f64) -> Template {
    match style {
        Style::Walkup => Template {
            units: 4,
            per_floor: 2,
            unit_length: rng.random_range(12.0..14.0),
            depth: rng.random_range(10.5..12.5),
        },
        Style::Tower => {
            let dense = density > DENSE;
            let per_floor = if dense { 4 } else { [2, 3, 3, 4][rng.random_range(0..4)] };
            let unit_length = 8.0 + 6.0 * f64::from(per_floor);
            // Leave the 2 m the packer keeps beside every tower.
            let fits = (((widest - 2.0) / unit_length).floor() as i32).clamp(1, 4);
            Template {
                units: if dense { fits } else { rng.random_range(1..=fits) },
                per_floor,
                unit_length,
                depth: 13.0 + 1.5 * f64::from(per_floor),
            }
        }
    }
}

/// Plans the tower rows for `budget` households in `height` metres: towers of about 26 storeys,
/// rows spaced out (up to 70 m) when fewer rows are needed than fit, so a small budget gives a
/// spacious estate rather than a crowded south half. Returns the tower places planned.
fn spread(plan: &mut Plan, budget: i32, height: f64) -> usize {
    let t = plan.template;
    let length = f64::from(t.units) * t.unit_length + 2.0;
    let per_row: usize = plan
        .segments
        .iter()
        .map(|(a, b)| match ((b - a + plan.gap) / (length + plan.gap)).floor().max(0.0) as usize {
            // A narrower segment still takes one tower of fewer units.
            0 if b - a >= t.unit_length + 2.0 => 1,
            n => n,
        })
        .sum();
    let depth = t.depth + 2.0;
    let fit = ((height + plan.row_gap) / (depth + plan.row_gap)).floor().max(0.0) as usize;
    let towers = (f64::from(budget.max(0)) / f64::from(26 * t.units * t.per_floor)).ceil() as usize;
    let rows = towers.div_ceil(per_row.max(1)).clamp(1, fit.max(1));
    if rows < fit {
        // Room for one row more than planned, in case the kindergarten takes a tower's place.
        let gap = (height - (rows + 1) as f64 * depth) / rows as f64;
        plan.row_gap = gap.clamp(plan.row_gap, 70.0);
    }
    per_row * rows
}

/// The shop row along the south wall: the gatehouse east of the gate, the community centre if
/// any, then shops.
fn shop_row(rng: &mut ChaCha8Rng, plan: &Plan, spine: f64, centre: Option<String>) -> Row {
    let mut items = Vec::new();
    let mut centre = centre;
    let mut gatehouse = true;
    for &(a, b) in &plan.segments {
        let mut x = a;
        if gatehouse && a >= spine {
            let f = footprint(rng, plan, 5.0, 5.0);
            items.push((x, Spec::empty("gatehouse", 1, f, Label::Single("门卫室"))));
            x += f.extent().0 + plan.gap.min(6.0);
            gatehouse = false;
        }
        loop {
            let room = b - x;
            let spec = match centre.take() {
                Some(name) if room >= 34.0 => {
                    Spec::empty("civic", 3, footprint(rng, plan, 30.0, 16.0), Label::Own(name))
                }
                other => {
                    centre = other;
                    if room < 14.0 {
                        break;
                    }
                    let length = rng.random_range(12.0..30.0f64).min(room - 2.0);
                    let floors = rng.random_range(1..=2);
                    Spec::empty("commercial", floors, footprint(rng, plan, length, 12.0), Label::Counted("商铺"))
                }
            };
            let w = spec.footprint.extent().0;
            items.push((x, spec));
            x += w + rng.random_range(3.0..6.0);
        }
    }
    let depth = items.iter().map(|(_, s)| s.footprint.extent().1).fold(0.0, f64::max);
    Row { items, depth }
}

/// A row of housing (or, with `housing` false, of garages or amenities) across the segments.
/// Leftover ends of a segment take a shed or a substation or two, not a whole row of them.
fn pack_row(rng: &mut ChaCha8Rng, plan: &Plan, fill: &mut Fill, housing: bool) -> Row {
    let most = match (plan.style, housing) {
        (Style::Walkup, false) => 4,
        (Style::Walkup, true) => 2,
        (Style::Tower, _) => 1,
    };
    let mut items = Vec::new();
    for &(a, b) in &plan.segments {
        let mut x = a;
        let mut extra = 0;
        loop {
            let room = b - x;
            let spec = match (housing, plan.style) {
                (true, _) => next_housing(rng, plan, fill, room),
                (false, Style::Tower) => next_amenity(rng, plan, fill, room),
                (false, Style::Walkup) => None,
            };
            let spec = match spec {
                Some(spec) => spec,
                None if extra < most => match next_ancillary(rng, plan, fill, room, housing) {
                    Some(spec) => {
                        extra += 1;
                        spec
                    }
                    None => break,
                },
                None => break,
            };
            let w = spec.footprint.extent().0;
            items.push((x, spec));
            x += w + plan.gap;
        }
    }
    let depth = items.iter().map(|(_, s)| s.footprint.extent().1).fold(0.0, f64::max);
    Row { items, depth }
}

/// A tower estate's next amenity, if one is left and fits.
fn next_amenity(rng: &mut ChaCha8Rng, plan: &Plan, fill: &mut Fill, room: f64) -> Option<Spec> {
    let &(kind, floors, length, depth, name) = AMENITIES.get(fill.amenities)?;
    if room < length + 2.0 {
        return None;
    }
    fill.amenities += 1;
    Some(Spec::empty(kind, floors, footprint(rng, plan, length, depth), Label::Single(name)))
}

/// The next residential building if one is still owed and fits in `room` metres.
fn next_housing(rng: &mut ChaCha8Rng, plan: &Plan, fill: &mut Fill, room: f64) -> Option<Spec> {
    if fill.kindergarten && room >= 42.0 {
        fill.kindergarten = false;
        let f = footprint(rng, plan, 36.0, 26.0);
        return Some(Spec::empty("kindergarten", 3, f, Label::Single("幼儿园")));
    }
    if fill.remaining <= 0 || fill.slots == 0 {
        return None;
    }
    let t = plan.template;
    let spec = match plan.style {
        Style::Walkup => {
            let units = rng.random_range(2..=t.units);
            let units = (1..=units).rev().find(|&u| f64::from(u) * t.unit_length + 2.0 <= room)?;
            if units < 2 {
                return None;
            }
            let per_unit = 6 * t.per_floor;
            // Round to the nearest building: stop when the next would overshoot by over half.
            if fill.remaining * 2 < units * per_unit {
                fill.remaining = 0;
                return None;
            }
            let f = footprint(rng, plan, f64::from(units) * t.unit_length, t.depth);
            Spec::housing("residential", 6, units, per_unit, f)
        }
        Style::Tower if fill.super_tower && room >= 84.0 && fill.remaining >= 400 => {
            fill.super_tower = false;
            let floors = rng.random_range(30..=33);
            Spec::housing("apartments", floors, 4, 6 * floors, footprint(rng, plan, 80.0, 20.0))
        }
        Style::Tower => {
            // As many of the template's units as fit: a narrower segment gets shorter towers.
            let units = (1..=t.units).rev().find(|&u| f64::from(u) * t.unit_length + 2.0 <= room)?;
            let per_floor = units * t.per_floor;
            // Stop when even an 18-storey tower would overshoot by more than half of it.
            if fill.remaining < 9 * per_floor {
                fill.remaining = 0;
                return None;
            }
            let even = f64::from(fill.remaining) / fill.slots as f64 / f64::from(per_floor);
            let floors = (even.round() as i32).clamp(18, 33);
            let f = footprint(rng, plan, f64::from(units) * t.unit_length, t.depth);
            Spec::housing("apartments", floors, units, floors * t.per_floor, f)
        }
    };
    fill.remaining -= spec.households;
    fill.placed += spec.households;
    fill.slots = fill.slots.saturating_sub(1);
    Some(spec)
}

/// A shed, substation or garage that fits in `room`, taking turns between kinds.
fn next_ancillary(rng: &mut ChaCha8Rng, plan: &Plan, fill: &mut Fill, room: f64, housing: bool) -> Option<Spec> {
    if room < MIN_ROOM {
        return None;
    }
    fill.turn += 1;
    let fit = |want: f64| want.min(room - 1.0);
    let spec = match (plan.style, housing, fill.turn % 3) {
        (Style::Walkup, false, _) => {
            let length = fit(rng.random_range(15.0..36.0));
            let f = footprint(rng, plan, length, 6.0);
            Spec::empty("garage", 1, f, Label::Counted("车库"))
        }
        (Style::Walkup, true, 0) | (Style::Tower, _, 2) => {
            Spec::empty("service", 1, footprint(rng, plan, fit(8.0), 6.0), Label::Counted("配电房"))
        }
        (Style::Walkup, true, 1) => {
            let length = fit(rng.random_range(8.0..18.0));
            let f = footprint(rng, plan, length, 5.0);
            Spec::empty("shed", 1, f, Label::Counted("车棚"))
        }
        (Style::Walkup, true, _) => {
            Spec::empty("service", 1, footprint(rng, plan, fit(6.0), 4.0), Label::Counted("垃圾房"))
        }
        (Style::Tower, _, 0) => {
            Spec::empty("garage", 1, footprint(rng, plan, fit(14.0), 7.0), Label::Counted("地下车库出入口"))
        }
        (Style::Tower, _, _) => Spec::empty("service", 1, footprint(rng, plan, fit(10.0), 8.0), Label::Counted("泵房")),
    };
    Some(spec)
}

/// A footprint turned by a small random angle, shortened so its turned box is no longer than
/// `length` (callers size `length` to the room they have).
fn footprint(rng: &mut ChaCha8Rng, plan: &Plan, length: f64, depth: f64) -> Footprint {
    let angle = if plan.angle_jitter > 0.0 { rng.random_range(-plan.angle_jitter..plan.angle_jitter) } else { 0.0 };
    let (s, c) = (angle.sin().abs(), angle.cos().abs());
    Footprint { length: ((length - depth * s) / c).max(1.0), depth, angle }
}
