-- Estate boundaries of one tile as MVT; $1..$3 = z, x, y.
select st_asmvt(t, 'estates', 4096, 'geom', 'id')
from (
    select e.id, e.name, e.community_id,
           st_asmvtgeom(st_transform(e.boundary, 3857), bounds.env, 4096, 64, true) as geom
    from estates e, bounds
    where e.boundary && bounds.filter and e.community_id = any($4)
) t
where t.geom is not null
