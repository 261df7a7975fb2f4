-- Open311 GeoReport v2 (docs/CASES.md): the API keys residents' reporting apps file with. A key
-- belongs to a sub-district: it files into that sub-district's communities only. Only the key's
-- SHA-256 is stored; the key itself is printed once when it is made.
create table open311_keys (
    id          bigint generated always as identity primary key,
    name        text not null,
    district_id bigint not null references districts (id),
    key_hash    bytea not null,
    created_at  timestamptz not null default now(),
    revoked_at  timestamptz,
    constraint open311_keys_name_key unique (name),
    constraint open311_keys_hash_key unique (key_hash),
    constraint open311_keys_name_not_blank check (btrim(name) <> '' and char_length(name) <= 80)
);

-- An Idempotency-Key lives in its sender's key space: a signed-in user's or an Open311 key's
-- (which is no account: it signs in nowhere and sees no page).
alter table idempotency_keys drop constraint idempotency_keys_pkey;
alter table idempotency_keys alter column user_id drop not null;
alter table idempotency_keys add column open311_key_id bigint references open311_keys (id);
alter table idempotency_keys add constraint idempotency_keys_one_owner check (num_nonnulls(user_id, open311_key_id) = 1);
alter table idempotency_keys add constraint idempotency_keys_user_key unique (user_id, key);
alter table idempotency_keys add constraint idempotency_keys_open311_key unique (open311_key_id, key);

-- The public feed lists a sub-district's newest cases.
create index cases_district_created_idx on cases (district_id, created_at desc);
