-- Accounts, their areas, sessions, and the append-only audit log.

create table users (
    id                  bigint generated always as identity primary key,
    username            text not null,
    role                text not null,
    -- PHC string (argon2id); never a plain password.
    password_hash       text not null,
    failed_logins       integer not null default 0,
    locked_until        timestamptz,
    disabled            boolean not null default false,
    created_at          timestamptz not null default now(),
    password_changed_at timestamptz not null default now(),
    constraint users_username_format check (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
    constraint users_role_known check (role in ('admin', 'planner', 'leader', 'inspector', 'handler')),
    constraint users_failed_logins_nonnegative check (failed_logins >= 0)
);
create unique index users_username_key on users (lower(username));

-- Where a user may act: whole sub-districts or single communities (grids and organisations join
-- when those exist). A user with no area row sees nothing.
create table user_areas (
    user_id      bigint not null references users (id) on delete cascade,
    district_id  bigint references districts (id),
    community_id bigint references communities (id),
    constraint user_areas_one_place check ((district_id is null) <> (community_id is null))
);
create unique index user_areas_district_key on user_areas (user_id, district_id) where district_id is not null;
create unique index user_areas_community_key on user_areas (user_id, community_id) where community_id is not null;

create table sessions (
    -- SHA-256 of the token: a stolen table does not yield usable tokens.
    token_hash   bytea primary key,
    user_id      bigint not null references users (id) on delete cascade,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    last_seen_at timestamptz not null default now(),
    client       inet
);
create index sessions_user_idx on sessions (user_id);

create table audit_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null default now(),
    actor_id    bigint references users (id),
    actor_name  text,
    action      text not null,
    object_type text,
    object_id   text,
    -- before/after summary of a change, or the details of a security event.
    summary     jsonb not null default '{}',
    client      inet
);
create index audit_log_at_idx on audit_log (at desc);
create index audit_log_actor_idx on audit_log (actor_id, at desc);
create index audit_log_action_idx on audit_log (action, at desc);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'audit_log is append-only: % refused', tg_op using errcode = 'insufficient_privilege';
end $$;
create trigger audit_log_append_only before update or delete or truncate on audit_log
    for each statement execute function audit_log_append_only();
