// Raw float32 outputs (the API's .npy) and what the lessons compute from them: the edge
// magnitude, histograms, a colour scale's limit, summaries.
// Pure (no DOM): tested with `node --test`.

// A little-endian float32 .npy (version 1 or 2, C order), as the API writes it:
// {shape: [h, w] or [h, w, c], data: Float32Array}.
export function parseNpy(buffer) {
  const bytes = new Uint8Array(buffer);
  const magic = String.fromCharCode(...bytes.slice(1, 6));
  if (bytes[0] !== 0x93 || magic !== "NUMPY") throw new Error("not a .npy file");
  const major = bytes[6];
  const view = new DataView(buffer);
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.slice(start, start + headerLength));
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error("only little-endian float32 .npy is read here");
  if (/'fortran_order':\s*True/.test(header)) throw new Error("only C-ordered .npy is read here");
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(",").map((t) => t.trim()).filter(Boolean).map(Number);
  const offset = start + headerLength;
  const count = dims.reduce((a, b) => a * b, 1);
  // Copied out: the header's length need not leave the data 4-byte aligned.
  const data = new Float32Array(buffer.slice(offset, offset + count * 4));
  return { shape: dims, data };
}

// sqrt(a² + b²), element by element: how strong an edge is whatever its direction.
export function magnitude(a, b) {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = Math.hypot(a[i], b[i]);
  return out;
}

// The q-quantile of |v| (0 < q <= 1): a colour scale that saturates only the last few
// percent, so one bright pixel does not leave everything else grey.
export function absQuantile(values, q = 0.99) {
  if (!values.length) return 0;
  const a = Float32Array.from(values, Math.abs).sort();
  return a[Math.min(a.length - 1, Math.floor(q * (a.length - 1)))];
}

// `bins` equal bins from lo to hi (values outside are counted in the end bins), with the
// bins' edges: {counts, edges}.
export function histogram(values, bins, lo, hi) {
  const counts = new Array(bins).fill(0);
  const width = (hi - lo) / bins || 1;
  for (const v of values) {
    const k = Math.floor((v - lo) / width);
    counts[Math.min(bins - 1, Math.max(0, k))] += 1;
  }
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  return { counts, edges };
}

// What a histogram's caption says: how many values, and the shares below, at and above 0.
export function signSummary(values) {
  let negative = 0;
  let zero = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < 0) negative += 1; else if (v === 0) zero += 1;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const n = values.length;
  return { n, negative, zero, positive: n - negative - zero, min: lo, max: hi };
}

// Mean of |v|: how much a filter responds over the whole picture.
export function meanAbs(values) {
  let s = 0;
  for (const v of values) s += Math.abs(v);
  return values.length ? s / values.length : 0;
}

// An effective receptive field (|d unit / d pixel|, row-major): how many pixels move the
// unit at all, and how few of the strongest hold half of the total.
export function fieldFacts(values) {
  const sorted = Float32Array.from(values).sort().reverse();
  const total = sorted.reduce((a, b) => a + b, 0);
  let nonzero = 0;
  for (const v of sorted) if (v > 0) nonzero += 1;
  let sum = 0;
  let half = 0;
  while (half < sorted.length && sum < total / 2) sum += sorted[half++];
  return { nonzero, half, total };
}
