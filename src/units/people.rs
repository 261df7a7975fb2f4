//! People (人员) of a sub-district: name, mobile phone, organisation, party membership. A person
//! is known by their phone within the sub-district (two rows with one phone are one person).

use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgConnection;

use super::{UnitsError, audit, district_communities, require_district};
use crate::audit::Actor;

/// Longest name, in characters.
pub const MAX_NAME_CHARS: usize = 40;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Person {
    pub id: i64,
    pub district_id: i64,
    pub name: String,
    pub phone: String,
    pub organisation_id: Option<i64>,
    pub organisation: Option<String>,
    pub party_member: bool,
    /// Current assignments, e.g. `["grid_leader", "building_leader"]`.
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPerson {
    pub district: i64,
    pub name: String,
    pub phone: String,
    pub organisation: Option<i64>,
    #[serde(default)]
    pub party_member: bool,
}

/// A change to a person; absent fields stay as they are, `organisation: null` clears it.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonChange {
    pub name: Option<String>,
    pub phone: Option<String>,
    #[serde(default, with = "serde_double_option")]
    pub organisation: Option<Option<i64>>,
    pub party_member: Option<bool>,
}

/// `Option<Option<T>>` that tells an absent field (None) from an explicit null (Some(None)).
mod serde_double_option {
    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

/// A Chinese mobile number as stored: 11 digits starting 13–19, written with or without spaces,
/// dashes or the +86 / 0086 prefix.
pub fn normalise_phone(raw: &str) -> Result<String, UnitsError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = digits.strip_prefix("+86").or_else(|| digits.strip_prefix("0086")).unwrap_or(&digits);
    let bytes = digits.as_bytes();
    let mobile = bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1]);
    if mobile {
        Ok(digits.to_owned())
    } else {
        Err(UnitsError::invalid(
            "phone",
            "invalid_phone",
            format!("«{raw}» is not a Chinese mobile number (11 digits starting 13–19, e.g. 13812345678)"),
        ))
    }
}

/// A trimmed name of 1 to `max` characters.
pub fn clean_name(field: &'static str, raw: &str, max: usize) -> Result<String, UnitsError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > max || name.chars().any(char::is_control) {
        return Err(UnitsError::invalid(field, "invalid_name", format!("a {field} has 1 to {max} characters")));
    }
    Ok(name.to_owned())
}

const PERSON_COLUMNS: &str = "p.id, p.district_id, p.name, p.phone, p.organisation_id, o.name as organisation,
    p.party_member,
    array(select distinct a.role from assignments a where a.person_id = p.id and a.valid_to is null order by 1) as roles
    from people p left join organisations o on o.id = p.organisation_id";

pub async fn list(db: &mut PgConnection, district_id: i64, scope: &[i64]) -> Result<Vec<Person>, UnitsError> {
    require_district(db, district_id, scope).await?;
    let sql = format!("select {PERSON_COLUMNS} where p.district_id = $1 order by p.name, p.id");
    Ok(sqlx::query_as(&sql).bind(district_id).fetch_all(db).await?)
}

/// One person of the user's sub-districts.
pub async fn get(db: &mut PgConnection, id: i64, scope: &[i64]) -> Result<Person, UnitsError> {
    let sql = format!(
        "select {PERSON_COLUMNS} where p.id = $1
           and p.district_id in (select district_id from communities where id = any($2))"
    );
    sqlx::query_as(&sql)
        .bind(id)
        .bind(scope)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| UnitsError::NotFound(format!("no person {id} in your area")))
}

/// An organisation of the sub-district, for a person's or a zone's reference.
pub async fn require_organisation(
    db: &mut PgConnection,
    field: &'static str,
    organisation_id: i64,
    district_id: i64,
) -> Result<String, UnitsError> {
    sqlx::query_scalar("select kind from organisations where id = $1 and district_id = $2")
        .bind(organisation_id)
        .bind(district_id)
        .fetch_optional(db)
        .await?
        .ok_or_else(|| {
            UnitsError::invalid(field, "unknown_organisation", format!("no organisation {organisation_id} in this sub-district"))
        })
}

