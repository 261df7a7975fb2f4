-- Daily tallies of each community's cases and its households, so that the indicators of a
-- community, a sub-district or the whole city add up tally rows (a few hundred thousand for a
-- city month) instead of reading millions of cases (docs/LEADERS.md "Tallies").

-- The China date (UTC+8 all year) of an instant, as `store::day_start` counts days.
create function china_day(t timestamptz) returns date
language sql immutable parallel safe as $$ select ((t at time zone 'UTC') + interval '8 hours')::date $$;

-- What a community's cases add up to, per day. A row counts:
--   filed, cancelled: the cases filed on `day` (the cancelled ones apart), with closed_day 'infinity';
--   due and the rest: the cases not cancelled whose deadline falls on `day` and that were closed
--   on closed_day ('infinity' while open). A case closed before its deadline's day counts as
--   closed on that day: for a period ending after its deadline day, only "closed by the end"
--   matters, and that end is after `day`.
-- So for the days [s, e): due = Σ due over day in [s, e); closed = the same with closed_day < e;
-- open overdue = with closed_day >= e (docs/LEADERS.md gives the whole derivation).
create table case_tallies (
    community_id    bigint not null references communities (id),
    day             date not null,
    closed_day      date not null,
    filed           bigint not null,
    cancelled       bigint not null,
    due             bigint not null,
    -- Due cases whose last report back came by the deadline (counted once closed).
    closed_on_time  bigint not null,
    reworked        bigint not null,
    backlogged      bigint not null,
    -- Microseconds from dispatch to close: whole numbers add and subtract exactly.
    micros_to_close bigint not null,
    primary key (community_id, day, closed_day)
);

-- What statements on `cases` changed in the tallies and the service has not folded into
-- case_tallies yet (it does every few seconds). Plain inserts, never an update of a shared row,
-- so that filings in one community on one day do not wait on each other; readers add both tables.
create table case_tally_changes (like case_tallies);
create index case_tally_changes_day_idx on case_tally_changes (community_id, day);

-- Each community's households and household buildings (what rates per 1,000 households and
-- patrol coverage divide by), kept by a trigger on buildings.
create table community_households (
    community_id bigint primary key references communities (id),
    households   bigint not null,
    buildings    bigint not null
);

-- A case's shares of the tallies, times `sign` (+1 to add the case, -1 to take it away): its
-- filing and, when not cancelled and given a deadline, its due.
create function case_tally_shares(sign integer, c cases) returns table (
    community_id bigint, day date, closed_day date, filed integer, cancelled integer, due integer,
    closed_on_time integer, reworked integer, backlogged integer, micros_to_close bigint
)
language sql immutable parallel safe as $$
    select c.community_id,
           case when filing then china_day(c.created_at) else china_day(c.deadline) end,
           case when filing or c.closed_at is null then 'infinity'::date
                else greatest(china_day(c.closed_at), china_day(c.deadline)) end,
           sign * (filing and c.status <> 'cancelled')::int, sign * (filing and c.status = 'cancelled')::int,
           sign * (not filing)::int,
           sign * (not filing and c.closed_at is not null and coalesce(c.handled_at <= c.deadline, false))::int,
           sign * (not filing and c.rework_count > 0)::int, sign * (not filing and c.backlog_count > 0)::int,
           sign * case when filing then 0 else coalesce((extract(epoch from c.closed_at - c.dispatched_at) * 1000000)::bigint, 0) end
    from (values (true), (false)) share (filing)
    where filing or (c.status <> 'cancelled' and c.deadline is not null)
$$;

-- Inserts and deletes (a bulk load writes 200,000 cases a statement) by statement, updates by
-- row and only when a counted column changed: a case's steps through the workflow mostly do not.
create function cases_tally_statement() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into case_tally_changes select s.* from new_rows n cross join lateral case_tally_shares(1, n) s;
    else
        insert into case_tally_changes select s.* from old_rows o cross join lateral case_tally_shares(-1, o) s;
    end if;
    return null;
end $$;

create function cases_tally_row() returns trigger language plpgsql as $$
begin
    insert into case_tally_changes
    select * from case_tally_shares(-1, old) union all select * from case_tally_shares(1, new);
    return null;
end $$;

create trigger cases_tally_insert after insert on cases referencing new table as new_rows
    for each statement execute function cases_tally_statement();
create trigger cases_tally_delete after delete on cases referencing old table as old_rows
    for each statement execute function cases_tally_statement();
create trigger cases_tally_update after update on cases for each row
    when (old.community_id <> new.community_id or old.created_at <> new.created_at
          or (old.status = 'cancelled') <> (new.status = 'cancelled')
          or old.deadline is distinct from new.deadline or old.closed_at is distinct from new.closed_at
          or old.handled_at is distinct from new.handled_at or old.dispatched_at is distinct from new.dispatched_at
          or (old.rework_count > 0) <> (new.rework_count > 0) or (old.backlog_count > 0) <> (new.backlog_count > 0))
    execute function cases_tally_row();

-- The same for buildings, into each community's households.
create function buildings_tally_statement() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' then
        insert into community_households
        select community_id, sum(households), count(*) filter (where households > 0) from new_rows group by 1
        on conflict (community_id) do update set households = community_households.households + excluded.households,
                                                 buildings = community_households.buildings + excluded.buildings;
    else
        update community_households h set households = h.households - o.households, buildings = h.buildings - o.buildings
        from (select community_id, sum(households) as households, count(*) filter (where households > 0) as buildings
              from old_rows group by 1) o
        where h.community_id = o.community_id;
    end if;
    return null;
end $$;

create function buildings_tally_row() returns trigger language plpgsql as $$
begin
    update community_households set households = households - old.households, buildings = buildings - (old.households > 0)::int
    where community_id = old.community_id;
    insert into community_households values (new.community_id, new.households, (new.households > 0)::int)
    on conflict (community_id) do update set households = community_households.households + excluded.households,
                                             buildings = community_households.buildings + excluded.buildings;
    return null;
end $$;

create trigger buildings_tally_insert after insert on buildings referencing new table as new_rows
    for each statement execute function buildings_tally_statement();
create trigger buildings_tally_delete after delete on buildings referencing old table as old_rows
    for each statement execute function buildings_tally_statement();
create trigger buildings_tally_update after update on buildings for each row
    when (old.community_id <> new.community_id or old.households <> new.households)
    execute function buildings_tally_row();

-- What is stored already.
insert into case_tallies
select s.community_id, s.day, s.closed_day, sum(s.filed), sum(s.cancelled), sum(s.due), sum(s.closed_on_time),
       sum(s.reworked), sum(s.backlogged), sum(s.micros_to_close)
from cases c cross join lateral case_tally_shares(1, c) s
group by 1, 2, 3;

insert into community_households
select community_id, sum(households), count(*) filter (where households > 0) from buildings group by 1;
