// A list of labelled bars (class probabilities, pooled features): one row per item.
import { el } from "../dom.js";

// rows: [{label, fraction (0-1 of the bar), text}]
export function renderBars(list, rows) {
  list.replaceChildren(...rows.map((r) => el("li", {}, [
    el("span", { className: "label", textContent: r.label }),
    el("span", { className: "bar" }, el("span", { style: `width:${(Math.max(0, Math.min(1, r.fraction)) * 100).toFixed(1)}%` })),
    el("span", { className: "prob", textContent: r.text }),
  ])));
}
