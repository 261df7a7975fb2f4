//! Deadlines in working time (工作时间): Monday to Friday within the office's working periods
//! (by default 08:30–12:00 and 14:00–17:30, China Standard Time), except the days the
//! `working_calendar` table names (public holidays off, make-up weekend days on).
//!
//! - same day (今日事今日毕): the end of the working day of dispatch; dispatched after it or on a
//!   day off, the end of the next working day;
//! - N working hours: counted only inside working periods;
//! - N working days: the end of the Nth working day after the day of dispatch.

use std::collections::HashMap;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday};

use crate::units::categories::Deadline;

/// China Standard Time, UTC+8 all year.
const CST_SECONDS: i32 = 8 * 3600;
/// How far ahead a deadline is searched: past this the calendar has no working time at all.
const HORIZON_DAYS: u64 = 3660;

/// The working periods of a working day, in order, not overlapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingHours(Vec<(NaiveTime, NaiveTime)>);

impl Default for WorkingHours {
    fn default() -> Self {
        "08:30-12:00,14:00-17:30".parse().unwrap_or(WorkingHours(Vec::new()))
    }
}

impl FromStr for WorkingHours {
    type Err = String;

    /// `08:30-12:00,14:00-17:30`
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut periods = Vec::new();
        for part in s.split(',') {
            let (from, to) = part.trim().split_once('-').ok_or_else(|| format!("«{part}»: expected HH:MM-HH:MM"))?;
            let time = |t: &str| NaiveTime::parse_from_str(t.trim(), "%H:%M").map_err(|_| format!("«{t}» is not a time HH:MM"));
            let (from, to) = (time(from)?, time(to)?);
            if from >= to || periods.last().is_some_and(|&(_, end)| end > from) {
                return Err(format!("working periods must be in order and not overlap: «{s}»"));
            }
            periods.push((from, to));
        }
        Ok(WorkingHours(periods))
    }
}

#[derive(Debug, Clone, Default)]
pub struct Calendar {
    hours: WorkingHours,
    /// Days that differ from the Monday–Friday rule: true = worked, false = off.
    exceptions: HashMap<NaiveDate, bool>,
}

