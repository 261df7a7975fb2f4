-- Hygiene dead spots (卫生死角): places of repeated sanitation findings, recomputed per community
-- from its cases (see src/cases/dead_spots.rs for the rule), keyed by their first case. Patrols
-- (巡查): the buildings a grid worker checked, by GPS track or by ticking them.

create table dead_spots (
    id           bigint primary key references cases (id),
    community_id bigint not null references communities (id),
    location     geometry(Point, 4326) not null,
    cases        bigint[] not null,
    first_seen   timestamptz not null,
    last_seen    timestamptz not null,
    cleared_at   timestamptz
);
create index dead_spots_community_idx on dead_spots (community_id);
create index dead_spots_location_idx on dead_spots using gist (location);

create table patrols (
    id           bigint generated always as identity primary key,
    user_id      bigint not null references users (id),
    community_id bigint not null references communities (id),
    started_at   timestamptz not null,
    ended_at     timestamptz not null,
    track        geometry(LineString, 4326),
    note         text,
    created_at   timestamptz not null default now(),
    constraint patrols_period_check check (ended_at >= started_at),
    constraint patrols_note_length check (char_length(note) <= 500)
);
create index patrols_community_idx on patrols (community_id, started_at);

create table patrol_buildings (
    patrol_id   bigint not null references patrols (id),
    building_id bigint not null references buildings (id),
    -- 'track': passed within reach of the GPS track; 'ticked': ticked by hand.
    how         text not null,
    primary key (patrol_id, building_id),
    constraint patrol_buildings_how_check check (how in ('track', 'ticked'))
);
create index patrol_buildings_building_idx on patrol_buildings (building_id);
