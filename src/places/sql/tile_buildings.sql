-- Buildings of one tile as MVT, after tile_bounds.sql; $4 = the communities the user may see.
-- The GiST lookup is materialized first: with a large $4 a generic plan would otherwise AND it
-- with the community index and scan that index whole (100 ms a tile on the 1M-building demo).
, candidates as materialized (
    select b.id, b.name, b.kind, b.floors, b.units, b.households, b.community_id, b.footprint
    from buildings b, bounds
    where b.footprint && bounds.filter
)
select st_asmvt(t, 'buildings', 4096, 'geom', 'id')
from (
    select c.id, c.name, c.kind, c.floors, c.units, c.households,
           st_asmvtgeom(st_transform(c.footprint, 3857), bounds.env, 4096, 64, true) as geom
    from candidates c, bounds
    where c.community_id = any($4)
) t
where t.geom is not null
