// "How many photos do you need?": the learning curve of the project, a job that trains the
// classifier again on 1, 2, 4, ... photos per class and tests it on photos it did not see.
import * as api from "./api.js";
import { el } from "./dom.js";
import { followJob } from "./jobs.js";
import { num, pct } from "./lib/format.js";
import { plural } from "./lib/teach-text.js";
import { drawChart } from "./render/teach-chart.js";
import { JobProgress } from "./render/job-progress.js";
import { startIn } from "./teach-jobs.js";

export class LearningCurve {
  // q: the tab's finder; project(): the project on screen.
  constructor(q, project) {
    this.q = q;
    this.project = project;
    this.progress = new JobProgress(q("curve-job"));
    this.shownFor = null;  // the project whose curve is on screen
    q("curve-run").addEventListener("click", () => startIn(q("curve-job"), this.progress, () => this.run()));
  }

  // Another project: its curve is not this one.
  sync() {
    const p = this.project();
    if (this.shownFor && this.shownFor !== p.id) this.clear();
  }

  clear() {
    this.shownFor = null;
    this.q("curve-chart").hidden = true;
    this.q("curve-caption").replaceChildren();
  }

  async run() {
    const pid = this.project().id;
    const { job } = await api.startLearningCurve(pid);
    const last = await followJob(job, (j) => {
      this.progress.show(j);
      if (j.extra && j.extra.points && j.extra.points.length && this.project().id === pid) {
        this.draw(pid, { points: j.extra.points, sizes: j.extra.sizes, repeats: j.extra.repeats });
      }
    });
    if (last.status !== "done" || this.project().id !== pid) return;
    const curve = await api.teachResult(last.result);
    this.draw(pid, curve, true);
  }

  // curve: {points, chance?, sizes?, repeats, seconds?}; `done`: the finished result.
  draw(pid, curve, done = false) {
    this.shownFor = pid;
    const canvas = this.q("curve-chart");
    canvas.hidden = false;
    const pts = curve.points;
    const xs = pts.map((p) => p.per_class);
    const sizes = curve.sizes || xs;
    const mean = pts.map((p) => p.accuracy);
    drawChart(canvas, {
      x: { domain: [sizes[0], sizes[sizes.length - 1]], log2: true, ticks: sizes, label: "photos per class (trained on)", format: String },
      y: { domain: [0, 1], label: "held-out accuracy", format: (v) => `${Math.round(v * 100)}%` },
      series: [{ label: `mean of ${plural(curve.repeats, "repeat")}`, color: "#3b6fd8", xs, ys: mean, dots: true }],
      band: { color: "rgba(59, 111, 216, .18)", xs, lo: pts.map((p) => p.accuracy - p.spread), hi: pts.map((p) => p.accuracy + p.spread) },
      whiskers: pts[0].low === undefined ? null : { color: "#7d9be0", xs, lo: pts.map((p) => p.low), hi: pts.map((p) => p.high) },
      lines: curve.chance ? [{ y: curve.chance, label: `chance ${pct(curve.chance)}`, color: "#a35a00" }] : [],
    });
    canvas.dataset.points = String(pts.length);
    canvas.dataset.done = String(done);
    const first = pts[0];
    const best = pts[pts.length - 1];
    const summary = done
      ? `With ${plural(first.per_class, "photo")} per class: ${pct(first.accuracy)} right on photos it had not seen; ` +
        `with ${best.per_class}: ${pct(best.accuracy)}${curve.chance ? ` (guessing: ${pct(curve.chance)})` : ""}. ` +
        `The band is the spread (one standard deviation) over ${plural(curve.repeats, "repeat")} with other photos; ` +
        `the bars run from the worst repeat to the best. Measured in ${num(curve.seconds, 2)} s.`
      : "Measuring: each point appears as its size is done.";
    this.q("curve-caption").replaceChildren(el("p", { textContent: summary }), table(pts));
  }
}

function table(pts) {
  const rows = pts.map((p) => el("tr", {}, [
    el("td", { textContent: String(p.per_class) }), el("td", { textContent: pct(p.accuracy) }),
    el("td", { textContent: `±${pct(p.spread)}` }),
    el("td", { textContent: p.low === undefined ? "" : `${pct(p.low)}–${pct(p.high)}` }),
  ]));
  const head = el("tr", {}, ["photos per class", "accuracy", "spread", "worst–best"].map((t) => el("th", { textContent: t })));
  const t = el("table", { className: "numbers-table" }, [el("thead", {}, head), el("tbody", {}, rows)]);
  t.setAttribute("data-testid", "curve-table");
  return el("details", {}, [el("summary", { textContent: "the numbers" }), t]);
}
