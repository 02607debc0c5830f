// The kernel playground: controls <-> state, one convolve request per edit (never stale),
// the pixel inspector, downloads and the shareable link.
import { ApiError, convolve, convolveLive, imageUrl, inspect, presets as fetchPresets } from "./api.js";
import { bounds } from "./config.js";
import { copyText, download, finder } from "./dom.js";
import { currentImage, withImage } from "./images.js";
import { linkHadKernel, shareUrl, state, subscribe, update } from "./state.js";
import { clearError, showError, showStatus } from "./status.js";
import { latestOnly } from "./lib/latest.js";
import { kernelToText, normalise, resizeKernel, transpose } from "./lib/kernel.js";
import { isValidKernel, outputGeometry, outputStep, specFromState } from "./lib/spec.js";
import { KernelGrid } from "./render/kernel-grid.js";
import { ImagePair } from "./render/image-pair.js";
import { renderInspector } from "./render/inspector.js";
import { renderControls } from "./render/playground-controls.js";
import { renderArithmetic, renderLegend } from "./render/arithmetic.js";

const CONV_KEYS = ["image", "kernel", "stride", "dilation", "padding", "border", "channels", "bias",
  "flip", "relu", "pool", "poolSize", "poolStride", "display"];

let root;
let presets = {};
let grid;
let pair;
let pinned = null;   // {x, y} the user clicked, re-explained after every edit
let summary = null;
let summaryKey = "";  // the request body (as JSON) that produced `summary`
let q = null;
const field = (name) => root.querySelector(`[data-field="${name}"]`);
const is3d = (k) => Array.isArray(k[0][0]);

export async function startPlayground(panel) {
  root = panel;
  q = finder(panel);
  // Leaving a cell that holds no number (a "-" typed and left) shows the error it now is.
  grid = new KernelGrid(q("kernel-grid"), editCell, () => { if (!isValidKernel(state.kernel)) refresh(); });
  pair = new ImagePair(root, { onHover: (p) => { if (!pinned) explain(p); }, onPick: (p) => { pinned = p; explain(p); }, onDetail: () => refresh() });
  bindControls();
  presets = await fetchPresets();
  const select = q("preset");
  for (const [id, p] of Object.entries(presets)) select.append(new Option(p.name, id));
  // A link may name a preset without spelling out its kernel; a kernel that differs
  // from its preset's is a custom one.
  const named = presets[state.preset];
  if (named && !linkHadKernel) update({ kernel: named.kernel });
  else if (named && kernelToText(named.kernel) !== kernelToText(state.kernel)) update({ preset: "" });
  pair.setZoom(state.zoom);
  pair.setMode(state.outSize);
  q("output-size-mode").value = state.outSize;
  syncControls();
  subscribe((s, changed) => {
    // A preset named without its kernel (a link typed into the address bar) brings its kernel.
    if (changed.has("preset") && !changed.has("kernel") && presets[s.preset] &&
        kernelToText(presets[s.preset].kernel) !== kernelToText(s.kernel)) {
      update({ kernel: presets[s.preset].kernel }); // syncs the controls and refreshes
      if (changed.has("image")) pair.setInput(imageUrl(s.image));
      return;
    }
    if (CONV_KEYS.some((k) => changed.has(k)) || changed.has("preset")) syncControls(changed);
    if (changed.has("image")) pair.setInput(imageUrl(s.image));
    if (changed.has("outSize")) {
      pair.setMode(s.outSize);
      q("output-size-mode").value = s.outSize;
    }
    if (changed.has("zoom")) {
      pair.setZoom(s.zoom);
      if (shownFormat && previewFormat() !== shownFormat && !CONV_KEYS.some((k) => changed.has(k))) refresh();
    }
    if (CONV_KEYS.some((k) => changed.has(k))) refresh();
  });
  if (state.image) pair.setInput(imageUrl(state.image));
  let previewUrl = null; // the browser's copy of a photo being uploaded
  document.addEventListener("convlens:preview", (e) => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = e.detail;
    pinned = null;
    if (previewUrl) {
      pair.preview(previewUrl);
    } else {
      pair.setInput(imageUrl(state.image));
      refresh();
    }
  });
  refresh();
}

function editCell(c, i, j, v) {
  const kernel = structuredClone(state.kernel);
  (is3d(kernel) ? kernel[c] : kernel)[i][j] = v;
  update({ kernel, preset: "" });
}

