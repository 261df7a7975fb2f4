-- The leaders' map (docs/LEADERS.md): where cases concentrate, counted on the server.
--
-- No per-day counts table: the heatmap and the choropleth are one aggregate over the area's cases
-- of the period, read from an index that holds everything they need (sub-district, filing time,
-- then the columns filtered and binned on), so they never touch the table's rows. A counts table
-- kept in the filing and closing transactions would have to follow every status change and
-- every filter (category × status × day × cell) and be rebuilt when the hexagon size changes;
-- the index follows the cases by itself.
-- It also serves Open311's feed of a sub-district's newest cases (read backwards), so it takes the
-- place of that feed's plain index.
drop index cases_district_created_idx;
create index cases_district_created_idx on cases (district_id, created_at)
    include (community_id, grid_id, category, status, private, location);

-- The hexagon (pointy-top, axial coordinates q and r) of size `size` — centre to corner, in the
-- units of x and y — that holds the point: the nearest hexagon centre, by cube rounding.
create function hex_axial(x double precision, y double precision, size double precision) returns integer[]
language sql immutable strict parallel safe as $$
    select case when dq > dr and dq > ds then array[(-rr - rs)::integer, rr::integer]
                when dr > ds then array[rq::integer, (-rq - rs)::integer]
                else array[rq::integer, rr::integer] end
    from (select rq, rr, rs, abs(rq - qf) as dq, abs(rr - rf) as dr, abs(rs - (-qf - rf)) as ds
          from (select qf, rf, round(qf) as rq, round(rf) as rr, round(-qf - rf) as rs
                from (select (sqrt(3.0) / 3.0 * x - y / 3.0) / size as qf, (2.0 / 3.0 * y) / size as rf) a) b) c
$$;

-- Where a private case (邻里纠纷, 家庭矛盾) is shown to those outside its grid's team: its grid's
-- point, else its community's.
create function coarse_point(grid bigint, community bigint) returns geometry
language sql stable parallel safe as $$
    select coalesce((select st_pointonsurface(boundary) from grids where id = grid),
                    (select st_pointonsurface(boundary) from communities where id = community))
$$;
