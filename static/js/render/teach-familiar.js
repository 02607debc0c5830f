// How familiar a photo is to a trained classifier: a plain warning when it looks like none
// of the training photos, the similarity behind that verdict, and the nearest training photos.
import { el } from "../dom.js";
import { num, pct } from "../lib/format.js";

// result: POST /api/projects/{pid}/predict's answer ({novelty, familiar, similarity,
// threshold, nearest, warning}); names: classId -> name; thumb(imageId) -> thumbnail URL.
// A classifier without training photos (a loaded head file) has no verdict: nothing shows.
export function renderFamiliar(root, result, names, thumb) {
  if (result.familiar === undefined || result.familiar === null) {
    root.hidden = true;
    root.replaceChildren();
    delete root.dataset.familiar;
    return;
  }
  root.hidden = false;
  root.dataset.familiar = String(result.familiar);
  root.classList.toggle("unfamiliar", !result.familiar);
  const verdict = el("p", { className: "familiar-verdict",
    textContent: result.familiar ? "Familiar: this photo is like your training photos." : result.warning });
  verdict.setAttribute("data-testid", "familiar-verdict");
  const nearest = (result.nearest || []).map((n) => el("figure", { className: "near" }, [
    el("img", { src: thumb(n.image_id), alt: `a training photo of ${names[n.class_id] || "a class since removed"}` }),
    el("figcaption", {}, [el("strong", { textContent: names[n.class_id] || "?" }), ` ${num(n.similarity, 2)}`]),
  ]));
  const strip = el("div", { className: "nearest" }, nearest);
  strip.setAttribute("data-testid", "nearest");
  const wasOpen = Boolean(root.querySelector("details[open]"));  // live answers keep it open
  const how = el("details", { open: wasOpen }, [el("summary", { textContent: "how this is measured" }),
    el("p", { textContent: howMeasured(result) })]);
  root.replaceChildren(
    verdict,
    el("p", { className: "hint", textContent: `Similarity to the nearest training photo: ${num(result.similarity, 2)}; ` +
      `below ${num(result.threshold, 2)} counts as unfamiliar (${decidedBy(result)}).` }),
    ...(nearest.length ? [strip] : []),
    how,
  );
}

// Which of the two figures set the threshold, in words.
function decidedBy(result) {
  return result.unrelated !== null && result.unrelated !== undefined && result.unrelated >= result.typical
    ? "photos of unrelated subjects get that close" : "what is typical of your classes";
}

function howMeasured(result) {
  const unrelated = result.unrelated === null || result.unrelated === undefined ? "" :
    ` and how alike unrelated photos get: 19 in 20 photos of other subjects stay below ${num(result.unrelated, 2)} ` +
    "against the nearest of as many photos as you trained on (measured on the 200 bundled photos; the more photos, " +
    "the likelier one of them resembles any stranger)";
  // A classifier trained before centring was kept (its answers have no "unrelated") is judged on plain cosines.
  const centred = unrelated ? ", after subtracting the average features of the 200 bundled photos. The features " +
    "are never negative, so without that any two photos score about 0.2; this way unrelated photos score about 0. " : ". ";
  return "On the frozen network's 1280 features, not on the classifier's answer: the cosine similarity to the " +
    `nearest training photo${centred}A photo counts as unfamiliar below ${unrelated ? "the higher of two figures: " : ""}how alike your classes typically are (each ` +
    "training photo's similarity to its 5th most similar classmate, or to its own zoomed-in view when that is less " +
    "alike, so a burst of near-identical camera frames does not make a class look narrower than it is; " +
    `${num(result.typical, 2)} is lower than that for 19 in 20 of your training photos)${unrelated}. ` +
    `Novelty ${pct(result.novelty)}: the share of your training photos more typical of their class than this ` +
    "photo is like any training photo (100% when it is no closer than unrelated photos get).";
}
