//! Routing (分级派单): for a point and a category, the responsible organisation and person, with
//! the reason. The category's tier decides who is asked:
//!
//! 1. community / estate — the estate's management when the point is in an estate that has one,
//!    else the community committee; the person is the grid's grid leader (else the contact);
//! 2. sub-district — the sub-district office; the person is the grid's supervisor (else the
//!    office's contact);
//! 3. co-building unit — the unit whose zone covers the point. **Precedence** when zones overlap:
//!    the smallest zone wins (the more specific adoption), then the one adopted first, then the
//!    lower id; the person is the unit's contact;
//! 4. department — the department handling the category in the sub-district; its contact.
//!
//! Nobody found at the tier (no committee, no zone, no department): the case falls to the
//! sub-district office (属地兜底) with `fallback` set, and `unhandled` when the category has no
//! handler at all, so that nothing is silently dropped. With no office registered either, the
//! answer has no organisation and says so.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgConnection;

use super::UnitsError;
use super::categories::{self, Category};
use super::zones::ZONE_AREA;

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct OrganisationRef {
    pub id: i64,
    pub name: String,
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonRef {
    pub id: i64,
    pub name: String,
    pub phone: String,
}

/// An organisation with its contact person.
#[derive(Debug, Clone, PartialEq)]
pub struct Party {
    pub organisation: OrganisationRef,
    pub contact: Option<PersonRef>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ZoneCandidate {
    pub zone_id: i64,
    pub zone: String,
    pub party: Party,
    pub area_m2: f64,
    pub valid_from: DateTime<Utc>,
}

/// Everything routing may pick from, gathered for one point.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Candidates {
    pub estate: Option<Party>,
    pub committee: Option<Party>,
    pub office: Option<Party>,
    pub zones: Vec<ZoneCandidate>,
    pub department: Option<Party>,
    pub grid_leader: Option<PersonRef>,
    pub supervisor: Option<PersonRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    EstateManagement,
    CommunityCommittee,
    DistrictOffice,
    Zone,
    Department,
    /// Fallbacks to the sub-district office.
    NoCommittee,
    NoZone,
    NoDepartment,
    /// Not even an office to fall to.
    NoOffice,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Decision {
    pub organisation: Option<OrganisationRef>,
    pub person: Option<PersonRef>,
    pub reason: Reason,
    /// The tier's own unit was not found; the sub-district office takes it.
    pub fallback: bool,
    /// No department handles the category.
    pub unhandled: bool,
    pub zone: Option<ZoneRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ZoneRef {
    pub id: i64,
    pub name: String,
}

impl Candidates {
    /// The candidates but `organisation` (which returned the case): the tier's rule then finds
    /// another unit or falls to the office.
    pub fn without(mut self, organisation: i64) -> Candidates {
        let keep = |party: &Option<Party>| party.clone().filter(|p| p.organisation.id != organisation);
        self.estate = keep(&self.estate);
        self.committee = keep(&self.committee);
        self.department = keep(&self.department);
        self.zones.retain(|z| z.party.organisation.id != organisation);
        self
    }
}

/// Who handles a finding of `tier`, from the candidates, by the rules of the module.
pub fn decide(tier: u8, candidates: &Candidates) -> Decision {
    let pick = |party: &Party, person: Option<&PersonRef>, reason| Decision {
        organisation: Some(party.organisation.clone()),
        person: person.or(party.contact.as_ref()).cloned(),
        reason,
        fallback: false,
        unhandled: false,
        zone: None,
    };
    let office = |missing: Reason| {
        let mut decision = match &candidates.office {
            Some(office) => pick(office, candidates.supervisor.as_ref(), missing),
            None => Decision {
                organisation: None,
                person: candidates.supervisor.clone(),
                reason: Reason::NoOffice,
                fallback: false,
                unhandled: false,
                zone: None,
            },
        };
        decision.fallback = missing != Reason::DistrictOffice;
        decision.unhandled = missing == Reason::NoDepartment;
        decision
    };
    match tier {
        1 => match (&candidates.estate, &candidates.committee) {
            (Some(estate), _) => pick(estate, candidates.grid_leader.as_ref(), Reason::EstateManagement),
            (None, Some(committee)) => pick(committee, candidates.grid_leader.as_ref(), Reason::CommunityCommittee),
            (None, None) => office(Reason::NoCommittee),
        },
        3 => match winning_zone(&candidates.zones) {
            Some(zone) => Decision {
                zone: Some(ZoneRef { id: zone.zone_id, name: zone.zone.clone() }),
                ..pick(&zone.party, None, Reason::Zone)
            },
            None => office(Reason::NoZone),
        },
        4 => match &candidates.department {
            Some(department) => pick(department, None, Reason::Department),
            None => office(Reason::NoDepartment),
        },
        _ => office(Reason::DistrictOffice),
    }
}

/// The zone that takes a point several zones cover: smallest, then adopted first, then lowest id.
pub fn winning_zone(zones: &[ZoneCandidate]) -> Option<&ZoneCandidate> {
    zones.iter().min_by(|a, b| {
        a.area_m2.total_cmp(&b.area_m2).then(a.valid_from.cmp(&b.valid_from)).then(a.zone_id.cmp(&b.zone_id))
    })
}

/// Where a point lies: its community (and sub-district), grid in force, estate and nearest building.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Place {
    /// The point, WGS84.
    pub lon: f64,
    pub lat: f64,
    pub district_id: i64,
    pub community_id: i64,
    pub community: String,
    pub grid_id: Option<i64>,
    pub grid_code: Option<String>,
    pub estate_id: Option<i64>,
    pub building_id: Option<i64>,
}

/// How far from a building (degrees, about 30 m) a point still names it.
const BUILDING_REACH: f64 = 0.0003;

pub async fn locate(db: &mut PgConnection, lon: f64, lat: f64, scope: &[i64]) -> Result<Option<Place>, sqlx::Error> {
    sqlx::query_as(
        "with p as (select st_setsrid(st_makepoint($1, $2), 4326) as pt)
         select $1::float8 as lon, $2::float8 as lat, c.district_id, c.id as community_id, c.name as community, g.id as grid_id, g.code as grid_code,
                (select e.id from estates e where e.community_id = c.id and st_covers(e.boundary, p.pt) order by e.id limit 1) as estate_id,
                (select b.id from buildings b where b.community_id = c.id and st_dwithin(b.footprint, p.pt, $4)
                 order by b.footprint <-> p.pt limit 1) as building_id
         from p join communities c on st_covers(c.boundary, p.pt)
         left join lateral (select g.id, g.code from grids g where g.community_id = c.id and g.ended_on is null
                            and st_covers(g.boundary, p.pt) order by g.id limit 1) g on true
         where c.id = any($3)
         order by c.id limit 1",
    )
    .bind(lon)
    .bind(lat)
    .bind(scope)
    .bind(BUILDING_REACH)
    .fetch_optional(db)
    .await
}

const PARTY: &str = "select o.id, o.name, o.kind, p.id, p.name, p.phone
    from organisations o left join people p on p.id = o.contact_id";

type PartyRow = (i64, String, String, Option<i64>, Option<String>, Option<String>);

fn party((id, name, kind, person, person_name, phone): PartyRow) -> Party {
    let contact = match (person, person_name, phone) {
        (Some(id), Some(name), Some(phone)) => Some(PersonRef { id, name, phone }),
        _ => None,
    };
    Party { organisation: OrganisationRef { id, name, kind }, contact }
}

async fn one_party(db: &mut PgConnection, condition: &str, id: i64) -> Result<Option<Party>, sqlx::Error> {
    let row: Option<PartyRow> =
        sqlx::query_as(&format!("{PARTY} where {condition} order by o.id limit 1")).bind(id).fetch_optional(db).await?;
    Ok(row.map(party))
}

async fn grid_person(db: &mut PgConnection, grid: Option<i64>, role: &str) -> Result<Option<PersonRef>, sqlx::Error> {
    sqlx::query_as(
        "select p.id, p.name, p.phone from assignments a join people p on p.id = a.person_id
         where a.grid_id = $1 and a.role = $2 and a.valid_to is null order by a.valid_from, a.id limit 1",
    )
    .bind(grid)
    .bind(role)
    .fetch_optional(db)
    .await
}

/// The candidates at a place for a category.
pub async fn candidates(db: &mut PgConnection, place: &Place, category: &str) -> Result<Candidates, sqlx::Error> {
    let estate = match place.estate_id {
        Some(estate) => one_party(db, "o.kind = 'estate' and o.estate_id = $1", estate).await?,
        None => None,
    };
    let committee = one_party(db, "o.kind = 'community_committee' and o.community_id = $1", place.community_id).await?;
    let office = one_party(db, "o.kind = 'district_office' and o.district_id = $1", place.district_id).await?;
    let department: Option<PartyRow> = sqlx::query_as(&format!(
        "{PARTY} join category_handlers h on h.organisation_id = o.id
         where h.district_id = $1 and h.category = $2 and h.valid_to is null limit 1"
    ))
    .bind(place.district_id)
    .bind(category)
    .fetch_optional(&mut *db)
    .await?;
    type ZoneRow = (i64, String, f64, DateTime<Utc>, i64, String, String, Option<i64>, Option<String>, Option<String>);
    let zones: Vec<ZoneRow> = sqlx::query_as(&format!(
        "select z.id, z.name, st_area(a.area::geography), z.valid_from, o.id, o.name, o.kind, p.id, p.name, p.phone
         from zones z join organisations o on o.id = z.organisation_id
         left join people p on p.id = o.contact_id
         cross join lateral (select {ZONE_AREA} as area) a
         where z.valid_to is null and o.district_id = $1
           -- A zone of grids covers the point when one of its grids does: no union to build for
           -- the zones that do not (the union is built for the area of those that do).
           and case when z.area is not null then st_covers(z.area, st_setsrid(st_makepoint($2, $3), 4326))
                    else exists (select 1 from zone_grids zg join grids g on g.id = zg.grid_id
                                 where zg.zone_id = z.id and g.ended_on is null
                                   and st_covers(g.boundary, st_setsrid(st_makepoint($2, $3), 4326))) end"
    ))
    .bind(place.district_id)
    .bind(place.lon)
    .bind(place.lat)
    .fetch_all(&mut *db)
    .await?;
    Ok(Candidates {
        estate,
        committee,
        office,
        zones: zones
            .into_iter()
            .map(|(zone_id, zone, area_m2, valid_from, id, name, kind, person, person_name, phone)| ZoneCandidate {
                zone_id,
                zone,
                party: party((id, name, kind, person, person_name, phone)),
                area_m2,
                valid_from,
            })
            .collect(),
        department: department.map(party),
        grid_leader: grid_person(db, place.grid_id, "grid_leader").await?,
        supervisor: grid_person(db, place.grid_id, "supervisor").await?,
    })
}

/// The answer for a point and a category.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Routing {
    pub category: Category,
    pub place: Place,
    pub tier: u8,
    pub deadline: Option<categories::Deadline>,
    #[serde(flatten)]
    pub decision: Decision,
    /// The reason in a sentence.
    pub explanation: String,
}

/// Routes a finding of `category` at a WGS84 point of the user's area.
pub async fn route(db: &mut PgConnection, lon: f64, lat: f64, category: &str, scope: &[i64]) -> Result<Routing, UnitsError> {
    let category = categories::leaf(db, category).await?;
    let place = locate(db, lon, lat, scope).await?.ok_or_else(|| {
        UnitsError::invalid("point", "outside_communities", format!("({lon}, {lat}) is in no community of your area"))
    })?;
    Ok(route_at(db, place, category, None).await?)
}

/// Routes a finding at a located place, passing over `returned_by` (an organisation that
/// returned the case as not its own).
pub async fn route_at(
    db: &mut PgConnection,
    place: Place,
    category: Category,
    returned_by: Option<i64>,
) -> Result<Routing, sqlx::Error> {
    let tier = category.tier.unwrap_or(2);
    let mut candidates = candidates(db, &place, &category.code).await?;
    if let Some(organisation) = returned_by {
        candidates = candidates.without(organisation);
    }
    let decision = decide(tier, &candidates);
    let explanation = explain(&decision, &category, &place);
    Ok(Routing { deadline: category.deadline, category, place, tier, decision, explanation })
}

fn explain(decision: &Decision, category: &Category, place: &Place) -> String {
    let who = decision.organisation.as_ref().map_or("nobody".to_owned(), |o| o.name.clone());
    let tier = category.tier.unwrap_or(2);
    match decision.reason {
        Reason::EstateManagement => format!("tier {tier}: the point is in an estate managed by {who}"),
        Reason::CommunityCommittee => format!("tier {tier}: the community committee of {}", place.community),
        Reason::DistrictOffice => format!("tier {tier}: the sub-district office, {who}"),
        Reason::Zone => format!(
            "tier {tier}: the point is in {}'s responsibility zone {}",
            who,
            decision.zone.as_ref().map_or("", |z| z.name.as_str())
        ),
        Reason::Department => format!("tier {tier}: {who} handles {}", category.name),
        Reason::NoCommittee => format!("tier {tier}: {} has no community committee registered; {who} takes it", place.community),
        Reason::NoZone => format!("tier {tier}: no co-building unit's zone covers the point; {who} takes it"),
        Reason::NoDepartment => format!("tier {tier}: no department handles {}; {who} takes it", category.name),
        Reason::NoOffice => format!("tier {tier}: nobody is registered to take it, not even a sub-district office"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn org(id: i64, kind: &str) -> Party {
        Party {
            organisation: OrganisationRef { id, name: format!("{kind} {id}"), kind: kind.to_owned() },
            contact: Some(PersonRef { id: 100 + id, name: format!("contact {id}"), phone: "13800000000".into() }),
        }
    }

    fn person(id: i64) -> PersonRef {
        PersonRef { id, name: format!("person {id}"), phone: "13900000000".into() }
    }

    fn zone(id: i64, area_m2: f64, day: u32) -> ZoneCandidate {
        ZoneCandidate {
            zone_id: id,
            zone: format!("zone {id}"),
            party: org(10 + id, "partner_unit"),
            area_m2,
            valid_from: Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).single().unwrap_or_default(),
        }
    }

    fn full() -> Candidates {
        Candidates {
            estate: None,
            committee: Some(org(1, "community_committee")),
            office: Some(org(2, "district_office")),
            zones: vec![zone(1, 50_000.0, 1)],
            department: Some(org(3, "department")),
            grid_leader: Some(person(7)),
            supervisor: Some(person(8)),
        }
    }

    #[test]
    fn each_tier_goes_to_its_own_unit() {
        let c = full();
        let d = decide(1, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.person.map(|p| p.id)), (Reason::CommunityCommittee, Some(1), Some(7)));
        let d = decide(2, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.person.map(|p| p.id)), (Reason::DistrictOffice, Some(2), Some(8)));
        let d = decide(3, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.person.map(|p| p.id)), (Reason::Zone, Some(11), Some(111)));
        assert_eq!(d.zone.map(|z| z.id), Some(1));
        let d = decide(4, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.person.map(|p| p.id)), (Reason::Department, Some(3), Some(103)));
        assert!([1, 2, 3, 4].iter().all(|&t| !decide(t, &c).fallback));
    }

    #[test]
    fn an_estate_with_management_comes_before_the_committee() {
        let c = Candidates { estate: Some(org(5, "estate")), ..full() };
        let d = decide(1, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.person.map(|p| p.id)), (Reason::EstateManagement, Some(5), Some(7)));
    }

    #[test]
    fn without_a_grid_leader_the_contact_is_asked() {
        let c = Candidates { grid_leader: None, supervisor: None, ..full() };
        assert_eq!(decide(1, &c).person.map(|p| p.id), Some(101));
        assert_eq!(decide(2, &c).person.map(|p| p.id), Some(102));
    }

    #[test]
    fn the_smallest_zone_wins_then_the_earliest_then_the_lowest_id() {
        let zones = vec![zone(1, 90_000.0, 1), zone(2, 20_000.0, 9), zone(3, 20_000.0, 5), zone(4, 20_000.0, 5)];
        assert_eq!(winning_zone(&zones).map(|z| z.zone_id), Some(3));
        let c = Candidates { zones, ..full() };
        assert_eq!(decide(3, &c).organisation.map(|o| o.id), Some(13));
        assert_eq!(winning_zone(&[]), None);
    }

    #[test]
    fn outside_every_zone_the_office_takes_it_as_a_fallback() {
        let c = Candidates { zones: vec![], ..full() };
        let d = decide(3, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.fallback, d.unhandled), (Reason::NoZone, Some(2), true, false));
        let c = Candidates { committee: None, ..full() };
        let d = decide(1, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.fallback), (Reason::NoCommittee, Some(2), true));
    }

    #[test]
    fn a_returned_case_goes_to_the_next_zone_or_the_office() {
        let c = Candidates { zones: vec![zone(1, 10.0, 1), zone(2, 20.0, 1)], ..full() };
        assert_eq!(decide(3, &c.clone().without(11)).organisation.map(|o| o.id), Some(12));
        let d = decide(1, &c.without(1));
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.fallback), (Reason::NoCommittee, Some(2), true));
    }

    #[test]
    fn a_category_nobody_handles_is_reported_not_dropped() {
        let c = Candidates { department: None, ..full() };
        let d = decide(4, &c);
        assert_eq!((d.reason, d.organisation.map(|o| o.id), d.fallback, d.unhandled), (Reason::NoDepartment, Some(2), true, true));
        let c = Candidates { department: None, office: None, ..full() };
        let d = decide(4, &c);
        assert_eq!((d.reason, d.organisation, d.unhandled), (Reason::NoOffice, None, true));
    }
}