impl Calendar {
    pub fn new(hours: WorkingHours, exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> Self {
        Calendar { hours, exceptions: exceptions.into_iter().collect() }
    }

    /// China Standard Time, which deadlines are counted and shown in.
    pub fn offset() -> FixedOffset {
        FixedOffset::east_opt(CST_SECONDS).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC exists"))
    }

    pub fn is_working(&self, day: NaiveDate) -> bool {
        self.exceptions.get(&day).copied().unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The end of the day's last working period (local time).
    fn day_end(&self, day: NaiveDate) -> Option<NaiveDateTime> {
        self.hours.0.last().map(|&(_, end)| day.and_time(end))
    }

    /// The first working day after `day`.
    fn next_working(&self, day: NaiveDate) -> Option<NaiveDate> {
        (1..=HORIZON_DAYS).filter_map(|n| day.checked_add_days(Days::new(n))).find(|d| self.is_working(*d))
    }

    fn to_utc(local: NaiveDateTime) -> DateTime<Utc> {
        (local - TimeDelta::seconds(CST_SECONDS.into())).and_utc()
    }

    /// The end of a day's working time, as the deadline of a case put on the backlog until then.
    pub fn end_of(&self, day: NaiveDate) -> Option<DateTime<Utc>> {
        self.day_end(day).map(Self::to_utc)
    }

    /// When a case dispatched at `start` is due; None when the calendar has no working time.
    pub fn deadline(&self, start: DateTime<Utc>, deadline: Deadline) -> Option<DateTime<Utc>> {
        let local = start.with_timezone(&Self::offset()).naive_local();
        let today = local.date();
        let local_due = match deadline {
            Deadline::SameDay => {
                let end = self.day_end(today)?;
                if self.is_working(today) && local < end { end } else { self.day_end(self.next_working(today)?)? }
            }
            Deadline::WorkingDays(n) => {
                let mut day = today;
                for _ in 0..n {
                    day = self.next_working(day)?;
                }
                self.day_end(day)?
            }
            Deadline::WorkingHours(n) => self.after_working(local, TimeDelta::hours(n.into()))?,
        };
        Some(Self::to_utc(local_due))
    }

    /// The local time `span` of working time after `from`.
    fn after_working(&self, from: NaiveDateTime, span: TimeDelta) -> Option<NaiveDateTime> {
        let mut left = span;
        let mut day = from.date();
        for _ in 0..HORIZON_DAYS {
            if self.is_working(day) {
                for &(start, end) in &self.hours.0 {
                    let (start, end) = (day.and_time(start).max(from), day.and_time(end));
                    if start >= end {
                        continue;
                    }
                    if end - start >= left {
                        return Some(start + left);
                    }
                    left -= end - start;
                }
            }
            day = day.succ_opt()?;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A local (China) time as UTC.
    fn cst(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        let day = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        Calendar::to_utc(day.and_hms_opt(h, min, 0).unwrap_or_default())
    }

    fn calendar() -> Calendar {
        // 2026-10-01..07 National Day holidays; Sunday 2026-09-27 and Saturday 2026-10-10 worked.
        let off = (1..=7).filter_map(|d| NaiveDate::from_ymd_opt(2026, 10, d)).map(|d| (d, false));
        let on = [(2026, 9, 27), (2026, 10, 10)].into_iter().filter_map(|(y, m, d)| NaiveDate::from_ymd_opt(y, m, d)).map(|d| (d, true));
        Calendar::new(WorkingHours::default(), off.chain(on))
    }

    #[test]
    fn same_day_ends_with_the_working_day_or_the_next_one() {
        let c = calendar();
        // Monday 2026-11-23 10:00 → 17:30 that day.
        assert_eq!(c.deadline(cst(2026, 11, 23, 10, 0), Deadline::SameDay), Some(cst(2026, 11, 23, 17, 30)));
        // After hours on Friday → Monday's end.
        assert_eq!(c.deadline(cst(2026, 11, 27, 18, 0), Deadline::SameDay), Some(cst(2026, 11, 30, 17, 30)));
        // Saturday → Monday.
        assert_eq!(c.deadline(cst(2026, 11, 28, 9, 0), Deadline::SameDay), Some(cst(2026, 11, 30, 17, 30)));
        // During the holidays → the first working day after them.
        assert_eq!(c.deadline(cst(2026, 10, 2, 9, 0), Deadline::SameDay), Some(cst(2026, 10, 8, 17, 30)));
    }

    #[test]
    fn working_hours_skip_lunch_nights_weekends_and_holidays() {
        let c = calendar();
        // Monday 11:00 + 2 h: 1 h before lunch, 1 h after → 15:00.
        assert_eq!(c.deadline(cst(2026, 11, 23, 11, 0), Deadline::WorkingHours(2)), Some(cst(2026, 11, 23, 15, 0)));
        // Friday 17:00 + 4 h: 0.5 h on Friday, 3.5 h on Monday from 08:30 → 12:00.
        assert_eq!(c.deadline(cst(2026, 11, 27, 17, 0), Deadline::WorkingHours(4)), Some(cst(2026, 11, 30, 12, 0)));
        // Filed at night: the clock starts at the next morning's opening.
        assert_eq!(c.deadline(cst(2026, 11, 23, 22, 0), Deadline::WorkingHours(1)), Some(cst(2026, 11, 24, 9, 30)));
        // Across the National Day holidays.
        assert_eq!(c.deadline(cst(2026, 9, 30, 17, 0), Deadline::WorkingHours(1)), Some(cst(2026, 10, 8, 9, 0)));
    }

    #[test]
    fn working_days_count_whole_days_after_dispatch() {
        let c = calendar();
        assert_eq!(c.deadline(cst(2026, 11, 23, 10, 0), Deadline::WorkingDays(1)), Some(cst(2026, 11, 24, 17, 30)));
        assert_eq!(c.deadline(cst(2026, 11, 26, 10, 0), Deadline::WorkingDays(3)), Some(cst(2026, 12, 1, 17, 30)));
        // A make-up Saturday counts: Friday 2026-10-09 + 1 → Saturday 10-10.
        assert_eq!(c.deadline(cst(2026, 10, 9, 10, 0), Deadline::WorkingDays(1)), Some(cst(2026, 10, 10, 17, 30)));
        // A make-up Sunday is a working day: same day ends that evening.
        assert_eq!(c.deadline(cst(2026, 9, 27, 10, 0), Deadline::SameDay), Some(cst(2026, 9, 27, 17, 30)));
    }

    #[test]
    fn working_hours_parse_and_refuse_nonsense() {
        assert_eq!("09:00-17:00".parse::<WorkingHours>().map(|h| h.0.len()), Ok(1));
        assert!("12:00-08:00".parse::<WorkingHours>().is_err());
        assert!("08:00-12:00,11:00-13:00".parse::<WorkingHours>().is_err());
        assert!("8h".parse::<WorkingHours>().is_err());
        let nothing = Calendar::new(WorkingHours::default(), (0..4000).filter_map(|d| NaiveDate::from_ymd_opt(2026, 1, 1)?.checked_add_days(Days::new(d))).map(|d| (d, false)));
        assert_eq!(nothing.deadline(cst(2026, 1, 1, 9, 0), Deadline::WorkingHours(1)), None);
    }
}
