// "What it looks for" in the one-channel card: a picture optimised to excite the channel
// (a job, shown as it grows) and the places in photos where the channel fires most.
// cnn.js calls showLooksFor(layer, channel) whenever a channel is opened.
import * as api from "./api.js";
import { config } from "./config.js";
import { finder } from "./dom.js";
import { withImage } from "./images.js";
import { cancel, ended, followJob } from "./jobs.js";
import { num } from "./lib/format.js";
import { JobProgress } from "./render/job-progress.js";
import { renderPatches } from "./render/top-patches.js";

const K = 9;
let q = null;
let visProgress = null;
let patchProgress = null;
let opened = 0;       // bumped per channel: answers for an older one are dropped
let running = null;   // the visualisation job this page started last
const urls = {};      // object URLs we own, by slot

function init() {
  const root = document.querySelector('[data-testid="looks-for"]');
  q = finder(root);
  visProgress = new JobProgress(q("vis-progress"));
  patchProgress = new JobProgress(q("patches-progress"));
}

function setBlob(slot, img, blob) {
  if (urls[slot]) URL.revokeObjectURL(urls[slot]);
  urls[slot] = URL.createObjectURL(blob);
  img.src = urls[slot];
  return img.decode().catch(() => {});
}

function fail(progress, err) {
  progress.bar.parentElement.hidden = false;
  progress.fail(err && err.message ? err.message : String(err));
}

// The bar while a job runs, its error if it failed; nothing once it is done.
function track(progress, job) {
  progress.show(job);
  progress.bar.parentElement.hidden = job.status === "done";
}

export function showLooksFor(layer, channel) {
  if (!q) init();
  const mine = ++opened;
  if (running && !ended(running)) cancel(running).catch(() => {}); // nobody waits for it now
  running = null;
  const isStage = config.stages.includes(layer);
  q("looks-for-note").textContent = isStage ? "" :
    "Shown for a stage's output (stem, stage1–7, head); pick the stage to see it.";
  q("vis-image").classList.add("stale");
  q("top-patches").replaceChildren();
  if (!isStage) return;
  visualise(mine, layer, channel);
  patches(mine, layer, channel);
}

function visCaption(stage, c, job) {
  const e = job.extra || {};
  const step = e.step ? ` Step ${e.step}, objective ${num(e.objective)} (the mean on that step's view).` : "";
  const early = stage === "stem" ? " A stem channel is one 3×3 filter: a flat colour raises its mean most, " +
    "so expect colour more than pattern." : "";
  return `Optimised from noise to raise the mean of ${stage} #${c} before its ReLU6 (the clipped ` +
    `value has no gradient at 0 or 6 and stalls there), seen jittered, zoomed and turned each step.${step}${early}`;
}

async function visualise(mine, stage, c) {
  const img = q("vis-image");
  let job;
  try {
    job = (await api.startVisualization(stage, c)).job;
  } catch (err) {
    fail(visProgress, err);
    return;
  }
  running = job;
  let shown = -1;
  let loading = false;
  try {
    const final = await followJob(job, (j) => {
      if (mine !== opened) return;
      track(visProgress, j);
      q("vis-caption").textContent = visCaption(stage, c, j);
      const e = j.extra || {};
      if (j.status === "running" && e.preview && e.preview_step > shown && !loading) {
        loading = true;
        const step = e.preview_step;
        api.pictureBlob(e.preview).then((blob) => {
          if (mine !== opened) return;
          shown = step;
          setBlob("vis", img, blob);
          img.classList.remove("stale");
        }).catch(() => {}).finally(() => { loading = false; });
      }
    }, { every: 400 });
    if (mine !== opened || final.status !== "done") return;
    await setBlob("vis", img, await api.pictureBlob(final.result));
    img.classList.remove("stale");
    img.dataset.done = `${stage}:${c}`;
  } catch (err) {
    if (mine === opened) fail(visProgress, err);
  }
}

async function patches(mine, stage, c) {
  const caption = q("patches-caption");
  caption.textContent = "";
  for (let tries = 0; tries < 3; tries++) {
    try {
      const [list, blob] = await withImage((id) => Promise.all([
        api.topPatches(stage, c, K, [id]), api.topPatchesBlob(stage, c, K, [id])]));
      if (mine !== opened) return;
      const tiles = new Image();
      await setBlob("patches", tiles, blob);
      renderPatches(q("top-patches"), list, tiles);
      q("top-patches").dataset.done = `${stage}:${c}`;
      caption.textContent = patchCaption(stage, c, await receptiveField(stage));
      return;
    } catch (err) {
      const job = err instanceof api.ApiError && err.code === "conflict" && err.details && err.details.job;
      if (!job || mine !== opened) {
        if (mine === opened) fail(patchProgress, err);
        return;
      }
      // First use: the bundled photos' maxima are being computed; show it, then ask again.
      caption.textContent = "Indexing the 200 bundled photos once (a few seconds)...";
      const done = await followJob(await api.getJob(job), (j) => { if (mine === opened) track(patchProgress, j); });
      if (done.status !== "done") return;
    }
  }
}

let table = null;  // GET /api/model's stage rows, asked once
async function receptiveField(stage) {
  try {
    table = table || (await api.describeModel()).stages;
  } catch { return null; }
  const row = table.find((r) => r.id === stage);
  return row ? row.receptive_field : null;
}

function patchCaption(stage, c, rf) {
  const whole = rf && rf >= 224;
  return `Where ${stage} #${c} fires most, over 200 bundled photos and yours (orange): each patch is ` +
    (whole ? `what the unit sees of the crop: its receptive field (${rf} px) is wider than the ` +
      "224 px crop, so it is clipped at the crop's borders." :
      `the unit's receptive field${rf ? ` (${rf} px)` : ""}, clipped at the crop's border.`) +
    " Hover a patch for its credit.";
}
