-- Cases (案卷): findings filed as pins on the map, routed to a responsible unit, handled,
-- verified and closed (GB/T 30428's workflow), each step in an append-only event log; photos;
-- idempotency keys of submissions; the working calendar that deadlines are counted in.

-- Accounts that act for someone: a handler for an organisation, any user as a person of the
-- team (a grid leader who verifies cases in their grid).
alter table users add column organisation_id bigint references organisations (id);
alter table people add column user_id bigint references users (id);
create unique index people_user_key on people (user_id) where user_id is not null;

create sequence case_numbers;

create table cases (
    id               bigint generated always as identity primary key,
    -- 案卷号: the filing day and a running number, e.g. 20261122-000123.
    number           text not null,
    source           text not null,
    category         text not null references categories (code),
    description      text not null default '',
    -- Where, in WGS84, and as submitted (datum and raw coordinates).
    location         geometry(Point, 4326) not null,
    submitted_crs    text not null,
    submitted_lon    double precision not null,
    submitted_lat    double precision not null,
    accuracy_m       real,
    district_id      bigint not null references districts (id),
    community_id     bigint not null references communities (id),
    estate_id        bigint references estates (id),
    grid_id          bigint references grids (id),
    building_id      bigint references buildings (id),
    snapped_m        real,
    reporter_id      bigint references users (id),
    reporter_name    text,
    -- A resident's phone or e-mail, to tell them the result.
    reporter_contact text,
    organisation_id  bigint references organisations (id),
    person_id        bigint references people (id),
    tier             smallint,
    routing_reason   text,
    unhandled        boolean not null default false,
    status           text not null,
    private          boolean not null default false,
    deadline         timestamptz,
    dispatched_at    timestamptz,
    handled_at       timestamptz,
    closed_at        timestamptz,
    fed_back_at      timestamptz,
    rework_count     integer not null default 0,
    backlog_count    integer not null default 0,
    returned_count   integer not null default 0,
    duplicate_of     bigint references cases (id),
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint cases_number_key unique (number),
    constraint cases_source_check check (source in ('inspector', 'resident', 'hotline', 'open311')),
    constraint cases_status_check check (status in ('reported', 'registered', 'cancelled', 'dispatched',
        'in_progress', 'backlog', 'handled', 'verified', 'closed')),
    constraint cases_description_length check (char_length(description) <= 2000),
    constraint cases_accuracy_check check (accuracy_m >= 0)
);
create index cases_location_idx on cases using gist (location);
create index cases_community_idx on cases (community_id, status);
create index cases_organisation_idx on cases (organisation_id, status, deadline);
create index cases_reporter_idx on cases (reporter_id, created_at desc);
create index cases_created_idx on cases (created_at);
create index cases_open_deadline_idx on cases (deadline) where status in ('dispatched', 'in_progress', 'backlog');

create table case_events (
    id         bigint generated always as identity primary key,
    case_id    bigint not null references cases (id),
    at         timestamptz not null default now(),
    actor_id   bigint references users (id),
    actor_name text not null,
    action     text not null,
    from_status text,
    to_status  text not null,
    note       text,
    details    jsonb not null default '{}',
    constraint case_events_note_length check (char_length(note) <= 2000)
);
create index case_events_case_idx on case_events (case_id, id);

create function case_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'case_events is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger case_events_append_only before update or delete or truncate on case_events
    for each statement execute function case_events_append_only();

-- Photos, uploaded first and then attached to a case (and to the event that brought them).
create table photos (
    id          bigint generated always as identity primary key,
    uploader_id bigint references users (id),
    case_id     bigint references cases (id),
    event_id    bigint references case_events (id),
    -- The stored file's name under the photo directory (content hash + extension).
    stored_name text not null,
    media_type  text not null,
    width       integer not null,
    height      integer not null,
    bytes       integer not null,
    sha256      text not null,
    created_at  timestamptz not null default now()
);
create index photos_case_idx on photos (case_id);

-- A submission's Idempotency-Key: the same key and body answer the first answer again.
create table idempotency_keys (
    user_id      bigint not null references users (id),
    key          text not null,
    request_hash bytea not null,
    status       smallint,
    response     jsonb,
    created_at   timestamptz not null default now(),
    primary key (user_id, key)
);

-- Exceptions to the Monday–Friday working week: public holidays (working = false) and the
-- weekend days worked in their place (调休, working = true).
create table working_calendar (
    day     date primary key,
    working boolean not null,
    note    text
);
