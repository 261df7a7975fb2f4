-- Buildings of one tile as MVT; $1..$3 = z, x, y. Footprints are matched in 4326 (GiST index)
-- against the tile envelope with a 64/4096 margin, then projected for ST_AsMVTGeom.
with bounds as (
    select st_tileenvelope($1, $2, $3) as env,
           st_transform(st_tileenvelope($1, $2, $3, margin => 64.0 / 4096), 4326) as filter
)
select st_asmvt(t, 'buildings', 4096, 'geom', 'id')
from (
    select b.id, b.name, b.kind, b.floors, b.units, b.households,
           st_asmvtgeom(st_transform(b.footprint, 3857), bounds.env, 4096, 64, true) as geom
    from buildings b, bounds
    where b.footprint && bounds.filter
) t
where t.geom is not null
