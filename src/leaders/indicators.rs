//! Indicators (考核指标) for one unit (a grid, an estate, a community, an organisation, the
//! sub-district) and one period, from the histories of its cases. The formulas, after the
//! GB/T 30428 bulletins:
//!
//! - **filed**: cases created in the period (cancelled ones counted apart as `cancelled`);
//! - **due** (应结案): cases not cancelled whose deadline falls in the period;
//! - **closed** (结案): due cases closed by the end of the period;
//! - **closed on time** (按期结案): closed cases whose last report back came by the deadline;
//! - **open overdue**: due cases not closed by the end of the period (past their deadline);
//! - closure rate (结案率) = closed ÷ due;
//! - on-time closure rate (按期结案率) = closed on time ÷ (closed + open overdue), so that a late
//!   case never closed cannot flatter the score;
//! - rework rate (返工率) = due cases sent back at least once ÷ due;
//! - extension rate (挂账率) = due cases put on the backlog ÷ due;
//! - average hours to close = mean of closed − dispatched over the closed ones;
//! - dead spots per 1,000 households = dead spots active at the period's end × 1000 ÷ households;
//! - patrol coverage = household buildings checked in the period ÷ household buildings.
//!
//! A rate with a zero denominator is absent (None), not 0 or 100 %: there was nothing to measure.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What indicators need of one case.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CaseHistory {
    pub created_at: DateTime<Utc>,
    pub cancelled: bool,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub deadline: Option<DateTime<Utc>>,
    /// The last report back (处理反馈).
    pub handled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reworked: bool,
    pub backlogged: bool,
}

/// The counts the rates are made of; they add up across units (a community's are the sum of its
/// grids'), so aggregation stores counts, never rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub filed: u64,
    pub cancelled: u64,
    pub due: u64,
    pub closed: u64,
    pub closed_on_time: u64,
    pub open_overdue: u64,
    pub reworked: u64,
    pub backlogged: u64,
    /// Sum of hours from dispatch to close over the closed cases.
    pub hours_to_close: f64,
}

impl Counts {
    /// Counts one case's history into the period [start, end).
    pub fn add(&mut self, case: &CaseHistory, start: DateTime<Utc>, end: DateTime<Utc>) {
        let within = |t: DateTime<Utc>| start <= t && t < end;
        if within(case.created_at) {
            if case.cancelled {
                self.cancelled += 1;
            } else {
                self.filed += 1;
            }
        }
        let Some(deadline) = case.deadline.filter(|d| !case.cancelled && within(*d)) else { return };
        self.due += 1;
        self.reworked += u64::from(case.reworked);
        self.backlogged += u64::from(case.backlogged);
        match case.closed_at.filter(|c| *c < end) {
            Some(closed) => {
                self.closed += 1;
                if case.handled_at.is_some_and(|h| h <= deadline) {
                    self.closed_on_time += 1;
                }
                if let Some(dispatched) = case.dispatched_at {
                    self.hours_to_close += (closed - dispatched).num_seconds().max(0) as f64 / 3600.0;
                }
            }
            None => self.open_overdue += 1,
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.filed += other.filed;
        self.cancelled += other.cancelled;
        self.due += other.due;
        self.closed += other.closed;
        self.closed_on_time += other.closed_on_time;
        self.open_overdue += other.open_overdue;
        self.reworked += other.reworked;
        self.backlogged += other.backlogged;
        self.hours_to_close += other.hours_to_close;
    }
}

/// The context a unit's rates need besides its cases.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Context {
    pub households: u64,
    pub dead_spots: u64,
    pub buildings: u64,
    pub buildings_checked: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Indicators {
    #[serde(flatten)]
    pub counts: Counts,
    #[serde(flatten)]
    pub context: Context,
    pub closure_rate: Option<f64>,
    pub on_time_rate: Option<f64>,
    pub rework_rate: Option<f64>,
    pub extension_rate: Option<f64>,
    pub average_hours_to_close: Option<f64>,
    pub dead_spots_per_1000_households: Option<f64>,
    pub patrol_coverage: Option<f64>,
}

fn ratio(numerator: f64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| (numerator / denominator as f64 * 1e4).round() / 1e4)
}

