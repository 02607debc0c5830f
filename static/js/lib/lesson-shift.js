// What the translation lesson says about a measured curve (GET .../translation): how far
// the maps and the prediction really are unchanged by a shift.
// Pure (no DOM): tested with `node --test`.

const lowest = (rows, key) => Math.min(...rows.map((r) => r[key]));
const highest = (rows, key) => Math.max(...rows.map((r) => r[key]));

// {aligned, between, prob, changes}: the map similarity's range at shifts that are
// multiples of the stride (aligned) and at the others (between), the range of p(the
// unshifted top class), and the shifts at which the top class changed.
export function shiftFacts(curve) {
  const moved = curve.rows.filter((r) => r.shift !== 0);
  const aligned = moved.filter((r) => r.aligned);
  const between = moved.filter((r) => !r.aligned);
  const range = (rows, key) => (rows.length ? { min: lowest(rows, key), max: highest(rows, key) } : null);
  return {
    aligned: range(aligned, "map_similarity"),
    between: range(between, "map_similarity"),
    prob: range(curve.rows, "prob_of_unshifted_top"),
    changes: curve.rows.filter((r) => r.top_index !== curve.unshifted_top.index).map((r) => r.shift),
  };
}

// The row measured at `shift` (the nearest one when the curve was sampled more coarsely).
export function rowAt(curve, shift) {
  return curve.rows.reduce((best, r) => (Math.abs(r.shift - shift) < Math.abs(best.shift - shift) ? r : best), curve.rows[0]);
}
