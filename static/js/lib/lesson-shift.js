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

// Shifts (ascending, `step` apart where they run on) as runs: [-3, -2, -1, 5] with step 1 is
// [{from: -3, to: -1}, {from: 5, to: 5}].
export function shiftRuns(shifts, step = 1) {
  const runs = [];
  for (const s of shifts) {
    const last = runs[runs.length - 1];
    if (last && s - last.to === step) last.to = s; else runs.push({ from: s, to: s });
  }
  return runs;
}

// The shifts in words, every one of them accounted for: "-32 to -25, -20, 3 to 7"; past
// `most` runs, the rest is counted: "..., and 12 more".
export function describeShifts(shifts, step = 1, most = 6) {
  const runs = shiftRuns(shifts, step);
  const said = runs.slice(0, most);
  const words = said.map((r) => (r.from === r.to ? `${r.from}` : `${r.from} to ${r.to}`));
  const covered = said.reduce((n, r) => n + (r.to - r.from) / step + 1, 0);
  if (covered < shifts.length) words.push(`… and ${shifts.length - covered} more`);
  return words.join(", ");
}

// The classes that took the top place from the unshifted view's, most often first:
// [{label, index, count}].
export function takeovers(curve) {
  const found = new Map();
  for (const r of curve.rows) {
    if (r.top_index === curve.unshifted_top.index) continue;
    const seen = found.get(r.top_index) || { label: r.top_label, index: r.top_index, count: 0 };
    seen.count += 1;
    found.set(r.top_index, seen);
  }
  return [...found.values()].sort((a, b) => b.count - a.count || a.index - b.index);
}
