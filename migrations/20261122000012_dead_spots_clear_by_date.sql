-- A dead spot clears on a date, not when some later filing happens to recompute its community:
-- `clears_at` (the last case + the clean period) is stored with it, and readers compare it with
-- the time they ask about. That lets a filing refresh only the places it touches.
alter table dead_spots rename column cleared_at to clears_at;
update dead_spots set clears_at = last_seen + interval '30 days';
alter table dead_spots alter column clears_at set not null;
-- A refresh replaces the dead spots whose cases it gathered.
create index dead_spots_cases_idx on dead_spots using gin (cases);
-- The refresh gathers linked findings a box at a time; this index answers each box with the
-- sanitation cases there only (the plain location index would bring every other category).
create index cases_sanitation_location_idx on cases using gist (location)
    where category like 'sanitation.%' and status <> 'cancelled';
-- A sanitation case filed or cancelled waits here for its dead spots' refresh, which runs right
-- after the filing commits (src/cases/dead_spots.rs): filings never wait for one another, and one
-- refresh takes in every case of the community filed meanwhile.
alter table cases add column dead_spot_pending boolean not null default false;
create index cases_dead_spot_pending_idx on cases (community_id) where dead_spot_pending;

-- A case's number (案卷号): the filing day in China time and the running number, six digits at
-- least and more past a million (lpad alone would cut them to six). One definition for filings
-- and for the bulk history.
create function next_case_number(filed timestamptz) returns text
language sql volatile as $$
    select to_char(filed at time zone 'Asia/Shanghai', 'YYYYMMDD') || '-' || lpad(n, greatest(6, length(n)), '0')
    from (select nextval('case_numbers')::text as n) s
$$;
