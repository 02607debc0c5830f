// Lessons on the network itself: "hierarchy" (deeper units see more of the photo: a unit's
// receptive field, theoretical and effective, and the field growing stage by stage),
// "parameter-sharing" (shared weights against a dense layer, worked by hand, then for the
// real stages) and "dog-maps" (the photo's maps at each stage, the strongest channels,
// Grad-CAM).
import * as api from "./api.js";
import { el } from "./dom.js";
import { chooseSample, withImage } from "./images.js";
import { cnnLink, testid } from "./lesson-common.js";
import { state } from "./state.js";
import { num, pct, shape } from "./lib/format.js";
import { glowRgba } from "./lib/lesson-colour.js";
import { convLayer, denseNeuronWeights, grouped, logFraction, workedExample } from "./lib/lesson-params.js";
import { fieldFacts, parseNpy } from "./lib/lesson-values.js";
import { count, sharingLesson } from "./lib/sharing.js";
import { BoxedPicture } from "./render/lesson-picture.js";
import { drawFieldStrip } from "./render/lesson-rf-strip.js";

let modelCache = null;
const model = async () => (modelCache ??= await api.describeModel());
const stageRows = (m) => m.stages.filter((r) => r.id !== "classifier");

// --- hierarchy -----------------------------------------------------------------------------

// A receptive-field answer's box in photo pixels (inclusive).
const inPhoto = (f) => ({ x0: f.x0, y0: f.y0, x1: f.x1, y1: f.y1 });

// The glow of `values` (width x height) on a canvas, to lay over a picture.
function heatCanvas(values, width, height) {
  const canvas = el("canvas", { width, height });
  canvas.getContext("2d").putImageData(new ImageData(glowRgba(values), width, height), 0, 0);
  canvas.setAttribute("data-testid", "rf-heat");
  return canvas;
}

