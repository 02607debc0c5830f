// The CNN tab's small views: predictions, the stage strip, attribution, pooled vector, filters.
import { el } from "../dom.js";
import { num, pct, shape } from "../lib/format.js";
import { count } from "../lib/sharing.js";
import { renderBars } from "./prob-bars.js";

// The top class leads; the coarse group ("dog: 98%") follows, smaller, only when the top
// class is in one and the group is likely: then it is the useful summary of many breeds.
export function renderPredictions(headline, list, groupLine, prediction) {
  const best = prediction.top[0];
  headline.textContent = `${best.label}: ${pct(best.prob)}`;
  renderBars(list, prediction.top.map((t) => ({ label: t.label, fraction: t.prob, text: pct(t.prob) })));
  const name = prediction.top_group;
  const p = name ? prediction.groups[name] : 0;
  groupLine.hidden = !(name && p >= 0.5);
  groupLine.textContent = groupLine.hidden ? "" : `${name}: ${pct(p)} (summed over every ${name} class)`;
  groupLine.dataset.group = name || "";
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
  renderBars(list, pooled.top.map((t) => ({ label: `#${t.index}`, fraction: Math.abs(t.value) / peak, text: num(t.value) })));
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
