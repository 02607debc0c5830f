// A histogram of values as SVG bars: negative bins blue, positive red, the bin holding 0
// grey (an odd number of bins over -L..L puts 0 in the middle of one). Counts on a
// square-root scale (said on the axis), so the tall bar at 0 after a ReLU does not flatten
// every other bar.
import { num } from "../lib/format.js";
import { count } from "../lib/sharing.js";
import { linear } from "../lib/teach-chart.js";
import { fitPlot, plotRoot, svg, text } from "./lesson-svg.js";

const W = 420;
const H = 200;
const PAD = { left: 58, right: 10, top: 12, bottom: 34 };

// hist: {counts, edges}; yMax: the count at the top (the same for histograms compared).
export function drawHistogram(root, hist, { yMax = Math.max(...hist.counts), label = "" } = {}) {
  const { counts, edges } = hist;
  const x = linear(edges[0], edges[edges.length - 1], PAD.left, W - PAD.right);
  const y = linear(0, Math.sqrt(Math.max(1, yMax)), H - PAD.bottom, PAD.top);
  const bars = counts.map((c, i) => {
    const lo = edges[i];
    const hi = edges[i + 1];
    const kind = lo <= 0 && 0 < hi ? "#8a8f98" : hi <= 0 ? "#2166ac" : "#b2182b";
    const top = y(Math.sqrt(c));
    return svg("rect", { x: x(lo) + 0.5, y: top, width: Math.max(1, x(hi) - x(lo) - 1), height: H - PAD.bottom - top, fill: kind },
      svg("title", {}, `${num(lo, 1)} to ${num(hi, 1)}: ${c} values`));
  });
  const below = { "dominant-baseline": "hanging", class: "x-tick" };
  const zero = edges[0] < 0 && edges[edges.length - 1] > 0
    ? [svg("line", { x1: x(0), x2: x(0), y1: PAD.top, y2: H - PAD.bottom, class: "marker" }), text(x(0), H - PAD.bottom + 6, "0", { ...below, "text-anchor": "middle" })]
    : [];
  const beside = { "text-anchor": "end", "dominant-baseline": "middle", class: "y-tick" };
  const plot = plotRoot(W, H, { class: "lesson-plot hist", role: "img", "aria-label": label }, [
    svg("line", { x1: PAD.left, x2: W - PAD.right, y1: H - PAD.bottom, y2: H - PAD.bottom, class: "axis" }),
    svg("line", { x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: H - PAD.bottom, class: "axis" }),
    ...bars, ...zero,
    text(PAD.left, H - PAD.bottom + 6, num(edges[0], 1), { ...below, "text-anchor": "start" }),
    text(W - PAD.right, H - PAD.bottom + 6, num(edges[edges.length - 1], 1), { ...below, "text-anchor": "end" }),
    text(PAD.left - 6, PAD.top, count(yMax), beside),
    text(PAD.left - 6, H - PAD.bottom, "0", beside),
    text(12, (H - PAD.bottom) / 2, "count (√ scale)", { transform: `rotate(-90 12 ${(H - PAD.bottom) / 2})`, "text-anchor": "middle", class: "y-label" }),
  ]);
  root.replaceChildren(plot);
  fitPlot(plot);
}
