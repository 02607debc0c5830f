// The two models side by side on the same held-out photos: the small network trained from
// scratch, and the pretrained network with a new last layer.
import { el } from "../dom.js";
import { num, pct } from "../lib/format.js";
import { grouped } from "../lib/teach-text.js";

// result: GET /api/projects/{pid}/scratch/{job}'s answer.
export function renderCompare(table, result) {
  const s = result.scratch;
  const t = result.transfer;
  const row = (label, a, b, id) => {
    const tr = el("tr", {}, [el("th", { textContent: label }), el("td", { textContent: a }), el("td", { textContent: b })]);
    if (id) tr.setAttribute("data-testid", id);
    return tr;
  };
  table.replaceChildren(
    el("thead", {}, el("tr", {}, [el("th"), el("th", { textContent: "small network, trained from scratch" }),
      el("th", { textContent: "pretrained network + new last layer" })])),
    el("tbody", {}, [
      row(`accuracy on the same ${result.held_out} held-out photos`, pct(s.accuracy), pct(t.accuracy), "compare-accuracy"),
      row(`training time (${result.folds} folds + the final fit)`, `${num(s.seconds, 2)} s`, `${num(t.seconds, 2)} s`),
      row("parameters trained", grouped(s.parameters_trained), grouped(t.parameters_trained)),
      row("parameters reused, frozen", "0", grouped(t.parameters_frozen)),
      row("learned its features from", "your photos alone", "1.28 million ImageNet photos, then your photos"),
      row("epochs", String(result.epochs), `${t.epochs}${t.augment ? ", with augmentation" : ""}`),
    ]),
  );
}
