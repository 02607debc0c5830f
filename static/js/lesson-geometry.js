// Lessons on sizes: "output-size" (stride, padding and dilation set the output's size: the
// formula with the photo's numbers beside the output the server drew) and "pooling" (the
// pooled output at its true size, and which value each pooled pixel kept).
import * as api from "./api.js";
import { bounds } from "./config.js";
import { el } from "./dom.js";
import { withImage } from "./images.js";
import { convSpec, playgroundLink, strongestPixel, testid } from "./lesson-common.js";
import { state } from "./state.js";
import { num } from "./lib/format.js";
import { newestWins } from "./lib/latest.js";
import { outputSize, outputSizeSteps, poolWinner } from "./lib/lesson-conv.js";
import { BoxedPicture } from "./render/lesson-picture.js";
import { drawZoom } from "./render/lesson-zoom.js";

// A range input with its value beside it; onInput(value) as it moves.
function slider(name, id, [lo, hi], value, onInput) {
  const input = testid(el("input", { type: "range", min: lo, max: hi, step: 1, value }), id);
  const out = el("output", { textContent: String(value) });
  input.addEventListener("input", () => { out.textContent = input.value; onInput(Number(input.value)); });
  return { input, label: el("label", {}, [name, input, out]) };
}

// Two pictures side by side, each as wide as its pixels relative to the other: an output
// half as wide as its input is drawn half as wide.
function trueSizePair(left, right) {
  const row = el("div", { className: "true-size" }, [left, right]);
  return {
    row,
    widths(a, b) {
      left.style.flex = `${a} 1 0`;
      right.style.flex = `${b} 1 0`;
    },
  };
}

// --- output-size ---------------------------------------------------------------------------

const boxKernel = (f) => Array.from({ length: f }, () => new Array(f).fill(1 / (f * f)));

function outputSizeLesson(box, kit) {
  // Stride 1 with padding 1 keeps the photo's size: the "Try this" then halves it with stride 2.
  const settings = { f: 3, p: 1, s: 1, d: 1 };
  const sliders = [
    slider("Kernel size f", "size-kernel", [1, Math.min(15, bounds.kernel_side[1])], settings.f, (v) => change({ f: v })),
    slider("Padding p", "size-padding", [0, Math.min(16, bounds.padding[1])], settings.p, (v) => change({ p: v })),
    slider("Stride s", "size-stride", bounds.stride, settings.s, (v) => change({ s: v })),
    slider("Dilation d", "size-dilation", bounds.dilation, settings.d, (v) => change({ d: v })),
  ];
  const link = el("span");
  const width = testid(el("p", { className: "lesson-equation big" }), "size-width");
  const height = testid(el("p", { className: "lesson-equation big" }), "size-height");
  const check = testid(el("p", { className: "lesson-check" }), "size-check");
  const left = el("figure");
  const right = el("figure");
  const inputBox = el("div");
  const outputBox = el("div");
  const inCap = el("figcaption");
  const outCap = testid(el("figcaption"), "size-output-caption");
  left.append(inputBox, inCap);
  right.append(outputBox, outCap);
  const pair = trueSizePair(left, right);
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [...sliders.map((s) => s.label), link]),
    width, height, check, pair.row,
    el("p", { className: "hint", textContent: "An f × f averaging kernel, so the output still looks like the photo; every output pixel is one position of the window. Both pictures are drawn at one scale." }),
  );
  const input = new BoxedPicture(inputBox, { alt: "your photo" });
  const output = new BoxedPicture(outputBox, { alt: "the output at its true size" });
  let size = null;
  let fresh = () => true;
  const draw = newestWins((id, body) => api.convolve(id, body));

  function change(c) {
    Object.assign(settings, c);
    show().catch(kit.report);
  }

  async function show() {
    const { f, p, s, d } = settings;
    const w = outputSize(size.width, f, p, s, d);
    const h = outputSize(size.height, f, p, s, d);
    width.textContent = `width:  ${outputSizeSteps(size.width, f, p, s, d)}`;
    height.textContent = `height: ${outputSizeSteps(size.height, f, p, s, d)}`;
    Object.assign(check.dataset, { width: w, height: h });
    link.replaceChildren(playgroundLink("Open in the kernel playground", { kernel: boxKernel(f), stride: s, padding: p, dilation: d }));
    if (!w || !h) {
      check.textContent = "No output: the kernel does not fit in the padded photo even once.";
      output.clear("No output");
      return;
    }
    const body = convSpec(boxKernel(f), { stride: s, padding: p, dilation: d, border: "zero", display: "clip" });
    const made = await withImage((id) => draw(id, body));
    if (!made || !fresh()) return;
    const drawn = await output.show(made.blob);
    const o = made.summary.output;
    pair.widths(size.width, drawn.width);
    outCap.textContent = `Output: ${o.width} × ${o.height} (drawn at the photo's scale)`;
    check.textContent = o.width === w && o.height === h
      ? `The formula says ${w} × ${h}; the output the server made is ${o.width} × ${o.height}.`
      : `The formula says ${w} × ${h}, but the server made ${o.width} × ${o.height}.`;
    check.dataset.drawn = `${drawn.width}x${drawn.height}`;
  }

  async function run(isFresh) {
    fresh = isFresh;
    const id = await withImage(async (image) => image);
    const shown = await input.show(api.imageUrl(id));
    if (!isFresh()) return;
    size = shown;
    inCap.textContent = `Your photo: n = ${size.width} wide, ${size.height} high`;
    await show();
  }
  return { run };
}

