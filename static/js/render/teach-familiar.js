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
  root.replaceChildren(
    verdict,
    el("p", { className: "hint", textContent: `Similarity to the nearest training photo: ${num(result.similarity, 2)} ` +
      `(below ${num(result.threshold, 2)}, less alike than most of your training photos are to a classmate, counts as ` +
      `unfamiliar). Novelty ${pct(result.novelty)}: the share of your training photos that are closer to a photo of ` +
      "their own class than this one is to any training photo. Measured on the frozen network's features, not on the " +
      "classifier's answer." }),
    ...(nearest.length ? [el("p", { className: "hint", textContent: "Its nearest training photos (cosine similarity):" }),
      strip] : []),
  );
}
