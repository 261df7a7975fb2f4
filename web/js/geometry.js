// Plane geometry on GeoJSON in WGS84 degrees, shared by the map pages: areas, centroids,
// point in polygon, bounding boxes, label points. The areas are small (a community), so planar
// arithmetic on degrees is good enough for where to put a label or what a lasso encloses.
// No DOM, no MapLibre (the fast tests import this module in node).

/** Signed area of a ring ([[x, y], …], closed or not), shoelace. */
export function ringArea(ring) {
  let sum = 0;
  const n = ring?.length ?? 0;
  for (let i = 0; i < n; i += 1) {
    const [x1, y1] = ring[i];
    const [x2, y2] = ring[(i + 1) % n];
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

/** The area centroid of a ring; the mean of its vertices when it has no area. */
export function ringCentroid(ring) {
  const pts = (ring ?? []).filter((p) => Array.isArray(p) && p.length >= 2);
  if (pts.length === 0) return null;
  const a = ringArea(pts);
  if (Math.abs(a) < 1e-18) {
    const open = pts.length > 1 && pts[0][0] === pts.at(-1)[0] && pts[0][1] === pts.at(-1)[1] ? pts.slice(0, -1) : pts;
    return [open.reduce((s, p) => s + p[0], 0) / open.length, open.reduce((s, p) => s + p[1], 0) / open.length];
  }
  let cx = 0;
  let cy = 0;
  const n = pts.length;
  for (let i = 0; i < n; i += 1) {
    const [x1, y1] = pts[i];
    const [x2, y2] = pts[(i + 1) % n];
    const f = x1 * y2 - x2 * y1;
    cx += (x1 + x2) * f;
    cy += (y1 + y2) * f;
  }
  return [cx / (6 * a), cy / (6 * a)];
}

/** The polygons ([rings]) of a GeoJSON Polygon or MultiPolygon geometry; [] for anything else. */
export function polygonsOf(geometry) {
  if (geometry?.type === 'Polygon') return [geometry.coordinates];
  if (geometry?.type === 'MultiPolygon') return geometry.coordinates;
  return [];
}

/** A feature's representative point: the centroid of its largest outer ring. */
export function featureCentroid(feature) {
  let best = null;
  let bestArea = -1;
  for (const polygon of polygonsOf(feature?.geometry)) {
    const outer = polygon?.[0];
    if (!outer || outer.length === 0) continue;
    const area = Math.abs(ringArea(outer));
    if (area > bestArea) {
      bestArea = area;
      best = outer;
    }
  }
  if (best) return ringCentroid(best);
  if (feature?.geometry?.type === 'Point') return feature.geometry.coordinates;
  return null;
}

/** Is the point inside the ring (even-odd rule; the ring closed or not)? */
export function pointInRing([x, y], ring) {
  let inside = false;
  const n = ring?.length ?? 0;
  for (let i = 0, j = n - 1; i < n; j = i, i += 1) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Is the point inside the polygon (outer ring, minus its holes)? */
export function pointInPolygon(point, rings) {
  if (!rings?.length || !pointInRing(point, rings[0])) return false;
  return !rings.slice(1).some((hole) => pointInRing(point, hole));
}

/** [minLon, minLat, maxLon, maxLat] of features (Polygon, MultiPolygon); null when none. */
export function bboxOfFeatures(features) {
  let box = null;
  for (const f of features ?? []) {
    for (const polygon of polygonsOf(f?.geometry)) {
      for (const [x, y] of polygon?.[0] ?? []) {
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        if (!box) box = [x, y, x, y];
        else {
          box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y);
          box[2] = Math.max(box[2], x); box[3] = Math.max(box[3], y);
        }
      }
    }
  }
  return box;
}

/** An id as the page keeps it: a number when it is one, else its text. */
export function normId(id) {
  const n = Number(id);
  return Number.isFinite(n) && String(id).trim() !== '' ? n : String(id);
}


/**
 * A point inside a feature's largest polygon to put its label on: the centroid when it lies
 * inside, else (a bent or hollow shape) the middle of the widest inside stretch of the
 * horizontal line through the centroid. Null without a polygon.
 */
export function interiorPoint(feature) {
  const centre = featureCentroid(feature);
  if (!centre) return null;
  let best = null;
  let bestArea = -1;
  for (const polygon of polygonsOf(feature?.geometry)) {
    const area = Math.abs(ringArea(polygon?.[0] ?? []));
    if (area > bestArea) {
      bestArea = area;
      best = polygon;
    }
  }
  if (!best || pointInPolygon(centre, best)) return centre;
  const y = centre[1];
  const crossings = [];
  for (const ring of best) {
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y)) crossings.push(((xj - xi) * (y - yi)) / (yj - yi) + xi);
    }
  }
  crossings.sort((a, b) => a - b);
  let point = centre;
  let widest = 0;
  // Even-odd: the stretches between crossings 0–1, 2–3, … lie inside.
  for (let i = 0; i + 1 < crossings.length; i += 2) {
    const width = crossings[i + 1] - crossings[i];
    if (width > widest) {
      widest = width;
      point = [(crossings[i] + crossings[i + 1]) / 2, y];
    }
  }
  return point;
}
