// Lessons on what single filters do to the photo: "edges" (two kernels, two kinds of edges,
// and their combined size), "relu" (the same output with and without negatives, and the
// histogram of its values) and "learned-filters" (the network's 32 stem filters beside
// hand-made kernels). Values are the server's raw float32 outputs (POST /convolve ?as=npy).
import * as api from "./api.js";
import { el } from "./dom.js";
import { withImage } from "./images.js";
import { convSpec as spec, convValues as values, playgroundLink, presets, testid } from "./lesson-common.js";
import { num, pct } from "./lib/format.js";
import { mostAlike } from "./lib/lesson-conv.js";
import { grouped } from "./lib/lesson-params.js";
import { absQuantile, histogram, magnitude, meanAbs, signSummary } from "./lib/lesson-values.js";
import { renderFilters } from "./render/cnn-panels.js";
import { drawHistogram } from "./render/lesson-histogram.js";
import { BoxedPicture } from "./render/lesson-picture.js";
import { drawValues, pixelUnder } from "./render/lesson-value-map.js";

const figure = (canvas, caption) => el("figure", {}, [canvas, el("figcaption", { textContent: caption })]);

// --- edges ---------------------------------------------------------------------------------

const PAIRS = { sobel: ["sobel_x", "sobel_y"], prewitt: ["prewitt_x", "prewitt_y"], scharr: ["scharr_x", "scharr_y"] };

function edges(box, kit) {
  const pick = testid(el("select"), "edges-pair");
  pick.append(...Object.keys(PAIRS).map((k) => new Option(`${k[0].toUpperCase()}${k.slice(1)} x and y`, k)));
  const links = el("span", { className: "lesson-controls" });
  const canvases = ["edges-x", "edges-y", "edges-magnitude"].map((id) => testid(el("canvas", { className: "lesson-map" }), id));
  const captions = canvases.map(() => el("figcaption"));
  const summary = testid(el("p", { className: "lesson-big" }), "edges-summary");
  const readout = testid(el("p", { className: "lesson-equation" }), "edges-readout");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [el("label", {}, ["Kernels ", pick]), links]),
    el("div", { className: "lesson-row three" }, canvases.map((c, i) => el("figure", {}, [c, captions[i]]))),
    summary,
    el("p", { className: "hint", textContent: "Blue is negative, red positive, white 0 (one scale for both); the combined view is dark where either finds an edge. Click a picture to read its three numbers." }),
    readout,
  );
  let maps = null;
  const read = (x, y) => {
    const [a, b, m] = maps.map((v) => v[y * maps.width + x]);
    const sq = (v) => (v < 0 ? `(${num(v, 2)})²` : `${num(v, 2)}²`);
    readout.textContent = `At column ${x}, row ${y}: x = ${num(a, 2)}, y = ${num(b, 2)}, combined √(${sq(a)} + ${sq(b)}) = ${num(m, 2)}`;
    Object.assign(readout.dataset, { x, y, gx: a, gy: b, magnitude: m });
  };
  for (const c of canvases) c.addEventListener("click", (e) => { if (maps) { const p = pixelUnder(c, e); read(p.x, p.y); } });
  let fresh = () => true;
  pick.addEventListener("change", () => run(fresh).catch(kit.report));

  async function run(isFresh) {
    fresh = isFresh;
    const p = await presets();
    const [kx, ky] = PAIRS[pick.value].map((id) => p[id]);
    links.replaceChildren(playgroundLink(`${kx.name} in the playground`, { kernel: kx.kernel }),
      playgroundLink(`${ky.name} in the playground`, { kernel: ky.kernel }));
    const [a, b] = await withImage((id) => Promise.all([values(id, spec(kx.kernel)), values(id, spec(ky.kernel))]));
    if (!isFresh()) return;
    const m = magnitude(a.data, b.data);
    const limit = Math.max(absQuantile(a.data), absQuantile(b.data));
    drawValues(canvases[0], a.data, a.width, a.height, "signed", limit);
    drawValues(canvases[1], b.data, b.width, b.height, "signed", limit);
    drawValues(canvases[2], m, a.width, a.height, "size", absQuantile(m));
    captions[0].textContent = `${kx.name}: brightness changing from left to right, so edges that run up and down`;
    captions[1].textContent = `${ky.name}: brightness changing from top to bottom, so edges that run across`;
    captions[2].textContent = "Combined: √(x² + y²), edges in every direction";
    const [mx, my] = [meanAbs(a.data), meanAbs(b.data)];
    summary.textContent = `On this photo the mean size of ${kx.name}'s answer is ${num(mx, 1)} and ${ky.name}'s ${num(my, 1)}: ` +
      (mx > my ? "more of this photo's edges run up and down." : "more of this photo's edges run across.");
    maps = [a.data, b.data, m];
    maps.width = a.width;
    read(Math.floor(a.width / 2), Math.floor(a.height / 2));
  }
  return { run };
}

