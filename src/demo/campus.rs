//! Parcels that are not estates: a primary school, a shopping plaza with office towers, a park.
//! Each is a few buildings packed in rows from the parcel's north side, leaving its south part
//! open (sports ground, square, lawns).

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::shapes::{Footprint, Rect};
use super::site::{Group, Label, Site, Spec};

fn block(length: f64, depth: f64) -> Footprint {
    Footprint { length, depth, angle: 0.0 }
}

/// Teaching blocks, a gym and a canteen.
pub fn school(rng: &mut ChaCha8Rng, site: &mut Site, group: &mut Group, area: Rect) {
    let mut specs: Vec<Spec> = (0..rng.random_range(2..=3))
        .map(|_| {
            let f = block(rng.random_range(50.0..65.0), 15.0);
            Spec::empty("school", rng.random_range(4..=5), f, Label::Counted("教学楼"))
        })
        .collect();
    specs.push(Spec::empty("school", 2, block(36.0, 26.0), Label::Single("体育馆")));
    specs.push(Spec::empty("school", 2, block(28.0, 18.0), Label::Single("食堂")));
    pack(site, group, area, specs);
}

/// A shopping centre, office towers and sometimes a hotel around a square.
pub fn plaza(rng: &mut ChaCha8Rng, site: &mut Site, group: &mut Group, area: Rect) {
    let mall = block(rng.random_range(70.0..110.0f64).min(area.width()), rng.random_range(45.0..65.0));
    let mut specs = vec![Spec::empty("commercial", rng.random_range(4..=6), mall, Label::Single("购物中心"))];
    for _ in 0..rng.random_range(1..=3) {
        let floors = rng.random_range(18..=32);
        specs.push(Spec::empty("office", floors, block(40.0, 24.0), Label::Counted("写字楼")));
    }
    if rng.random_bool(0.5) {
        specs.push(Spec::empty("hotel", rng.random_range(12..=20), block(50.0, 20.0), Label::Single("酒店")));
    }
    pack(site, group, area, specs);
}

/// A neighbourhood park: lawns, with a management office and public toilets.
pub fn park(site: &mut Site, group: &mut Group, area: Rect) {
    let specs = vec![
        Spec::empty("office", 1, block(16.0, 10.0), Label::Single("管理处")),
        Spec::empty("toilets", 1, block(10.0, 6.0), Label::Single("公共厕所")),
    ];
    pack(site, group, area, specs);
}

/// Places `specs` in rows from the north edge of `area` southward, each row taking what fits
/// west to east; what does not fit is left out.
fn pack(site: &mut Site, group: &mut Group, area: Rect, specs: Vec<Spec>) {
    let (gap, row_gap) = (10.0, 18.0);
    let mut top = area.y1;
    let mut pending = specs.into_iter().peekable();
    while pending.peek().is_some() {
        let mut x = area.x0;
        let mut row = Vec::new();
        while let Some(spec) = pending.next_if(|s| x + s.footprint.length <= area.x1) {
            x += spec.footprint.length + gap;
            row.push(spec);
        }
        let depth = row.iter().map(|s| s.footprint.depth).fold(0.0, f64::max);
        if row.is_empty() || top - depth < area.y0 {
            break;
        }
        let mut x = area.x0;
        for spec in row {
            let centre = (x + spec.footprint.length / 2.0, top - spec.footprint.depth / 2.0);
            x += spec.footprint.length + gap;
            site.building(group, spec, centre);
        }
        top -= depth + row_gap;
    }
}
