// Viridis for feature maps drawn in the browser. Pure (no DOM): tested with `node --test`.

// Eight stops of matplotlib's viridis, linearly interpolated.
const STOPS = [
  [68, 1, 84], [70, 50, 127], [54, 92, 141], [39, 127, 142],
  [31, 161, 135], [74, 194, 109], [159, 218, 58], [253, 231, 37],
];

export function viridis(t) {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  return STOPS[i].map((a, k) => Math.round(a + (STOPS[i + 1][k] - a) * f));
}

// Fill an RGBA byte array from a 2-D array of numbers, scaled between lo and hi.
export function mapToRgba(values, lo, hi) {
  const h = values.length;
  const w = h ? values[0].length : 0;
  const out = new Uint8ClampedArray(w * h * 4);
  const span = hi > lo ? hi - lo : 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = viridis((values[y][x] - lo) / span);
      const o = (y * w + x) * 4;
      out[o] = r; out[o + 1] = g; out[o + 2] = b; out[o + 3] = 255;
    }
  }
  return out;
}

export function range2d(values) {
  let lo = Infinity;
  let hi = -Infinity;
  for (const row of values) for (const v of row) { if (v < lo) lo = v; if (v > hi) hi = v; }
  return [lo, hi];
}
