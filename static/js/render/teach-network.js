// The from-scratch network as a table (each layer, its output, its parameters and the
// formula behind the count), and a bar of where its parameters sit.
import { el } from "../dom.js";
import { shape } from "../lib/format.js";
import { grouped, parameterShares, sharePct, whereParametersSit } from "../lib/teach-text.js";

// layers: [{name, kind, output_shape, parameters, formula}] as the scratch result gives them.
export function renderNetwork(table, layers) {
  const total = layers.reduce((sum, l) => sum + l.parameters, 0);
  const head = el("tr", {}, ["layer", "output", "parameters", "counted as"].map((t) => el("th", { textContent: t })));
  const rows = layers.map((l) => el("tr", {}, [
    el("td", { textContent: l.kind || l.name }),
    el("td", { textContent: shape(l.output_shape) }),
    el("td", { className: "n", textContent: grouped(l.parameters) }),
    el("td", { className: "formula", textContent: l.formula || "" }),
  ]));
  const foot = el("tr", {}, [el("th", { textContent: "in all" }), el("td"),
    el("th", { className: "n", textContent: grouped(total) }), el("td")]);
  table.replaceChildren(el("thead", {}, head), el("tbody", {}, rows), el("tfoot", {}, foot));
}

// A stacked bar, one segment per layer with parameters, and the sentence that reads it.
export function renderWhere(root, layers) {
  const shares = parameterShares(layers);
  const bar = el("div", { className: "share-bar" }, shares.map((s) => {
    const seg = el("span", { className: `seg seg-${s.name.replace(/\W/g, "")}`, title: `${s.kind || s.name}: ${grouped(s.parameters)}` });
    seg.style.flexGrow = String(Math.max(s.share, 0.004));  // a tiny layer stays visible
    return seg;
  }));
  const keys = el("ul", { className: "share-keys" }, shares.map((s) =>
    el("li", {}, [el("span", { className: `key seg-${s.name.replace(/\W/g, "")}` }), `${s.kind || s.name}: ${sharePct(s.share)} (${grouped(s.parameters)})`])));
  root.replaceChildren(el("h4", { textContent: "Where the small network's parameters sit" }), bar, keys,
    el("p", { textContent: whereParametersSit(layers) }));
}
