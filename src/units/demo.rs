//! The demo's responsible units, so that a newcomer sees a working sub-district: grids published
//! in every demo community but the first (left for the demo planner to generate), an office,
//! committees, departments with their categories, two co-building units (one zone of grids, one
//! drawn), and a team per grid with building leaders — with a few gaps left on purpose (a grid
//! without a grid leader, buildings without a leader, a category no department handles) so that
//! the coverage view and routing fallbacks have something to show.

use anyhow::Context;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use sqlx::PgPool;

use super::assignments::{self, NewAssignment, TeamRole};
use super::organisations::{self, Kind, NewOrganisation, OrganisationChange};
use super::people::{self, NewPerson};
use super::zones::{self, NewZone};
use crate::audit::Actor;
use crate::grids::plans::{self, GenerateOptions};

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平",
    "刚", "桂英", "建华", "文", "红", "志强", "晓东", "海燕", "玉兰", "国庆",
];

/// A deterministic stream of people: a name and a distinct mobile number.
struct Roster {
    rng: ChaCha8Rng,
    next_phone: u64,
}

impl Roster {
    fn next(&mut self) -> (String, String) {
        let name = format!(
            "{}{}",
            SURNAMES.choose(&mut self.rng).copied().unwrap_or("王"),
            GIVEN.choose(&mut self.rng).copied().unwrap_or("伟")
        );
        self.next_phone += 1;
        (name, format!("139{:08}", self.next_phone))
    }
}

/// What the seeding made, for the service's start-up output.
#[derive(Debug, Default)]
pub struct Seeded {
    pub plans: usize,
    pub people: usize,
    pub assignments: usize,
}

pub async fn seed(pool: &PgPool) -> anyhow::Result<Seeded> {
    let actor = Actor { id: None, name: Some("demo".into()), client: None };
    let communities: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "select c.id, c.name, d.id, d.name from communities c join districts d on d.id = c.district_id
         where c.source = 'demo' order by c.id",
    )
    .fetch_all(pool)
    .await?;
    let scope: Vec<i64> = communities.iter().map(|c| c.0).collect();
    let mut seeded = Seeded::default();
    let options = GenerateOptions { seed: 1, note: Some("演示方案".into()), ..GenerateOptions::default() };
    for (community, ..) in communities.iter().skip(1) {
        let draft = plans::generate(pool, *community, &scope, &options, &actor).await?;
        plans::publish(pool, draft.plan.id, &scope, true, &actor).await?;
        seeded.plans += 1;
    }
    let mut roster = Roster { rng: ChaCha8Rng::seed_from_u64(7), next_phone: 10_000_000 };
    let mut districts: Vec<(i64, String)> = communities.iter().map(|c| (c.2, c.3.clone())).collect();
    districts.dedup();
    let mut tx = pool.begin().await?;
    for (district, district_name) in &districts {
        let organisation = |kind, name: String| NewOrganisation {
            district: *district,
            kind,
            name,
            community: None,
            estate: None,
            phone: Some("027-8765 4321".into()),
        };
        let office = organisations::create(&mut tx, &organisation(Kind::DistrictOffice, format!("{district_name}办事处")), &scope, &actor).await?;
        let works = organisations::create(&mut tx, &organisation(Kind::Department, "区市政设施管理处".into()), &scope, &actor).await?;
        let urban = organisations::create(&mut tx, &organisation(Kind::Department, "区城市管理执法局".into()), &scope, &actor).await?;
        let transport = organisations::create(&mut tx, &organisation(Kind::PartnerUnit, "区交通运输局".into()), &scope, &actor).await?;
        let school = organisations::create(&mut tx, &organisation(Kind::PartnerUnit, "光谷第一小学".into()), &scope, &actor).await?;
        // 井盖缺失 (facilities.manhole_cover) is left to nobody: routing shows the fallback.
        let handled = [(works, vec!["facilities.street_light".to_owned()]), (urban, vec!["facilities.road_damage".to_owned()])];
        for (department, categories) in handled {
            organisations::set_categories(&mut tx, department, &categories, &scope, &actor).await?;
        }
        let mut contacts = vec![office, works, urban, transport, school];
        let planned: Vec<i64> = communities.iter().skip(1).filter(|c| c.2 == *district).map(|c| c.0).collect();
        for community in communities.iter().filter(|c| c.2 == *district) {
            let committee = NewOrganisation { community: Some(community.0), ..organisation(Kind::CommunityCommittee, format!("{}居委会", community.1)) };
            let committee = organisations::create(&mut tx, &committee, &scope, &actor).await?;
            contacts.push(committee);
        }
        for organisation in contacts {
            let (name, phone) = roster.next();
            let new = NewPerson { district: *district, name, phone, organisation: Some(organisation), party_member: true };
            let contact = people::create(&mut tx, &new, &scope, &actor).await?;
            let change = OrganisationChange { contact: Some(contact), ..OrganisationChange::default() };
            organisations::update(&mut tx, organisation, &change, &scope, &actor).await?;
            seeded.people += 1;
        }
        let Some(&first) = planned.first() else { continue };
        let grids: Vec<i64> = sqlx::query_scalar("select id from grids where community_id = $1 and ended_on is null order by code")
            .bind(first)
            .fetch_all(&mut *tx)
            .await?;
        let zone = NewZone { organisation: transport, name: "交通局包保片区".into(), grids: Some(grids.iter().take(2).copied().collect()), area: None, replaces: None };
        zones::create(&mut tx, &zone, &scope, &actor).await?;
        let area: String = sqlx::query_scalar(
            "select st_asgeojson(st_intersection(st_envelope(g.boundary), c.boundary), 7)
             from grids g join communities c on c.id = g.community_id where g.id = $1",
        )
        .bind(grids.get(2).copied().context("the demo community has fewer than 3 grids")?)
        .fetch_one(&mut *tx)
        .await?;
        let area: Value = serde_json::from_str(&area)?;
        let zone = NewZone { organisation: school, name: "校园周边责任区".into(), grids: None, area: Some(area), replaces: None };
        zones::create(&mut tx, &zone, &scope, &actor).await?;
        for community in planned {
            let (people, started) = teams(&mut tx, *district, community, &scope, &actor, &mut roster).await?;
            seeded.people += people;
            seeded.assignments += started;
        }
    }
    tx.commit().await?;
    Ok(seeded)
}

