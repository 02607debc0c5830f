// The side-by-side maps: the photo, then one tile per attribution method with its map, its
// deletion and insertion areas, its sanity correlation and (after the check) the randomised
// model's map. The tiles are built once; saliency.js fills them.
import { el } from "../dom.js";
import { num } from "../lib/format.js";
import { COLOURS } from "./saliency-curves.js";

function tagged(node, id) {
  node.setAttribute("data-testid", id);
  return node;
}

function score(label, id, title) {
  const value = tagged(el("dd", { textContent: "–" }), id);
  return [el("dt", { textContent: label, title }), value];
}

// Build the grid for `methods` (the catalogue's); `onCompute(id)` runs a slow method's job.
export function buildTiles(grid, methods, onCompute) {
  const photo = tagged(el("img", { className: "tile-map", alt: "the 224×224 crop the model saw" }), "saliency-photo");
  const tiles = {};
  const figures = methods.map((m) => {
    const img = tagged(el("img", { className: "tile-map", alt: `${m.name} map` }), `saliency-map-${m.id}`);
    const compute = tagged(el("button", { type: "button", className: "compute", hidden: !m.slow,
      textContent: `Compute ${m.name}` }), `saliency-compute-${m.id}`);
    compute.addEventListener("click", () => onCompute(m.id));
    const random = tagged(el("img", { className: "random-map", alt: `${m.name} after randomising` }),
      `saliency-random-${m.id}`);
    const randomBox = el("div", { className: "random", hidden: true }, [random,
      el("span", { className: "hint", textContent: "the same map after randomising the last stages" })]);
    const [delTerm, del] = score("deletion", `deletion-auc-${m.id}`, "area under the deletion curve: lower is more faithful");
    const [insTerm, ins] = score("insertion", `insertion-auc-${m.id}`, "area under the insertion curve: higher is more faithful");
    const [sanTerm, sanity] = score("sanity ρ", `sanity-${m.id}`, "rank correlation with the randomised model's map: near 1 is bad");
    const note = tagged(el("p", { className: "tile-note" }), `saliency-note-${m.id}`);
    const progress = tagged(el("div"), `saliency-progress-${m.id}`);
    const name = el("strong", { textContent: m.name });
    name.style.borderColor = COLOURS[m.id];
    tiles[m.id] = { img, compute, random, randomBox, del, ins, sanity, note, progress, method: m };
    return tagged(el("figure", { className: "saliency-tile" }, [
      el("div", { className: "tile-box" }, [img, compute]),
      el("figcaption", {}, [name, el("span", { className: "hint", textContent: m.summary }), note,
        el("dl", { className: "scores" }, [delTerm, del, insTerm, ins, sanTerm, sanity]), randomBox, progress]),
    ]), `saliency-tile-${m.id}`);
  });
  grid.replaceChildren(tagged(el("figure", { className: "saliency-tile" }, [
    el("div", { className: "tile-box" }, photo),
    el("figcaption", {}, [el("strong", { textContent: "The photo" }),
      el("span", { className: "hint", textContent: "the 224×224 crop every method explains" })]),
  ]), "saliency-tile-photo"), ...figures);
  return { photo, tiles };
}

// Forget the numbers measured for the maps these tiles showed before.
export function clearScores(tiles) {
  for (const t of tiles) {
    t.del.textContent = t.ins.textContent = t.sanity.textContent = "–";
    t.sanity.title = "";
    t.randomBox.hidden = true;
  }
}

export function showAreas(tiles, result) {
  for (const m of result.methods) {
    tiles[m.method].del.textContent = num(m.deletion_auc);
    tiles[m.method].ins.textContent = num(m.insertion_auc);
  }
}

export function showSanity(tiles, result) {
  for (const m of result.methods) {
    const t = tiles[m.method];
    t.sanity.textContent = m.rank_correlation === null ? "n/a" : num(m.rank_correlation, 2);
    t.sanity.title = m.note || "";
  }
}
