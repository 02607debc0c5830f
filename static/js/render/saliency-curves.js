// The deletion and insertion curves of every measured map: two small plots (probability
// against the share of pixels removed or revealed) and one legend with each area.
import { el } from "../dom.js";
import { num } from "../lib/format.js";

// One colour per method, shared with the tiles' names.
export const COLOURS = Object.freeze({
  gradcam: "#d62728", gradcampp: "#ff7f0e", layercam: "#2ca02c",
  scorecam: "#9467bd", occlusion: "#8c564b", gradient: "#1f77b4",
});

const W = 360;
const H = 220;
const PAD = { left: 38, right: 8, top: 10, bottom: 30 };

function plot(canvas, methods, key) {
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
  ctx.lineWidth = 2;
  for (const m of methods) {
    const values = m[key];
    ctx.strokeStyle = COLOURS[m.method] || "#000";
    ctx.beginPath();
    values.forEach((p, i) => (i ? ctx.lineTo(x(i, values.length), y(p)) : ctx.moveTo(x(i, values.length), y(p))));
    ctx.stroke();
  }
}

function panel(title, methods, key) {
  const canvas = el("canvas", { className: "curve" });
  canvas.setAttribute("data-testid", `curve-${key}`);
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${title}: ` + methods.map((m) => `${m.name} area ${num(m[`${key}_auc`])}`).join(", "));
  plot(canvas, methods, key);
  return el("figure", {}, [canvas, el("figcaption", { textContent: title })]);
}

// `result` is a finished faithfulness job's JSON.
export function renderCurves(root, result) {
  const legend = el("ul", { className: "curve-legend" }, result.methods.map((m) => {
    const swatch = el("span", { className: "swatch" });
    swatch.style.background = COLOURS[m.method];
    return el("li", {}, [swatch, `${m.name}: deletion\u00a0${num(m.deletion_auc)}, insertion\u00a0${num(m.insertion_auc)}`]);
  }));
  const ends = el("p", { className: "hint", textContent:
    `${result.label}: ${num(result.probability)} on the photo, ${num(result.grey_probability)} on the all-grey image ` +
    "(where every deletion curve ends and every insertion curve starts)." });
  root.replaceChildren(
    el("div", { className: "curve-plots" }, [
      panel("Deletion (lower area is better)", result.methods, "deletion"),
      panel("Insertion (higher area is better)", result.methods, "insertion"),
    ]), legend, ends);
  root.hidden = false;
}
