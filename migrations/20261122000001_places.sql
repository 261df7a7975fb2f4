-- The spatial hierarchy: sub-districts (街道) → communities (社区) → estates (小区) → buildings (楼栋)
-- → units (单元), plus roads. All geometry in WGS84 (EPSG:4326) with GiST indexes. Every imported
-- row carries (source, source_id) so that re-importing the same file upserts instead of duplicating.

create extension if not exists postgis;

create table districts (
    id        bigint generated always as identity primary key,
    name      text not null,
    -- 6-digit county-level division code + 3-digit sub-district number (as in DB11/T 2157 grid codes).
    code      text,
    source    text not null,
    source_id text not null,
    constraint districts_source_key unique (source, source_id),
    constraint districts_name_not_blank check (btrim(name) <> ''),
    constraint districts_code_format check (code ~ '^[0-9]{9}$')
);

create table communities (
    id          bigint generated always as identity primary key,
    district_id bigint not null references districts (id),
    name        text not null,
    -- 3-digit community number within its sub-district.
    code        text,
    boundary    geometry(MultiPolygon, 4326) not null,
    source      text not null,
    source_id   text not null,
    constraint communities_source_key unique (source, source_id),
    constraint communities_name_key unique (district_id, name),
    constraint communities_name_not_blank check (btrim(name) <> ''),
    constraint communities_code_format check (code ~ '^[0-9]{3}$'),
    constraint communities_boundary_valid check (st_isvalid(boundary) and not st_isempty(boundary))
);
create index communities_boundary_idx on communities using gist (boundary);

create table estates (
    id           bigint generated always as identity primary key,
    community_id bigint not null references communities (id),
    name         text,
    boundary     geometry(MultiPolygon, 4326) not null,
    source       text not null,
    source_id    text not null,
    constraint estates_source_key unique (source, source_id),
    -- Target of buildings' (estate_id, community_id) key: a building's estate is in its community.
    constraint estates_id_community_key unique (id, community_id),
    constraint estates_boundary_valid check (st_isvalid(boundary) and not st_isempty(boundary))
);
create index estates_boundary_idx on estates using gist (boundary);
create index estates_community_idx on estates (community_id);

create table buildings (
    id           bigint generated always as identity primary key,
    -- One column, not a link table: a building cannot be in two communities.
    community_id bigint not null references communities (id),
    estate_id    bigint,
    name         text,
    kind         text not null,
    floors       integer,
    -- Number of units (单元) when known; their rows are in `units`.
    units        integer,
    households   integer not null,
    address      text,
    footprint    geometry(MultiPolygon, 4326) not null,
    source       text not null,
    source_id    text not null,
    constraint buildings_source_key unique (source, source_id),
    constraint buildings_estate_in_community_fkey foreign key (estate_id, community_id)
        references estates (id, community_id),
    constraint buildings_households_nonnegative check (households >= 0),
    constraint buildings_floors_range check (floors between 0 and 300),
    constraint buildings_units_nonnegative check (units >= 0),
    constraint buildings_footprint_valid check (st_isvalid(footprint) and not st_isempty(footprint))
);
create index buildings_footprint_idx on buildings using gist (footprint);
create index buildings_community_idx on buildings (community_id);
create index buildings_estate_idx on buildings (estate_id);

create table units (
    building_id bigint not null references buildings (id) on delete cascade,
    number      integer not null,
    households  integer not null,
    primary key (building_id, number),
    constraint units_number_positive check (number > 0),
    constraint units_households_nonnegative check (households >= 0)
);

create table roads (
    id        bigint generated always as identity primary key,
    class     text not null,
    name      text,
    line      geometry(MultiLineString, 4326) not null,
    source    text not null,
    source_id text not null,
    constraint roads_source_key unique (source, source_id)
);
create index roads_line_idx on roads using gist (line);
