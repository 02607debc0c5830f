// The "Inside the CNN" tab: predictions, stage strip, feature maps, pooling, Grad-CAM, filters.
// Every view is cut from one cached forward pass on the server; this module only asks and draws.
import { ApiError, getBlob, getJson, postJson } from "./api.js";
import { withImage } from "./source.js";
import { state, subscribe, update } from "./state.js";
import { showError, showStatus } from "./status.js";
import { drawMap, followPointer } from "./render/cnn-map.js";
import {
  renderAttribution, renderFilters, renderGap, renderPredictions, renderStrip, sharingLesson,
} from "./render/cnn-panels.js";
import { num, pct, shape } from "./lib/format.js";

const PART_NOTES = {
  expand: "Expand (1×1 conv): mixes channels at each pixel and widens them 6×, so the next step has more to work with.",
  depthwise: "Depthwise (k×k conv, one filter per channel): looks at neighbours, but never mixes channels. Depthwise + 1×1 is a 'depthwise-separable' convolution: about k² times cheaper than a full k×k conv.",
  project: "Project (1×1 conv, no ReLU): mixes the channels back down to a narrow output.",
};

let root = null;
let model = null;     // GET /api/model
let shownFor = "";    // image id the views were built for
let images = {};      // object URLs we own, by slot, revoked on replace
let channelValues = null;
const q = (id) => root.querySelector(`[data-testid="${id}"]`);

function setImage(slot, img, blob) {
  if (images[slot]) URL.revokeObjectURL(images[slot]);
  images[slot] = URL.createObjectURL(blob);
  img.src = images[slot];
}

// Show progress only for waits a person notices (> 200 ms).
async function progress(message, task) {
  const timer = setTimeout(() => showStatus(message), 200);
  try {
    const result = await task();
    showStatus("");
    return result;
  } catch (err) {
    if (err instanceof ApiError) showError(err); else throw err;
    return null;
  } finally {
    clearTimeout(timer);
  }
}

const api = (path) => `/api/images/${state.image}${path}`;

export async function start(panel) {
  root = panel;
  wire();
  subscribe((s, changed) => {
    if ((changed.has("image") || changed.has("tab")) && s.tab === "cnn") refresh();
  });
  await refresh();
}

async function refresh() {
  if (!model) model = await progress("Loading the model description...", () => getJson("/api/model"));
  if (!model) return;
  const prediction = await progress("Running the CNN on this photo...",
    () => withImage((id) => postJson(`/api/images/${id}/predict`)));
  if (!prediction || shownFor === state.image) return;
  shownFor = state.image;
  renderPredictions(q("predictions"), q("group-answer"), prediction);
  const crop = await getBlob(prediction.crop);
  for (const slot of ["cnn-crop", "gradcam-photo", "channel-photo"]) setImage(slot, q(slot), crop);
  fillSelects();
  const strengths = await getJson(api("/stages"));
  drawStrip(strengths.stages);
  await Promise.all([openLayer(state.stage || "stage3"), showGradcam(), showGap(), showFilters()]);
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
  q("gradcam-stage").replaceChildren(...stageRows().map((row) => new Option(row.id, row.id)));
  q("gradcam-stage").value = "stage7";
}

let lastStrengths = [];
function drawStrip(strengths = lastStrengths) {
  lastStrengths = strengths;
  const selected = (state.stage || "stage3").split(".")[0];
  renderStrip(q("stage-strip"), model.stages, strengths, selected, (id) => openLayer(id));
  q("sharing").textContent = sharingLesson(model.stages.find((r) => r.id === selected));
}

let layerInfo = null;
async function openLayer(layer) {
  const order = q("fm-order").value;
  const info = await progress("Tiling the feature maps...", () => getJson(api(`/stages/${layer}?order=${order}`)));
  if (!info) return;
  layerInfo = info;
  update({ stage: layer });
  q("fm-layer").value = layer;
  drawStrip();
  const part = layer.split(".")[2];
  q("fm-explain").textContent = PART_NOTES[part] || "";
  q("fm-caption").textContent = `${shape(info.shape)} · mean ${num(info.strength.mean)} · ${pct(info.strength.active)} of values above zero · strongest channels ${info.top.slice(0, 5).join(", ")}`;
  setImage("atlas", q("atlas"), await getBlob(api(`/stages/${layer}/atlas?order=${order}`)));
  await openChannel(layer, info.top[0]);
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
  const detail = await progress("Reading the channel...", () => getJson(api(`/stages/${layer}/channels/${channel}`)));
  if (!detail) return;
  channelValues = detail.values;
  q("channel-title").textContent = `${layer} #${channel} (${shape(detail.shape)})`;
  drawMap(q("channel-canvas"), detail.values);
  if (detail.max_pool) {
    drawMap(q("pool-max"), detail.max_pool);
    drawMap(q("pool-avg"), detail.avg_pool);
  }
  q("pool-gap").textContent = num(detail.gap);
}

