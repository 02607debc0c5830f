// Kernel text formats and small kernel arithmetic. Pure (no DOM).
// Text form, shared by the URL hash: rows split by ";", values by ",",
// the three slices of an RGB kernel by "|".  Example: "1,0,-1;2,0,-2;1,0,-1".

export function kernelToText(kernel) {
  const is3d = Array.isArray(kernel[0][0]);
  const slice = (k) => k.map((row) => row.map(formatEntry).join(",")).join(";");
  return is3d ? kernel.map(slice).join("|") : slice(kernel);
}

export function kernelFromText(text) {
  const parseSlice = (s) => s.split(";").map((row) => row.split(",").map(Number));
  const slices = String(text).split("|").map(parseSlice);
  const flat = slices.flat(2);
  if (!flat.length || flat.some((v) => !Number.isFinite(v))) return null;
  const rows = slices[0].length;
  const cols = slices[0][0].length;
  const rectangular = slices.every((s) => s.length === rows && s.every((r) => r.length === cols));
  if (!rectangular || (slices.length !== 1 && slices.length !== 3)) return null;
  return slices.length === 1 ? slices[0] : slices;
}

function formatEntry(v) {
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}

export function kernelSum(kernel) {
  return kernel.flat(2).reduce((a, b) => a + b, 0);
}

// Grow or shrink around the centre, filling with zeros: a 3x3 Sobel grown to 15x15 stays
// in the middle (at the top-left it would shift the output by 6 pixels). One step at a time
// alternates the side, so 3 -> 4 -> 5 is centred again and every step can be undone.
export function resizeKernel(kernel, rows, cols) {
  const shift = (from, to) => (from % 2 ? Math.floor((to - from) / 2) : Math.ceil((to - from) / 2));
  const di = shift(kernel.length, rows);
  const dj = shift(kernel[0].length, cols);
  return Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => {
    const row = kernel[i - di];
    return row && row[j - dj] !== undefined ? row[j - dj] : 0;
  }));
}

export function transpose(kernel) {
  return kernel[0].map((_, j) => kernel.map((row) => row[j]));
}

// Divide every entry by the sum (over all slices of an R, G, B kernel, whose products are
// summed into one output), so a flat region keeps its brightness.
export function normalise(kernel) {
  const s = kernelSum(kernel);
  if (!s) return kernel;
  const scale = (x) => (Array.isArray(x) ? x.map(scale) : Math.round((x / s) * 1e6) / 1e6);
  return kernel.map(scale);
}

// What a person types into a kernel cell: a decimal ("-0.25", ".5", "1e-3") or a fraction
// ("1/9", "-2/16", "1/-4"); NaN for anything else (hex, "Infinity", "", "-" while typing).
const DECIMAL = String.raw`[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?`;
const CELL = new RegExp(`^(${DECIMAL})(?:\\s*/\\s*(${DECIMAL}))?$`);

export function parseCell(text) {
  const m = CELL.exec(String(text).trim());
  if (!m) return NaN;
  const v = m[2] === undefined ? Number(m[1]) : Number(m[1]) / Number(m[2]);
  return Number.isFinite(v) ? v : NaN;
}

// A cell on its way to a number: "-", "+", ".", "-.", "0.", "1e", "1e-", "1/", "-2/": typing
// it is not a mistake yet. (Complete numbers are parseCell's; anything else is an error.)
const PARTIAL = /^[+-]?(?:\d*\.?\d*(?:[eE][+-]?)?)?(?:\s*\/\s*[+-]?)?$/;

export function isPartialNumber(text) {
  const t = String(text).trim();
  return !Number.isFinite(parseCell(t)) && PARTIAL.test(t) && /^[+-]?\.?$|[.eE+\-/]$/.test(t);
}
