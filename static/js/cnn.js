// The "Inside the CNN" tab: predictions, stage strip, feature maps, pooling, Grad-CAM, filters.
// Every view is cut from one cached forward pass on the server; this module only asks and draws.
import * as api from "./api.js";
import { finder } from "./dom.js";
import { withImage } from "./images.js";
import { DEFAULTS, state, subscribe, update } from "./state.js";
import { clearStatus, showError, showStatus } from "./status.js";
import { drawMap, followPointer } from "./render/cnn-map.js";
import { renderAttribution, renderFilters, renderGap, renderPredictions, renderStrip } from "./render/cnn-panels.js";
import { describeTarget, parseClass } from "./lib/classes.js";
import { newestWins } from "./lib/latest.js";
import { num, pct, shape } from "./lib/format.js";
import { sharingLesson } from "./lib/sharing.js";
import { showLooksFor } from "./channels.js";
import { suggestClasses } from "./class-search.js";
import { showSaliency, startSaliency } from "./saliency.js";

const PART_NOTES = {
  expand: "Expand (1×1 conv): mixes channels at each pixel and widens them 6×, so the next step has more to work with.",
  depthwise: "Depthwise (k×k conv, one filter per channel): looks at neighbours, but never mixes channels. Depthwise + 1×1 is a 'depthwise-separable' convolution: about k² times cheaper than a full k×k conv.",
  project: "Project (1×1 conv, no ReLU): mixes the channels back down to a narrow output.",
};

let root = null;
let model = null;     // GET /api/model
let shownFor = "";    // image id the views on screen were built for
let generation = 0;   // bumped by every refresh: answers for an older photo are dropped
let images = {};      // object URLs we own, by slot, revoked on replace
let channelValues = null;
let q = null;

function setImage(slot, img, blob) {
  if (images[slot]) URL.revokeObjectURL(images[slot]);
  images[slot] = URL.createObjectURL(blob);
  img.src = images[slot];
}

