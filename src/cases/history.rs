//! A generated, deterministic history of cases over the past days, so that the leaders' view has
//! something to show on the demo (`--load-demo`) and the heatmap can be measured at scale
//! (`wangge simulate`). Every case goes through the real code — `submit::submit` and
//! `act::act` — at generated instants, so it is routed, has a deadline in working time, a
//! timeline and photos exactly as a filed one would; only the clock is chosen.

use anyhow::Context;
use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sqlx::PgPool;

use super::access::Viewer;
use super::act::{self, Step};
use super::photos;
use super::store;
use super::submit::{self, NewCase, Settings, Source};
use super::workflow::Action;
use crate::audit::Actor;
use crate::refusal::Refusal;
use crate::spatial::locate::LocateIndex;

/// What to generate.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub cases: usize,
    /// Filings fall in the `days` days before now.
    pub days: u32,
    pub seed: u64,
}

/// Categories with how often they are found: sanitation most, disputes rarely (they are filed by
/// the grid's team, and are private).
pub(super) const CATEGORIES: &[(&str, u32)] = &[
    ("sanitation.exposed_garbage", 14),
    ("sanitation.corridor_clutter", 10),
    ("sanitation.dead_spot", 8),
    ("sanitation.flyers", 8),
    ("sanitation.clutter", 6),
    ("sanitation.blocked_drain", 4),
    ("facilities.street_light", 5),
    ("facilities.road_damage", 4),
    ("facilities.manhole_cover", 2),
    ("safety.fire_lane", 5),
    ("safety.ebike_charging", 6),
    ("order.street_stalls", 6),
    ("order.noise", 5),
    ("order.illegal_construction", 2),
    ("property.service", 5),
    ("disputes.neighbour", 3),
    ("disputes.family", 2),
];

/// How a generated case ends, decided when it is filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Reported back within its deadline, verified, closed.
    OnTime,
    /// Reported back after its deadline, then closed.
    Late,
    /// Sent back once for rework, then closed.
    Reworked,
    /// Never handled: open, overdue once its deadline passes.
    Open,
}

/// Per cent of cases closed on time, late and after a rework; the rest stay open.
pub(super) const OUTCOME_PERCENT: [u32; 3] = [62, 12, 6];

fn outcome(rng: &mut ChaCha8Rng) -> Outcome {
    let [on_time, late, reworked] = OUTCOME_PERCENT;
    match rng.random_range(0..100) {
        d if d < on_time => Outcome::OnTime,
        d if d < on_time + late => Outcome::Late,
        d if d < on_time + late + reworked => Outcome::Reworked,
        _ => Outcome::Open,
    }
}

/// A filing instant on one of the `days` before `now`, within the working day (China time
/// 08:30–17:30): inspectors patrol in working hours.
fn filing_instant(rng: &mut ChaCha8Rng, now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let today = (now + TimeDelta::hours(8)).date_naive();
    let day = today - TimeDelta::days(i64::from(rng.random_range(0..days.max(1))));
    let minute = rng.random_range(8 * 60 + 30..17 * 60 + 30);
    let at = crate::leaders::store::day_start(day) + TimeDelta::minutes(minute);
    // Later today has not happened yet: that filing moves to the day before.
    if at < now { at } else { at - TimeDelta::days(1) }
}

/// Buildings whose households make findings, with a few hot spots: a third of the cases fall on
/// a handful of buildings so that the heatmap shows concentration, as real findings do.
struct Places {
    points: Vec<(f64, f64)>,
    hot: Vec<(f64, f64)>,
}

impl Places {
    fn pick(&self, rng: &mut ChaCha8Rng) -> Option<(f64, f64)> {
        let (lon, lat) = if rng.random_bool(0.35) { *self.hot.choose(rng)? } else { *self.points.choose(rng)? };
        // A pin falls near the building, not on one spot: within about 10 m.
        Some((lon + rng.random_range(-1e-4..1e-4), lat + rng.random_range(-8e-5..8e-5)))
    }
}

