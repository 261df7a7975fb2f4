//! Lays out an urban village (城中村): a dense lattice of 2–4 storey self-built houses, one per
//! plot, with narrow gaps (握手楼) and a lane every few plots, plus its committee office.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::names::ordinal;
use super::shapes::{Footprint, Rect};
use super::site::{Group, Label, Site, Spec};

/// Width of the lanes between blocks of plots, metres.
const LANE: f64 = 4.0;
/// Gap kept between a house and its plot's edge on each side: at least 1.5 m between houses.
const SETBACK: f64 = 0.75;

/// Plot starts along one axis from `from` to `to`: `plot`-metre plots in runs of `run`, runs
/// separated by lanes. Returns the plot starts and the lane centres.
fn plots(from: f64, to: f64, plot: f64, run: usize) -> (Vec<f64>, Vec<f64>) {
    let (mut starts, mut lanes) = (Vec::new(), Vec::new());
    let mut x = from;
    while x + plot <= to {
        starts.push(x);
        x += plot;
        if starts.len() % run == 0 && x + LANE + plot <= to {
            lanes.push(x + LANE / 2.0);
            x += LANE;
        }
    }
    (starts, lanes)
}

/// Builds up to `houses` houses in `area`, and public toilets; given the village's name (for its
/// first part), also its committee office and wet market. Returns (households, buildings) placed.
pub fn lay_out(
    rng: &mut ChaCha8Rng,
    site: &mut Site,
    group: &mut Group,
    area: Rect,
    houses: usize,
    village: Option<&str>,
) -> (i32, usize) {
    let plot = rng.random_range(10.5..13.0);
    let (xs, x_lanes) = plots(area.x0, area.x1, plot, rng.random_range(4..=6));
    let (ys, y_lanes) = plots(area.y0, area.y1, plot, rng.random_range(3..=5));
    let (mut households, mut built) = (0, 0);
    let mut top = area.y0;
    let mut specials = Vec::with_capacity(3);
    if let Some(village) = village {
        specials.push(("civic", 3, Label::Own(format!("{village}村委会"))));
    }
    specials.push(("toilets", 1, Label::Single("公共厕所")));
    if village.is_some() {
        specials.push(("commercial", 1, Label::Single("农贸市场")));
    }
    let mut specials = specials.into_iter();
    'rows: for &y in &ys {
        for &x in &xs {
            if built >= houses {
                break 'rows;
            }
            // Some plots stay empty: yards, vegetable plots, a demolished house.
            if rng.random_bool(0.08) {
                continue;
            }
            let room = plot - 2.0 * SETBACK;
            let footprint =
                Footprint { length: rng.random_range(7.0..room), depth: rng.random_range(7.0..room), angle: 0.0 };
            let (w, h) = footprint.extent();
            let centre = (
                x + SETBACK + rng.random_range(0.0..=room - w) + w / 2.0,
                y + SETBACK + rng.random_range(0.0..=room - h) + h / 2.0,
            );
            let spec = match specials.next() {
                Some((kind, floors, label)) => Spec::empty(kind, floors, footprint, label),
                None => {
                    let floors = rng.random_range(2..=4);
                    // Mostly one family a floor above a ground floor of shops or storage.
                    let homes = rng.random_range(1..=if floors == 4 { 4 } else { floors - 1 });
                    let mut house = Spec::empty("house", floors, footprint, Label::House);
                    house.households = homes;
                    house
                }
            };
            households += spec.households;
            built += 1;
            top = y + plot;
            site.building(group, spec, centre);
        }
    }
    for (n, &y) in y_lanes.iter().filter(|&&y| y < top).enumerate() {
        let name = format!("{}{}巷", group.label, ordinal(n + 1));
        site.road(group, "residential", Some(name), &[(area.x0, y), (area.x1, y)]);
    }
    for &x in &x_lanes {
        site.road(group, "service", None, &[(x, area.y0), (x, top)]);
    }
    (households, built)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_and_lanes_do_not_overlap() {
        let (starts, lanes) = plots(0.0, 100.0, 12.0, 3);
        for pair in starts.windows(2) {
            assert!(pair[1] - pair[0] >= 12.0);
        }
        for lane in lanes {
            assert!(starts.iter().all(|&s| lane < s || lane > s + 12.0));
        }
        assert!(starts.last().is_some_and(|&s| s + 12.0 <= 100.0));
    }
}
