// "Trained from scratch, side by side": the lecture's small CNN trained on the project's
// photos as a job, its 16 first-layer filters redrawn after every epoch (from noise), its
// training and validation curves, then the comparison with the transfer-learned classifier.
import * as api from "./api.js";
import { withImage } from "./images.js";
import { followJob } from "./jobs.js";
import { newestWins } from "./lib/latest.js";
import { pct } from "./lib/format.js";
import { drawChart } from "./render/teach-chart.js";
import { renderCompare } from "./render/teach-compare.js";
import { JobProgress } from "./render/job-progress.js";
import { renderNetwork, renderWhere } from "./render/teach-network.js";
import { startIn } from "./teach-jobs.js";
import { guard } from "./status.js";

const TRAIN = "#3b6fd8";
const VAL = "#e07b39";

export class Scratch {
  // q: the tab's finder; project(): the project on screen.
  constructor(q, project) {
    this.q = q;
    this.project = project;
    this.progress = new JobProgress(q("scratch-job"));
    this.shownFor = null;  // the project whose run is on screen
    this.jobId = null;     // the scratch job on screen
    this.result = null;
    this.history = [];
    this.mapsUrl = null;
    // Epochs finish faster than their pictures load: only the newest asked for is drawn.
    this.drawFilters = newestWins(async (url, epoch) => {
      const bitmap = await createImageBitmap(await api.teachPicture(url));
      return { bitmap, epoch };
    });
    q("scratch-train").addEventListener("click", () => startIn(q("scratch-job"), this.progress, () => this.train()));
    q("scratch-epoch").addEventListener("input", (e) => guard(() => this.showEpoch(Number(e.target.value))));
    q("scratch-maps-run").addEventListener("click", () => guard(() => this.maps()));
  }

