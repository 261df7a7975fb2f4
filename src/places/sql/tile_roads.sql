-- Roads of one tile as MVT; $1..$3 = z, x, y. Below zoom 14 only the main classes, so that
-- low-zoom tiles of a whole city stay small.
select st_asmvt(t, 'roads', 4096, 'geom', 'id')
from (
    select r.id, r.class, r.name,
           st_asmvtgeom(st_transform(r.line, 3857), bounds.env, 4096, 64, true) as geom
    from roads r, bounds
    where r.line && bounds.filter
      and ($1 >= 14 or r.class in ('motorway', 'trunk', 'primary', 'secondary', 'tertiary'))
) t
where t.geom is not null
