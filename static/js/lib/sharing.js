// The parameter-sharing lesson's numbers: a stage's weights against a dense layer's.
// Pure (no DOM): tested with `node --test`.
import { shape } from "./format.js";

// Engineering notation for big counts: 60.4 G, 13.9 k.
export function count(n) {
  const units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [v, u] of units) if (n >= v) return `${Number((n / v).toFixed(1))} ${u}`;
  return String(n);
}

// One sentence for a row of GET /api/model's stage table (`table` is the whole table).
export function sharingLesson(row, table = []) {
  if (!row || !row.in_shape) return "";
  if (row.id === "classifier") {
    const head = table.find((r) => r.id === "head");
    const before = head ? head.out_shape.reduce((a, b) => a * b, 1) * row.out_shape[0] : 0;
    return `classifier: ${shape(row.in_shape)} pooled features in, ${shape(row.out_shape)} class scores out. ` +
      `This is the one dense layer: every input has its own weight to every output (${count(row.params)} ` +
      "parameters, nothing shared). It is affordable because global average pooling first shrank the head's " +
      `${head ? shape(head.out_shape) : ""} maps to one number each; a dense layer on the maps themselves would need ${count(before)}.`;
  }
  return `${row.id}: ${shape(row.in_shape)} in, ${shape(row.out_shape)} out. ` +
    `A dense layer connecting every input value to every output value would need ` +
    `${count(row.dense_params)} weights; this convolutional stage ` +
    `uses ${count(row.params)}, because each small kernel is shared across every position.`;
}
