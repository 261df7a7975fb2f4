#!/usr/bin/env python3
"""Compares Wangge's grid partition engine with PySAL spopt's max-p regionalisation.

Run by scripts/compare-spopt, which first runs
`cargo bench --bench partition_files -- FILE... --export-dir DIR --json > DIR/rust.json`.
For each file of that JSON this script reads DIR/<name>.geojson (the household-bearing parcels
the engine partitioned: footprint, households, community, the engine's grid), runs spopt's
MaxPHeuristic on exactly those parcels, community by community (floor 300 households), and
scores both assignments with the same code:

* households per region: share within 300-700, min / median (upper middle for an even count, as
  the Rust benches) / max;
* Polsby-Popper 4*pi*A/P^2 of the convex hull of every exterior vertex of the region's
  footprints, in the engine's own local projection (equirectangular about the middle of the
  community's footprints, as src/spatial/measure.rs and src/grids/partition/metrics.rs do).

Neighbours for spopt (queen/rook contiguity leaves disjoint footprints without neighbours), by
--neighbours:
* fuzzy (default): libpysal fuzzy contiguity of footprints buffered by gap/2, i.e. two
  footprints are neighbours when they are at most --gap metres (default 40) apart; spopt's
  default policy "single" then joins the pieces of the graph that cannot reach 300 households;
* knn: libpysal KNN of the footprints' centroids (--k, default 4);
* delaunay: libpysal Delaunay triangulation of the centroids.
spopt's attributes (what it keeps homogeneous) are the centroid coordinates in metres (--attrs
xy, default: the heterogeneity objective then favours compact regions) or the households
(--attrs households). Everything else is spopt's default (top_n=2, 99 construction iterations,
10 simulated-annealing iterations); numpy's global seed is set before each run.

Times: spopt's is the wall time of building the neighbours and solving (not reading files),
with its CPU time beside it (the two differ when the machine is busy); the engine's is the best
of its runs as the Rust bench measured it (the engine builds its own neighbour graph inside that
time). The speed-up divides spopt's wall time, and its CPU time, by the engine's best (a
single-threaded best run is about its CPU time).

spopt knows nothing of roads, while the engine never lets a grid cross a major road (trunk,
primary, secondary). With --rust-json-ignoring-roads (the bench run with --ignore-roads, as
scripts/compare-spopt does), a second engine row shows the engine given only the buildings, as
spopt is. The markdown table goes to stdout and to DIR/comparison.md.
"""

import argparse
import json
import math
import os
import sys
import time
import warnings
from importlib.metadata import version

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPoint

EARTH_RADIUS_M = 6_371_008.8  # as src/spatial/measure.rs


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rust_json", help="output of `cargo bench --bench partition_files -- ... --json`")
    parser.add_argument(
        "--rust-json-ignoring-roads",
        help="the same bench run with --ignore-roads (and its own --export-dir): a second engine row",
    )
    parser.add_argument("--min", type=int, default=300, help="households floor (spopt's threshold)")
    parser.add_argument("--max", type=int, default=700, help="households ceiling (scored, not enforced by spopt)")
    parser.add_argument("--neighbours", choices=["fuzzy", "knn", "delaunay"], default="fuzzy")
    parser.add_argument("--gap", type=float, default=40.0, help="fuzzy contiguity: footprints this close (m)")
    parser.add_argument("--k", type=int, default=4, help="knn: neighbours per parcel")
    parser.add_argument("--attrs", choices=["xy", "households"], default="xy")
    parser.add_argument("--top-n", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=99, help="spopt max_iterations_construction")
    parser.add_argument("--sa-iterations", type=int, default=10, help="spopt max_iterations_sa")
    parser.add_argument("--seed", type=int, default=0, help="numpy seed of the first spopt run")
    parser.add_argument("--spopt-runs", type=int, default=1, help="spopt runs per file (seeds seed, seed+1, ...)")
    parser.add_argument(
        "--spopt-max-parcels",
        type=int,
        default=300,
        help="skip spopt on files with more household-bearing parcels than this (0: never skip)",
    )
    parser.add_argument("--markdown", help="also write the table here (default DIR/comparison.md)")
    args = parser.parse_args()

    with open(args.rust_json, encoding="utf-8") as f:
        rust = json.load(f)
    without_roads = {}
    if args.rust_json_ignoring_roads:
        with open(args.rust_json_ignoring_roads, encoding="utf-8") as f:
            without_roads = {entry["file"]: entry for entry in json.load(f)["files"]}
    sections = []
    for entry in rust["files"]:
        for one in (entry, without_roads.get(entry["file"])):
            if one is not None and not one.get("export"):
                sys.exit(f"compare_spopt: {one['file']} was not exported (run the bench with --export-dir)")
        sections.append(compare_file(entry, without_roads.get(entry["file"]), args))

    lines = [
        f"spopt {version('spopt')} (MaxPHeuristic), libpysal {version('libpysal')}, geopandas {version('geopandas')}, "
        f"Python {sys.version.split()[0]}; neighbours: {describe_neighbours(args)}; attributes: "
        f"{'centroid x, y (m)' if args.attrs == 'xy' else 'households'}; floor {args.min} households; "
        f"top_n {args.top_n}, {args.iterations} construction and {args.sa_iterations} SA iterations. "
        f"Engine: best of its runs on 1 thread, bounds {args.min}-{args.max} (target 500), major roads never "
        "crossed unless the row says roads ignored. Polsby-Popper: convex hull of the household-bearing footprints "
        "of each region, in metres, same code for both. Median: the upper middle for an even count.",
        "",
    ]
    for section in sections:
        lines.extend(section)
        lines.append("")
    text = "\n".join(lines)
    print(text)
    out = args.markdown or os.path.join(os.path.dirname(rust["files"][0]["export"]), "comparison.md")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    print(f"(written to {out})", file=sys.stderr)


def describe_neighbours(args):
    if args.neighbours == "fuzzy":
        return (
            f"libpysal fuzzy contiguity, footprints within {args.gap:g} m (buffered by {args.gap / 2:g} m), "
            "policy 'single'"
        )
    if args.neighbours == "knn":
        return f"libpysal KNN of centroids, k = {args.k}, policy 'single'"
    return "libpysal Delaunay triangulation of centroids, policy 'single'"


def read_export(entry):
    path = entry["export"]
    with open(path, encoding="utf-8") as f:
        meta = json.load(f)["wangge"]
    return project(gpd.read_file(path), meta["communities"])


