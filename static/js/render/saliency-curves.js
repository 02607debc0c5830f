// The deletion and insertion curves of every measured map: two small plots (probability
// against the share of pixels removed or revealed) and one legend with each area. Each
// resolution's random maps are drawn too (their mean curve, dashed grey), the baseline the
// maps of that resolution are judged against.
import { el } from "../dom.js";
import { num } from "../lib/format.js";

// One colour per method, shared with the tiles' names.
export const COLOURS = Object.freeze({
  gradcam: "#d62728", gradcampp: "#ff7f0e", layercam: "#2ca02c",
  scorecam: "#9467bd", occlusion: "#8c564b", gradient: "#1f77b4",
});

// One dash pattern and grey per random baseline (at most three in one measurement: a stage's
// grid, occlusion's grid, the pixels).
const BASELINE_STYLES = [
  { dash: [6, 4], colour: "#4d4d4d" }, { dash: [2, 3], colour: "#7a7a7a" },
  { dash: [10, 3, 2, 3], colour: "#333333" },
];

// The distinct random baselines of a result, in order of first use, each with the methods
// judged against it.
export function baselines(result) {
  const found = new Map();
  for (const m of result.methods) {
    if (!found.has(m.random_map)) {
      found.set(m.random_map, { label: m.random_map, deletion: m.random_deletion, insertion: m.random_insertion,
        deletion_auc: m.random_deletion_auc, deletion_sd: m.random_deletion_auc_sd,
        insertion_auc: m.random_insertion_auc, insertion_sd: m.random_insertion_auc_sd, names: [],
        style: BASELINE_STYLES[found.size % BASELINE_STYLES.length] });
    }
    found.get(m.random_map).names.push(m.name);
  }
  return [...found.values()];
}

const W = 360;
const H = 220;
const PAD = { left: 38, right: 8, top: 10, bottom: 30 };

function line(ctx, values, x, y) {
  ctx.beginPath();
  values.forEach((p, i) => (i ? ctx.lineTo(x(i, values.length), y(p)) : ctx.moveTo(x(i, values.length), y(p))));
  ctx.stroke();
}

function plot(canvas, methods, randoms, key) {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = W * ratio;
  canvas.height = H * ratio;
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  const x = (i, n) => PAD.left + (i / (n - 1)) * (W - PAD.left - PAD.right);
  const y = (p) => H - PAD.bottom - p * (H - PAD.top - PAD.bottom);
  ctx.strokeStyle = "#9aa3b1";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(PAD.left, PAD.top);
  ctx.lineTo(PAD.left, H - PAD.bottom);
  ctx.lineTo(W - PAD.right, H - PAD.bottom);
  ctx.stroke();
  ctx.fillStyle = "#5a6472";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  ctx.fillText("1", PAD.left - 4, y(1) + 4);
  ctx.fillText("0", PAD.left - 4, y(0));
  ctx.textAlign = "center";
  ctx.fillText("0%", PAD.left, H - PAD.bottom + 14);
  ctx.fillText("100%", W - PAD.right - 12, H - PAD.bottom + 14);
  ctx.fillText(key === "deletion" ? "pixels greyed, most important first" : "pixels revealed, most important first",
    (PAD.left + W - PAD.right) / 2, H - 4);
  ctx.save();
  ctx.translate(11, (PAD.top + H - PAD.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText("probability", 0, 0);
  ctx.restore();
  ctx.lineWidth = 1.5;
  for (const r of randoms) {
    ctx.strokeStyle = r.style.colour;
    ctx.setLineDash(r.style.dash);
    line(ctx, r[key], x, y);
  }
  ctx.setLineDash([]);
  ctx.lineWidth = 2;
  for (const m of methods) {
    ctx.strokeStyle = COLOURS[m.method] || "#000";
    line(ctx, m[key], x, y);
  }
}

function panel(title, result, randoms, key) {
  const canvas = el("canvas", { className: "curve" });
  canvas.setAttribute("data-testid", `curve-${key}`);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${title}: ` + [
    ...result.methods.map((m) => `${m.name} area ${num(m[`${key}_auc`])}`),
    ...randoms.map((r) => `random ${r.label} mean area ${num(r[`${key}_auc`])}`),
  ].join(", "));
  plot(canvas, result.methods, randoms, key);
  return el("figure", {}, [canvas, el("figcaption", { textContent: title })]);
}

// A legend swatch: a colour block for a method; for a random baseline, its line as drawn.
function swatch(colour, dash) {
  if (!dash) {
    const node = el("span", { className: "swatch" });
    node.style.background = colour;
    return node;
  }
  const ratio = window.devicePixelRatio || 1;
  const canvas = el("canvas", { className: "swatch-line", width: 28 * ratio, height: 10 * ratio });
  const ctx = canvas.getContext("2d");
  ctx.scale(ratio, ratio);
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1.5;
  ctx.setLineDash(dash);
  ctx.beginPath();
  ctx.moveTo(0, 5);
  ctx.lineTo(28, 5);
  ctx.stroke();
  return canvas;
}

// `result` is a finished faithfulness job's JSON.
export function renderCurves(root, result) {
  const randoms = baselines(result);
  const legend = el("ul", { className: "curve-legend" }, [
    ...result.methods.map((m) => el("li", {}, [swatch(COLOURS[m.method]),
      `${m.name}: deletion\u00a0${num(m.deletion_auc)}, insertion\u00a0${num(m.insertion_auc)}`])),
    ...randoms.map((r) => {
      const item = el("li", {}, [swatch(r.style.colour, r.style.dash),
        `${result.random_maps} random maps, ${r.label} (for ${r.names.join(", ")}): deletion\u00a0` +
        `${num(r.deletion_auc, 2)}\u00a0±\u00a0${num(r.deletion_sd, 2)}, insertion\u00a0` +
        `${num(r.insertion_auc, 2)}\u00a0±\u00a0${num(r.insertion_sd, 2)}`]);
      item.setAttribute("data-testid", "curve-legend-random");
      return item;
    }),
  ]);
  const ends = el("p", { className: "hint", textContent:
    `${result.label}: ${num(result.probability)} on the photo, ${num(result.grey_probability)} on the all-grey image ` +
    "(where every deletion curve ends and every insertion curve starts)." });
  root.replaceChildren(
    el("div", { className: "curve-plots" }, [
      panel("Deletion (lower area is better)", result, randoms, "deletion"),
      panel("Insertion (higher area is better)", result, randoms, "insertion"),
    ]), legend, ends);
  root.hidden = false;
}