async fn phone_taken(db: &mut PgConnection, district_id: i64, phone: &str, except: i64) -> Result<(), UnitsError> {
    let holder: Option<(i64, String)> =
        sqlx::query_as("select id, name from people where district_id = $1 and phone = $2 and id <> $3")
            .bind(district_id)
            .bind(phone)
            .bind(except)
            .fetch_optional(db)
            .await?;
    match holder {
        Some((id, name)) => Err(UnitsError::conflict(
            "duplicate_phone",
            format!("{phone} is already the phone of {name} (person {id}) in this sub-district"),
        )),
        None => Ok(()),
    }
}

/// Registers a person; answers the new id.
pub async fn create(db: &mut PgConnection, new: &NewPerson, scope: &[i64], actor: &Actor) -> Result<i64, UnitsError> {
    require_district(db, new.district, scope).await?;
    let name = clean_name("name", &new.name, MAX_NAME_CHARS)?;
    let phone = normalise_phone(&new.phone)?;
    if let Some(organisation) = new.organisation {
        require_organisation(db, "organisation", organisation, new.district).await?;
    }
    phone_taken(db, new.district, &phone, 0).await?;
    let id: i64 = sqlx::query_scalar(
        "insert into people (district_id, name, phone, organisation_id, party_member)
         values ($1, $2, $3, $4, $5) returning id",
    )
    .bind(new.district)
    .bind(&name)
    .bind(&phone)
    .bind(new.organisation)
    .bind(new.party_member)
    .fetch_one(&mut *db)
    .await?;
    let summary = json!({ "after": { "name": name, "phone": phone, "organisation": new.organisation,
                                     "party_member": new.party_member } });
    let communities = district_communities(db, new.district).await?;
    audit(db, actor, "person.create", ("person", id), summary, &communities).await?;
    Ok(id)
}

/// Changes a person's details (their assignments are untouched).
pub async fn update(
    db: &mut PgConnection,
    id: i64,
    change: &PersonChange,
    scope: &[i64],
    actor: &Actor,
) -> Result<Person, UnitsError> {
    let before = get(db, id, scope).await?;
    let name = change.name.as_deref().map(|n| clean_name("name", n, MAX_NAME_CHARS)).transpose()?;
    let phone = change.phone.as_deref().map(normalise_phone).transpose()?;
    if let Some(phone) = &phone {
        phone_taken(db, before.district_id, phone, id).await?;
    }
    if let Some(Some(organisation)) = change.organisation {
        require_organisation(db, "organisation", organisation, before.district_id).await?;
    }
    sqlx::query(
        "update people set name = coalesce($2, name), phone = coalesce($3, phone),
                organisation_id = case when $4 then $5 else organisation_id end,
                party_member = coalesce($6, party_member)
         where id = $1",
    )
    .bind(id)
    .bind(&name)
    .bind(&phone)
    .bind(change.organisation.is_some())
    .bind(change.organisation.flatten())
    .bind(change.party_member)
    .execute(&mut *db)
    .await?;
    let after = get(db, id, scope).await?;
    let summary = json!({
        "before": { "name": before.name, "phone": before.phone, "organisation": before.organisation_id, "party_member": before.party_member },
        "after": { "name": after.name, "phone": after.phone, "organisation": after.organisation_id, "party_member": after.party_member },
    });
    let communities = district_communities(db, after.district_id).await?;
    audit(db, actor, "person.update", ("person", id), summary, &communities).await?;
    Ok(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_normalised_to_eleven_digits() {
        for raw in ["13812345678", "138 1234 5678", "138-1234-5678", "+86 138 1234 5678", "008613812345678"] {
            assert_eq!(normalise_phone(raw).ok().as_deref(), Some("13812345678"), "{raw}");
        }
        assert_eq!(normalise_phone("19912345678").ok().as_deref(), Some("19912345678"));
    }

    #[test]
    fn other_numbers_are_refused_naming_the_field() {
        for raw in ["", "1381234567", "138123456789", "12812345678", "23812345678", "027-87654321", "1381234567x"] {
            match normalise_phone(raw) {
                Err(UnitsError::Invalid { field: "phone", code: "invalid_phone", .. }) => {}
                other => panic!("{raw}: {other:?}"),
            }
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(clean_name("name", "  张伟 ", 40).ok().as_deref(), Some("张伟"));
        assert!(clean_name("name", "   ", 40).is_err());
        assert!(clean_name("name", &"张".repeat(41), 40).is_err());
        assert!(clean_name("name", "a\u{0}b", 40).is_err());
    }
}
