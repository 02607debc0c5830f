// The side-by-side maps: the photo, then one tile per attribution method with its map, its
// deletion and insertion areas with a verdict against random maps of its own resolution, its
// sanity correlation with a verdict, and (after the check) the randomised model's map. The
// tiles are built once; saliency.js fills them.
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
    const verdict = tagged(el("p", { className: "verdict", hidden: true }), `saliency-verdict-${m.id}`);
    const randomAreas = tagged(el("p", { className: "tile-note", hidden: true }), `saliency-random-areas-${m.id}`);
    const sanityVerdict = tagged(el("p", { className: "verdict", hidden: true }), `sanity-verdict-${m.id}`);
    const note = tagged(el("p", { className: "tile-note" }), `saliency-note-${m.id}`);
    const progress = tagged(el("div"), `saliency-progress-${m.id}`);
    const name = el("strong", { textContent: m.name });
    name.style.borderColor = COLOURS[m.id];
    tiles[m.id] = { img, compute, random, randomBox, del, ins, sanity, verdict, randomAreas,
      sanityVerdict, note, progress, method: m };
    return tagged(el("figure", { className: "saliency-tile" }, [
      el("div", { className: "tile-box" }, [img, compute]),
      el("figcaption", {}, [name, el("span", { className: "hint", textContent: m.summary }), note,
        el("dl", { className: "scores" }, [delTerm, del, insTerm, ins]), verdict, randomAreas,
        el("dl", { className: "scores" }, [sanTerm, sanity]), sanityVerdict, randomBox, progress]),
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
    t.randomBox.hidden = t.verdict.hidden = t.randomAreas.hidden = t.sanityVerdict.hidden = true;
  }
}

function badge(node, pass, text) {
  node.textContent = text;
  node.dataset.pass = pass === null ? "none" : String(pass);
  node.hidden = false;
}

// The faithfulness verdict: which of the two areas beat random maps of the map's resolution.
function faithVerdict(m) {
  const del = m.beats_random_deletion;
  const ins = m.beats_random_insertion;
  if (del && ins) return [true, "Beats random maps on deletion and insertion"];
  if (del) return [true, "Beats random maps on deletion only"];
  if (ins) return [true, "Beats random maps on insertion only"];
  return [false, "No better than random maps here: not an explanation to trust"];
}

export function showAreas(tiles, result) {
  for (const m of result.methods) {
    const t = tiles[m.method];
    t.del.textContent = num(m.deletion_auc);
    t.ins.textContent = num(m.insertion_auc);
    badge(t.verdict, ...faithVerdict(m));
    t.randomAreas.textContent = `${result.random_maps} random maps (${m.random_map}): deletion ` +
      `${num(m.random_deletion_auc, 2)} ± ${num(m.random_deletion_auc_sd, 2)}, insertion ` +
      `${num(m.random_insertion_auc, 2)} ± ${num(m.random_insertion_auc_sd, 2)}`;
    t.randomAreas.hidden = false;
  }
}

export function showSanity(tiles, result) {
  for (const m of result.methods) {
    const t = tiles[m.method];
    t.sanity.textContent = m.rank_correlation === null ? "n/a" : num(m.rank_correlation, 2);
    t.sanity.title = m.note || "";
    if (m.changes === null) {
      badge(t.sanityVerdict, null, "No order to compare (a constant map)");
    } else if (!m.changes) {
      badge(t.sanityVerdict, false, `Barely changes (ρ ≥ ${result.threshold}): not explaining the model`);
    } else if (m.rank_correlation < 0) {
      badge(t.sanityVerdict, true, "Changes when the model is randomised (ρ < 0: the randomised " +
        "map orders the pixels roughly the opposite way, still a change)");
    } else {
      badge(t.sanityVerdict, true, `Changes when the model is randomised (ρ < ${result.threshold})`);
    }
  }
}
