-- Community boundaries of one tile as MVT, with their household tallies; $1..$3 = z, x, y.
select st_asmvt(t, 'communities', 4096, 'geom', 'id')
from (
    select c.id, c.name, c.code,
           (select coalesce(sum(households), 0)::bigint from buildings b where b.community_id = c.id) as households,
           st_asmvtgeom(st_transform(c.boundary, 3857), bounds.env, 4096, 64, true) as geom
    from communities c, bounds
    where c.boundary && bounds.filter and c.id = any($4)
) t
where t.geom is not null