// Show progress only for waits a person notices (> 200 ms); errors go to the status line.
async function progress(message, task) {
  const timer = setTimeout(() => showStatus(message), 200);
  try {
    const result = await task();
    clearStatus(message);
    return result;
  } catch (err) {
    if (err instanceof api.ApiError) showError(err); else throw err;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

// Every view is of the current photo; an evicted photo is sent again (withImage).
const ofImage = (fn) => withImage((id) => fn(id));

export async function start(panel) {
  root = panel;
  q = finder(panel);
  wire();
  startSaliency(q("saliency"));
  subscribe((s, changed) => {
    if ((changed.has("image") || changed.has("tab")) && s.tab === "cnn") refresh();
  });
  await refresh();
}

async function refresh() {
  const mine = ++generation;
  const current = () => mine === generation;
  if (!model) model = await progress("Loading the model description...", api.describeModel);
  if (!model || !current()) return;
  let predicted = "";
  const prediction = await progress("Running the CNN on this photo...",
    () => withImage((id) => { predicted = id; return api.predict(id); }));
  if (!prediction || !current() || shownFor === predicted) return;
  shownFor = predicted;
  q("gradcam-all").replaceChildren(); // the side-by-side strip was of the previous photo
  renderPredictions(q("top-answer"), q("predictions"), q("group-answer"), prediction);
  const views = await progress("Reading the stages...", () => Promise.all([ofImage(api.cropBlob), ofImage(api.stageStrengths)]));
  if (!views || !current()) return;
  const [crop, strengths] = views;
  for (const slot of ["cnn-crop", "gradcam-photo", "channel-photo"]) setImage(slot, q(slot), crop);
  fillSelects();
  showSaliency(model, crop);
  drawStrip(strengths.stages);
  await Promise.all([openLayer(state.stage), showGradcam(), showGap(), showFilters()]);
}

function stageRows() {
  return model.stages.filter((row) => row.id !== "classifier");
}

function fillSelects() {
  const layer = q("fm-layer");
  const options = [];
  for (const row of stageRows()) {
    options.push(new Option(`${row.id} (${shape(row.out_shape)})`, row.id));
    for (const block of row.blocks) {
      options.push(new Option(`  ${block.id} block output`, block.id));
      for (const part of block.parts) options.push(new Option(`    ${block.id} ${part}`, `${block.id}.${part}`));
    }
  }
  layer.replaceChildren(...options);
  const stage = q("gradcam-stage");
  stage.replaceChildren(...stageRows().map((row) => new Option(row.id, row.id)));
  // The stage the user picked (kept in the link, and across photos), if it is one.
  stage.value = stageRows().some((row) => row.id === state.camStage) ? state.camStage : DEFAULTS.camStage;
}

let lastStrengths = [];
function drawStrip(strengths = lastStrengths, selected = state.stage.split(".")[0]) {
  lastStrengths = strengths;
  // The classifier has no feature maps to open: picking it shows its parameter lesson only.
  const pick = (id) => (id === "classifier" ? drawStrip(lastStrengths, id) : openLayer(id));
  renderStrip(q("stage-strip"), model.stages, strengths, selected, pick);
  q("sharing").textContent = sharingLesson(model.stages.find((r) => r.id === selected), model.stages);
}

// Every view that can be asked again shows only the newest request's answer (a quick
// second click, a stage stepped with the arrow keys): older answers are dropped.
const layerViews = newestWins((layer, order) => Promise.all([
  ofImage((id) => api.stageSummary(id, layer, order)), ofImage((id) => api.atlasBlob(id, layer, order))]));
const channelViews = newestWins((layer, channel) => ofImage((id) => api.channelDetail(id, layer, channel)));
const camViews = newestWins((target, stage) => Promise.all([
  ofImage((id) => api.gradcam(id, target, stage, "heatmap")),
  ofImage((id) => api.attribution(id, target, stage))]));

let layerInfo = null;
async function openLayer(layer, channel = null) {
  const order = q("fm-order").value;
  const shown = await progress("Tiling the feature maps...", () => layerViews(layer, order));
  if (!shown) return;
  const [info, atlas] = shown;
  layerInfo = info;
  update({ stage: layer });
  q("fm-layer").value = layer;
  drawStrip();
  const part = layer.split(".")[2];
  q("fm-explain").textContent = PART_NOTES[part] || "";
  q("fm-caption").textContent = `${shape(info.shape)} · mean ${num(info.strength.mean)} · ${pct(info.strength.active)} of values above zero · strongest channels ${info.top.slice(0, 5).join(", ")}`;
  setImage("atlas", q("atlas"), atlas);
  await openChannel(layer, channel ?? info.top[0]);
}

function tileAt(event) {
  const img = q("atlas");
  const { cols, rows, tile, gap, order } = layerInfo.atlas;
  const box = img.getBoundingClientRect();
  const x = (event.clientX - box.left) / box.width * img.naturalWidth;
  const y = (event.clientY - box.top) / box.height * img.naturalHeight;
  const c = Math.floor(x / (tile[1] + gap));
  const r = Math.floor(y / (tile[0] + gap));
  const k = r * cols + c;
  return r < rows && c < cols && k < order.length ? order[k] : null;
}

async function openChannel(layer, channel) {
  const detail = await progress("Reading the channel...", () => channelViews(layer, channel));
  if (!detail) return;
  channelValues = detail.values;
  q("channel-title").textContent = `${layer} #${channel} (${shape(detail.shape)})`;
  showLooksFor(layer, channel);
  drawMap(q("channel-canvas"), detail.values);
  if (detail.max_pool) {
    drawMap(q("pool-max"), detail.max_pool);
    drawMap(q("pool-avg"), detail.avg_pool);
  }
  q("pool-gap").textContent = num(detail.gap);
  markTile(channel);
}

// Outline the zoomed channel's tile in the atlas (the atlas is drawn scaled, so in percent).
function markTile(channel) {
  const box = q("atlas-pick");
  const k = layerInfo ? layerInfo.atlas.order.indexOf(channel) : -1;
  box.hidden = k < 0;
  if (k < 0) return;
  const { cols, tile, gap } = layerInfo.atlas;
  const width = cols * (tile[1] + gap) - gap;
  const img = q("atlas");
  const scale = img.clientWidth / width;
  Object.assign(box.style, {
    left: `${(k % cols) * (tile[1] + gap) * scale}px`, top: `${Math.floor(k / cols) * (tile[0] + gap) * scale}px`,
    width: `${tile[1] * scale}px`, height: `${tile[0] * scale}px`,
  });
  box.title = `channel ${channel}`;
  box.dataset.channel = String(channel);
}

// A channel picked far from its card (the list of channels that drive a class): open it,
// bring its card into view, and flash it so the eye finds it.
async function showChannel(layer, channel) {
  await openLayer(layer, channel);
  const card = q("channel");
  card.scrollIntoView({ behavior: "smooth", block: "center" });
  card.classList.remove("flash");
  void card.offsetWidth; // restart the animation
  card.classList.add("flash");
}

async function showGradcam() {
  const stage = q("gradcam-stage").value || DEFAULTS.camStage;
  const target = parseClass(q("gradcam-class").value);
  const box = q("gradcam-box");
  box.classList.add("stale"); // until the new map arrives, or for good if it fails
  const shown = await progress("Computing Grad-CAM...", () => camViews(target, stage));
  if (shown === undefined) return; // a newer request (another stage or class) replaced it
  if (!shown) {
    q("gradcam-caption").textContent = "No Grad-CAM for that class (see the message above): the map shown is the previous one.";
    return;
  }
  const [heat, attribution] = shown;
  box.classList.remove("stale");
  setImage("gradcam-image", q("gradcam-image"), heat.blob);
  const what = describeTarget(target);
  q("gradcam-caption").textContent = Number(heat.headers.get("X-Gradcam-Max")) > 0
    ? `Grad-CAM for ${what} at ${stage}: red is where the evidence for it lies.`
    : `Grad-CAM for ${what} at ${stage} is zero everywhere: no map there adds evidence for it once the ` +
      "gradient weights are applied (common at early stages). Try a later stage.";
  renderAttribution(q("attribution"), attribution, showChannel);
}

async function showAllStages() {
  const target = parseClass(q("gradcam-class").value);
  const strip = q("gradcam-all");
  strip.replaceChildren();
  await progress("Computing Grad-CAM at every stage...", async () => {
    // Stem first: its backward pass yields every later stage too (cached on the server).
    for (const row of stageRows()) {
      const { blob } = await ofImage((id) => api.gradcam(id, target, row.id, "overlay"));
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(blob);
      img.onload = () => URL.revokeObjectURL(img.src);
      fig.append(img, Object.assign(document.createElement("figcaption"), { textContent: row.id }));
      strip.append(fig);
    }
  });
}

async function showGap() {
  const pooled = await progress("Reading the pooled vector...", () => ofImage(api.pooledVector));
  if (pooled) renderGap(q("gap-vector"), pooled);
}

let filtersShown = false;
async function showFilters() {
  if (filtersShown) return;
  const f = await progress("Reading the learned filters...", api.stemFilters);
  if (!f) return;
  filtersShown = true;
  renderFilters(q("stem-filters"), f.filters, (i, kernel) => {
    update({ kernel, channels: "rgb", preset: "", display: "diverging", pool: "", tab: "playground" });
    window.scrollTo({ top: 0 }); // the playground's images, not wherever the filters were
    showStatus(`Learned stem filter ${i} is now the playground's kernel: one 3×3 slice per R, G, B channel, ` +
      "summed. Pick the Sobel x preset to compare it with a hand-made edge detector.");
  });
}

function wire() {
  q("fm-layer").addEventListener("change", (e) => openLayer(e.target.value));
  q("fm-order").addEventListener("change", () => openLayer(state.stage));
  const atlas = q("atlas");
  atlas.addEventListener("mousemove", (e) => {
    const c = layerInfo && tileAt(e);
    if (c === null || !layerInfo) return;
    const s = layerInfo.channels[c];
    q("atlas-hover").textContent = `channel ${c}: mean ${num(s.mean)}, max ${num(s.max)}, ${pct(s.active)} active`;
  });
  atlas.addEventListener("click", (e) => {
    const c = layerInfo && tileAt(e);
    if (c !== null && layerInfo) openChannel(layerInfo.stage, c);
  });
  followPointer(q("channel-canvas"), () => channelValues, (row, col, v) => {
    q("channel-value").textContent = `row ${row}, column ${col}: ${num(v)}`;
  });
  q("channel-overlay").addEventListener("change", (e) => {
    q("channel-photo").hidden = !e.target.checked;
    q("channel-canvas").classList.toggle("translucent", e.target.checked);
  });
  q("gradcam-class").value = state.cls;
  q("gradcam-stage").addEventListener("change", (e) => { update({ camStage: e.target.value }); showGradcam(); });
  suggestClasses(q("gradcam-class"), (task) => progress("Searching the class names...", task));
  q("gradcam-class").addEventListener("change", (e) => { update({ cls: e.target.value.trim() }); showGradcam(); });
  q("gradcam-opacity").addEventListener("input", (e) => { q("gradcam-image").style.opacity = e.target.value; });
  q("gradcam-all-button").addEventListener("click", showAllStages);
}