pub fn indicators(counts: Counts, context: Context) -> Indicators {
    Indicators {
        closure_rate: ratio(counts.closed as f64, counts.due),
        on_time_rate: ratio(counts.closed_on_time as f64, counts.closed + counts.open_overdue),
        rework_rate: ratio(counts.reworked as f64, counts.due),
        extension_rate: ratio(counts.backlogged as f64, counts.due),
        average_hours_to_close: ratio(counts.hours_to_close, counts.closed),
        dead_spots_per_1000_households: ratio(context.dead_spots as f64 * 1000.0, context.households),
        patrol_coverage: ratio(context.buildings_checked as f64, context.buildings),
        counts,
        context,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone};

    fn t(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).single().unwrap_or_default()
    }

    fn month() -> (DateTime<Utc>, DateTime<Utc>) {
        (t(1, 0), Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).single().unwrap_or_default())
    }

    /// A case filed and dispatched on `day` at 9:00, due at 17:00.
    fn case(day: u32) -> CaseHistory {
        CaseHistory {
            created_at: t(day, 9),
            cancelled: false,
            dispatched_at: Some(t(day, 9)),
            deadline: Some(t(day, 17)),
            handled_at: None,
            closed_at: None,
            reworked: false,
            backlogged: false,
        }
    }

    fn counts(cases: &[CaseHistory]) -> Counts {
        let (start, end) = month();
        let mut counts = Counts::default();
        cases.iter().for_each(|c| counts.add(c, start, end));
        counts
    }

    #[test]
    fn a_hand_made_month() {
        let on_time = CaseHistory { handled_at: Some(t(3, 15)), closed_at: Some(t(3, 16)), ..case(3) };
        let late = CaseHistory { handled_at: Some(t(4, 10)), closed_at: Some(t(4, 11)), ..case(3) };
        let reworked = CaseHistory { handled_at: Some(t(5, 16)), closed_at: Some(t(6, 9)), reworked: true, ..case(5) };
        let never_closed = case(10);
        let backlogged = CaseHistory { backlogged: true, deadline: Some(t(20, 17)), ..case(12) };
        let cancelled = CaseHistory { cancelled: true, ..case(7) };
        let c = counts(&[on_time, late, reworked, never_closed, backlogged, cancelled]);
        assert_eq!((c.filed, c.cancelled, c.due, c.closed, c.closed_on_time, c.open_overdue), (5, 1, 5, 3, 2, 2));
        assert_eq!((c.reworked, c.backlogged), (1, 1));
        let i = indicators(c, Context { households: 2000, dead_spots: 3, buildings: 100, buildings_checked: 85 });
        assert_eq!(i.closure_rate, Some(0.6));
        assert_eq!(i.on_time_rate, Some(0.4), "2 on time of 3 closed + 2 open overdue");
        assert_eq!((i.rework_rate, i.extension_rate), (Some(0.2), Some(0.2)));
        assert_eq!(i.average_hours_to_close, Some(((7.0 + 26.0 + 24.0) / 3.0 * 1e4_f64).round() / 1e4));
        assert_eq!((i.dead_spots_per_1000_households, i.patrol_coverage), (Some(1.5), Some(0.85)));
    }

    #[test]
    fn a_late_case_never_closed_lowers_the_on_time_rate() {
        let on_time = CaseHistory { handled_at: Some(t(3, 15)), closed_at: Some(t(3, 16)), ..case(3) };
        let alone = indicators(counts(&[on_time]), Context::default());
        let with_overdue = indicators(counts(&[on_time, case(4)]), Context::default());
        assert_eq!((alone.on_time_rate, with_overdue.on_time_rate), (Some(1.0), Some(0.5)));
    }

    #[test]
    fn cases_due_in_another_period_count_there() {
        let (start, end) = month();
        let next_month = CaseHistory { deadline: Some(end + TimeDelta::hours(1)), ..case(30) };
        let closed_after_the_month = CaseHistory { closed_at: Some(end + TimeDelta::days(1)), handled_at: Some(t(20, 10)), ..case(20) };
        let mut c = Counts::default();
        c.add(&next_month, start, end);
        c.add(&closed_after_the_month, start, end);
        assert_eq!((c.filed, c.due, c.closed, c.open_overdue), (2, 1, 0, 1));
    }

    #[test]
    fn nothing_to_measure_is_absent_not_zero() {
        let i = indicators(Counts::default(), Context::default());
        assert_eq!((i.closure_rate, i.on_time_rate, i.patrol_coverage), (None, None, None));
    }

    #[test]
    fn counts_add_up_across_units() {
        let a = counts(&[CaseHistory { handled_at: Some(t(3, 15)), closed_at: Some(t(3, 16)), ..case(3) }]);
        let b = counts(&[case(4), CaseHistory { cancelled: true, ..case(5) }]);
        let mut sum = a;
        sum.merge(&b);
        let both = counts(&[CaseHistory { handled_at: Some(t(3, 15)), closed_at: Some(t(3, 16)), ..case(3) }, case(4), CaseHistory { cancelled: true, ..case(5) }]);
        assert_eq!(sum, both);
    }
}
