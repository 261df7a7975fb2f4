//! The monthly ranking of communities (月度考评): a 0–100 score from the month's indicators,
//! ranks with ties shared (1, 2, 2, 4), the mobile red flag (流动红旗) for the top three ranks and
//! the yellow card (黄牌) for the bottom three, and escalation for a community last two months
//! running (the secretary must explain, 说明) or three (the secretary's year is rated
//! unsatisfactory, 不称职).
//!
//! Score = 100 × Σ wᵢ·rateᵢ ÷ Σ wᵢ over the rates a community has (closure, on-time closure,
//! 1 − rework, patrol coverage), minus a penalty per dead spot per 1,000 households, clamped to
//! 0–100. A community with nothing due and no patrol data scores on what it has; with no rate at
//! all it is not ranked. Weights and penalty are configurable ([`Weights`]).

use serde::{Deserialize, Serialize};

use super::indicators::Indicators;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Weights {
    pub closure: f64,
    pub on_time: f64,
    pub rework: f64,
    pub patrol: f64,
    /// Points off per dead spot per 1,000 households.
    pub dead_spot_penalty: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights { closure: 0.3, on_time: 0.4, rework: 0.1, patrol: 0.2, dead_spot_penalty: 5.0 }
    }
}

impl std::str::FromStr for Weights {
    type Err = String;

    /// `closure=0.3,on_time=0.4,rework=0.1,patrol=0.2,dead_spot_penalty=5` (any subset; the rest
    /// keep their defaults).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut weights = Weights::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part.split_once('=').ok_or_else(|| format!("«{part}»: expected NAME=NUMBER"))?;
            let value: f64 = value.trim().parse().map_err(|_| format!("«{value}» is not a number"))?;
            if !value.is_finite() || value < 0.0 {
                return Err(format!("«{part}»: weights are numbers of 0 or more"));
            }
            let slot = match name.trim() {
                "closure" => &mut weights.closure,
                "on_time" => &mut weights.on_time,
                "rework" => &mut weights.rework,
                "patrol" => &mut weights.patrol,
                "dead_spot_penalty" => &mut weights.dead_spot_penalty,
                other => return Err(format!("unknown weight «{other}»: closure, on_time, rework, patrol or dead_spot_penalty")),
            };
            *slot = value;
        }
        Ok(weights)
    }
}

