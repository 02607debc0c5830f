// The arithmetic the convolution lessons show: a dot product written out, the output size,
// the window a step-through slides, which value a pooling window keeps.
// Pure (no DOM): tested with `node --test`.

// Patch and kernel (rows x cols, one slice) element by element: the terms and their sum.
export function dotProduct(patch, kernel) {
  const terms = [];
  kernel.forEach((row, i) => row.forEach((w, j) => terms.push({ w, x: patch[i][j], p: w * patch[i][j] })));
  return { terms, sum: terms.reduce((a, t) => a + t.p, 0) };
}

// "(-1 × 55.1) + (0 × 55.1) + ... " with `format` for every number; zero weights kept (the
// dot product runs over every entry; a zero weight simply adds nothing).
export function writtenOut(terms, format = String) {
  return terms.map((t) => `(${format(t.w)} × ${format(t.x)})`).join(" + ");
}

// One axis of a convolution: out = floor((n + 2p - d(f - 1) - 1) / s) + 1, or 0 when the
// (dilated) kernel is wider than the padded input.
export function outputSize(n, f, p = 0, s = 1, d = 1) {
  const reach = n + 2 * p - d * (f - 1) - 1;
  return reach < 0 ? 0 : Math.floor(reach / s) + 1;
}

// The formula with a person's numbers, step by step, as the textbook writes it for d = 1:
// (n + 2p - f) / s + 1, and the dilated kernel's width where d > 1.
export function outputSizeSteps(n, f, p = 0, s = 1, d = 1) {
  const fd = d * (f - 1) + 1;  // the kernel's reach once its taps are d apart
  const top = n + 2 * p - fd;
  const out = outputSize(n, f, p, s, d);
  const kernel = d > 1 ? `f' = ${d}·(${f} − 1) + 1 = ${fd} (a ${f}-tap kernel with taps ${d} apart); ` : "";
  const name = d > 1 ? "f'" : "f";
  const ratio = Number((top / s).toFixed(2));
  const whole = top < 0 ? " < 0: the kernel is wider than the padded input, so there is no output"
    : top % s ? ` = ${ratio} + 1 → ${out} (rounded down: a last step that would leave the input is not taken)`
      : ` = ${ratio} + 1 = ${out}`;
  return `${kernel}(n + 2p − ${name}) / s + 1 = (${n} + 2·${p} − ${fd}) / ${s} + 1 = ${top} / ${s} + 1${whole}`;
}

// The output pixels a step-through visits: `count` steps to the right of x (by one output
// pixel each: the window moves by the stride), turning back at the right edge.
export function slidePositions(x, y, count, width) {
  const steps = [];
  for (let k = 0; k < count; k++) steps.push({ x: Math.min(width - 1, x + k), y });
  return steps.filter((p, i) => i === 0 || p.x !== steps[i - 1].x);
}

// Which value a pooling window keeps: for max, the largest and where it is (the first one
// on a tie, reading row by row); for average, the mean of every value.
export function poolWinner(values, kind) {
  const flat = values.flat();
  if (kind === "avg") return { value: flat.reduce((a, b) => a + b, 0) / flat.length, row: -1, col: -1 };
  let best = { value: -Infinity, row: -1, col: -1 };
  values.forEach((row, i) => row.forEach((v, j) => { if (v > best.value) best = { value: v, row: i, col: j }; }));
  return best;
}

// Cosine between two kernels' weights (any shape, flattened): 1 the same pattern, -1 its
// negative, 0 unrelated.
export function cosine(a, b) {
  const x = a.flat(2);
  const y = b.flat(2);
  let dot = 0; let nx = 0; let ny = 0;
  x.forEach((v, i) => { dot += v * y[i]; nx += v * v; ny += y[i] * y[i]; });
  return nx && ny ? dot / Math.sqrt(nx * ny) : 0;
}

// Of learned RGB filters (each 3 slices of k x k), the one whose pattern summed over R, G, B
// is most like `kernel` (k x k), or like its negative: {index, cosine} (cosine < 0: negative).
export function mostAlike(filters, kernel) {
  let best = { index: -1, cosine: 0 };
  filters.forEach((f, index) => {
    const summed = f[0].map((row, i) => row.map((_, j) => f.reduce((s, slice) => s + slice[i][j], 0)));
    const c = cosine(summed, kernel);
    if (Math.abs(c) > Math.abs(best.cosine)) best = { index, cosine: c };
  });
  return best;
}