def compare_file(entry, without_roads, args):
    gdf = read_export(entry)
    name = os.path.basename(entry["file"])

    ours = score(gdf, gdf["grid"].to_numpy(), args)
    check_against_rust(name, ours, entry)
    engine_ms = entry["engine_ms_best"]
    header = [
        f"### {name}",
        "",
        f"{entry['buildings']} buildings, {entry['buildings_with_households']} with households "
        f"({entry['households']} households, {len(gdf)} parcels{split_note(entry)}), "
        f"{entry['communities']} communit{'y' if entry['communities'] == 1 else 'ies'}, "
        f"{entry.get('barriers', 0)} road lines that the engine reads as barriers. "
        f"Engine: best {engine_ms:.2f} ms, median {entry['engine_ms_median']:.2f} ms of {entry['runs']} runs"
        f"{roads_note(entry, without_roads)}.",
        "",
        f"| | runtime | regions | within {args.min}-{args.max} | households min / median / max "
        "| mean Polsby-Popper | engine's speed-up |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [row("Wangge engine", engine_ms / 1e3, ours, "1×")]
    if without_roads is not None and entry.get("barriers", 1) == 0:
        header[2] += " The file has no roads: the engine ran the same with and without them."
    elif without_roads is not None:
        other = read_export(without_roads)
        same = sorted(zip(other["building"], other["part"], other["households"])) == sorted(
            zip(gdf["building"], gdf["part"], gdf["households"])
        )
        if not same:
            sys.exit(f"compare_spopt: {name}: the two engine runs exported different parcels")
        free = score(other, other["grid"].to_numpy(), args)
        check_against_rust(name + " (roads ignored)", free, without_roads)
        rows.append(row("Wangge engine, roads ignored (as spopt)", without_roads["engine_ms_best"] / 1e3, free, ""))

    infeasible = entry.get("infeasible", [])
    footer = [f"Engine, community {item['community']} not feasible: {item['explanation']}" for item in infeasible]
    footer = [""] + footer if footer else []
    if args.spopt_max_parcels and len(gdf) > args.spopt_max_parcels:
        skipped = f"not run ({len(gdf)} parcels > --spopt-max-parcels {args.spopt_max_parcels})"
        rows.append(f"| spopt max-p | {skipped} | | | | | |")
        return header + rows + footer
    for run in range(args.spopt_runs):
        seed = args.seed + run
        labels, seconds, cpu_seconds = run_spopt(gdf, args, seed)
        theirs = score(gdf, labels, args)
        label = f"spopt max-p (seed {seed})" if args.spopt_runs > 1 else "spopt max-p"
        rows.append(
            row(
                label,
                seconds,
                theirs,
                f"{seconds / (engine_ms / 1e3):,.0f}× (by CPU time {cpu_seconds / (engine_ms / 1e3):,.0f}×)",
                note=f" (CPU {cpu_seconds:.1f} s)",
            )
        )
    return header + rows + footer


def roads_note(entry, without_roads):
    if without_roads is None or entry.get("barriers", 1) == 0:
        return ""
    return (
        f"; roads ignored: best {without_roads['engine_ms_best']:.2f} ms, "
        f"median {without_roads['engine_ms_median']:.2f} ms of {without_roads['runs']} runs"
    )


def split_note(entry):
    split = entry.get("split_buildings", 0)
    return f"; {split} buildings above the ceiling split into parts" if split else ""


def row(label, seconds, s, speed, note=""):
    runtime = f"{seconds * 1e3:.2f} ms" if seconds < 1 else f"{seconds:.1f} s"
    return (
        f"| {label} | {runtime}{note} | {s['regions']} | {s['within']}/{s['regions']} ({100 * s['share']:.1f} %) | "
        f"{s['min']} / {s['median']} / {s['max']} | {s['pp']:.3f} | {speed} |"
    )


def project(gdf, communities):
    """Footprints into each community's engine projection (metres), as src/spatial/measure.rs."""
    parts = []
    for index, community in enumerate(communities):
        subset = gdf[gdf["community"] == index].copy()
        if subset.empty:
            continue
        lon0, lat0 = community["origin"]
        per_lat = math.radians(EARTH_RADIUS_M)
        per_lon = per_lat * math.cos(math.radians(lat0))

        def to_xy(coords, lon0=lon0, lat0=lat0, per_lon=per_lon):
            return np.column_stack(((coords[:, 0] - lon0) * per_lon, (coords[:, 1] - lat0) * per_lat))

        subset["geometry"] = shapely.transform(subset.geometry.values, to_xy)
        parts.append(subset)
    out = gpd.GeoDataFrame(gpd.pd.concat(parts), geometry="geometry").set_crs(None, allow_override=True)
    out["grid"] = out["grid"].astype("Int64")
    out["x"] = out.geometry.centroid.x
    out["y"] = out.geometry.centroid.y
    return out.reset_index(drop=True)


def score(gdf, labels, args):
    """The comparison's figures for an assignment of gdf's parcels (label per row; regions are
    told apart by community and label)."""
    regions = {}
    for (community, label, building, households, geometry) in zip(
        gdf["community"], labels, gdf["building"], gdf["households"], gdf.geometry
    ):
        if label is None or (isinstance(label, float) and math.isnan(label)) or label is gpd.pd.NA:
            continue
        region = regions.setdefault((int(community), int(label)), {"households": 0, "buildings": {}})
        region["households"] += int(households)
        region["buildings"][int(building)] = geometry
    households = sorted(r["households"] for r in regions.values())
    pps = [hull_polsby_popper(r["buildings"].values()) for r in regions.values()]
    within = sum(1 for h in households if args.min <= h <= args.max)
    n = len(households)
    return {
        "regions": n,
        "within": within,
        "share": within / n if n else 0.0,
        "min": households[0] if n else 0,
        "median": households[n // 2] if n else 0,
        "max": households[-1] if n else 0,
        "pp": sum(pps) / n if n else 0.0,
        "households": households,
        "assigned": sum(households),
    }


def hull_polsby_popper(footprints):
    """4*pi*A/P^2 of the convex hull of every exterior vertex, as metrics::hull_polsby_popper."""
    coords = []
    for footprint in footprints:
        polygons = footprint.geoms if hasattr(footprint, "geoms") else [footprint]
        for polygon in polygons:
            coords.extend(polygon.exterior.coords)
    hull = MultiPoint(coords).convex_hull
    perimeter = hull.length if hull.geom_type == "Polygon" else 0.0
    if perimeter <= 0:
        return 0.0
    return 4 * math.pi * hull.area / perimeter**2


def check_against_rust(name, ours, entry):
    """The same assignment scored here and by the Rust bench must agree."""
    problems = []
    if ours["regions"] != entry["grids"]:
        problems.append(f"{ours['regions']} grids here, {entry['grids']} in the bench")
    if ours["households"] != sorted(entry["grid_households"]):
        problems.append("households per grid differ")
    if abs(ours["pp"] - entry["pp_households"]) > 1e-9:
        problems.append(f"mean Polsby-Popper {ours['pp']:.12f} here, {entry['pp_households']:.12f} in the bench")
    if problems:
        print(f"compare_spopt: warning: {name}: {'; '.join(problems)}", file=sys.stderr)


def neighbours(subset, args):
    from libpysal import weights

    ids = list(range(len(subset)))
    frame = subset.reset_index(drop=True)
    if args.neighbours == "fuzzy":
        return weights.fuzzy_contiguity(frame, buffering=True, buffer=args.gap / 2, ids=ids, silence_warnings=True)
    points = gpd.GeoDataFrame(geometry=frame.geometry.centroid)
    if args.neighbours == "knn":
        return weights.KNN.from_dataframe(points, k=min(args.k, len(frame) - 1), silence_warnings=True)
    coordinates = np.column_stack((frame["x"], frame["y"]))
    return weights.Delaunay(coordinates, silence_warnings=True)


def run_spopt(gdf, args, seed):
    """spopt's max-p on each community; labels per row of gdf, and the wall and CPU seconds of
    building the neighbours and solving."""
    from spopt.region import MaxPHeuristic

    labels = np.full(len(gdf), np.nan)
    attrs = ["x", "y"] if args.attrs == "xy" else ["households"]
    total = cpu = 0.0
    for community in sorted(gdf["community"].unique()):
        mask = (gdf["community"] == community).to_numpy()
        subset = gdf[mask].reset_index(drop=True)
        if subset["households"].sum() < args.min:
            continue  # nothing max-p can do: no region reaches the floor
        if len(subset) == 1:
            labels[mask] = 0
            continue
        np.random.seed(seed)
        started, cpu_started = time.perf_counter(), time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = neighbours(subset, args)
            model = MaxPHeuristic(
                subset,
                w,
                attrs,
                "households",
                args.min,
                top_n=args.top_n,
                max_iterations_construction=args.iterations,
                max_iterations_sa=args.sa_iterations,
            )
            model.solve()
        total += time.perf_counter() - started
        cpu += time.process_time() - cpu_started
        labels[mask] = np.asarray(model.labels_, dtype=float)
    return labels, total, cpu


if __name__ == "__main__":
    main()
