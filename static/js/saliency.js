// "Is this heatmap true?": six attribution methods for one class at one stage, side by side,
// each measured (deletion and insertion areas, the randomisation sanity check). cnn.js starts
// it once (startSaliency) and calls showSaliency whenever a new photo has been analysed.
import * as api from "./api.js";
import { suggestClasses } from "./class-search.js";
import { finder } from "./dom.js";
import { withImage } from "./images.js";
import { followJob } from "./jobs.js";
import { DEFAULTS, state } from "./state.js";
import { showError } from "./status.js";
import { parseClass } from "./lib/classes.js";
import { num } from "./lib/format.js";
import { JobProgress } from "./render/job-progress.js";
import { renderCurves } from "./render/saliency-curves.js";
import { buildTiles, clearScores, showAreas, showSanity } from "./render/saliency-tiles.js";

let q = null;
let root = null;
let catalogue = null;  // GET /api/saliency/methods
let stages = [];       // GET /api/model's rows (for each stage's channel count)
let view = null;       // {photo, tiles} from buildTiles; each tile's `key` names the map it is for
let wantedK = 0;       // the Score-CAM k the person chose (a stage with fewer channels uses all)
let measuredFor = "";  // the settings the measuring buttons measure (changing them drops the jobs)
let ready = null;
const measures = {};   // kind -> {progress: JobProgress, run}: `run` is bumped to drop its job
const urls = {};       // object URLs we own, by slot
const DROPPED = Symbol("dropped");  // thrown from a job's update to stop following it

function setBlob(slot, img, blob) {
  if (urls[slot]) URL.revokeObjectURL(urls[slot]);
  urls[slot] = URL.createObjectURL(blob);
  img.src = urls[slot];
}

export function startSaliency(panel) {
  ready = init(panel).catch((err) => showError(err));
  return ready;
}

async function init(panel) {
  root = panel;
  q = finder(panel);
  catalogue = await api.saliencyMethods();
  wantedK = catalogue.k_default;
  q("saliency-randomised").textContent = catalogue.randomised.join(", ");
  q("saliency-random-maps").textContent = catalogue.random_maps;
  q("saliency-beats-sd").textContent = catalogue.beats_random_sd;
  q("saliency-beats-min").textContent = catalogue.beats_random_min;
  q("saliency-sanity-threshold").textContent = catalogue.sanity_threshold;
  view = buildTiles(q("saliency-grid"), catalogue.methods, (id) => loadMap(id, settings()));
  for (const t of Object.values(view.tiles)) {
    if (t.method.slow) t.job = new JobProgress(t.progress);
    t.progress.hidden = true;
    t.key = "";
    t.run = 0;
  }
  for (const kind of ["faithfulness", "sanity"]) {
    measures[kind] = { progress: new JobProgress(q(`${kind}-progress`)), run: 0 };
    q(`${kind}-button`).addEventListener("click", () => measure(kind));
  }
  const stage = q("saliency-stage");
  stage.replaceChildren(...catalogue.stages.map((s) => new Option(s, s)));
  stage.value = catalogue.stages.includes(state.camStage) ? state.camStage : DEFAULTS.camStage;
  const patch = q("saliency-patch");
  patch.replaceChildren(...Object.keys(catalogue.occlusion).map((p) => new Option(`${p} px`, p)));
  patch.value = String(catalogue.patch_default);
  fillStrides(catalogue.stride_default);
  q("saliency-class").value = state.cls;
  stage.addEventListener("change", () => { fillK(); loadMaps(); });
  patch.addEventListener("change", () => { fillStrides(); loadMaps(); });
  q("saliency-k").addEventListener("change", (e) => { wantedK = Number(e.target.value); loadMaps(); });
  for (const id of ["saliency-stride", "saliency-class"]) q(id).addEventListener("change", loadMaps);
  suggestClasses(q("saliency-class"), (task) => task().catch(() => null));  // suggestions only
}