function hierarchy(box, kit) {
  const stage = testid(el("select"), "rf-stage");
  const link = el("span");
  const mapBox = el("div");
  const photoBox = el("div");
  const effectiveBox = el("div");
  const mapCap = testid(el("figcaption"), "rf-map-caption");
  const photoCap = testid(el("figcaption"), "rf-photo-caption");
  const effectiveCap = testid(el("figcaption"), "rf-effective-caption");
  const says = testid(el("p", { className: "lesson-big" }), "rf-says");
  const strip = testid(el("div", { className: "rf-strip" }), "rf-strip");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [el("label", {}, ["Stage ", stage]), link]),
    el("div", { className: "lesson-row three" }, [
      el("figure", {}, [mapBox, mapCap]),
      el("figure", {}, [photoBox, photoCap]),
      el("figure", {}, [effectiveBox, effectiveCap]),
    ]),
    says,
    el("h3", { textContent: "The field grows stage by stage (one unit's box on the model's view)" }),
    strip,
  );
  const map = new BoxedPicture(mapBox, { alt: "the stage's strongest map", fill: true, onPick: (x, y) => pickUnit({ x, y }).catch(kit.report) });
  const photo = new BoxedPicture(photoBox, { alt: "your photo with the unit's field", fill: true });
  const view = new BoxedPicture(effectiveBox, { alt: "the model's 224×224 view with the unit's effective field", fill: true });
  let fresh = () => true;
  let unit = null;     // {x, y} in the stage's map
  let place = null;    // where a unit was in its map (fractions of the side), for the next stage
  let side = null;     // the stage's map, {width, height}
  let shown = null;    // {stage, field} of the unit drawn last
  let before = null;   // the same of the last unit drawn at another stage: drawn for comparison
  let shownImage = "";
  let cropUrl = null;  // the model's view, drawn once per stage in the strip
  stage.addEventListener("change", () => {
    // The next stage opens at the same place of the photo, so the two fields can be compared.
    if (unit && side) place = { fx: (unit.x + 0.5) / side.width, fy: (unit.y + 0.5) / side.height };
    before = shown && shown.stage !== stage.value ? shown : before;
    unit = null;
    run(fresh).catch(kit.report);
  });

  async function pickUnit(u) {
    unit = u;
    const [field, raw] = await withImage((id) => Promise.all([
      api.receptiveField(id, stage.value, u.x, u.y), api.effectiveField(id, stage.value, u.x, u.y)]));
    if (!fresh() || unit !== u) return;
    const grad = parseNpy(raw);  // (224, 224): the gradient's size at each pixel of the view
    const [gh, gw] = grad.shape;
    // The same heat over the photo (where the view was cut from) and over the view itself.
    photo.layOver(heatCanvas(grad.data, gw, gh), field.seen);
    view.layOver(heatCanvas(grad.data, gw, gh));
    view.boxes([{ ...field.crop_box, kind: "field", label: "the theoretical box" }]);
    const facts = fieldFacts(grad.data);
    const boxArea = (field.crop_box.x1 - field.crop_box.x0 + 1) * (field.crop_box.y1 - field.crop_box.y0 + 1);
    effectiveCap.textContent = `Its effective field on the model's ${gw}×${gh} view: how much each pixel changes the unit ` +
      `(the gradient's size: yellow where it is largest, dimmed where it is 0; square-root scale). ${grouped(facts.nonzero)} pixels move it at all ` +
      `(the box holds ${grouped(boxArea)}); half of the total comes from the strongest ${grouped(facts.half)}.`;
    Object.assign(effectiveCap.dataset, { nonzero: facts.nonzero, boxArea, half: facts.half });
    map.boxes([{ x0: u.x, y0: u.y, x1: u.x, y1: u.y, kind: "pixel", label: "the unit" }]);
    const earlier = before && before.stage !== stage.value ? before : null;
    photo.boxes([
      { ...field.seen, kind: "seen", label: "what the model sees (the 224×224 crop)" },
      ...(earlier ? [{ ...inPhoto(earlier.field), kind: "field earlier", label: `the ${earlier.stage} unit's field`, testid: "rf-box-before" }] : []),
      { ...inPhoto(field), kind: "field", label: "the unit's theoretical field", testid: "rf-box" },
    ]);
    shown = { stage: stage.value, field };
    const w = field.x1 - field.x0 + 1;
    const h = field.y1 - field.y0 + 1;
    photoCap.textContent = `Its theoretical field (red): ${field.field_size} px of the model's view` +
      `${field.field_size > 224 ? " (more than the whole view: clipped)" : ""}, here ${w} × ${h} pixels of your photo` +
      `${earlier ? `; in blue, the ${earlier.stage} unit's field at the same place (${earlier.field.field_size} px)` : ""}. Dashed white: the part the model sees.`;
    const c = field.crop_box;
    Object.assign(says.dataset, { stage: stage.value, fieldSize: field.field_size, cropWidth: c.x1 - c.x0 + 1,
      cx: (c.x0 + c.x1) / 2, cy: (c.y0 + c.y1) / 2, before: earlier ? earlier.stage : "" });
    says.textContent = `A ${stage.value} unit (stride ${field.stride}: neighbouring units are ${field.stride} px apart) ` +
      `is computed from a ${field.field_size}-pixel-wide patch of the view. What really moves it is more concentrated: ` +
      `half of its gradient comes from ${grouped(facts.half)} of the ${grouped(boxArea)} pixels in its box, so the box is an upper bound.`;
  }

  async function run(isFresh) {
    fresh = isFresh;
    const m = await model();
    if (!stage.options.length) {
      stage.append(...stageRows(m).map((r) => new Option(`${r.id} (${r.out_shape[1]}×${r.out_shape[2]})`, r.id)));
      stage.value = "stem";  // where the lesson's words start: the smallest field
    }
    link.replaceChildren(cnnLink(`Open ${stage.value} in Inside the CNN`, { stage: stage.value }));
    if (state.image !== shownImage) { unit = null; place = null; shown = null; before = null; }
    shownImage = state.image;
    const [summary, crop] = await withImage((id) => Promise.all([api.stageSummary(id, stage.value, "strength"), api.cropBlob(id)]));
    const channel = summary.top[0];
    const [mapBlob, id] = await withImage(async (image) => [await api.channelImage(image, stage.value, channel), image]);
    if (!isFresh()) return;
    side = await map.show(mapBlob);
    mapCap.textContent = `${stage.value}'s strongest channel, #${channel}: a ${side.width}×${side.height} map. Click a unit.`;
    await photo.show(api.imageUrl(id));
    if (cropUrl) URL.revokeObjectURL(cropUrl);
    cropUrl = URL.createObjectURL(crop);
    await view.show(cropUrl);
    await drawFieldStrip(strip, stageRows(m), cropUrl);
    const at = (f, n) => Math.min(n - 1, Math.floor(f * n));
    await pickUnit(unit || (place ? { x: at(place.fx, side.width), y: at(place.fy, side.height) }
      : { x: Math.floor(side.width / 2), y: Math.floor(side.height / 2) }));
  }
  return { run };
}