// --- pooling -------------------------------------------------------------------------------

const SOURCES = {
  edges: { label: "Sobel x edges, after ReLU", kernel: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], relu: true },
  photo: { label: "the photo itself (grayscale)", kernel: [[1]], relu: false },
};

function pooling(box, kit) {
  const settings = { kind: "max", size: 2, source: "edges" };
  const kind = testid(el("select"), "pool-kind");
  kind.append(new Option("max", "max"), new Option("average", "avg"));
  const source = testid(el("select"), "pool-source");
  source.append(...Object.entries(SOURCES).map(([k, v]) => new Option(v.label, k)));
  const size = slider("Window (and stride)", "pool-window", [2, Math.min(4, bounds.pool[1])], settings.size, (v) => change({ size: v }));
  const link = el("span");
  const left = el("figure");
  const right = el("figure");
  const beforeBox = el("div");
  const pooledBox = el("div");
  const beforeCap = el("figcaption");
  const pooledCap = testid(el("figcaption"), "pool-caption");
  left.append(beforeBox, beforeCap);
  right.append(pooledBox, pooledCap);
  const pair = trueSizePair(left, right);
  const zoom = testid(el("canvas", { className: "lesson-zoom" }), "pool-zoom");
  const table = testid(el("div", { className: "lesson-scroll" }), "pool-window-values");
  const verdict = testid(el("p", { className: "lesson-big" }), "pool-verdict");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [el("label", {}, ["Pool ", kind]), el("label", {}, ["of ", source]), size.label, link]),
    pair.row,
    el("div", { className: "lesson-row" }, [
      el("figure", {}, [zoom, el("figcaption", { textContent: "Up close: the window the clicked pixel pooled" })]),
      el("div", {}, [el("p", { textContent: "The window's values (click a pooled pixel to choose another):" }), table, verdict]),
    ]),
  );
  const before = new BoxedPicture(beforeBox, { alt: "the map before pooling" });
  const pooled = new BoxedPicture(pooledBox, { alt: "the pooled map", onPick: (x, y) => explain({ x, y }).catch(kit.report) });
  let fresh = () => true;
  let outSize = null;
  let pick = null;
  let shownImage = "";
  kind.addEventListener("change", () => change({ kind: kind.value }));
  source.addEventListener("change", () => change({ source: source.value }));
  const body = (pool) => convSpec(SOURCES[settings.source].kernel, {
    relu: SOURCES[settings.source].relu, display: "clip",
    pool: pool ? { kind: settings.kind, size: settings.size, stride: settings.size } : null,
  });

  function change(c) {
    Object.assign(settings, c);
    if (c.size || c.source) pick = null;  // another map, or other windows
    run(fresh).catch(kit.report);
  }

  async function explain(p) {
    pick = p;
    const info = await withImage((id) => api.inspect(id, { ...body(true), x: p.x, y: p.y }));
    if (!fresh() || pick !== p) return;
    const w = info.pool.window;
    const values = info.pool.values[0];
    const won = poolWinner(values, settings.kind);
    before.boxes([{ ...w, kind: "window", label: "the pooling window" }]);
    pooled.boxes([{ x0: p.x, y0: p.y, x1: p.x, y1: p.y, kind: "pixel", label: "the pooled pixel" }]);
    drawZoom(zoom, before.img, { cx: Math.round((w.x0 + w.x1) / 2), cy: Math.round((w.y0 + w.y1) / 2), radius: 4, window: w, gray: false });
    const grid = el("table", { className: "lesson-table" });
    values.forEach((row, i) => {
      const tr = grid.insertRow();
      row.forEach((v, j) => {
        const td = tr.insertCell();
        td.textContent = num(v, 1);
        if (i === won.row && j === won.col) td.className = "won";
      });
    });
    table.replaceChildren(grid);
    const result = info.pool.result[0];
    verdict.textContent = settings.kind === "max"
      ? `Max pooling kept ${num(won.value, 1)}, the strongest of the ${values.flat().length} (green); the others are gone.`
      : `Average pooling kept the mean, ${num(won.value, 1)}: no value wins, the strong ones are diluted by the weak.`;
    verdict.textContent += ` The pooled pixel (${p.x}, ${p.y}) is ${num(result, 1)}.`;
    Object.assign(verdict.dataset, { kept: won.value, result });
  }

  async function run(isFresh) {
    fresh = isFresh;
    if (state.image !== shownImage) pick = null;
    shownImage = state.image;
    const s = SOURCES[settings.source];
    link.replaceChildren(playgroundLink("Open in the kernel playground", {
      kernel: s.kernel, relu: s.relu, stride: 1, padding: "same", dilation: 1, display: "clip",
      pool: settings.kind, poolSize: settings.size, poolStride: settings.size }));
    const [a, b] = await withImage((id) => Promise.all([api.convolve(id, body(false)), api.convolve(id, body(true))]));
    if (!isFresh()) return;
    const [sa, sb] = await Promise.all([before.show(a.blob), pooled.show(b.blob)]);
    pair.widths(sa.width, sb.width);
    outSize = b.summary.output;
    beforeCap.textContent = `Before pooling: ${s.label}, ${a.summary.output.width} × ${a.summary.output.height}`;
    pooledCap.textContent = `After ${settings.size}×${settings.size} ${settings.kind === "max" ? "max" : "average"} pooling, stride ${settings.size}: ` +
      `${outSize.width} × ${outSize.height}, drawn at its true size (click a pixel)`;
    Object.assign(pooledCap.dataset, { width: outSize.width, height: outSize.height, before: a.summary.output.width });
    // A new photo: the pooled pixel over the strongest value of the map, where a window wins clearly.
    if (!(pick && pick.x < outSize.width && pick.y < outSize.height)) {
      const strong = await withImage((id) => strongestPixel(id, body(false)));
      if (!isFresh()) return;
      pick = { x: Math.min(outSize.width - 1, Math.floor(strong.x / settings.size)), y: Math.min(outSize.height - 1, Math.floor(strong.y / settings.size)) };
    }
    await explain(pick);
  }
  return { run };
}

export const experiments = { "output-size": outputSizeLesson, pooling };
