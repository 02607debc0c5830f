// Lesson "dot-product": one output pixel is the dot product of the kernel with the patch of
// the photo under it; sliding the window gives the next pixel. The numbers are the
// inspector's (POST /inspect); the sum is written out and added up here, beside the value
// the server computed for that pixel.
import * as api from "./api.js";
import { el } from "./dom.js";
import { withImage } from "./images.js";
import { convSpec, playgroundLink, presets as loadPresets, strongestPixel, testid } from "./lesson-common.js";
import { state } from "./state.js";
import { num } from "./lib/format.js";
import { dotProduct, slidePositions, writtenOut } from "./lib/lesson-conv.js";
import { renderInspector } from "./render/inspector.js";
import { BoxedPicture } from "./render/lesson-picture.js";
import { drawZoom } from "./render/lesson-zoom.js";

const KERNELS = ["sobel_x", "sobel_y", "sharpen", "box_blur", "laplacian_4"];
const STEPS = 5;  // positions the step-through slides over

const specFor = (kernel) => convSpec(kernel);

function mount(box, kit) {
  const select = testid(el("select"), "dot-kernel");
  const link = el("span");
  const photoBox = el("div");
  const outputBox = el("div");
  const zoom = testid(el("canvas", { className: "lesson-zoom" }), "dot-zoom");
  const written = testid(el("p", { className: "lesson-equation" }), "dot-written");
  const check = testid(el("p", { className: "lesson-check" }), "dot-check");
  const tables = testid(el("div", { className: "lesson-tables" }), "dot-tables");
  const back = testid(el("button", { type: "button", textContent: "◀ Slide back" }), "dot-back");
  const forward = testid(el("button", { type: "button", textContent: "Slide ▶" }), "dot-step");
  const cells = testid(el("ol", { className: "lesson-cells" }), "dot-cells");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [el("label", {}, ["Kernel ", select]), link]),
    el("div", { className: "lesson-row" }, [
      el("figure", {}, [photoBox, el("figcaption", { textContent: "Your photo: click anywhere to put the kernel there" })]),
      el("figure", {}, [outputBox, el("figcaption", { textContent: "The output: every pixel is one dot product" })]),
    ]),
    el("div", { className: "lesson-row" }, [
      el("figure", {}, [zoom, el("figcaption", { textContent: "Up close (grayscale): the kernel's 3×3 window" })]),
      el("div", { className: "lesson-detail" }, [written, check, tables]),
    ]),
    el("div", { className: "lesson-controls" }, [back, forward,
      el("span", { className: "hint", textContent: "the window moves one pixel at a time (stride 1)" })]),
    el("div", {}, [el("p", { className: "lesson-caption", textContent: "This stretch of one output row, one dot product per position:" }), cells]),
  );

  let presets = null;
  let size = null;
  let point = null;       // the first position of the step-through
  let shownImage = "";
  let positions = [];
  let step = 0;
  let values = [];        // the output value at each position visited
  let fresh = () => true; // whether the current run is still the newest
  const photo = new BoxedPicture(photoBox, { alt: "your photo", fill: true, onPick: (x, y) => start({ x, y }).catch(kit.report) });
  const output = new BoxedPicture(outputBox, { alt: "the convolution output", fill: true, onPick: (x, y) => start({ x, y }).catch(kit.report) });
  const kernel = () => presets[select.value].kernel;

  select.addEventListener("change", () => { point = null; run(fresh).catch(kit.report); });
  back.addEventListener("click", () => show(Math.max(0, step - 1)).catch(kit.report));
  forward.addEventListener("click", () => show(Math.min(positions.length - 1, step + 1)).catch(kit.report));

  async function run(isFresh) {
    fresh = isFresh;
    if (!presets) {
      presets = await loadPresets();
      select.replaceChildren(...KERNELS.filter((k) => presets[k]).map((k) => new Option(presets[k].name, k)));
    }
    link.replaceChildren(testid(playgroundLink("Open in the kernel playground", { preset: select.value, kernel: kernel() }), "open-playground"));
    const made = await withImage(async (id) => ({ id, ...(await api.convolve(id, specFor(kernel()))) }));
    if (!isFresh()) return;
    size = made.summary.input;
    await Promise.all([photo.show(api.imageUrl(made.id)), output.show(made.blob)]);
    if (state.image !== shownImage) point = null;  // a new photo: a new place to start
    shownImage = state.image;
    const inside = point && point.x < size.width && point.y < size.height;
    // A new photo starts just before the kernel's strongest answer, so the slide crosses an edge.
    const strong = inside ? null : await withImage((id) => strongestPixel(id, specFor(kernel())));
    await start(inside ? point : { x: Math.max(0, strong.x - 2), y: strong.y });
  }

  async function start(p) {
    point = p;
    positions = slidePositions(p.x, p.y, STEPS, size.width);
    values = positions.map(() => null);
    await show(0);
  }

  async function show(k) {
    step = k;
    const p = positions[k];
    const info = await withImage((id) => api.inspect(id, { ...specFor(kernel()), x: p.x, y: p.y }));
    if (!fresh() || positions[step] !== p) return;
    const { terms, sum } = dotProduct(info.patch[0], info.kernel[0]);
    values[k] = info.value[0];
    const w = info.window;
    photo.boxes([{ ...w, kind: "window", label: "the kernel's window" }]);
    output.boxes([{ x0: p.x, y0: p.y, x1: p.x, y1: p.y, kind: "pixel", label: "the output pixel" }]);
    drawZoom(zoom, photo.img, { cx: p.x, cy: p.y, radius: 5, window: w });
    written.textContent = `dot product = ${writtenOut(terms, (v) => num(v, 2))} = ${num(sum, 2)}`;
    written.dataset.sum = String(sum);
    check.textContent = `${num(sum, 2)} + bias ${num(info.bias, 2)} = ${num(sum + info.bias, 2)}: the output pixel the server computed is ${num(info.value[0], 2)}.`;
    check.dataset.value = String(info.value[0]);
    renderInspector(tables, { ...info, flip: false }, true);
    back.disabled = k === 0;
    forward.disabled = k === positions.length - 1;
    cells.replaceChildren(...positions.map((q, i) => {
      const cell = el("li", { className: i === k ? "current" : "", textContent: values[i] === null ? "?" : num(values[i], 1) });
      cell.title = `output pixel (${q.x}, ${q.y})`;
      return cell;
    }));
  }

  return { run };
}

export const experiments = { "dot-product": mount };
