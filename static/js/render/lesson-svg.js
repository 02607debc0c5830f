// Building SVG for the lessons' plots (the DOM's createElementNS, with attributes), and
// fitting a plot's labels to the type they are drawn in.
const NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...[].concat(children));
  return node;
}

export const text = (x, y, content, attrs = {}) => svg("text", { x, y, ...attrs }, content);

// A plot's root: its drawing area is 0 0 width height; fitPlot may widen the view past it.
export const plotRoot = (width, height, attrs, parts) =>
  svg("svg", { viewBox: `0 0 ${width} ${height}`, "data-area": `${width} ${height}`, ...attrs }, parts);

// Lay out a drawn plot's axis titles beside its tick labels as measured in the type it is
// drawn in (large type and phones use larger type), then widen the view to hold every label,
// so none is clipped or drawn over another. Ticks carry the classes y-tick / x-tick, titles
// y-label (turned) / x-label. A plot that is not laid out (hidden) is left as it is.
export function fitPlot(plot) {
  const [width, height] = (plot.dataset.area || "").split(" ").map(Number);
  if (!width || !plot.getClientRects().length) return;
  const size = parseFloat(getComputedStyle(plot).fontSize);  // in the plot's own units
  const boxes = (selector) => [...plot.querySelectorAll(selector)].map((n) => n.getBBox()).filter((b) => b.width > 0);
  const yTicks = boxes(".y-tick");
  const yLabel = plot.querySelector(".y-label");
  if (yLabel && yTicks.length && yLabel.getClientRects().length) {
    // Turned a quarter left, the title's letters rise to the left of its baseline (about 0.8
    // of the type's size) and hang about 0.25 to the right: keep that clear of the ticks.
    const x = Math.min(...yTicks.map((b) => b.x)) - 0.3 * size - 4;
    const y = Number(yLabel.getAttribute("y"));
    yLabel.setAttribute("x", x.toFixed(1));
    yLabel.setAttribute("transform", `rotate(-90 ${x.toFixed(1)} ${y})`);
  }
  const xTicks = boxes(".x-tick");
  const xLabel = plot.querySelector(".x-label");
  if (xLabel && xTicks.length) {
    const below = Math.max(...xTicks.map((b) => b.y + b.height));
    xLabel.setAttribute("y", (below + 0.9 * size + 2).toFixed(1));  // one line under the ticks
  }
  const all = plot.getBBox();
  const x0 = Math.min(0, Math.floor(all.x - 2));
  const y0 = Math.min(0, Math.floor(all.y - 2));
  const x1 = Math.max(width, Math.ceil(all.x + all.width + 2));
  const y1 = Math.max(height, Math.ceil(all.y + all.height + 2));
  plot.setAttribute("viewBox", `${x0} ${y0} ${x1 - x0} ${y1 - y0}`);
}

// Every plot under `root` fitted again (after the type changed, or once a hidden tab shows).
export function refitPlots(root) {
  for (const plot of root.querySelectorAll("svg[data-area]")) fitPlot(plot);
}
