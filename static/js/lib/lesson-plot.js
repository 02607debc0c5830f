// Axes for the lessons' line plots: round tick values and the mapping to the drawing.
// Pure (no DOM): tested with `node --test`.

// About `count` round ticks (1, 2 or 5 times a power of ten apart) covering lo..hi.
export function niceTicks(lo, hi, count = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Number(t.toFixed(10)));
  return ticks;
}

// A linear map from [d0, d1] (data) to [r0, r1] (pixels).
export function linear(d0, d1, r0, r1) {
  const span = d1 - d0 || 1;
  return (v) => r0 + ((v - d0) / span) * (r1 - r0);
}

// The extent of every series' x and y ([{points: [{x, y}]}]), with y forced to include
// `yFloor`..`yCeil` when given (a probability plot keeps 0..1 in view).
export function extent(series, { yFloor, yCeil } = {}) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y)).filter(Number.isFinite);
  const y0 = Math.min(...ys, yFloor ?? Infinity);
  const y1 = Math.max(...ys, yCeil ?? -Infinity);
  return { x0: Math.min(...xs), x1: Math.max(...xs), y0, y1 };
}
