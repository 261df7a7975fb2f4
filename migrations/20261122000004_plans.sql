-- Grid plans (网格方案): a community's division into grids, as drafts, the published plan and
-- archived ones; their grids and building → grid assignments; every edit with the state after it
-- (for undo/redo); the register of grid codes in force; and each building's Voronoi cell, from
-- which grid polygons are unioned so that a plan's grids tile its community.

create table plans (
    id                bigint generated always as identity primary key,
    community_id      bigint not null references communities (id),
    -- 1, 2, … per community, in order of creation.
    version           integer not null,
    status            text not null default 'draft',
    note              text,
    author_id         bigint references users (id),
    author            text not null,
    created_at        timestamptz not null default now(),
    published_at      timestamptz,
    archived_at       timestamptz,
    based_on          bigint references plans (id),
    min_households    integer not null,
    max_households    integer not null,
    target_households integer not null,
    seed              bigint,
    -- The engine's verdict when generated (every grid within bounds and connected) and why not.
    feasible          boolean not null,
    explanation       text,
    -- Households whose grid differs from the plan in force when this one was generated.
    moved_households  integer not null default 0,
    -- The edit whose state the plan is in (0: as created); later edits can be redone.
    edit_seq          integer not null default 0,
    constraint plans_version_key unique (community_id, version),
    constraint plans_status_check check (status in ('draft', 'published', 'archived')),
    constraint plans_bounds_check check (0 < min_households and min_households <= target_households
        and target_households <= max_households)
);
-- Exactly one plan in force per community.
create unique index plans_published_key on plans (community_id) where status = 'published';
create index plans_community_idx on plans (community_id, version desc);

create table plan_grids (
    plan_id       bigint not null references plans (id) on delete cascade,
    -- 1, 2, … within the plan; the name and the code are what people read.
    number        integer not null,
    code          text not null,
    name          text not null,
    locked        boolean not null default false,
    households    integer not null default 0,
    buildings     integer not null default 0,
    parcels       integer not null default 0,
    connected     boolean not null default true,
    polsby_popper double precision not null default 0,
    status        text not null default 'within',
    boundary      geometry(MultiPolygon, 4326),
    primary key (plan_id, number),
    constraint plan_grids_code_key unique (plan_id, code),
    constraint plan_grids_number_positive check (number > 0),
    constraint plan_grids_code_format check (code ~ '^[0-9]{15}$'),
    constraint plan_grids_name_not_blank check (btrim(name) <> ''),
    constraint plan_grids_status_check check (status in ('under', 'within', 'over'))
);
create index plan_grids_boundary_idx on plan_grids using gist (boundary);

-- A building, or a part of a tower split by its units (first..last) or into `last` equal
-- virtual parts (part `first`), in a grid of the plan (null: left out, no households near it).
create table plan_parcels (
    plan_id     bigint not null references plans (id) on delete cascade,
    building_id bigint not null references buildings (id),
    part        text not null,
    first       integer not null default 0,
    last        integer not null default 0,
    households  integer not null,
    grid        integer,
    primary key (plan_id, building_id, first),
    constraint plan_parcels_grid_fkey foreign key (plan_id, grid) references plan_grids (plan_id, number)
        deferrable initially deferred,
    constraint plan_parcels_part_check check (part in ('whole', 'units', 'virtual')),
    constraint plan_parcels_households_nonnegative check (households >= 0)
);
create index plan_parcels_building_idx on plan_parcels (building_id);

create table plan_edits (
    plan_id  bigint not null references plans (id) on delete cascade,
    seq      integer not null,
    op       jsonb not null,
    -- Grids and parcels after the edit, to undo to and redo from.
    state    jsonb not null,
    actor_id bigint references users (id),
    actor    text not null,
    at       timestamptz not null default now(),
    primary key (plan_id, seq)
);

-- Grid codes ever published: when each came into force and when it ended.
create table grids (
    id           bigint generated always as identity primary key,
    community_id bigint not null references communities (id),
    code         text not null,
    name         text not null,
    started_on   date not null,
    ended_on     date,
    -- The published plan that last held it.
    plan_id      bigint not null references plans (id),
    boundary     geometry(MultiPolygon, 4326),
    constraint grids_code_key unique (code),
    constraint grids_code_format check (code ~ '^[0-9]{15}$')
);
create index grids_community_idx on grids (community_id);
create index grids_boundary_idx on grids using gist (boundary);

-- Each building's share of its community (Voronoi cells of points along its footprint, clipped to
-- the boundary), recomputed when the community's buildings or boundary change (`signature`).
create table building_cells (
    building_id  bigint primary key references buildings (id) on delete cascade,
    community_id bigint not null references communities (id),
    cell         geometry(MultiPolygon, 4326) not null
);
create index building_cells_community_idx on building_cells (community_id);

create table community_cells (
    community_id bigint primary key references communities (id),
    signature    text not null,
    computed_at  timestamptz not null default now()
);

-- Generating plans for many communities (a city) in the background, with its progress.
create table plan_jobs (
    id           bigint generated always as identity primary key,
    requested_by bigint references users (id),
    requester    text not null,
    communities  bigint[] not null,
    options      jsonb not null,
    status       text not null default 'running',
    done         integer not null default 0,
    plans        bigint[] not null default '{}',
    errors       jsonb not null default '[]',
    created_at   timestamptz not null default now(),
    finished_at  timestamptz,
    constraint plan_jobs_status_check check (status in ('running', 'done', 'interrupted'))
);
