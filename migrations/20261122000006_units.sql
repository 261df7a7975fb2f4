-- Responsible units (责任主体): the organisations and people of a sub-district, their assignments
-- to grids and buildings (the four-level team and the party organisation beside it), the
-- co-building units' responsibility zones, the departments' categories, and the routing rules
-- (category → tier and deadline). Assignments, zones and handled categories are never rewritten:
-- a change ends the current row (valid_to) and starts a new one, so the history stays.

create table organisations (
    id           bigint generated always as identity primary key,
    district_id  bigint not null references districts (id),
    kind         text not null,
    name         text not null,
    -- The community of a community committee, the estate of an estate's management.
    community_id bigint references communities (id),
    estate_id    bigint references estates (id),
    phone        text,
    created_at   timestamptz not null default now(),
    constraint organisations_id_district_key unique (id, district_id),
    constraint organisations_name_key unique (district_id, name),
    constraint organisations_kind_check
        check (kind in ('community_committee', 'estate', 'district_office', 'partner_unit', 'department')),
    constraint organisations_name_not_blank check (btrim(name) <> '' and char_length(name) <= 80),
    constraint organisations_place_check check (
        (kind = 'community_committee') = (community_id is not null)
        and (kind = 'estate') = (estate_id is not null)),
    constraint organisations_phone_format check (phone ~ '^[0-9+() -]{5,20}$')
);
create unique index organisations_one_office on organisations (district_id) where kind = 'district_office';
create unique index organisations_one_committee on organisations (community_id) where kind = 'community_committee';
create unique index organisations_one_estate on organisations (estate_id) where kind = 'estate';

create table people (
    id              bigint generated always as identity primary key,
    district_id     bigint not null references districts (id),
    name            text not null,
    -- A Chinese mobile number: 11 digits starting 13–19.
    phone           text not null,
    organisation_id bigint,
    party_member    boolean not null default false,
    created_at      timestamptz not null default now(),
    constraint people_phone_key unique (district_id, phone),
    constraint people_organisation_fkey foreign key (organisation_id, district_id)
        references organisations (id, district_id),
    constraint people_name_not_blank check (btrim(name) <> '' and char_length(name) <= 40),
    constraint people_phone_format check (phone ~ '^1[3-9][0-9]{9}$')
);

-- An organisation's contact, to whom its cases go.
alter table organisations add column contact_id bigint references people (id);

create table assignments (
    id          bigint generated always as identity primary key,
    person_id   bigint not null references people (id),
    role        text not null,
    grid_id     bigint references grids (id),
    building_id bigint references buildings (id),
    -- 单元长: the leader of one unit (stairwell); null: of the whole building.
    unit        integer,
    valid_from  timestamptz not null default now(),
    valid_to    timestamptz,
    started_by  text not null,
    ended_by    text,
    end_reason  text,
    constraint assignments_role_check check (role in (
        'supervisor', 'grid_leader', 'grid_worker', 'branch_secretary',
        'building_leader', 'party_group_leader')),
    constraint assignments_place_check check (
        case when role in ('building_leader', 'party_group_leader')
             then building_id is not null and grid_id is null
             else grid_id is not null and building_id is null and unit is null end),
    constraint assignments_unit_positive check (unit > 0),
    constraint assignments_period_check check (valid_to >= valid_from)
);
-- One grid leader and one party branch secretary per grid; one leader per building or unit.
create unique index assignments_one_per_grid on assignments (role, grid_id)
    where valid_to is null and role in ('grid_leader', 'branch_secretary');
create unique index assignments_one_per_building on assignments (role, building_id, coalesce(unit, 0))
    where valid_to is null and role in ('building_leader', 'party_group_leader');
create unique index assignments_no_repeat on assignments (person_id, role, coalesce(grid_id, 0), coalesce(building_id, 0), coalesce(unit, 0))
    where valid_to is null;
create index assignments_grid_idx on assignments (grid_id) where grid_id is not null;
create index assignments_building_idx on assignments (building_id) where building_id is not null;
create index assignments_person_idx on assignments (person_id);

-- A responsibility zone (责任区) adopted by a co-building unit: a drawn polygon, or a set of grids
-- (zone_grids) that follows those grids as plans are re-published.
create table zones (
    id              bigint generated always as identity primary key,
    organisation_id bigint not null references organisations (id),
    name            text not null,
    area            geometry(MultiPolygon, 4326),
    valid_from      timestamptz not null default now(),
    valid_to        timestamptz,
    started_by      text not null,
    ended_by        text,
    constraint zones_name_not_blank check (btrim(name) <> '' and char_length(name) <= 80),
    constraint zones_area_valid check (st_isvalid(area) and not st_isempty(area)),
    constraint zones_period_check check (valid_to >= valid_from)
);
create index zones_area_idx on zones using gist (area);
create index zones_organisation_idx on zones (organisation_id);

create table zone_grids (
    zone_id bigint not null references zones (id),
    grid_id bigint not null references grids (id),
    primary key (zone_id, grid_id)
);
create index zone_grids_grid_idx on zone_grids (grid_id);