// --- relu ----------------------------------------------------------------------------------

const RELU_KERNELS = ["sobel_x", "laplacian_4", "emboss", "outline"];
const BINS = 41;  // odd: 0 sits in the middle of the middle bin

function relu(box, kit) {
  const pick = testid(el("select"), "relu-kernel");
  const link = el("span");
  const before = testid(el("canvas", { className: "lesson-map" }), "relu-before");
  const after = testid(el("canvas", { className: "lesson-map" }), "relu-after");
  const histBefore = testid(el("div"), "relu-hist-before");
  const histAfter = testid(el("div"), "relu-hist-after");
  const capBefore = testid(el("figcaption"), "relu-caption-before");
  const capAfter = testid(el("figcaption"), "relu-caption-after");
  const summary = testid(el("p", { className: "lesson-big" }), "relu-summary");
  box.replaceChildren(
    el("div", { className: "lesson-controls" }, [el("label", {}, ["Kernel ", pick]), link]),
    el("div", { className: "lesson-row" }, [
      figure(before, "Without ReLU: negatives in blue"), figure(after, "With ReLU: every negative became 0 (white)")]),
    summary,
    el("div", { className: "lesson-row" }, [el("figure", {}, [histBefore, capBefore]), el("figure", {}, [histAfter, capAfter])]),
  );
  let fresh = () => true;
  pick.addEventListener("change", () => run(fresh).catch(kit.report));

  async function run(isFresh) {
    fresh = isFresh;
    const p = await presets();
    if (!pick.options.length) pick.append(...RELU_KERNELS.filter((k) => p[k]).map((k) => new Option(p[k].name, k)));
    const kernel = p[pick.value].kernel;
    link.replaceChildren(playgroundLink("Open in the kernel playground (ReLU on)", { kernel, relu: true }));
    // Both from the server: its ReLU, not one re-done here.
    const [raw, rectified] = await withImage((id) => Promise.all([values(id, spec(kernel)), values(id, spec(kernel, { relu: true }))]));
    if (!isFresh()) return;
    const limit = absQuantile(raw.data, 0.995);
    drawValues(before, raw.data, raw.width, raw.height, "signed", limit);
    drawValues(after, rectified.data, rectified.width, rectified.height, "signed", limit);
    const hb = histogram(raw.data, BINS, -limit, limit);
    const ha = histogram(rectified.data, BINS, -limit, limit);
    const yMax = Math.max(...hb.counts, ...ha.counts);
    drawHistogram(histBefore, hb, { yMax, label: "values before ReLU" });
    drawHistogram(histAfter, ha, { yMax, label: "values after ReLU" });
    const s0 = signSummary(raw.data);
    const s1 = signSummary(rectified.data);
    capBefore.textContent = `Bar heights: how many values, on a square-root scale. Before: ${grouped(s0.n)} values from ${num(s0.min, 1)} to ${num(s0.max, 1)}; ` +
      `${pct(s0.negative / s0.n)} negative, ${pct(s0.zero / s0.n)} exactly 0.`;
    capAfter.textContent = `After: ${s1.negative} negative; ${pct(s1.zero / s1.n)} exactly 0 (the negatives and the zeros ` +
      `before); the positive values unchanged. Values beyond ±${num(limit, 1)} are counted in the end bars.`;
    Object.assign(summary.dataset, { negativeBefore: s0.negative, zeroBefore: s0.zero, negativeAfter: s1.negative, zeroAfter: s1.zero, n: s0.n });
    summary.textContent = `ReLU set ${pct(s0.negative / s0.n)} of this output to 0: the next layer sees only where the ` +
      "pattern is present, not where its opposite is.";
  }
  return { run };
}

// --- learned-filters -----------------------------------------------------------------------

const HAND_MADE = ["sobel_x", "sobel_y", "prewitt_x", "laplacian_4", "sharpen", "box_blur", "gaussian_3x3", "emboss"];

