//! Organisations that take responsibility: community committees and estates (tier 1), the
//! sub-district office (tier 2), co-building units (tier 3) and functional departments (tier 4),
//! each with a contact person to whom its cases go; a department's categories.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use super::people::{clean_name, require_organisation};
use super::{UnitsError, audit, district_communities, require_district};
use crate::audit::Actor;

pub const MAX_NAME_CHARS: usize = 80;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// 社区居委会
    CommunityCommittee,
    /// 小区 (its property management)
    Estate,
    /// 街道办事处
    DistrictOffice,
    /// 共建单位
    PartnerUnit,
    /// 职能部门
    Department,
}

impl Kind {
    pub const ALL: [Kind; 5] =
        [Kind::CommunityCommittee, Kind::Estate, Kind::DistrictOffice, Kind::PartnerUnit, Kind::Department];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CommunityCommittee => "community_committee",
            Kind::Estate => "estate",
            Kind::DistrictOffice => "district_office",
            Kind::PartnerUnit => "partner_unit",
            Kind::Department => "department",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = UnitsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s.trim()).ok_or_else(|| {
            UnitsError::invalid(
                "kind",
                "unknown_kind",
                format!("unknown organisation kind «{s}»: expected community_committee, estate, district_office, partner_unit or department"),
            )
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Organisation {
    pub id: i64,
    pub district_id: i64,
    pub kind: String,
    pub name: String,
    pub community_id: Option<i64>,
    pub estate_id: Option<i64>,
    pub phone: Option<String>,
    pub contact_id: Option<i64>,
    pub contact: Option<String>,
    /// The categories a department handles now.
    pub categories: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganisation {
    pub district: i64,
    pub kind: Kind,
    pub name: String,
    /// The community of a community committee.
    pub community: Option<i64>,
    /// The estate of an estate's management.
    pub estate: Option<i64>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// A person of the sub-district who receives the organisation's cases.
    pub contact: Option<i64>,
}

const ORGANISATION_COLUMNS: &str = "o.id, o.district_id, o.kind, o.name, o.community_id, o.estate_id, o.phone,
    o.contact_id, p.name as contact,
    array(select h.category from category_handlers h where h.organisation_id = o.id and h.valid_to is null order by 1) as categories
    from organisations o left join people p on p.id = o.contact_id";

pub async fn list(db: &mut PgConnection, district_id: i64, scope: &[i64]) -> Result<Vec<Organisation>, UnitsError> {
    require_district(db, district_id, scope).await?;
    let sql = format!("select {ORGANISATION_COLUMNS} where o.district_id = $1 order by o.kind, o.name");
    Ok(sqlx::query_as(&sql).bind(district_id).fetch_all(db).await?)
}

pub async fn get(db: &mut PgConnection, id: i64, scope: &[i64]) -> Result<Organisation, UnitsError> {
    let sql = format!(
        "select {ORGANISATION_COLUMNS} where o.id = $1
           and o.district_id in (select district_id from communities where id = any($2))"
    );
    sqlx::query_as(&sql)
        .bind(id)
        .bind(scope)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| UnitsError::NotFound(format!("no organisation {id} in your area")))
}

/// A phone as an organisation has it: a landline or a mobile, digits with + ( ) - and spaces.
fn clean_phone(raw: &str) -> Result<String, UnitsError> {
    let phone = raw.trim();
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    if (5..=20).contains(&phone.len()) && digits >= 5 && phone.chars().all(|c| c.is_ascii_digit() || "+()- ".contains(c))
    {
        Ok(phone.to_owned())
    } else {
        Err(UnitsError::invalid("phone", "invalid_phone", format!("«{raw}» is not a phone number")))
    }
}

pub async fn create(
    db: &mut PgConnection,
    new: &NewOrganisation,
    scope: &[i64],
    actor: &Actor,
) -> Result<i64, UnitsError> {
    require_district(db, new.district, scope).await?;
    let name = clean_name("name", &new.name, MAX_NAME_CHARS)?;
    let phone = new.phone.as_deref().map(clean_phone).transpose()?;
    let (community, estate) = match new.kind {
        Kind::CommunityCommittee => {
            let community = new.community.ok_or_else(|| {
                UnitsError::invalid("community", "missing_community", "a community committee names its community")
            })?;
            let found: bool = sqlx::query_scalar("select exists (select 1 from communities where id = $1 and district_id = $2)")
                .bind(community)
                .bind(new.district)
                .fetch_one(&mut *db)
                .await?;
            if !found {
                return Err(UnitsError::invalid("community", "unknown_community", format!("no community {community} in this sub-district")));
            }
            (Some(community), None)
        }
        Kind::Estate => {
            let estate = new
                .estate
                .ok_or_else(|| UnitsError::invalid("estate", "missing_estate", "an estate's management names its estate"))?;
            let found: bool = sqlx::query_scalar(
                "select exists (select 1 from estates e join communities c on c.id = e.community_id
                                where e.id = $1 and c.district_id = $2)",
            )
            .bind(estate)
            .bind(new.district)
            .fetch_one(&mut *db)
            .await?;
            if !found {
                return Err(UnitsError::invalid("estate", "unknown_estate", format!("no estate {estate} in this sub-district")));
            }
            (None, Some(estate))
        }
        _ if new.community.is_some() || new.estate.is_some() => {
            return Err(UnitsError::invalid(
                "community",
                "unexpected_place",
                "only a community committee names a community, and only an estate an estate",
            ));
        }
        _ => (None, None),
    };
    refuse_duplicate(db, new, &name).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into organisations (district_id, kind, name, community_id, estate_id, phone)
         values ($1, $2, $3, $4, $5, $6) returning id",
    )
    .bind(new.district)
    .bind(new.kind.as_str())
    .bind(&name)
    .bind(community)
    .bind(estate)
    .bind(&phone)
    .fetch_one(&mut *db)
    .await?;
    let communities = district_communities(db, new.district).await?;
    let summary = json!({ "after": { "kind": new.kind, "name": name, "community": community, "estate": estate } });
    audit(db, actor, "organisation.create", ("organisation", id), summary, &communities).await?;
    Ok(id)
}

