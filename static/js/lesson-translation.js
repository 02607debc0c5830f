// Lesson "translation": the same filter finds a pattern wherever it is, so a stage's map
// moves with the photo; but exactly only by multiples of the stage's stride, and the
// prediction is only approximately unchanged. Everything shown is measured on the photo
// (GET .../translation, a job the first time; .../translation/map and /crop per shift).
import * as api from "./api.js";
import { el } from "./dom.js";
import { withImage } from "./images.js";
import { followJob } from "./jobs.js";
import { cnnLink, testid } from "./lesson-common.js";
import { num, pct } from "./lib/format.js";
import { newestWins } from "./lib/latest.js";
import { describeShifts, rowAt, shiftFacts, takeovers } from "./lib/lesson-shift.js";
import { JobProgress } from "./render/job-progress.js";
import { BoxedPicture } from "./render/lesson-picture.js";
import { drawLinePlot } from "./render/lesson-line-plot.js";

const STAGES = ["stem", "stage1", "stage2", "stage3", "stage4", "stage5", "stage6", "stage7", "head"];
const MAX_SHIFT = 32;

// The curve for photo `id`: at once when the server has it, else after its job (progress
// shown on `progress`; `computing()` is called when there is one).
async function measure(id, params, progress, computing) {
  const first = await api.translationCurve(id, params);
  if (first.status === 200) return first.body;
  computing();
  const job = await followJob(first.body.job, (j) => progress.show(j));
  if (job.status !== "done") {
    throw Object.assign(new Error(job.error ? job.error.message : `Measuring the shifts ${job.status}.`), { code: job.error && job.error.code });
  }
  return api.translationResult(job.result);
}