function learnedFilters(box, kit) {
  const learnedGrid = testid(el("div", { className: "filters" }), "learned-filters");
  const presetGrid = testid(el("div", { className: "filters presets" }), "hand-made-filters");
  const alike = testid(el("p", { className: "lesson-big" }), "filters-alike");
  const outLearned = el("div");
  const outPreset = el("div");
  const capLearned = testid(el("figcaption"), "learned-caption");
  const capPreset = testid(el("figcaption"), "preset-caption");
  const linkLearned = el("span");
  const linkPreset = el("span");
  box.replaceChildren(
    el("div", { className: "lesson-row" }, [
      el("section", {}, [el("h3", { textContent: "Learned: the network's 32 first-layer filters" }),
        el("p", { className: "hint", textContent: "3×3 weights for each of R, G, B, drawn as colour (grey is 0). Click one to see it on your photo." }), learnedGrid]),
      el("section", {}, [el("h3", { textContent: "Designed by hand" }),
        el("p", { className: "hint", textContent: "The playground's presets, the same for R, G and B (so drawn in grey)." }), presetGrid]),
    ]),
    alike,
    el("div", { className: "lesson-row" }, [
      el("figure", {}, [outLearned, capLearned, linkLearned]), el("figure", {}, [outPreset, capPreset, linkPreset])]),
  );
  const learnedPicture = new BoxedPicture(outLearned, { alt: "a learned filter on your photo", fill: true });
  const presetPicture = new BoxedPicture(outPreset, { alt: "a hand-made filter on your photo", fill: true });
  let filters = null;
  let hand = null;
  let chosen = null;   // {learned: index, preset: id}
  let fresh = () => true;

  async function showLearned(i) {
    chosen.learned = i;
    const kernel = filters[i];
    const { blob } = await withImage((id) => api.convolve(id, spec(kernel, { channels: "rgb" })));
    if (!fresh()) return;
    await learnedPicture.show(blob);
    const total = kernel.flat(2).reduce((a, b) => a + b, 0);
    capLearned.textContent = `Learned filter ${i} on your photo (its R, G and B slices applied and summed). Its 27 weights ` +
      `add up to ${num(total, 2)}, so a flat grey area gives ${num(total, 2)} × its brightness, not 0` +
      `${Math.abs(total) > 0.05 ? ": the overall tint" : ""}.`;
    linkLearned.replaceChildren(playgroundLink(`Send filter ${i} to the playground`, { kernel, channels: "rgb" }));
    mark(learnedGrid, `lesson-filter-${i}`);
  }

  async function showPreset(id) {
    chosen.preset = id;
    const { blob } = await withImage((image) => api.convolve(image, spec(hand[id].kernel)));
    if (!fresh()) return;
    await presetPicture.show(blob);
    capPreset.textContent = `${hand[id].name} on your photo (grayscale)`;
    linkPreset.replaceChildren(playgroundLink(`Send ${hand[id].name} to the playground`, { kernel: hand[id].kernel, preset: id }));
    mark(presetGrid, `lesson-preset-${id}`);
  }

  async function run(isFresh) {
    fresh = isFresh;
    if (!filters) {
      const [f, p] = await Promise.all([api.stemFilters(), presets()]);
      filters = f.filters;
      hand = Object.fromEntries(HAND_MADE.filter((k) => p[k]).map((k) => [k, p[k]]));
      renderFilters(learnedGrid, filters, (i) => showLearned(i).catch(kit.report));
      retag(learnedGrid, (i) => `lesson-filter-${i}`);
      const ids = Object.keys(hand);
      // The presets drawn as the learned ones are: the same slice for R, G and B.
      renderFilters(presetGrid, ids.map((k) => [0, 1, 2].map(() => hand[k].kernel)), (i) => showPreset(ids[i]).catch(kit.report));
      retag(presetGrid, (i) => `lesson-preset-${ids[i]}`);
      presetGrid.querySelectorAll("span").forEach((s, i) => { s.textContent = hand[ids[i]].name; });
      // Sobel y: the match the lesson's words quote (and a test measures).
      const best = mostAlike(filters, hand.sobel_y.kernel);
      chosen = { learned: best.index, preset: "sobel_y" };
      alike.textContent = `Nobody designed the learned ones: training found them. Filter ${best.index} is the most like Sobel y ` +
        `(cosine ${num(best.cosine, 2)} between their weights summed over R, G, B${best.cosine < 0 ? "; negative: the same edge, the other way round" : ""}).`;
      Object.assign(alike.dataset, { index: best.index, cosine: best.cosine });
    }
    await Promise.all([showLearned(chosen.learned), showPreset(chosen.preset)]);
  }
  return { run };
}

// renderFilters names its buttons for the CNN tab; here they get the lesson's own test ids.
function retag(grid, name) {
  grid.querySelectorAll(".filter-button").forEach((b, i) => b.setAttribute("data-testid", name(i)));
}

function mark(grid, id) {
  grid.querySelectorAll(".filter-button").forEach((b) => b.classList.toggle("chosen", b.dataset.testid === id));
}

export const experiments = { edges, relu, "learned-filters": learnedFilters };
