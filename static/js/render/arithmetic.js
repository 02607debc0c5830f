// The output-size arithmetic with the real numbers, warnings, statistics and the legend.
import { finder } from "../dom.js";
import { num } from "../lib/format.js";

// The formulas and warnings follow the layer's shape only: while a value is dragged they stay
// as they are, and only the statistics line is rewritten.
export function renderArithmetic(root, summary) {
  const q = finder(root);
  const o = summary.output;
  q("stats").textContent = `Output ${o.width}×${o.height}${o.channels === 3 ? "×3" : ""}: min ${num(summary.stats.min)}, mean ${num(summary.stats.mean)}, max ${num(summary.stats.max)}`;
  const shape = JSON.stringify([summary.input, summary.kernel, summary.padding, summary.stride,
    summary.dilation, summary.formulas, summary.warnings]);
  if (q("formula").dataset.shape === shape) return;
  q("formula").dataset.shape = shape;
  const pad = summary.padding;
  const k = summary.kernel;
  // Pictures are width × height everywhere on the page; a kernel is rows × columns.
  const intro = `Input ${summary.input.width}×${summary.input.height} (width × height), kernel ${k.height}×${k.width}` +
    (k.slices === 3 ? "×3 (rows × columns × R, G, B summed)" : " (rows × columns)") +
    `, padding top ${pad.top}, bottom ${pad.bottom}, left ${pad.left}, right ${pad.right}, ` +
    `stride ${summary.stride}, dilation ${summary.dilation}`;
  const rows = summary.formulas.map((f) => {
    const li = document.createElement("li");
    li.textContent = `${f.stage === "pool" ? "after pooling, " : ""}${f.axis}: ${f.text}`;
    return li;
  });
  const general = Object.assign(document.createElement("p"), {
    className: "general", textContent: "out = floor((n + p_before + p_after − d·(f − 1) − 1) / s) + 1",
  });
  const list = document.createElement("ul");
  list.append(...rows);
  q("formula").replaceChildren(Object.assign(document.createElement("p"), { textContent: intro }), general, list);
  q("warnings").replaceChildren(...summary.warnings.map((w) => Object.assign(document.createElement("li"), { textContent: w })));
}

// A legend true to what is drawn: one colour scale for a single-channel output; for an
// R, G, B output (three channels shown as one colour picture) the scale each channel
// follows, in grey levels, since no single colour bar can stand for it.
// While a value is dragged only the numbers at the ends change: those are rewritten in place.
export function renderLegend(root, display, channels = 1) {
  const rgb = channels === 3;
  const ends = display.mode === "diverging" ? [`≤ ${num(display.low)}`, "0", `≥ ${num(display.high)}`]
    : display.mode === "minmax" ? [num(display.low), "", num(display.high)]
      : { abs: ["0", "", "|value| ≥ 255"], clip: ["≤ 0", "", "≥ 255"] }[display.mode];
  const kind = `legend ${rgb && display.mode === "diverging" ? "rgb-diverging" : display.mode}`;
  if (root.dataset.kind === `${kind} ${channels}`) {
    root.querySelectorAll(".ends span").forEach((span, i) => { span.textContent = ends[i]; });
    return;
  }
  root.dataset.kind = `${kind} ${channels}`;
  root.className = kind;
  const bar = Object.assign(document.createElement("div"), { className: "bar" });
  const text = Object.assign(document.createElement("div"), { className: "ends" });
  text.append(...ends.map((t) => Object.assign(document.createElement("span"), { textContent: t })));
  const parts = [bar, text];
  if (rgb) {
    parts.unshift(Object.assign(document.createElement("p"), {
      className: "legend-note",
      textContent: display.mode === "diverging"
        ? "Each of R, G and B on its own scale: dark is negative, mid-grey is 0, bright is positive; colours show where the channels differ."
        : "Each of R, G and B on this scale, from dark to bright; colours show where the channels differ.",
    }));
  }
  root.replaceChildren(...parts);
}