/// Clear refusals for what the unique indexes would refuse anyway.
async fn refuse_duplicate(db: &mut PgConnection, new: &NewOrganisation, name: &str) -> Result<(), UnitsError> {
    let existing: Option<(i64, String)> = sqlx::query_as(
        "select id, name from organisations
         where district_id = $1 and (name = $2
            or kind = 'district_office' and $3 = 'district_office'
            or community_id = $4 and kind = 'community_committee'
            or estate_id = $5 and kind = 'estate')
         limit 1",
    )
    .bind(new.district)
    .bind(name)
    .bind(new.kind.as_str())
    .bind(new.community)
    .bind(new.estate)
    .fetch_optional(&mut *db)
    .await?;
    match existing {
        Some((id, existing)) if existing == name => {
            Err(UnitsError::conflict("duplicate_name", format!("organisation {id} is already called {name}")))
        }
        Some((id, existing)) => Err(UnitsError::conflict(
            "duplicate_organisation",
            format!("{existing} (organisation {id}) already stands for this place; there is one per place"),
        )),
        None => Ok(()),
    }
}

pub async fn update(
    db: &mut PgConnection,
    id: i64,
    change: &OrganisationChange,
    scope: &[i64],
    actor: &Actor,
) -> Result<Organisation, UnitsError> {
    let before = get(db, id, scope).await?;
    let name = change.name.as_deref().map(|n| clean_name("name", n, MAX_NAME_CHARS)).transpose()?;
    let phone = change.phone.as_deref().map(clean_phone).transpose()?;
    if let Some(name) = name.as_deref().filter(|n| *n != before.name) {
        let taken: bool = sqlx::query_scalar("select exists (select 1 from organisations where district_id = $1 and name = $2)")
            .bind(before.district_id)
            .bind(name)
            .fetch_one(&mut *db)
            .await?;
        if taken {
            return Err(UnitsError::conflict("duplicate_name", format!("another organisation is already called {name}")));
        }
    }
    if let Some(contact) = change.contact {
        let found: bool = sqlx::query_scalar("select exists (select 1 from people where id = $1 and district_id = $2)")
            .bind(contact)
            .bind(before.district_id)
            .fetch_one(&mut *db)
            .await?;
        if !found {
            return Err(UnitsError::invalid("contact", "unknown_person", format!("no person {contact} in this sub-district")));
        }
    }
    sqlx::query(
        "update organisations set name = coalesce($2, name), phone = coalesce($3, phone),
                contact_id = coalesce($4, contact_id) where id = $1",
    )
    .bind(id)
    .bind(&name)
    .bind(&phone)
    .bind(change.contact)
    .execute(&mut *db)
    .await?;
    let after = get(db, id, scope).await?;
    let summary = json!({
        "before": { "name": before.name, "phone": before.phone, "contact": before.contact_id },
        "after": { "name": after.name, "phone": after.phone, "contact": after.contact_id },
    });
    let communities = district_communities(db, after.district_id).await?;
    audit(db, actor, "organisation.update", ("organisation", id), summary, &communities).await?;
    Ok(after)
}

