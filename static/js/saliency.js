// "Is this heatmap true?": six attribution methods for one class at one stage, side by side,
// each measured (deletion and insertion areas, the randomisation sanity check). cnn.js starts
// it once (startSaliency) and calls showSaliency whenever a new photo has been analysed.
import * as api from "./api.js";
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
let view = null;       // {photo, tiles} from buildTiles
let setting = 0;       // bumped by every change of photo, class, stage or method setting
let ready = null;
const measures = {};   // kind -> JobProgress
const urls = {};       // object URLs we own, by slot

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
  q("saliency-randomised").textContent = catalogue.randomised.join(", ");
  view = buildTiles(q("saliency-grid"), catalogue.methods, (id) => loadMap(id, settings(), setting));
  for (const t of Object.values(view.tiles)) {
    if (t.method.slow) t.job = new JobProgress(t.progress);
    t.progress.hidden = true;
  }
  for (const kind of ["faithfulness", "sanity"]) {
    measures[kind] = new JobProgress(q(`${kind}-progress`));
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
  for (const id of ["saliency-stride", "saliency-k", "saliency-class"]) q(id).addEventListener("change", loadMaps);
  q("saliency-class").addEventListener("input", (e) => searchClasses(e.target.value));
}

function fillStrides(chosen = Number(q("saliency-stride").value)) {
  const strides = catalogue.occlusion[q("saliency-patch").value];
  q("saliency-stride").replaceChildren(...strides.map((s) => new Option(`${s} px`, String(s))));
  q("saliency-stride").value = String(strides.includes(chosen) ? chosen : strides[0]);
}

// Score-CAM's k: the offered choices up to the stage's channel count (then all of them).
function fillK() {
  const row = stages.find((r) => r.id === q("saliency-stage").value);
  const channels = row ? row.out_shape[0] : catalogue.k_max;
  const choices = [...new Set(catalogue.k_choices.map((k) => Math.min(k, channels)))];
  const before = Number(q("saliency-k").value) || catalogue.k_default;
  q("saliency-k").replaceChildren(...choices.map((k) => new Option(k === channels ? `${k} (all)` : String(k), String(k))));
  q("saliency-k").value = String(choices.includes(before) ? before : Math.min(catalogue.k_default, channels));
}

let searchTimer = null;
function searchClasses(text) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    try {
      const found = await api.searchClasses(text);
      q("saliency-class").list.replaceChildren(
        ...found.groups.map((g) => new Option(`${g} (every ${g} class)`, g)),
        ...found.classes.map((c) => new Option(`${c.label} (#${c.index})`)));
    } catch { /* suggestions only: the class itself is checked when it is used */ }
  }, 150);
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
  const p = { method: id, class: s.cls, as: "overlay" };
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
  loadMaps();
}

function loadMaps() {
  const mine = ++setting;
  const s = settings();
  clearScores(view.tiles);
  q("saliency-curves").hidden = true;
  for (const kind of Object.keys(measures)) q(`${kind}-status`).hidden = true;
  delete root.dataset.faithfulness;
  delete root.dataset.sanity;
  for (const t of Object.values(view.tiles)) {
    t.img.classList.add("stale");
    t.progress.hidden = true;
    t.note.classList.remove("error");
    if (t.method.slow) {
      t.img.hidden = true;
      t.compute.hidden = false;
      t.compute.disabled = false;
      t.note.textContent = `${t.method.name} takes many forwards: compute it here, or measure faithfulness (which computes it too).`;
    } else {
      loadMap(t.method.id, s, mine);
    }
  }
}

// One map: 200 shows it; 202 (a slow method) follows its job, then asks again.
async function loadMap(id, s, mine) {
  const tile = view.tiles[id];
  tile.compute.disabled = true;
  try {
    const answer = await withImage((imageId) => api.saliencyMap(imageId, mapParams(id, s)));
    if (mine !== setting) return;
    if (answer.job) {
      tile.progress.hidden = false;
      const final = await followJob(answer.job, (j) => { if (mine === setting) tile.job.show(j); });
      if (final.status === "done" && mine === setting) await loadMap(id, s, mine);
      else tile.compute.disabled = false;
      return;
    }
    setBlob(id, tile.img, answer.blob);
    tile.img.hidden = false;
    tile.img.classList.remove("stale");
    tile.compute.hidden = true;
    tile.progress.hidden = true;
    tile.note.textContent = mapNote(id, s, Number(answer.headers.get("X-Saliency-Max")));
    tile.img.dataset.done = JSON.stringify(mapParams(id, s));
  } catch (err) {
    if (mine !== setting) return;
    tile.compute.disabled = false;
    tile.note.textContent = err.message;
    tile.note.classList.add("error");
  }
}

const SIGNED = /^stage[1-7]$/;  // a stage's output is its last 1x1 projection: no ReLU

function mapNote(id, s, peak) {
  if (!(peak > 0)) {
    return "All zero here: nothing adds evidence for this class at this stage after the ReLU, " +
      "so deletion and insertion can only take the pixels in reading order.";
  }
  if (id === "scorecam" && SIGNED.test(s.stage)) {
    return `${s.stage}'s maps are signed (no ReLU after its last projection), which Score-CAM's ` +
      "masks were not built for. On the dog, deletion: 0.60 at stage7 (Grad-CAM 0.32), 0.31 at " +
      "the head (Grad-CAM 0.29).";
  }
  if (id === "gradient") return "Pixel by pixel; colours top out at the 99th percentile (the gradient is spiky).";
  if (id === "occlusion") return `Red: where a grey ${s.patch} px square costs the class most probability.`;
  return `Peak ${num(peak)} at ${s.stage}.`;
}

async function measure(kind) {
  const mine = setting;
  const s = settings();
  const button = q(`${kind}-button`);
  const progress = measures[kind];
  const body = { class: s.cls, stage: s.stage, methods: catalogue.methods.map((m) => m.id),
    k: s.k, patch: s.patch, stride: s.stride };
  button.disabled = true;
  q(`${kind}-status`).hidden = false;
  try {
    const start = kind === "faithfulness" ? api.startFaithfulness : api.startSanity;
    const { job } = await withImage((imageId) => start(imageId, body));
    const final = await followJob(job, (j) => { if (mine === setting) progress.show(j); }, { every: 500 });
    if (final.status !== "done" || mine !== setting) return;
    const result = await api.measureResult(final.result);
    if (mine !== setting) return;
    if (kind === "faithfulness") {
      showAreas(view.tiles, result);
      renderCurves(q("saliency-curves"), result);
      // The job computed the slow maps too: they answer at once now.
      for (const m of catalogue.methods.filter((x) => x.slow)) loadMap(m.id, s, mine);
    } else {
      showSanity(view.tiles, result);
      await Promise.all(result.methods.map(async (m) => {
        const tile = view.tiles[m.method];
        setBlob(`random-${m.method}`, tile.random, await api.randomisedMapBlob(m.randomised_map));
        tile.randomBox.hidden = false;
      }));
    }
    root.dataset[kind] = "done";
  } catch (err) {
    if (mine === setting) progress.fail(err.message);
  } finally {
    button.disabled = false;
  }
}