function fillStrides(chosen = Number(q("saliency-stride").value)) {
  const strides = catalogue.occlusion[q("saliency-patch").value];
  q("saliency-stride").replaceChildren(...strides.map((s) => new Option(`${s} px`, String(s))));
  q("saliency-stride").value = String(strides.includes(chosen) ? chosen : strides[0]);
}

// Score-CAM's k: the offered choices up to the stage's channel count (then all of them); the
// person's own choice, or the largest offered under it, so a stage with few channels does not
// lose it for the next stage.
function fillK() {
  const row = stages.find((r) => r.id === q("saliency-stage").value);
  const channels = row ? row.out_shape[0] : catalogue.k_max;
  const choices = [...new Set(catalogue.k_choices.map((k) => Math.min(k, channels)))];
  q("saliency-k").replaceChildren(...choices.map((k) => new Option(k === channels ? `${k} (all)` : String(k), String(k))));
  q("saliency-k").value = String(Math.max(...choices.filter((k) => k <= wantedK), choices[0]));
}

function settings() {
  return {
    cls: parseClass(q("saliency-class").value), stage: q("saliency-stage").value,
    k: Number(q("saliency-k").value), patch: Number(q("saliency-patch").value),
    stride: Number(q("saliency-stride").value),
  };
}

function methodOf(id) {
  return catalogue.methods.find((m) => m.id === id);
}

// The query of one method's map: only the settings it uses (so equal maps share a URL).
function mapParams(id, s) {
  const p = { method: id, class: s.cls };
  if (methodOf(id).staged) p.stage = s.stage;
  if (id === "scorecam") p.k = s.k;
  if (id === "occlusion") Object.assign(p, { patch: s.patch, stride: s.stride });
  return p;
}

export async function showSaliency(description, crop) {
  await ready;
  if (!catalogue) return;
  stages = description.stages;
  setBlob("photo", view.photo, crop);
  fillK();
  for (const t of Object.values(view.tiles)) t.key = "";  // a new photo: every map is new
  measuredFor = "";
  loadMaps();
}

// After any change: only the maps whose own settings changed are asked again (occlusion
// ignores the stage, Score-CAM the patch); the measurements, which cover every map, are for
// the old settings, so their jobs are dropped and the buttons measure the new ones.
function loadMaps() {
  const s = settings();
  clearClassError();
  const all = JSON.stringify(s);
  if (all !== measuredFor) {
    measuredFor = all;
    dropMeasures();
  }
  const changed = Object.values(view.tiles).filter((t) => t.key !== JSON.stringify(mapParams(t.method.id, s)));
  clearScores(changed);
  for (const t of changed) {
    t.key = JSON.stringify(mapParams(t.method.id, s));
    t.run++;  // an answer or job progress for the map it showed before is dropped
    t.img.classList.add("stale");
    t.progress.hidden = true;
    t.note.classList.remove("error");
    if (t.method.slow) {
      t.img.hidden = true;
      t.compute.hidden = false;
      t.compute.disabled = false;
      t.note.textContent = `${t.method.name} takes many forwards: compute it here, or measure faithfulness (which computes it too).`;
    } else {
      loadMap(t.method.id, s);
    }
  }
}

function dropMeasures() {
  q("saliency-curves").hidden = true;
  delete root.dataset.faithfulness;
  delete root.dataset.sanity;
  for (const [kind, m] of Object.entries(measures)) {
    m.run++;
    q(`${kind}-status`).hidden = true;
    q(`${kind}-button`).disabled = false;
  }
}

