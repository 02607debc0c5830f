// Suggestions under a class field as a person types (the Grad-CAM card's and the saliency
// panel's): the matching groups and classes fill the field's datalist, and only the newest
// search's answer is shown (an older one arriving late is dropped).
import * as api from "./api.js";
import { newestWins } from "./lib/latest.js";

// `run(task)` wraps each search (e.g. a status line while it runs); it resolves to the
// answer, or to null/undefined when there is none to show.
export function suggestClasses(input, run = (task) => task()) {
  const search = newestWins((text) => api.searchClasses(text));
  let timer = null;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const found = await run(() => search(input.value));
      if (!found) return;
      input.list.replaceChildren(
        ...found.groups.map((g) => new Option(`${g} (every ${g} class)`, g)),
        ...found.classes.map((c) => new Option(`${c.label} (#${c.index})`)));
    }, 150);
  });
}
