// The CNN tab's small views: predictions, the stage strip, attribution, pooled vector, filters.
import { num, pct, shape } from "../lib/format.js";

const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  for (const c of [].concat(children)) node.append(c);
  return node;
};

export function renderPredictions(list, groupLine, prediction) {
  list.replaceChildren(...prediction.top.map((t) => el("li", {}, [
    el("span", { className: "label", textContent: t.label }),
    el("span", { className: "bar" }, el("span", { style: `width:${(t.prob * 100).toFixed(1)}%` })),
    el("span", { className: "prob", textContent: pct(t.prob) }),
  ])));
  const [name, p] = Object.entries(prediction.groups).sort((a, b) => b[1] - a[1])[0];
  groupLine.textContent = p >= 0.5
    ? `${name}: ${pct(p)} (summed over every ${name} class)`
    : `No coarse group is likely (best: ${name} ${pct(p)}).`;
  groupLine.dataset.group = name;
}

// Engineering notation for big counts: 60.4 G, 13.9 k.
export function count(n) {
  const units = [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [v, u] of units) if (n >= v) return `${Number((n / v).toFixed(1))} ${u}`;
  return String(n);
}

export function renderStrip(strip, table, strengths, selected, onPick) {
  const byId = Object.fromEntries((strengths || []).map((s) => [s.stage, s]));
  const peak = Math.max(1e-9, ...Object.values(byId).map((s) => Math.abs(s.mean)));
  strip.replaceChildren(...table.map((row) => {
    const s = byId[row.id];
    // After global average pooling every output sees the whole input.
    const rf = row.id === "classifier" ? "whole image" : `RF ${row.receptive_field}`;
    const top = s ? s.top_channels.slice(0, 3).map((c) => `#${c.index}`).join(" ") : "";
    const button = el("button", {
      type: "button", className: "stage" + (row.id === selected ? " selected" : ""),
      title: row.id === "classifier" ? "the dense layer: 1280 pooled features to 1000 classes"
        : `receptive field ${row.receptive_field} px, stride ${row.stride}; strongest channels ${top}`,
    }, [
      el("strong", { textContent: row.id }),
      el("span", { textContent: shape(row.out_shape) }),
      el("span", { className: "small", textContent: `stride ${row.stride} · ${rf}` }),
      el("span", { className: "small", textContent: `${count(row.params)} params · ${count(row.macs)} MACs` }),
      el("span", { className: "small top", textContent: top ? `top ${top}` : "" }),
      el("span", { className: "strength" }, el("span", { style: `width:${s ? Math.abs(s.mean) / peak * 100 : 0}%` })),
    ]);
    button.setAttribute("data-testid", `stage-${row.id}`);
    button.addEventListener("click", () => onPick(row.id));
    return button;
  }));
}

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
    `${count(row.dense_params)} weights; this ${row.id === "classifier" ? "layer" : "convolutional stage"} ` +
    `uses ${count(row.params)}, because each small kernel is shared across every position.`;
}

export function renderAttribution(list, attribution, onPick) {
  list.replaceChildren(...attribution.channels.map((c) => {
    const item = el("li", {}, el("button", {
      type: "button", className: "link",
      textContent: `channel ${c.index} (${num(c.score)})`,
    }));
    item.firstChild.addEventListener("click", () => onPick(attribution.stage, c.index));
    return item;
  }));
}

export function renderGap(list, pooled) {
  const peak = Math.max(1e-9, ...pooled.top.map((t) => Math.abs(t.value)));
  list.replaceChildren(...pooled.top.map((t) => el("li", {}, [
    el("span", { className: "label", textContent: `#${t.index}` }),
    el("span", { className: "bar" }, el("span", { style: `width:${Math.abs(t.value) / peak * 100}%` })),
    el("span", { className: "prob", textContent: num(t.value) }),
  ])));
}

// 32 filters (out, RGB, 3, 3) as tiles; grey is zero, as in the server's PNG.
export function renderFilters(box, filters, onPick) {
  const flat = filters.flat(3);
  const peak = Math.max(1e-9, ...flat.map(Math.abs));
  box.replaceChildren(...filters.map((f, i) => {
    const canvas = el("canvas", { width: 3, height: 3, className: "filter" });
    const img = new ImageData(3, 3);
    for (let y = 0; y < 3; y++) {
      for (let x = 0; x < 3; x++) {
        const o = (y * 3 + x) * 4;
        for (let c = 0; c < 3; c++) img.data[o + c] = Math.round(f[c][y][x] / peak * 127.5 + 127.5);
        img.data[o + 3] = 255;
      }
    }
    canvas.getContext("2d").putImageData(img, 0, 0);
    const button = el("button", { type: "button", className: "filter-button", title: `filter ${i}: use it in the playground` },
      [canvas, el("span", { textContent: String(i) })]);
    button.setAttribute("data-testid", `stem-filter-${i}`);
    button.addEventListener("click", () => onPick(i, f));
    return button;
  }));
}
