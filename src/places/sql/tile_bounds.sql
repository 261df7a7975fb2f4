-- Shared head of every tile query; $1..$3 = z, x, y. `env` is the tile in Web Mercator; `filter`
-- is the tile with a 64/4096 margin in WGS84, matched against the GiST-indexed 4326 geometry.
with bounds as (
    select st_tileenvelope($1, $2, $3) as env,
           st_transform(st_tileenvelope($1, $2, $3, margin => 64.0 / 4096), 4326) as filter
)