/// Sets the categories a department handles: the ones dropped are ended, the new ones started
/// (history kept). A category another department of the sub-district handles is refused.
pub async fn set_categories(
    db: &mut PgConnection,
    id: i64,
    categories: &[String],
    scope: &[i64],
    actor: &Actor,
) -> Result<Organisation, UnitsError> {
    let before = get(db, id, scope).await?;
    if before.kind != Kind::Department.as_str() {
        return Err(UnitsError::invalid("categories", "not_a_department", "only a functional department handles categories"));
    }
    let known: Vec<String> = sqlx::query_scalar("select code from categories where parent is not null and code = any($1)")
        .bind(categories)
        .fetch_all(&mut *db)
        .await?;
    if let Some(unknown) = categories.iter().find(|c| !known.contains(c)) {
        return Err(UnitsError::invalid("categories", "unknown_category", format!("no category «{unknown}» (use a sub-category code such as facilities.road_damage)")));
    }
    let taken: Option<(String, String)> = sqlx::query_as(
        "select h.category, o.name from category_handlers h join organisations o on o.id = h.organisation_id
         where h.district_id = $1 and h.valid_to is null and h.organisation_id <> $2 and h.category = any($3)
         order by 1 limit 1",
    )
    .bind(before.district_id)
    .bind(id)
    .bind(categories)
    .fetch_optional(&mut *db)
    .await?;
    if let Some((category, department)) = taken {
        return Err(UnitsError::conflict("category_taken", format!("{department} already handles {category}; end it there first")));
    }
    let by = actor.name.as_deref().unwrap_or("command line");
    sqlx::query(
        "update category_handlers set valid_to = now(), ended_by = $3
         where organisation_id = $1 and valid_to is null and not (category = any($2))",
    )
    .bind(id)
    .bind(categories)
    .bind(by)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into category_handlers (organisation_id, district_id, category, started_by)
         select $1, $2, c, $4 from unnest($3::text[]) c
         where not exists (select 1 from category_handlers h where h.organisation_id = $1 and h.category = c and h.valid_to is null)",
    )
    .bind(id)
    .bind(before.district_id)
    .bind(categories)
    .bind(by)
    .execute(&mut *db)
    .await?;
    let after = get(db, id, scope).await?;
    let summary = json!({ "before": before.categories, "after": after.categories });
    let communities = district_communities(db, after.district_id).await?;
    audit(db, actor, "organisation.categories", ("organisation", id), summary, &communities).await?;
    Ok(after)
}

/// For a zone's or a person's reference: the organisation exists in the sub-district, of `kind`.
pub async fn require_kind(
    db: &mut PgConnection,
    field: &'static str,
    id: i64,
    district_id: i64,
    kind: Kind,
) -> Result<(), UnitsError> {
    let found = require_organisation(db, field, id, district_id).await?;
    if found == kind.as_str() {
        Ok(())
    } else {
        Err(UnitsError::invalid(field, "wrong_kind", format!("organisation {id} is a {found}, not a {kind}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_unknown_ones_are_named() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>().ok(), Some(kind));
        }
        assert!(matches!("bureau".parse::<Kind>(), Err(UnitsError::Invalid { field: "kind", .. })));
    }

    #[test]
    fn organisation_phones_take_landlines() {
        assert_eq!(clean_phone(" 027-8765 4321 ").ok().as_deref(), Some("027-8765 4321"));
        assert!(clean_phone("call us").is_err());
        assert!(clean_phone("12").is_err());
    }
}
