-- Community boundaries of one tile as MVT, with their household tallies; $1..$3 = z, x, y.
with bounds as (
    select st_tileenvelope($1, $2, $3) as env,
           st_transform(st_tileenvelope($1, $2, $3, margin => 64.0 / 4096), 4326) as filter
)
select st_asmvt(t, 'communities', 4096, 'geom', 'id')
from (
    select c.id, c.name, c.code,
           (select coalesce(sum(households), 0)::bigint from buildings b where b.community_id = c.id) as households,
           st_asmvtgeom(st_transform(c.boundary, 3857), bounds.env, 4096, 64, true) as geom
    from communities c, bounds
    where c.boundary && bounds.filter
) t
where t.geom is not null