function bindControls() {
  const on = (name, event, fn) => field(name).addEventListener(event, fn);
  on("preset", "change", (e) => {
    const p = presets[e.target.value];
    if (p) update({ preset: e.target.value, kernel: p.kernel, channels: is3d(state.kernel) ? "gray" : state.channels });
    else update({ preset: "" });
  });
  const resize = () => {
    const rows = clampInt(field("rows").value, ...bounds.kernel_side);
    const cols = clampInt(field("cols").value, ...bounds.kernel_side);
    const k = state.kernel;
    update({ preset: "", kernel: is3d(k) ? k.map((s) => resizeKernel(s, rows, cols)) : resizeKernel(k, rows, cols) });
  };
  on("rows", "change", resize);
  on("cols", "change", resize);
  on("flip", "change", (e) => update({ flip: e.target.checked }));
  on("relu", "change", (e) => update({ relu: e.target.checked }));
  for (const name of ["stride", "dilation"]) {
    on(name, "input", (e) => update({ [name]: Number(e.target.value) }));
  }
  const padding = () => {
    const mode = field("padmode").value;
    field("padnum").hidden = mode !== "explicit";
    update({ padding: mode === "explicit" ? clampInt(field("padnum").value, ...bounds.padding) : mode });
  };
  on("padmode", "change", padding);
  on("padnum", "input", padding);
  // Out-of-range numbers are clamped as typed; on leaving the field it shows the value used.
  on("padnum", "change", () => { if (typeof state.padding === "number") field("padnum").value = state.padding; });
  on("poolsize", "change", () => { field("poolsize").value = state.poolSize; });
  on("poolstride", "change", () => { field("poolstride").value = state.poolStride; });
  on("border", "change", (e) => update({ border: e.target.value }));
  for (const radio of root.querySelectorAll('[data-field="channels"]')) {
    radio.addEventListener("change", (e) => update({ channels: e.target.value }));
  }
  on("bias", "input", (e) => { const v = Number(e.target.value); if (e.target.value !== "" && Number.isFinite(v)) update({ bias: v }); });
  on("pool", "change", (e) => update({ pool: e.target.value }));
  on("poolsize", "input", (e) => update({ poolSize: clampInt(e.target.value, ...bounds.pool) }));
  on("poolstride", "input", (e) => update({ poolStride: clampInt(e.target.value, ...bounds.pool) }));
  on("display", "change", (e) => update({ display: e.target.value }));
  root.querySelector('[data-action="normalise"]').addEventListener("click", () => {
    update({ preset: "", kernel: normalise(state.kernel) });
  });
  root.querySelector('[data-action="transpose"]').addEventListener("click", () => {
    const k = state.kernel;
    update({ preset: "", kernel: is3d(k) ? k.map(transpose) : transpose(k) });
  });
  q("zoom").addEventListener("input", (e) => update({ zoom: Number(e.target.value) }));
  q("zoom-fit").addEventListener("click", () => update({ zoom: 0 }));
  q("output-size-mode").addEventListener("change", (e) => update({ outSize: e.target.value }));
  q("download-png").addEventListener("click", () => saveOutput("png", "image"));
  q("download-npy").addEventListener("click", () => saveOutput("jpeg", "npy"));
  q("copy-link").addEventListener("click", copyLink);
  // Keyboard: focus the output, then arrow keys walk the pinned pixel (Escape unpins).
  const output = q("output-image");
  output.tabIndex = 0;
  output.setAttribute("aria-label", "convolution output: arrow keys choose the pixel to explain");
  output.addEventListener("keydown", (e) => {
    if (e.key === "Escape") { pinned = null; return; }
    const d = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] }[e.key];
    if (!d || !summary) return;
    e.preventDefault();
    const at = pinned || { x: Math.floor(summary.output.width / 2), y: Math.floor(summary.output.height / 2) };
    pinned = {
      x: Math.min(summary.output.width - 1, Math.max(0, at.x + d[0])),
      y: Math.min(summary.output.height - 1, Math.max(0, at.y + d[1])),
    };
    explain(pinned);
  });
}

function clampInt(v, lo, hi) {
  const n = Math.round(Number(v));
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : lo;
}

// Put state into the controls (on load, and when something else changed it: a link, the CNN tab).
// The kernel grid is redrawn only when the kernel changed: a dragged slider leaves it alone.
function syncControls(changed = null) {
  renderControls(root, state, presets);
  if (!changed || changed.has("kernel")) grid.render(state.kernel);
}

