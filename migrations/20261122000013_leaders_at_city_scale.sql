-- The leaders' answers at city scale (docs/LEADERS.md "Figures"): at 10 million cases the
-- heatmap spent 30 µs a case in a hexagon function PostgreSQL could not inline, and the
-- indicators read a sub-district's cases from the table, scattered over it.

-- The hexagon (pointy-top, axial coordinates q and r) holding the point of fractional axial
-- coordinates (qf, rf): the nearest centre, by cube rounding. One expression without FROM, so
-- that PostgreSQL inlines it into the query instead of calling a function per case.
drop function hex_axial(double precision, double precision, double precision);
create function hex_round(qf double precision, rf double precision) returns integer[]
language sql immutable parallel safe as $$
    select case when abs(round(qf) - qf) > abs(round(rf) - rf) and abs(round(qf) - qf) > abs(round(-qf - rf) + qf + rf)
                then array[(-round(rf) - round(-qf - rf))::integer, round(rf)::integer]
                when abs(round(rf) - rf) > abs(round(-qf - rf) + qf + rf)
                then array[round(qf)::integer, (-round(qf) - round(-qf - rf))::integer]
                else array[round(qf)::integer, round(rf)::integer] end
$$;

-- The cases due in a period, with everything the indicators count of them, so that a
-- sub-district's or a community's indicators are two index ranges (filed by filing time, due by
-- deadline) and never touch the table.
create index cases_district_deadline_idx on cases (district_id, deadline)
    include (community_id, grid_id, organisation_id, status, dispatched_at, handled_at, closed_at, rework_count, backlog_count)
    where status <> 'cancelled';
