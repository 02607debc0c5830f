// "Add several samples at once": the bundled photos as a set of toggles, added to one
// class in one step (through the same queue as files, so each shows as it is added).
import * as api from "./api.js";
import { el } from "./dom.js";
import { plural } from "./lib/teach-text.js";
import { guard } from "./status.js";

// q: the tab's finder; project(): the project on screen; add(cls, sources): queue photos.
export function samplesPicker(q, project, add) {
  const picker = q("samples-picker");
  const choices = q("samples-choices");
  let loaded = false;
  picker.addEventListener("toggle", () => {
    if (!picker.open || loaded) return;
    loaded = true;
    guard(async () => {
      const samples = await api.listSamples();
      choices.replaceChildren(...samples.map((s) => {
        const box = el("input", { type: "checkbox", value: s.id });
        box.dataset.url = s.url;
        box.dataset.title = s.title;
        box.setAttribute("data-testid", `pick-sample-${s.id}`);
        return el("label", { className: "sample-choice", title: `${s.title} (${s.credit}, ${s.licence})` },
          [box, el("img", { src: s.url, alt: "", loading: "lazy" }), el("span", { textContent: s.title })]);
      }));
    }).then((ok) => { if (ok === null) loaded = false; });  // failed: try again next time
  });
  q("samples-add").addEventListener("click", () => {
    const p = project();
    const cls = p.classes.find((c) => c.id === q("samples-class").value);
    const chosen = [...choices.querySelectorAll("input:checked")];
    const note = q("samples-note");
    if (!cls || !chosen.length) {
      note.textContent = !cls ? "Add a class first." : "Tick some samples first.";
      return;
    }
    add(cls, chosen.map((box) => ({ name: box.dataset.title, sample: box.value, url: box.dataset.url })));
    for (const box of chosen) box.checked = false;
    note.textContent = `${plural(chosen.length, "sample")} going to ${cls.name}.`;
  });
}