/// A team for each grid of the community: a supervisor per four grids, a grid leader (but for the
/// last grid), two grid workers, a branch secretary; building leaders for four buildings in five
/// (written in bulk: there are hundreds, and one audit entry says so).
async fn teams(
    db: &mut sqlx::PgConnection,
    district: i64,
    community: i64,
    scope: &[i64],
    actor: &Actor,
    roster: &mut Roster,
) -> anyhow::Result<(usize, usize)> {
    let grids: Vec<i64> = sqlx::query_scalar("select id from grids where community_id = $1 and ended_on is null order by code")
        .bind(community)
        .fetch_all(&mut *db)
        .await?;
    let mut posts = Vec::new();
    let mut supervisor = 0;
    for (index, &grid) in grids.iter().enumerate() {
        if index % 4 == 0 {
            supervisor = hire(db, roster, district, true, scope, actor).await?;
        }
        posts.push((supervisor, TeamRole::Supervisor, grid));
        if index + 1 < grids.len() {
            posts.push((hire(db, roster, district, true, scope, actor).await?, TeamRole::GridLeader, grid));
        }
        for _ in 0..2 {
            posts.push((hire(db, roster, district, false, scope, actor).await?, TeamRole::GridWorker, grid));
        }
        posts.push((hire(db, roster, district, true, scope, actor).await?, TeamRole::BranchSecretary, grid));
    }
    let hired = grids.len().div_ceil(4) + posts.len() - grids.len();
    for &(person, role, grid) in &posts {
        let new = NewAssignment { person, role, grid: Some(grid), building: None, unit: None, replaces: None };
        assignments::create(db, &new, scope, actor).await?;
    }
    let buildings: Vec<i64> = sqlx::query_scalar(
        "select id from buildings where community_id = $1 and households > 0 order by id",
    )
    .bind(community)
    .fetch_all(&mut *db)
    .await?;
    let led: Vec<i64> = buildings.iter().enumerate().filter(|(i, _)| i % 5 != 4).map(|(_, &b)| b).collect();
    let (names, phones): (Vec<String>, Vec<String>) = led.iter().map(|_| roster.next()).unzip();
    let party: Vec<bool> = led.iter().map(|_| roster.rng.random_bool(0.3)).collect();
    sqlx::query(
        "with p as (insert into people (district_id, name, phone, party_member)
                    select $1, n, ph, pm from unnest($2::text[], $3::text[], $4::bool[]) as t(n, ph, pm)
                    returning id, phone)
         insert into assignments (person_id, role, building_id, started_by)
         select p.id, 'building_leader', b, $6 from unnest($3::text[], $5::bigint[]) as t(ph, b) join p on p.phone = t.ph",
    )
    .bind(district)
    .bind(&names)
    .bind(&phones)
    .bind(&party)
    .bind(&led)
    .bind(actor.name.as_deref().unwrap_or("demo"))
    .execute(&mut *db)
    .await?;
    let summary = json!({ "building_leaders": led.len() });
    crate::audit::record_in(&mut *db, actor, crate::audit::Event { action: "demo.building_leaders", object_type: None, object_id: None, summary }, &[community]).await?;
    Ok((hired + led.len(), posts.len() + led.len()))
}

async fn hire(
    db: &mut sqlx::PgConnection,
    roster: &mut Roster,
    district: i64,
    party_member: bool,
    scope: &[i64],
    actor: &Actor,
) -> anyhow::Result<i64> {
    let (name, phone) = roster.next();
    Ok(people::create(db, &NewPerson { district, name, phone, organisation: None, party_member }, scope, actor).await?)
}
