// Number formatting for tables and captions. Pure (no DOM).

export function num(v, digits = 3) {
  if (v === null || v === undefined || Number.isNaN(v)) return "-";
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return String(Number(v.toFixed(digits)));
}

export function pct(p) {
  if (p > 0 && p < 0.0005) return "<0.1%"; // "0%" would claim the model ruled it out
  return `${(p * 100).toFixed(p >= 0.995 || p === 0 ? 0 : 1)}%`;
}

export function shape(dims) {
  return dims.join(" × ");
}
