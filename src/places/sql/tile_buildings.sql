-- Buildings of one tile as MVT, after tile_bounds.sql; $4 = the communities the user may see. Footprints are matched in 4326 (GiST
-- index) against the margin-widened tile, then projected for ST_AsMVTGeom.
select st_asmvt(t, 'buildings', 4096, 'geom', 'id')
from (
    select b.id, b.name, b.kind, b.floors, b.units, b.households,
           st_asmvtgeom(st_transform(b.footprint, 3857), bounds.env, 4096, 64, true) as geom
    from buildings b, bounds
    where b.footprint && bounds.filter and b.community_id = any($4)
) t
where t.geom is not null