  // The project on screen changed: show its latest from-scratch training, finished or
  // still running (a page opened again follows it), if the project names one.
  async sync() {
    const p = this.project();
    const trained = p.run && p.run.status === "done" ? p.run.seed : null;
    this.q("scratch-seed").placeholder = trained === null ? "0" : `${trained}, as trained`;
    if (this.shownFor === p.id) return;
    this.clear();
    this.shownFor = p.id;
    if (!p.scratch_job) return;
    let job;
    try {
      job = await api.getJob(api.jobUrl(p.scratch_job));
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 404) return;  // the job has expired
      throw err;
    }
    if (this.shownFor === p.id && job.status !== "failed" && job.status !== "cancelled") await this.follow(job);
  }

  clear() {
    const q = this.q;
    this.result = null;
    this.jobId = null;
    this.history = [];
    q("scratch-network").replaceChildren();
    q("scratch-live").hidden = true;
    q("scratch-result").hidden = true;
    q("scratch-maps").hidden = true;
    q("scratch-epoch").hidden = true;
    for (const id of ["scratch-filters", "scratch-loss", "scratch-accuracy"]) {
      const c = q(id);
      c.getContext("2d").clearRect(0, 0, c.width, c.height);
      delete c.dataset.epoch;
    }
  }

  async train() {
    const pid = this.project().id;
    const seed = this.q("scratch-seed").value;  // empty: the classifier's training seed (its folds)
    const body = { epochs: Number(this.q("scratch-epochs").value) || 20, ...(seed === "" ? {} : { seed: Number(seed) }) };
    const { job } = await api.startScratch(pid, body);
    this.clear();
    this.shownFor = pid;
    await this.follow(job);
  }

  // A scratch job as it runs (the table, the curves, each epoch's filters), then its result.
  async follow(job) {
    this.jobId = job.id;
    this.q("scratch-job").hidden = false;
    this.q("scratch-live").hidden = false;
    let drawn = -1;
    const last = await followJob(job, (j) => {
      this.progress.show(j);
      if (this.jobId !== job.id) return;
      const extra = j.extra || {};
      if (extra.layers) renderNetwork(this.q("scratch-network"), extra.layers);
      if (extra.history) this.curves(extra.history, extra.epochs);
      if (extra.filters && extra.epoch !== undefined && extra.epoch !== drawn) {
        drawn = extra.epoch;
        this.filters(extra.filters, extra.epoch, extra.epochs);
      }
    });
    if (last.status !== "done" || this.jobId !== job.id) return;
    this.showResult(await api.teachResult(last.result), job.id);
  }

  async filters(url, epoch, epochs) {
    const drawn = await this.drawFilters(url, epoch);
    if (!drawn) return;
    const canvas = this.q("scratch-filters");
    canvas.width = drawn.bitmap.width;
    canvas.height = drawn.bitmap.height;
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(drawn.bitmap, 0, 0);
    canvas.dataset.epoch = String(drawn.epoch);
    const change = this.result && this.result.filter_change ? this.result.filter_change[drawn.epoch] : null;
    this.q("scratch-filters-caption").textContent = `The 16 first-layer filters (3×3, RGB; grey is 0) ` +
      (drawn.epoch === 0 ? "at the random start, before any training" : `after epoch ${drawn.epoch} of ${epochs}`) +
      (change === null || change === undefined ? "" : `: changed ${pct(change)} from the start`);
  }

  showEpoch(epoch) {
    if (!this.result) return null;
    return this.filters(api.scratchFiltersUrl(this.project().id, this.jobId, epoch), epoch, this.result.epochs);
  }

  curves(history, epochs) {
    this.history = history;
    const xs = history.map((h) => h.epoch);
    const domain = [1, Math.max(2, epochs || xs.length)];
    drawChart(this.q("scratch-loss"), {
      x: { domain, label: "epoch", format: String },
      y: { floor: 0, label: "loss" },
      series: [
        { label: "training", color: TRAIN, xs, ys: history.map((h) => h.train_loss), dots: true },
        { label: "validation (held out)", color: VAL, xs, ys: history.map((h) => h.val_loss), dots: true },
      ],
    });
    const transfer = this.result ? this.result.transfer.accuracy : null;
    const classes = this.result ? this.result.classes.length : 0;
    drawChart(this.q("scratch-accuracy"), {
      x: { domain, label: "epoch", format: String },
      y: { domain: [0, 1], label: "accuracy", format: (v) => `${Math.round(v * 100)}%` },
      series: [
        { label: "training", color: TRAIN, xs, ys: history.map((h) => h.train_accuracy), dots: true },
        { label: "validation", color: VAL, xs, ys: history.map((h) => h.val_accuracy), dots: true },
      ],
      lines: [
        ...(transfer === null ? [] : [{ y: transfer, label: `pretrained + new layer ${pct(transfer)}`, color: "#2e7d32" }]),
        ...(classes ? [{ y: 1 / classes, label: `chance ${pct(1 / classes)}`, color: "#a35a00" }] : []),
      ],
    });
  }

  // The finished run: the table, the curves, the side by side, where the parameters sit.
  showResult(result, jobId) {
    const q = this.q;
    this.result = result;
    this.jobId = jobId;
    renderNetwork(q("scratch-network"), result.layers);
    q("scratch-live").hidden = false;  // shown first: the charts are drawn at their shown size
    this.curves(result.history, result.epochs);
    renderCompare(q("scratch-compare"), result);
    renderWhere(q("scratch-where"), result.layers);
    q("scratch-reading").textContent = result.reading;
    q("scratch-result").hidden = false;
    const slider = q("scratch-epoch");
    slider.max = String(result.epochs);
    slider.value = String(result.epochs);
    slider.hidden = false;
    this.showEpoch(result.epochs);
  }

  async maps() {
    const pid = this.project().id;
    let blob;
    try {
      blob = await withImage((id) => api.scratchMaps(pid, this.jobId, id));
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      this.q("scratch-maps").hidden = false;
      this.q("scratch-maps-img").hidden = true;
      this.q("scratch-maps-caption").textContent = err.message;
      return;
    }
    this.q("scratch-maps-img").hidden = false;
    if (this.mapsUrl) URL.revokeObjectURL(this.mapsUrl);
    this.q("scratch-maps-img").src = this.mapsUrl = URL.createObjectURL(blob);
    this.q("scratch-maps").hidden = false;
    this.q("scratch-maps-caption").textContent = "The small network's 16 feature maps (after ReLU, 148×148) on the " +
      "photo loaded above, each scaled to its own maximum: where each of its 16 learned filters responds.";
  }
}