/// The score of one community's month; None when it has no rate to score.
pub fn score(indicators: &Indicators, weights: &Weights) -> Option<f64> {
    let parts = [
        (weights.closure, indicators.closure_rate),
        (weights.on_time, indicators.on_time_rate),
        (weights.rework, indicators.rework_rate.map(|r| 1.0 - r)),
        (weights.patrol, indicators.patrol_coverage),
    ];
    let (sum, weight) = parts
        .iter()
        .filter_map(|&(w, rate)| rate.map(|r| (w * r, w)))
        .fold((0.0, 0.0), |(s, t), (wr, w)| (s + wr, t + w));
    if weight <= 0.0 {
        return None;
    }
    let penalty = weights.dead_spot_penalty * indicators.dead_spots_per_1000_households.unwrap_or(0.0);
    Some(((100.0 * sum / weight - penalty).clamp(0.0, 100.0) * 100.0).round() / 100.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// 流动红旗: the top three ranks.
    RedFlag,
    /// 黄牌: the bottom three ranks.
    YellowCard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Escalation {
    /// Last two months running: the secretary explains (说明).
    Explain,
    /// Last three months running or more: the year is rated unsatisfactory (不称职).
    Unsatisfactory,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = RankingEntry)]
pub struct Entry {
    pub community_id: i64,
    pub community: String,
    pub score: f64,
    /// 1 is best; ties share a rank and the next rank skips (1, 2, 2, 4).
    pub rank: u32,
    pub mark: Option<Mark>,
    /// Months running the community has been last, this one included (0 when not last).
    pub last_streak: u32,
    pub escalation: Option<Escalation>,
    /// Rank last month minus rank now (positive: moved up); None when not ranked last month.
    pub movement: Option<i64>,
}

/// Ranks the month's scores. `previous` is last month's ranking (for movement and streaks).
pub fn rank(scores: &[(i64, String, f64)], previous: &[Entry]) -> Vec<Entry> {
    let mut sorted: Vec<&(i64, String, f64)> = scores.iter().collect();
    sorted.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
    let n = sorted.len();
    let ranks: Vec<u32> = (0..n)
        .scan((0u32, f64::NAN), |(rank, last), i| {
            if sorted[i].2 != *last {
                *rank = i as u32 + 1;
                *last = sorted[i].2;
            }
            Some(*rank)
        })
        .collect();
    // Rank counted from the bottom: the worst score is 1 (ties share it).
    let from_bottom = |score: f64| sorted.iter().filter(|s| s.2 < score).count() as u32 + 1;
    let lowest = sorted.last().map(|s| s.2);
    sorted
        .iter()
        .zip(ranks)
        .map(|(&&(community_id, ref community, score), rank)| {
            let before = previous.iter().find(|p| p.community_id == community_id);
            let last = n > 1 && Some(score) == lowest;
            let last_streak = if last { before.map_or(0, |p| p.last_streak) + 1 } else { 0 };
            let mark = if n > 1 && rank <= 3 {
                Some(Mark::RedFlag)
            } else if n > 3 && from_bottom(score) <= 3 {
                Some(Mark::YellowCard)
            } else {
                None
            };
            Entry {
                community_id,
                community: community.clone(),
                score,
                rank,
                mark,
                last_streak,
                escalation: match last_streak {
                    0 | 1 => None,
                    2 => Some(Escalation::Explain),
                    _ => Some(Escalation::Unsatisfactory),
                },
                movement: before.map(|p| i64::from(p.rank) - i64::from(rank)),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::leaders::indicators::{Context, Counts, indicators};

    fn scores(values: &[f64]) -> Vec<(i64, String, f64)> {
        values.iter().enumerate().map(|(i, &s)| (i as i64 + 1, format!("社区{}", i + 1), s)).collect()
    }

    fn by_id(entries: &[Entry], id: i64) -> &Entry {
        entries.iter().find(|e| e.community_id == id).expect("ranked")
    }

    #[test]
    fn the_score_weighs_the_rates_it_has_and_takes_off_dead_spots() {
        let counts = Counts { due: 10, closed: 8, closed_on_time: 6, open_overdue: 2, reworked: 1, ..Counts::default() };
        let context = Context { households: 2000, dead_spots: 1, buildings: 100, buildings_checked: 90 };
        let i = indicators(counts, context);
        // closure .8, on-time .6, 1 − rework .9, patrol .9 → 100 × (.24 + .24 + .09 + .18) = 75, − 5 × 0.5.
        assert_eq!(score(&i, &Weights::default()), Some(72.5));
        let no_patrol = indicators(counts, Context { buildings: 0, buildings_checked: 0, ..context });
        assert_eq!(score(&no_patrol, &Weights::default()), Some(((0.24 + 0.24 + 0.09) / 0.8 * 100.0 - 2.5_f64) * 100.0).map(|s| s.round() / 100.0));
        assert_eq!(score(&indicators(Counts::default(), Context::default()), &Weights::default()), None);
    }

    #[test]
    fn ties_share_a_rank_and_flags_go_to_ranks_not_seats() {
        let ranked = rank(&scores(&[90.0, 95.0, 90.0, 80.0, 70.0, 70.0, 60.0, 85.0]), &[]);
        let ranks: Vec<(i64, u32)> = ranked.iter().map(|e| (e.community_id, e.rank)).collect();
        assert_eq!(ranks, [(2, 1), (1, 2), (3, 2), (8, 4), (4, 5), (5, 6), (6, 6), (7, 8)]);
        let red: Vec<i64> = ranked.iter().filter(|e| e.mark == Some(Mark::RedFlag)).map(|e| e.community_id).collect();
        assert_eq!(red, [2, 1, 3], "ranks 1 and 2 (twice): three red flags");
        let yellow: Vec<i64> = ranked.iter().filter(|e| e.mark == Some(Mark::YellowCard)).map(|e| e.community_id).collect();
        assert_eq!(yellow, [5, 6, 7], "the bottom three scores, the tie included");
    }

    #[test]
    fn last_months_running_escalate() {
        let month1 = rank(&scores(&[90.0, 80.0, 70.0, 60.0, 50.0]), &[]);
        assert_eq!((by_id(&month1, 5).last_streak, by_id(&month1, 5).escalation), (1, None));
        let month2 = rank(&scores(&[90.0, 80.0, 70.0, 60.0, 40.0]), &month1);
        assert_eq!(by_id(&month2, 5).escalation, Some(Escalation::Explain));
        let month3 = rank(&scores(&[90.0, 80.0, 70.0, 60.0, 45.0]), &month2);
        assert_eq!(by_id(&month3, 5).escalation, Some(Escalation::Unsatisfactory));
        let month4 = rank(&scores(&[90.0, 80.0, 70.0, 30.0, 45.0]), &month3);
        assert_eq!((by_id(&month4, 5).last_streak, by_id(&month4, 5).escalation, by_id(&month4, 4).last_streak), (0, None, 1));
        assert_eq!((by_id(&month4, 4).movement, by_id(&month4, 5).movement), (Some(-1), Some(1)));
    }

    #[test]
    fn weights_parse_by_name() {
        let w: Weights = "on_time=0.5, dead_spot_penalty=0".parse().unwrap_or_default();
        assert_eq!((w.on_time, w.dead_spot_penalty, w.closure), (0.5, 0.0, 0.3));
        assert!("speed=1".parse::<Weights>().is_err());
        assert!("closure=-1".parse::<Weights>().is_err());
        assert!("closure".parse::<Weights>().is_err());
    }

    #[test]
    fn few_communities_get_no_cards_for_being_few() {
        let two = rank(&scores(&[50.0, 40.0]), &[]);
        assert!(two.iter().all(|e| e.mark != Some(Mark::YellowCard)));
        assert_eq!(rank(&scores(&[50.0]), &[])[0].mark, None);
    }
}