// --- parameter-sharing ---------------------------------------------------------------------

function numberInput(id, value, min, max) {
  return testid(el("input", { type: "number", value, min, max, step: 1 }), id);
}

function parameterSharing(box) {
  const side = numberInput("share-side", 100, 8, 4096);
  const filters = numberInput("share-filters", 100, 1, 1024);
  const k = numberInput("share-k", 3, 1, 15);
  const worked = testid(el("div", { className: "lesson-words" }), "share-worked");
  const photoLine = testid(el("p", { className: "lesson-big" }), "share-photo");
  const table = testid(el("div", { className: "lesson-scroll" }), "share-stages");
  const note = testid(el("p", { className: "lesson-note" }), "share-note");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [
      el("label", {}, ["Image side ", side]), el("label", {}, ["Filters ", filters]), el("label", {}, ["Kernel size ", k]),
      cnnLink("The architecture in Inside the CNN", { stage: "stem" })]),
    worked, photoLine,
    el("h3", { textContent: "The real network, stage by stage (at its 224×224 input)" }),
    table, note,
  );
  let photoSize = null;
  const redraw = () => { showWorked(); if (photoSize) showPhoto(); };
  for (const input of [side, filters, k]) input.addEventListener("input", redraw);

  function showWorked() {
    const n = Math.max(1, Number(side.value) || 100);
    const f = Math.max(1, Number(filters.value) || 1);
    const kk = Math.max(1, Number(k.value) || 1);
    const ex = workedExample(n, f, kk);
    worked.replaceChildren(
      el("p", { textContent: `A dense neuron looking at a ${n}×${n} image has one weight per pixel: ${grouped(ex.perNeuron)} weights. ` +
        `${f} such neurons: ${grouped(ex.perNeuron * f)} weights + ${f} biases = ${grouped(ex.denseLayer)}.` }),
      el("p", { textContent: `A convolutional layer of ${f} filters of ${kk}×${kk}: ${f} × ${kk} × ${kk} = ${grouped(ex.conv.weights)} weights ` +
        `+ ${f} biases = ${grouped(ex.conv.total)}, whatever the image's size: each filter's weights are used again at every position.` }),
      el("p", { className: "lesson-big", textContent: `${grouped(ex.denseLayer)} against ${grouped(ex.conv.total)}: ${grouped(ex.ratio)} times fewer.` }),
    );
    worked.dataset.dense = String(ex.perNeuron);
    worked.dataset.conv = String(ex.conv.total);
  }

  function showPhoto() {
    const stem = convLayer(32, 3, 3);
    photoLine.textContent = `Your photo is ${photoSize.width}×${photoSize.height}×3: one dense neuron on it would need ` +
      `${grouped(denseNeuronWeights(photoSize.width, photoSize.height, 3))} weights. The network's first layer has 32 filters of 3×3×3 = ` +
      `${grouped(stem.weights)} weights, and they would be the same on a photo of any size.`;
  }

  async function run(isFresh) {
    showWorked();
    const [m, size] = await Promise.all([model(), withImage(async (id) => {
      const img = new Image();
      img.src = api.imageUrl(id);
      await img.decode();
      return { width: img.naturalWidth, height: img.naturalHeight };
    })]);
    if (!isFresh()) return;
    photoSize = size;
    showPhoto();
    const rows = m.stages;
    const top = Math.max(...rows.map((r) => r.dense_params || r.params));
    const bar = (n, cls) => el("span", { className: `log-bar ${cls}` }, el("span", { style: `width:${(logFraction(n, top) * 100).toFixed(1)}%` }));
    const grid = el("table", { className: "lesson-table share" });
    grid.createTHead().insertRow().append(...["stage", "in → out", "parameters it has", "a dense layer would need", "times more"]
      .map((t, i) => el("th", { textContent: t, className: i === 1 ? "shape" : "" })));
    const body = grid.createTBody();
    for (const r of rows) {
      const dense = r.id === "classifier" ? r.params : r.dense_params;
      const tr = body.insertRow();
      tr.setAttribute("data-testid", `share-row-${r.id}`);
      tr.title = sharingLesson(r, rows);
      tr.append(el("th", { textContent: r.id }), el("td", { className: "shape", textContent: `${shape(r.in_shape)} → ${shape(r.out_shape)}` }),
        el("td", {}, [`${count(r.params)} `, bar(r.params, "conv")]),
        el("td", {}, [`${count(dense)} `, bar(dense, "dense")]),
        el("td", { textContent: r.id === "classifier" ? "is dense" : `${grouped(dense / r.params)}×` }));
    }
    table.replaceChildren(grid);
    note.textContent = "Bars on a log scale (each step of the scale is 10 times more). A stage's parameters are its kernels' " +
      "weights plus batch norm's scale and shift per channel; the dense count maps every input value to every output value. " +
      "The classifier at the end is the one dense layer: global average pooling shrank the head's 1280 × 7 × 7 maps to 1280 numbers first. " +
      "Hover a row for its sentence.";
  }
  return { run };
}

