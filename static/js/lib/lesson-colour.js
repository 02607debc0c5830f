// Colours for values drawn in the browser: signed values on the playground's diverging
// scale (blue < 0 < red, white at 0), sizes from white (0) to near black.
// Pure (no DOM): tested with `node --test`.

const BLUE = [33, 102, 172];
const WHITE = [247, 247, 247];
const RED = [178, 24, 43];
const mix = (a, b, t) => a.map((v, k) => Math.round(v + (b[k] - v) * t));

// t in [-1, 1] (clipped): -1 blue, 0 white, 1 red.
export function diverging(t) {
  const c = Math.max(-1, Math.min(1, Number.isFinite(t) ? t : 0));
  return c < 0 ? mix(WHITE, BLUE, -c) : mix(WHITE, RED, c);
}

// t in [0, 1] (clipped): 0 white, 1 near black (an edge map reads like a drawing).
export function ink(t) {
  const c = Math.max(0, Math.min(1, Number.isFinite(t) ? t : 0));
  const v = Math.round(247 - 227 * c);
  return [v, v, v];
}

// RGBA bytes for values (row-major), `mode` "signed" (diverging over ±limit) or "size"
// (ink over 0..limit).
export function valuesToRgba(values, mode, limit) {
  const out = new Uint8ClampedArray(values.length * 4);
  const scale = limit > 0 ? limit : 1;
  for (let i = 0; i < values.length; i++) {
    const [r, g, b] = mode === "signed" ? diverging(values[i] / scale) : ink(values[i] / scale);
    out[i * 4] = r; out[i * 4 + 1] = g; out[i * 4 + 2] = b; out[i * 4 + 3] = 255;
  }
  return out;
}

// RGBA bytes to lay over a picture: the picture dimmed where `values` are 0 and glowing
// yellow where they are largest, on a square-root scale so the weak tail of a peaked map
// still shows. It reads on any photo (a red heat map vanishes on a red parrot, a plain
// spotlight on a black dog).
export function glowRgba(values, glow = [255, 214, 0]) {
  let peak = 0;
  for (const v of values) if (v > peak) peak = v;
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const t = peak > 0 ? Math.sqrt(Math.max(0, values[i]) / peak) : 0;
    out[i * 4] = Math.round(glow[0] * t);
    out[i * 4 + 1] = Math.round(glow[1] * t);
    out[i * 4 + 2] = Math.round(glow[2] * t);
    out[i * 4 + 3] = Math.round(140 + 90 * t);  // dimmed at 0, mostly glow at the peak
  }
  return out;
}