// One map: 200 shows it; 202 (a slow method) follows its job, then asks again.
async function loadMap(id, s) {
  const tile = view.tiles[id];
  const run = tile.run;
  const params = mapParams(id, s);
  tile.compute.disabled = true;
  try {
    const answer = await withImage((imageId) => api.saliencyMap(imageId, { ...params, as: "overlay" }));
    if (run !== tile.run) return;
    if (answer.job) {
      tile.progress.hidden = false;
      const final = await followJob(answer.job, (j) => {
        if (run !== tile.run) throw DROPPED;
        tile.job.show(j);
      });
      if (final.status === "done") await loadMap(id, s);
      else tile.compute.disabled = false;
      return;
    }
    setBlob(id, tile.img, answer.blob);
    tile.img.hidden = false;
    tile.img.classList.remove("stale");
    tile.compute.hidden = true;
    tile.progress.hidden = true;
    tile.note.textContent = mapNote(id, s, Number(answer.headers.get("X-Saliency-Max")), answer.headers.get("X-Saliency-Note"));
    tile.img.dataset.done = JSON.stringify(params);
  } catch (err) {
    if (err === DROPPED || run !== tile.run) return;
    tile.compute.disabled = false;
    if (isClassError(err)) {
      showClassError(err);
      tile.note.textContent = "";
      return;
    }
    tile.note.textContent = err.message;
    tile.note.classList.add("error");
  }
}

// A class the API does not know is the class field's error, said once there (not on every map).
function isClassError(err) {
  return err instanceof api.ApiError && err.code === "invalid_parameter" && err.details && err.details.field === "class";
}

function showClassError(err) {
  const box = q("saliency-class-error");
  box.textContent = err.message;
  box.hidden = false;
  q("saliency-class").setAttribute("aria-invalid", "true");
}

function clearClassError() {
  q("saliency-class-error").hidden = true;
  q("saliency-class").removeAttribute("aria-invalid");
}

function mapNote(id, s, peak, serverNote) {
  if (serverNote) return serverNote;
  if (!(peak > 0)) {
    if (id === "occlusion") {
      return peak < 0
        ? `Every grey ${s.patch} px square raises the class's probability here (by at least ${num(-peak)}): no single place is needed for it.`
        : `No grey ${s.patch} px square changes the class's probability here: no single place is needed for it.`;
    }
    if (id === "gradient") return "All zero: no pixel changes the class's score here.";
    return "All zero here: nothing adds evidence for this class at this stage after the ReLU, " +
      "so deletion and insertion can only take the pixels in reading order.";
  }
  if (id === "scorecam") return `From the ${s.k} most varied of ${s.stage}'s maps.`;
  if (id === "gradient") return "Pixel by pixel; colours top out at the 99th percentile (the gradient is spiky).";
  if (id === "occlusion") return `Red: where a grey ${s.patch} px square costs the class most probability (each pixel: the mean over the squares that covered it).`;
  return `Peak ${num(peak)} at ${s.stage}.`;
}

async function measure(kind) {
  const m = measures[kind];
  const run = ++m.run;
  const s = settings();
  const button = q(`${kind}-button`);
  const body = { class: s.cls, stage: s.stage, methods: catalogue.methods.map((x) => x.id),
    k: s.k, patch: s.patch, stride: s.stride };
  button.disabled = true;
  q(`${kind}-status`).hidden = false;
  try {
    const start = kind === "faithfulness" ? api.startFaithfulness : api.startSanity;
    const { job } = await withImage((imageId) => start(imageId, body));
    const final = await followJob(job, (j) => {
      if (run !== m.run) throw DROPPED;
      m.progress.show(j);
    }, { every: 500 });
    if (final.status !== "done" || run !== m.run) return;
    const result = await api.measureResult(final.result);
    if (run !== m.run) return;
    if (kind === "faithfulness") {
      showAreas(view.tiles, result);
      renderCurves(q("saliency-curves"), result);
      // The job computed the slow maps too and kept them: they answer at once now.
      for (const x of catalogue.methods.filter((x) => x.slow)) loadMap(x.id, s);
    } else {
      showSanity(view.tiles, result);
      await Promise.all(result.methods.map(async (x) => {
        const tile = view.tiles[x.method];
        setBlob(`random-${x.method}`, tile.random, await api.randomisedMapBlob(x.randomised_map));
        tile.randomBox.hidden = false;
      }));
    }
    root.dataset[kind] = "done";
  } catch (err) {
    if (err === DROPPED || run !== m.run) return;
    if (isClassError(err)) {
      showClassError(err);
      q(`${kind}-status`).hidden = true;
    } else {
      m.progress.fail(err.message);
    }
  } finally {
    if (run === m.run) button.disabled = false;
  }
}
