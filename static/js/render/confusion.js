// The confusion matrix of a training run: rows are the true class, columns the prediction.
import { el } from "../dom.js";

export function renderConfusion(table, names, confusion) {
  table.replaceChildren();
  if (!confusion.length) return;
  const head = table.createTHead().insertRow();
  head.append(el("th", { textContent: "true ↓ / predicted →" }), ...names.map((n) => el("th", { textContent: n })));
  confusion.forEach((row, i) => {
    const tr = table.insertRow();
    tr.append(el("th", { textContent: names[i] }));
    row.forEach((v, j) => { const td = tr.insertCell(); td.textContent = v; if (i === j) td.className = "diag"; });
  });
}