// One request in flight at most; edits made meanwhile collapse into the newest.
const send = latestOnly(async (spec) => {
  const busy = setTimeout(() => { q("busy").hidden = false; }, 150);
  try {
    const format = previewFormat();
    const result = await withImage((id) => convolveLive(id, spec, { format, drawnScale: drawnScale() }));
    shownFormat = format;
    return { spec, ...result };
  } finally {
    clearTimeout(busy);
    q("busy").hidden = true;
  }
});

// Device pixels per output pixel where the output is drawn (from the state, not the last
// answer, so a stride just changed is counted): a live frame drawn at half size or less
// comes smaller, which the server encodes and the browser decodes several times faster.
function drawnScale() {
  const z = pair.laidOutScale; // as last laid out: reading the layout back here would force it
  if (!z) return null; // not laid out (another tab): full size
  const step = state.outSize === "aligned" ? outputStep(state) : 1;
  return z * step * (window.devicePixelRatio || 1);
}

// JPEG's chroma subsampling smears single output pixels, so the preview is lossless PNG
// whenever pixels can be told apart (a small output, or zoomed in); JPEG keeps big live
// previews fast (a 1024x768 PNG costs the server ~50 ms more).
let shownFormat = null;
function previewFormat() {
  // The photo just chosen has its size from the upload; the last summary may be another photo's.
  const img = currentImage();
  const size = img && img.id === state.image && img.width ? img : summary && summary.input;
  const w = size && size.width;
  const h = size && size.height;
  if (!w || !h) return "png";
  const step = outputStep(state);
  return (w / step) * (h / step) <= 320 * 1024 || (pair.laidOutScale ?? pair.scale()) >= 2 ? "png" : "jpeg";
}

async function refresh() {
  for (const name of ["stride", "dilation"]) root.querySelector(`[data-out="${name}"]`).textContent = state[name];
  if (!state.image) return;
  if (!isValidKernel(state.kernel)) {
    // A number still being typed ("-", "0.", "1/") is not a mistake yet: wait for the next key.
    if (!grid.hasTyping()) {
      showError(new Error("Some kernel cells are not numbers (a decimal such as -0.5, or a fraction such as 1/9); fix the red ones."), "playground");
    }
    return;
  }
  try {
    const result = await send(specFromState(state));
    if (!result) return; // superseded by a newer edit
    markStale(false);
    summary = result.summary;
    summaryKey = JSON.stringify(result.spec);
    pair.setOutput(result.blob, outputGeometry(summary));
    q("input-size").textContent = `${summary.input.width}×${summary.input.height}`;
    q("output-size").textContent = `${summary.output.width}×${summary.output.height}`;
    renderArithmetic(root, summary);
    renderLegend(q("legend"), summary.display, summary.output.channels);
    clearError("playground");
    if (pinned) explain(pinned);
  } catch (err) {
    // A setting that leaves no output (422): the picture and numbers on screen are the
    // previous settings', so they are greyed out and say so until an edit works again.
    if (err instanceof ApiError && err.status === 422) markStale(true);
    showError(err instanceof ApiError ? err : new Error(String(err)), "playground");
  }
}

function markStale(stale) {
  q("output-stale").hidden = !stale;
  q("output-viewport").closest("figure").classList.toggle("stale", stale);
  root.querySelector(".explain").classList.toggle("stale", stale);
}

const explainLatest = latestOnly((spec) => withImage((id) => inspect(id, spec)));

// Explain output pixel p of the output on screen. While an edit is on its way the shown
// output (and so p) belongs to the previous settings: wait, refresh() explains the pin then.
const showsCurrentState = () => isValidKernel(state.kernel) && JSON.stringify(specFromState(state)) === summaryKey;

async function explain(p) {
  if (!summary || !showsCurrentState()) return;
  const x = Math.min(p.x, summary.output.width - 1);
  const y = Math.min(p.y, summary.output.height - 1);
  try {
    const info = await explainLatest({ ...specFromState(state), x, y });
    if (!info || !showsCurrentState()) return;
    pair.mark({ x, y }, info.window);
    renderInspector(q("inspector-body"), { ...info, flip: state.flip }, Boolean(pinned));
  } catch (err) {
    showError(err);
  }
}

async function saveOutput(format, as) {
  try {
    const { blob, filename } = await withImage((id) => convolve(id, specFromState(state), { format, as }));
    download(blob, filename || (as === "npy" ? "convlens-output.npy" : "convlens-output.png"));
  } catch (err) {
    showError(err);
  }
}

async function copyLink() {
  const url = shareUrl();
  showStatus(await copyText(url) ? "Link copied: it reproduces this photo, kernel and every setting."
    : `Copy this link by hand: ${url}`);
}