-- Categories of findings and how they are routed: the tier (1 community/estate, 2 sub-district,
-- 3 co-building unit, 4 department) and the deadline. Groups (no parent) only gather them.
create table categories (
    code            text primary key,
    parent          text references categories (code),
    name            text not null,
    name_en         text not null,
    tier            smallint,
    deadline_unit   text,
    deadline_amount integer,
    -- Disputes: shown at exact location only to the grid's team and above.
    private         boolean not null default false,
    position        integer not null,
    constraint categories_code_format check (code ~ '^[a-z_]+(\.[a-z_]+)?$'),
    constraint categories_leaf_check check ((parent is null) = (tier is null) and (tier is null) = (deadline_unit is null)),
    constraint categories_tier_range check (tier between 1 and 4),
    constraint categories_deadline_check check (
        deadline_unit = 'same_day' and deadline_amount is null
        or deadline_unit in ('working_hours', 'working_days') and deadline_amount between 1 and 365)
);

-- The categories a department handles (tier 4 routing), one department per category and district.
create table category_handlers (
    id              bigint generated always as identity primary key,
    organisation_id bigint not null,
    district_id     bigint not null,
    category        text not null references categories (code),
    valid_from      timestamptz not null default now(),
    valid_to        timestamptz,
    started_by      text not null,
    ended_by        text,
    constraint category_handlers_organisation_fkey foreign key (organisation_id, district_id)
        references organisations (id, district_id),
    constraint category_handlers_period_check check (valid_to >= valid_from)
);
create unique index category_handlers_one_per_district on category_handlers (district_id, category)
    where valid_to is null;

-- History is kept: a row may only be ended (valid_to, ended_by and the reason set once).
create function units_end_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' then
        raise exception '% rows are kept: end them instead', tg_table_name using errcode = 'insufficient_privilege';
    end if;
    if old.valid_to is not null
       or (to_jsonb(new) - array['valid_to', 'ended_by', 'end_reason'])
          is distinct from (to_jsonb(old) - array['valid_to', 'ended_by', 'end_reason']) then
        raise exception 'a % row may only be ended once', tg_table_name using errcode = 'insufficient_privilege';
    end if;
    return new;
end $$;
create trigger assignments_end_only before update or delete on assignments
    for each row execute function units_end_only();
create trigger zones_end_only before update or delete on zones
    for each row execute function units_end_only();
create trigger category_handlers_end_only before update or delete on category_handlers
    for each row execute function units_end_only();

insert into categories (code, parent, name, name_en, tier, deadline_unit, deadline_amount, private, position) values
    ('sanitation', null, '环境卫生', 'sanitation', null, null, null, false, 10),
    ('sanitation.dead_spot', 'sanitation', '卫生死角', 'hygiene dead spot', 1, 'same_day', null, false, 11),
    ('sanitation.exposed_garbage', 'sanitation', '暴露垃圾', 'exposed garbage', 1, 'same_day', null, false, 12),
    ('sanitation.clutter', 'sanitation', '乱堆乱放', 'clutter / illegal stacking', 3, 'working_days', 3, false, 13),
    ('sanitation.corridor_clutter', 'sanitation', '楼道堆物', 'corridor clutter', 1, 'same_day', null, false, 14),
    ('sanitation.vegetable_plots', 'sanitation', '毁绿种菜', 'vegetables planted on green space', 1, 'working_days', 3, false, 15),
    ('sanitation.flyers', 'sanitation', '小广告', 'illegal flyers', 1, 'same_day', null, false, 16),
    ('sanitation.blocked_drain', 'sanitation', '下水道堵塞', 'blocked drain', 2, 'working_hours', 8, false, 17),
    ('facilities', null, '设施', 'facilities', null, null, null, false, 20),
    ('facilities.street_light', 'facilities', '路灯损坏', 'broken street light', 4, 'working_days', 3, false, 21),
    ('facilities.road_damage', 'facilities', '路面破损', 'damaged road', 4, 'working_days', 5, false, 22),
    ('facilities.manhole_cover', 'facilities', '井盖缺失', 'missing manhole cover', 4, 'working_hours', 4, false, 23),
    ('safety', null, '安全隐患', 'safety hazards', null, null, null, false, 30),
    ('safety.fire_lane', 'safety', '消防通道堵塞', 'blocked fire lane', 1, 'working_hours', 4, false, 31),
    ('safety.ebike_charging', 'safety', '电动车违规充电', 'e-bike charging indoors', 1, 'same_day', null, false, 32),
    ('order', null, '秩序', 'order', null, null, null, false, 40),
    ('order.illegal_construction', 'order', '违章搭建', 'illegal construction', 2, 'working_days', 10, false, 41),
    ('order.street_stalls', 'order', '占道经营', 'street stalls', 2, 'working_days', 1, false, 42),
    ('order.noise', 'order', '噪音扰民', 'noise', 1, 'same_day', null, false, 43),
    ('property', null, '物业服务', 'property-management service', null, null, null, false, 50),
    ('property.service', 'property', '物业服务', 'property-management service', 1, 'working_days', 3, false, 51),
    ('disputes', null, '矛盾纠纷', 'disputes', null, null, null, true, 60),
    ('disputes.neighbour', 'disputes', '邻里纠纷', 'neighbour disputes', 1, 'same_day', null, true, 61),
    ('disputes.family', 'disputes', '家庭矛盾', 'family conflicts', 1, 'same_day', null, true, 62);
