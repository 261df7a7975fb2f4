-- A dead spot clears on a date, not when some later filing happens to recompute its community:
-- `clears_at` (the last case + the clean period) is stored with it, and readers compare it with
-- the time they ask about. That lets a filing refresh only the places it touches.
alter table dead_spots rename column cleared_at to clears_at;
update dead_spots set clears_at = last_seen + interval '30 days';
alter table dead_spots alter column clears_at set not null;
-- A refresh replaces the dead spots whose cases it gathered.
create index dead_spots_cases_idx on dead_spots using gin (cases);