async function showGradcam() {
  const stage = q("gradcam-stage").value || "stage7";
  const target = parseClass(q("gradcam-class").value);
  const heat = await progress("Computing Grad-CAM...",
    () => getBlob(api(`/gradcam?class=${encodeURIComponent(target)}&stage=${stage}&as=heatmap`)));
  if (!heat) return;
  setImage("gradcam-image", q("gradcam-image"), heat);
  const what = target === "top" ? "the top class" : /^\d+$/.test(target) ? `class #${target}` : `the ${target} group`;
  q("gradcam-caption").textContent = `Grad-CAM for ${what} at ${stage}: red is where the evidence for it lies.`;
  const attribution = await getJson(api(`/attribution?class=${encodeURIComponent(target)}&stage=${stage}`));
  renderAttribution(q("attribution"), attribution, (layer, c) => openLayer(layer).then(() => openChannel(layer, c)));
}

async function showAllStages() {
  const target = parseClass(q("gradcam-class").value);
  const strip = q("gradcam-all");
  strip.replaceChildren();
  await progress("Computing Grad-CAM at every stage...", async () => {
    // Stem first: its backward pass yields every later stage too (cached on the server).
    for (const row of stageRows()) {
      const blob = await getBlob(api(`/gradcam?class=${encodeURIComponent(target)}&stage=${row.id}&as=overlay`));
      const fig = document.createElement("figure");
      const img = document.createElement("img");
      img.src = URL.createObjectURL(blob);
      img.onload = () => URL.revokeObjectURL(img.src);
      fig.append(img, Object.assign(document.createElement("figcaption"), { textContent: row.id }));
      strip.append(fig);
    }
  });
}

// "" -> top class; "German shepherd (#235)" or "235" -> 235; "dog" -> group.
export function parseClass(text) {
  const t = text.trim();
  const hash = t.match(/#(\d+)\)?$/);
  if (hash) return hash[1];
  return t === "" ? "top" : t.toLowerCase();
}

let searchTimer = null;
function searchClasses(text) {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    const found = await getJson(`/api/model/classes?q=${encodeURIComponent(text)}`);
    q("gradcam-class").list.replaceChildren(
      ...found.groups.map((g) => new Option(`${g} (every ${g} class)`, g)),
      ...found.classes.map((c) => new Option(`${c.label} (#${c.index})`)));
  }, 150);
}

async function showGap() {
  renderGap(q("gap-vector"), await getJson(api("/pooled")));
}

let filtersShown = false;
async function showFilters() {
  if (filtersShown) return;
  const f = await getJson("/api/model/filters/stem");
  filtersShown = true;
  renderFilters(q("stem-filters"), f.filters, (i, kernel) => {
    update({ kernel, channels: "rgb", preset: "", display: "diverging", pool: "", tab: "playground" });
    document.querySelector('[data-testid="tab-playground"]').click();
    showStatus(`Learned stem filter ${i} is now the playground's kernel: one 3×3 slice per R, G, B channel, summed.`);
  });
}

function wire() {
  q("fm-layer").addEventListener("change", (e) => openLayer(e.target.value));
  q("fm-order").addEventListener("change", () => openLayer(state.stage || "stage3"));
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
  q("gradcam-stage").addEventListener("change", showGradcam);
  q("gradcam-class").addEventListener("input", (e) => searchClasses(e.target.value));
  q("gradcam-class").addEventListener("change", showGradcam);
  q("gradcam-opacity").addEventListener("input", (e) => { q("gradcam-image").style.opacity = e.target.value; });
  q("gradcam-all-button").addEventListener("click", showAllStages);
}
