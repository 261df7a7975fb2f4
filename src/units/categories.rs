//! Categories of findings and their routing rules: tier (1 community/estate, 2 sub-district,
//! 3 co-building unit, 4 department) and deadline, seeded from the domain brief, editable by an
//! administrator (a city-wide rule: every sub-district routes by the same table).

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use super::UnitsError;
use crate::audit::{self, Actor, Event};

/// How long the responsible unit has, counted from dispatch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "unit", content = "amount", rename_all = "snake_case")]
pub enum Deadline {
    /// 今日事今日毕: by the end of the working day.
    SameDay,
    WorkingHours(u16),
    WorkingDays(u16),
}

impl Deadline {
    /// From the stored unit and amount.
    pub fn from_row(unit: &str, amount: Option<i32>) -> Option<Deadline> {
        let amount = amount.and_then(|a| u16::try_from(a).ok());
        match (unit, amount) {
            ("same_day", None) => Some(Deadline::SameDay),
            ("working_hours", Some(a)) => Some(Deadline::WorkingHours(a)),
            ("working_days", Some(a)) => Some(Deadline::WorkingDays(a)),
            _ => None,
        }
    }

    fn to_row(self) -> (&'static str, Option<i32>) {
        match self {
            Deadline::SameDay => ("same_day", None),
            Deadline::WorkingHours(a) => ("working_hours", Some(a.into())),
            Deadline::WorkingDays(a) => ("working_days", Some(a.into())),
        }
    }

    fn check(self) -> Result<Deadline, UnitsError> {
        match self {
            Deadline::WorkingHours(0) | Deadline::WorkingDays(0) => {
                Err(UnitsError::invalid("deadline", "invalid_deadline", "a deadline is at least one working hour or day"))
            }
            Deadline::WorkingHours(a) | Deadline::WorkingDays(a) if a > 365 => {
                Err(UnitsError::invalid("deadline", "invalid_deadline", "a deadline is at most 365 working hours or days"))
            }
            deadline => Ok(deadline),
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Category {
    pub code: String,
    pub parent: Option<String>,
    pub name: String,
    pub name_en: String,
    /// None for a group.
    pub tier: Option<u8>,
    pub deadline: Option<Deadline>,
    /// Shown at exact location only to the grid's team and above.
    pub private: bool,
}

type Row = (String, Option<String>, String, String, Option<i16>, Option<String>, Option<i32>, bool);

impl From<Row> for Category {
    fn from((code, parent, name, name_en, tier, unit, amount, private): Row) -> Self {
        Category {
            code,
            parent,
            name,
            name_en,
            tier: tier.and_then(|t| u8::try_from(t).ok()),
            deadline: unit.and_then(|u| Deadline::from_row(&u, amount)),
            private,
        }
    }
}

const CATEGORY_COLUMNS: &str =
    "select code, parent, name, name_en, tier, deadline_unit, deadline_amount, private from categories";

/// Every category, groups first within their order.
pub async fn list(db: &mut PgConnection) -> Result<Vec<Category>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!("{CATEGORY_COLUMNS} order by position")).fetch_all(db).await?;
    Ok(rows.into_iter().map(Category::from).collect())
}

/// A sub-category (one findings are filed under), else an error naming the field.
pub async fn leaf(db: &mut PgConnection, code: &str) -> Result<Category, UnitsError> {
    let row: Option<Row> = sqlx::query_as(&format!("{CATEGORY_COLUMNS} where code = $1"))
        .bind(code)
        .fetch_optional(db)
        .await?;
    match row.map(Category::from) {
        Some(category) if category.tier.is_some() => Ok(category),
        Some(_) => Err(UnitsError::invalid("category", "category_group", format!("«{code}» is a group; pick one of its sub-categories"))),
        None => Err(UnitsError::invalid("category", "unknown_category", format!("no category «{code}»"))),
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleChange {
    pub tier: Option<u8>,
    pub deadline: Option<Deadline>,
}

/// Changes a sub-category's tier or deadline.
pub async fn update(db: &mut PgConnection, code: &str, change: &RuleChange, actor: &Actor) -> Result<Category, UnitsError> {
    let before = leaf(db, code).await.map_err(|e| match e {
        UnitsError::Invalid { message, .. } => UnitsError::NotFound(message),
        other => other,
    })?;
    if let Some(tier) = change.tier.filter(|t| !(1..=4).contains(t)) {
        return Err(UnitsError::invalid("tier", "invalid_tier", format!("tier {tier}: expected 1 (community) to 4 (department)")));
    }
    let deadline = change.deadline.map(Deadline::check).transpose()?;
    let (unit, amount) = deadline.or(before.deadline).map(Deadline::to_row).unzip();
    sqlx::query("update categories set tier = coalesce($2, tier), deadline_unit = $3, deadline_amount = $4 where code = $1")
        .bind(code)
        .bind(change.tier.map(i16::from))
        .bind(unit)
        .bind(amount.flatten())
        .execute(&mut *db)
        .await?;
    let after = leaf(db, code).await?;
    let summary = json!({ "before": { "tier": before.tier, "deadline": before.deadline },
                          "after": { "tier": after.tier, "deadline": after.deadline } });
    let event = Event { action: "category.update", object_type: Some("category"), object_id: Some(code.to_owned()), summary };
    audit::record(&mut *db, actor, event).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_read_and_write_as_unit_and_amount() {
        for deadline in [Deadline::SameDay, Deadline::WorkingHours(4), Deadline::WorkingDays(10)] {
            let (unit, amount) = deadline.to_row();
            assert_eq!(Deadline::from_row(unit, amount), Some(deadline));
        }
        assert_eq!(Deadline::from_row("same_day", Some(1)), None);
        assert_eq!(Deadline::from_row("fortnights", Some(1)), None);
        assert_eq!(serde_json::to_value(Deadline::WorkingDays(3)).ok(), Some(json!({ "unit": "working_days", "amount": 3 })));
        assert_eq!(serde_json::to_value(Deadline::SameDay).ok(), Some(json!({ "unit": "same_day" })));
    }

    #[test]
    fn deadlines_are_bounded() {
        assert!(Deadline::WorkingHours(0).check().is_err());
        assert!(Deadline::WorkingDays(366).check().is_err());
        assert_eq!(Deadline::WorkingDays(365).check().ok(), Some(Deadline::WorkingDays(365)));
    }
}
