// Chart arithmetic for the Teach tab's plots (curves per epoch, the learning curve).
// Pure (no DOM): tested with `node --test`.

// A linear map from [d0, d1] (data) to [r0, r1] (pixels); a flat domain maps to the middle.
export function linear(d0, d1, r0, r1) {
  const span = d1 - d0;
  return (v) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
}

// About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of 10).
export function niceTicks(lo, hi, count = 4) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const first = Math.ceil(lo / step - 1e-9) * step;
  const ticks = [];
  for (let v = first; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(12)));
  return ticks;
}

// The smallest and largest finite value over several series (nulls, NaN skipped), with
// `floor` included (a loss axis starts at 0); [0, 1] when nothing is finite.
export function extent(series, floor = null) {
  let lo = floor ?? Infinity;
  let hi = floor ?? -Infinity;
  for (const values of series) {
    for (const v of values) {
      if (v === null || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return Number.isFinite(lo) && Number.isFinite(hi) ? [lo, hi] : [0, 1];
}

// Points of one series for a canvas path: [[x, y] ...] from values at positions xs, skipping
// missing values (a validation curve with no held-out photos has none).
export function points(xs, values, sx, sy) {
  const out = [];
  values.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) out.push([sx(xs[i]), sy(v)]);
  });
  return out;
}

// The polygon of a band between lows and highs for a canvas path: the upper edge left to
// right, then the lower edge back; values clamped into [lo, hi] (accuracy stays in 0..1).
export function bandPolygon(xs, lows, highs, sx, sy, lo = -Infinity, hi = Infinity) {
  const clamp = (v) => Math.min(hi, Math.max(lo, v));
  const upper = xs.map((x, i) => [sx(x), sy(clamp(highs[i]))]);
  const lower = xs.map((x, i) => [sx(x), sy(clamp(lows[i]))]).reverse();
  return [...upper, ...lower];
}

// A log2 axis for photos per class (1, 2, 4, ...): equal steps for each doubling.
export function log2Scale(d0, d1, r0, r1) {
  const inner = linear(Math.log2(Math.max(d0, 1e-9)), Math.log2(Math.max(d1, 1e-9)), r0, r1);
  return (v) => inner(Math.log2(Math.max(v, 1e-9)));
}