// --- dog-maps ------------------------------------------------------------------------------

const DOG = "dog_german_shepherd";

function dogMaps(box) {
  const intro = testid(el("p", { className: "lesson-big" }), "dog-top");
  const useDog = testid(el("button", { type: "button", textContent: "Use the dog photo" }), "dog-use");
  const grid = testid(el("div", { className: "dog-grid" }), "dog-stages");
  const cropBox = el("div");
  const camBox = el("div");
  const camCap = testid(el("figcaption"), "dog-cam-caption");
  const link = el("span");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [intro, useDog, link]),
    el("div", { className: "lesson-row" }, [
      el("figure", { className: "dog-view" }, [cropBox, el("figcaption", { textContent: "What the model sees: the 224×224 centre crop" })]),
      el("figure", { className: "dog-view" }, [camBox, camCap]),
    ]),
    el("h3", { textContent: "Each stage's strongest channel (the map with the highest mean), stem to head: click one to open its stage in Inside the CNN" }),
    grid,
  );
  useDog.addEventListener("click", () => chooseSample(DOG));
  const crop = new BoxedPicture(cropBox, { alt: "the crop the model saw", fill: true });
  const cam = new BoxedPicture(camBox, { alt: "Grad-CAM for the top class", fill: true });

  async function run(isFresh) {
    useDog.hidden = state.sample === DOG;
    const m = await model();
    const [prediction, strengths, cropBlob, heat] = await withImage((id) => Promise.all([
      api.predict(id), api.stageStrengths(id), api.cropBlob(id), api.gradcam(id, "top", "stage7", "overlay")]));
    if (!isFresh()) return;
    const best = prediction.top[0];
    intro.textContent = `The network's answer: ${best.label}, ${pct(best.prob)}.`;
    intro.dataset.label = best.label;
    link.replaceChildren(cnnLink("Open the stem in Inside the CNN", { stage: "stem", cls: "", camStage: "stage7" }));
    await Promise.all([crop.show(cropBlob), cam.show(heat.blob)]);
    camCap.textContent = `Grad-CAM at stage7 for "${best.label}": red is where the evidence for it lies`;
    const rows = Object.fromEntries(stageRows(m).map((r) => [r.id, r]));
    const cards = await withImage((id) => Promise.all(strengths.stages.map(async (s) => {
      const [top, ...next] = s.top_channels;
      const blob = await api.channelImage(id, s.stage, top.index);
      return { s, top, next, blob };
    })));
    if (!isFresh()) return;
    grid.replaceChildren(...cards.map(({ s, top, next, blob }) => {
      const holder = el("div");
      const r = rows[s.stage];
      // The map is a link: that stage in Inside the CNN, which opens on its strongest channel.
      const open = cnnLink("", { stage: s.stage, cls: "", camStage: "stage7" });
      open.className = "dog-open";
      open.title = `Open ${s.stage} in Inside the CNN`;
      open.setAttribute("data-testid", `dog-open-${s.stage}`);
      open.append(holder);
      const fig = el("figure", { className: "dog-stage" }, [open, el("figcaption", {}, [
        el("strong", { textContent: s.stage }), ` ${shape(s.shape)}`, el("br"),
        `#${top.index} (mean ${num(top.mean, 2)}); next #${next.slice(0, 2).map((c) => c.index).join(", #")}`, el("br"),
        r && r.receptive_field > 224 ? `each unit sees ${r.receptive_field} px: more than the view` : `each unit sees ${r ? r.receptive_field : "?"} px`])]);
      fig.setAttribute("data-testid", `dog-stage-${s.stage}`);
      new BoxedPicture(holder, { alt: `${s.stage}'s strongest channel, ${top.index}: open it in Inside the CNN`, fill: true }).show(blob);
      return fig;
    }));
  }
  return { run };
}

export const experiments = { hierarchy, "parameter-sharing": parameterSharing, "dog-maps": dogMaps };