function translation(box, kit) {
  const stage = testid(el("select"), "shift-stage");
  stage.append(...STAGES.map((s) => new Option(s, s)));
  const axis = testid(el("select"), "shift-axis");
  axis.append(new Option("sideways (x)", "x"), new Option("up and down (y)", "y"));
  const shift = testid(el("input", { type: "range", min: 0, max: 0, step: 1, value: 0, disabled: true }), "shift");
  const shiftOut = testid(el("output", { textContent: "…" }), "shift-value");
  const link = el("span");
  const computingLine = testid(el("p", { className: "lesson-note", hidden: true }), "shift-computing");
  const jobBox = testid(el("div"), "shift-job");
  const views = [el("div"), el("div"), el("div")];
  const caps = [testid(el("figcaption"), "shift-view-caption"), testid(el("figcaption"), "shift-map-caption"),
    el("figcaption", { textContent: "The map of the unshifted view, for comparison (same colour scale)" })];
  const now = testid(el("p", { className: "lesson-big" }), "shift-now");
  const plot = testid(el("div"), "shift-plot");
  const facts = testid(el("div", { className: "lesson-words" }), "shift-facts");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [el("label", {}, ["Stage ", stage]), el("label", {}, ["Shift ", axis]),
      el("label", {}, ["by ", shift, shiftOut])]),
    // The readout right under the slider (on a phone too), then the pictures it describes.
    now, computingLine, jobBox,
    el("div", { className: "lesson-row three shift-views" }, views.map((v, i) => el("figure", {}, [v, caps[i]]))),
    plot, facts, el("div", { className: "lesson-controls" }, [link]),
  );
  const progress = new JobProgress(jobBox);
  const frames = views.map((v, i) => new BoxedPicture(v, { alt: ["the shifted view", "its map", "the unshifted map"][i], fill: true, placeholder: "Loading…" }));
  const [view, map, reference] = frames;
  const pictures = newestWins((id, params) => Promise.all([api.translationCrop(id, { shift: params.shift, axis: params.axis }), api.translationMap(id, params)]));
  let curve = null;
  let started = false;
  let fresh = () => true;

  stage.addEventListener("change", () => run(fresh).catch(kit.report));
  axis.addEventListener("change", () => run(fresh).catch(kit.report));
  shift.addEventListener("input", () => showShift(Number(shift.value)).catch(kit.report));

  async function showShift(s) {
    shiftOut.textContent = `${s} px`;
    const params = { shift: s, stage: stage.value, axis: axis.value };
    const shown = await withImage((id) => pictures(id, params));
    if (!shown || !fresh() || !curve) return;
    const [crop, picture] = shown;
    await Promise.all([view.show(crop), map.show(picture.blob)]);
    const r = rowAt(curve, s);
    const unit = s / curve.stride;
    caps[0].textContent = `The model's 224×224 view, moved ${s} px ${axis.value === "x" ? "sideways" : "down"} over your photo`;
    caps[1].textContent = `${curve.stage}'s map (mean of its channels, ${curve.map_side}×${curve.map_side}): ` +
      `a shift of ${s} px is ${num(unit, 2)} map unit${Math.abs(unit) === 1 ? "" : "s"}`;
    now.textContent = `Shift ${s} px: the map matches the unshifted map moved along with it at ${num(r.map_similarity, 4)} (cosine)` +
      `${r.aligned ? ", a whole number of units" : ", between two units"}; p(${curve.unshifted_top.label}) = ${pct(r.prob_of_unshifted_top)}` +
      `${r.top_index !== curve.unshifted_top.index ? `, and the top class is now ${r.top_label}` : ""}.`;
    Object.assign(now.dataset, { shift: s, similarity: r.map_similarity, aligned: r.aligned, prob: r.prob_of_unshifted_top });
    draw(s);
  }

  function draw(marker) {
    const sims = curve.rows.map((r) => ({ x: r.shift, y: r.map_similarity }));
    drawLinePlot(plot, {
      label: "map similarity and probability against the shift",
      series: [
        { name: `p(${curve.unshifted_top.label})`, colour: "#3b6fd8", points: curve.rows.map((r) => ({ x: r.shift, y: r.prob_of_unshifted_top })) },
        { name: `${curve.stage} map similarity (cosine)`, colour: "#e07b39", points: sims },
      ],
      x: { label: `shift of the view (pixels, ${curve.axis === "x" ? "sideways" : "up and down"})` },
      y: { label: "probability / similarity", max: 1 },
      marker,
    });
  }

  function tell() {
    const f = shiftFacts(curve);
    const lines = [
      `Measured on your photo from ${curve.covered.min_shift} to ${curve.covered.max_shift} px (as far as the photo allows). ` +
      `${curve.stage} has stride ${curve.stride}: one step of its map is ${curve.stride} pixels of the view.`,
    ];
    if (f.aligned) {
      lines.push(`At shifts that are multiples of ${curve.stride} the map moves with the photo: similarity ${num(f.aligned.min, 4)} to ${num(f.aligned.max, 4)}` +
        `${f.between ? `; between them it cannot (no map moves by part of a unit): ${num(f.between.min, 4)} to ${num(f.between.max, 4)}` : ""}.`);
    } else {
      lines.push(`No measured shift is a whole number of ${curve.stage}'s ${curve.stride}-pixel steps, so its map never simply moves along: ` +
        `similarity ${num(f.between.min, 4)} to ${num(f.between.max, 4)}.`);
    }
    const n = f.changes.length;
    const took = takeovers(curve).map((t) => `${t.label} (${t.count} shift${t.count > 1 ? "s" : ""})`);
    const step = curve.requested.step;
    lines.push(`The prediction is only approximately invariant: p(${curve.unshifted_top.label}) went from ${pct(f.prob.min)} to ${pct(f.prob.max)}` +
      (n ? `, and the top class changed at ${n} shift${n > 1 ? "s" : ""} (${describeShifts(f.changes, step)} px): ` +
        `${curve.unshifted_top.label} gave the top place to ${took.length > 1 ? `${took.slice(0, -1).join(", ")} and ${took[took.length - 1]}` : took[0]}.`
        : ", and the top class stayed the same at every shift."));
    facts.replaceChildren(...lines.map((t) => el("p", { textContent: t })));
    Object.assign(facts.dataset, { alignedMin: f.aligned ? f.aligned.min : "", changes: f.changes.join(","), axis: curve.axis, stage: curve.stage });
  }

  // While the job measures: no pictures of another photo, stage or axis, and a word of what
  // is being computed.
  function computing() {
    const where = axis.value === "x" ? "sideways" : "up and down";
    computingLine.textContent = `Computing: the model looks at the view moved ${where} pixel by pixel, as far as your photo ` +
      `allows (up to ${MAX_SHIFT} px each way), one forward pass per shift. The pictures, the slider and the plot follow.`;
    computingLine.hidden = false;
    shiftOut.textContent = "computing…";
    frames.forEach((p, i) => p.clear(["Computing the shifted views…", `Computing ${stage.value}'s maps…`, "Computing the unshifted map…"][i]));
    caps.slice(0, 2).forEach((c) => { c.textContent = ""; });
    now.textContent = "";
    plot.replaceChildren();
    facts.replaceChildren();
  }

  async function run(isFresh) {
    fresh = isFresh;
    curve = null;
    shift.disabled = true;
    link.replaceChildren(cnnLink(`Open ${stage.value} in Inside the CNN`, { stage: stage.value }));
    const params = { stage: stage.value, axis: axis.value, max_shift: MAX_SHIFT, step: 1 };
    jobBox.hidden = false;
    const measured = await withImage((id) => measure(id, params, progress, computing));
    if (!isFresh()) return;
    curve = measured;
    jobBox.hidden = true;
    computingLine.hidden = true;
    Object.assign(shift, { min: curve.covered.min_shift, max: curve.covered.max_shift, disabled: false });
    // First shown: one whole step of the stage's map (the map moves by exactly one unit).
    const wanted = started ? Number(shift.value) : curve.stride;
    started = true;
    const s = Math.max(curve.covered.min_shift, Math.min(curve.covered.max_shift, wanted));
    shift.value = String(s);
    tell();
    const [zero] = await withImage((id) => Promise.all([api.translationMap(id, { shift: 0, stage: stage.value, axis: axis.value })]));
    if (!isFresh()) return;
    await reference.show(zero.blob);
    await showShift(s);
  }
  return { run };
}

export const experiments = { translation };