/// Generates `options.cases` cases in the communities that have grids in force, filed and moved
/// through the workflow by `admin` (an administrator of their sub-district); photos of reports
/// back are written under `photo_dir`. Answers how many cases were filed.
pub async fn generate(
    pool: &PgPool,
    index: &LocateIndex,
    settings: &Settings,
    photo_dir: &std::path::Path,
    admin: &Viewer,
    options: Options,
) -> anyhow::Result<usize> {
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    let points: Vec<(f64, f64)> = sqlx::query_as(
        "select st_x(p), st_y(p) from buildings b cross join lateral (select st_pointonsurface(b.footprint) as p) s
         where b.households > 0 and b.community_id = any($1)
           and exists (select 1 from grids g where g.community_id = b.community_id and g.ended_on is null)
         order by b.id",
    )
    .bind(&admin.communities)
    .fetch_all(pool)
    .await?;
    let hot = points.choose_multiple(&mut rng, 6).copied().collect();
    let places = Places { points, hot };
    let photo = tokio::task::spawn_blocking(report_photo).await??;
    let stored_name = photos::store(photo_dir, &photo).context("writing the generated report photo")?;
    let actor = Actor { id: Some(admin.user_id), name: Some("demo".into()), client: None };
    let now = Utc::now();
    let mut filed = 0;
    let mut tx = pool.begin().await?;
    for _ in 0..options.cases {
        let Some((lon, lat)) = places.pick(&mut rng) else { break };
        let category = CATEGORIES.choose_weighted(&mut rng, |c| c.1).map_or("sanitation.exposed_garbage", |c| c.0);
        let at = filing_instant(&mut rng, now, options.days);
        let new = NewCase {
            lon,
            lat,
            crs: Default::default(),
            accuracy_m: Some(rng.random_range(5.0..25.0)),
            category: category.into(),
            description: String::new(),
            photos: vec![],
            reporter_contact: None,
            source: Some(Source::Inspector),
            details: Default::default(),
        };
        let id = match submit::submit(&mut tx, index, &new, &admin.communities, &actor, settings, at).await {
            Ok(id) => id,
            // A jittered pin that left the communities is simply not filed.
            Err(Refusal::Invalid { .. }) => continue,
            Err(other) => return Err(anyhow::anyhow!("{other:?}")),
        };
        filed += 1;
        let case = store::get(&mut tx, id, admin, false).await?.context("the case just filed")?;
        let Some(deadline) = case.deadline else { continue };
        let span = (deadline - at).max(TimeDelta::hours(1));
        let outcome = outcome(&mut rng);
        let handled_at = match outcome {
            Outcome::Open => continue,
            Outcome::OnTime | Outcome::Reworked => at + span * rng.random_range(20..95) / 100,
            Outcome::Late => deadline + TimeDelta::hours(rng.random_range(2..72)),
        };
        let reworked = outcome == Outcome::Reworked;
        let mut steps = vec![(at + TimeDelta::minutes(30), Action::Start), (handled_at, Action::Report)];
        if reworked {
            steps.push((handled_at + TimeDelta::hours(2), Action::Reject));
            steps.push((handled_at + TimeDelta::hours(5), Action::Report));
        }
        let last = steps.last().map_or(handled_at, |s| s.0);
        steps.push((last + TimeDelta::hours(1), Action::Verify));
        steps.push((last + TimeDelta::hours(2), Action::Close));
        for (when, action) in steps {
            // The history stops at now: a case whose next step lies ahead stays where it is.
            if when >= now {
                break;
            }
            let photos = if action == Action::Report { vec![photos::record(&mut *tx, admin.user_id, &stored_name, &photo).await?] } else { vec![] };
            let note = matches!(action, Action::Report | Action::Reject).then(|| if action == Action::Report { "已处置" } else { "未处理干净" }.to_owned());
            let step = Step { action, note, photos, until: None, duplicate_of: None };
            act::act(&mut tx, case.id, &step, admin, &actor, settings, when).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
    }
    tx.commit().await?;
    super::dead_spots::settle_all(pool, Some(&admin.communities)).await?;
    Ok(filed)
}

/// The administrator `username` as the viewer the history is filed and moved by.
pub async fn administrator(pool: &PgPool, username: &str) -> anyhow::Result<Viewer> {
    let found: Option<(i64, Vec<i64>)> = sqlx::query_as(
        "select u.id, array(select distinct c.id from user_areas a join communities c on c.id = a.community_id or c.district_id = a.district_id
                            where a.user_id = u.id order by c.id)
         from users u where u.username = $1 and u.role = 'admin' and not u.disabled",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    let (user_id, communities) = found.with_context(|| format!("no enabled administrator named {username}"))?;
    Ok(Viewer { user_id, role: "admin", communities, organisation_id: None })
}

/// The photo every generated report back carries: a small plain image, processed as an upload.
fn report_photo() -> anyhow::Result<photos::Processed> {
    let image = image::RgbImage::from_pixel(64, 48, image::Rgb([96, 140, 96]));
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image).write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(photos::process(&png, usize::MAX)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filings_fall_in_working_hours_of_the_days_asked() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let now = Utc::now();
        for _ in 0..500 {
            let at = filing_instant(&mut rng, now, 90);
            let local = at + TimeDelta::hours(8);
            let minutes = chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local);
            assert!((8 * 60 + 30..17 * 60 + 30).contains(&minutes), "{local}");
            assert!(at > now - TimeDelta::days(91) && at < now, "{at}");
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_outcomes() {
        let draw = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            (0..50).map(|_| outcome(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draw(3), draw(3));
        assert!(draw(3).contains(&Outcome::Open) && draw(3).contains(&Outcome::OnTime));
    }
}
