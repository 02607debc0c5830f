// A line plot as SVG: one or more series of points, round ticks, axis labels, an optional
// dashed marker at one x (the current shift) and a legend. Each point carries its numbers
// in a tooltip.
import { num } from "../lib/format.js";
import { extent, linear, log2Scale, niceTicks } from "../lib/teach-chart.js";
import { el } from "../dom.js";
import { fitPlot, plotRoot, svg, text } from "./lesson-svg.js";

const W = 640;
const H = 300;
const PAD = { left: 72, right: 30, top: 14, bottom: 46 };

// series: [{name, colour, points: [{x, y}], dashed}]; x, y: {label, min, max, format,
// log2 (x only)}; marker: an x value to mark, or null.
export function drawLinePlot(root, { series, x, y, marker = null, label = "" }) {
  const xs = series.flatMap((s) => s.points.map((p) => p.x));
  const ys = series.flatMap((s) => s.points.map((p) => p.y));
  const [x0, x1] = [x.min ?? extent([xs])[0], x.max ?? extent([xs])[1]];
  const [y0, y1] = [y.min ?? extent([ys])[0], y.max ?? extent([ys])[1]];
  const sx = (x.log2 ? log2Scale : linear)(x0, x1, PAD.left, W - PAD.right);
  const sy = linear(y0, y1, H - PAD.bottom, PAD.top);
  const fx = x.format || ((v) => num(v));
  const fy = y.format || ((v) => num(v));
  const xTicks = x.log2 ? xs.filter((v, i) => xs.indexOf(v) === i) : niceTicks(x0, x1, 8);
  const parts = [];
  for (const t of niceTicks(y0, y1, 5)) {
    parts.push(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: sy(t), y2: sy(t), class: "grid" }),
      text(PAD.left - 6, sy(t), fy(t), { "text-anchor": "end", "dominant-baseline": "middle", class: "y-tick" }));
  }
  for (const t of xTicks) parts.push(text(sx(t), H - PAD.bottom + 6, fx(t), { "text-anchor": "middle", "dominant-baseline": "hanging", class: "x-tick" }));
  parts.push(
    svg("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "axis" }),
    svg("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: "axis" }),
    text((PAD.left + W - PAD.right) / 2, H - 8, x.label, { "text-anchor": "middle", class: "x-label" }),
    text(14, (PAD.top + H - PAD.bottom) / 2, y.label, { "text-anchor": "middle", class: "y-label", transform: `rotate(-90 14 ${(PAD.top + H - PAD.bottom) / 2})` }),
  );
  if (marker !== null && marker >= x0 && marker <= x1) {
    parts.push(svg("line", { x1: sx(marker), x2: sx(marker), y1: PAD.top, y2: H - PAD.bottom, class: "marker" }));
  }
  for (const s of series) {
    const d = s.points.filter((p) => Number.isFinite(p.y)).map((p, i) => `${i ? "L" : "M"}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join("");
    parts.push(svg("path", { d, class: "series", stroke: s.colour, "stroke-dasharray": s.dashed ? "6 4" : "none" }));
    for (const p of s.points.filter((q) => Number.isFinite(q.y))) {
      parts.push(svg("circle", { cx: sx(p.x), cy: sy(p.y), r: s.points.length > 40 ? 2 : 3.5, fill: s.colour },
        svg("title", {}, `${s.name}: ${fy(p.y)} at ${fx(p.x)}`)));
    }
  }
  const legend = el("p", { className: "lesson-legend" }, series.map((s) => {
    const item = el("span", { textContent: s.name });
    item.style.setProperty("--swatch", s.colour);
    return item;
  }));
  // The axes in words too: for a screen reader, and on a phone, where the turned label is hidden.
  legend.append(el("em", { className: "axes", textContent: `${y.label} against ${x.label}` }));
  const plot = plotRoot(W, H, { class: "lesson-plot", role: "img", "aria-label": label }, parts);
  root.replaceChildren(plot, legend);
  fitPlot(plot);
}
