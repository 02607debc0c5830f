// The Lessons tab: the list in teaching order, one lesson at a time (its words, one thing to
// try, its experiment on the current photo), Previous / Next, large type, all in the link.
// Each experiment lives in a lesson-*.js module, loaded when its lesson is first opened: its
// `experiments[id](box, {report})` draws into `box` and returns `{run(isFresh)}`, which this
// module calls when the lesson opens and again whenever the photo changes; `isFresh()` says
// whether that run is still the newest (older answers are dropped), `report(err)` shows an
// error from the experiment's own controls.
import * as api from "./api.js";
import { el, finder } from "./dom.js";
import { state, subscribe, update } from "./state.js";
import { clearError, showError } from "./status.js";
import { lessonLink, neighbours } from "./lib/lesson-nav.js";
import { renderLessonCards } from "./render/lesson-list.js";
import { refitPlots } from "./render/lesson-svg.js";

// Lesson id -> the module that holds its experiment (each exports `experiments[id]`).
const MODULES = {
  "dot-product": () => import("./lesson-dot.js"),
  edges: () => import("./lesson-filters.js"),
  "learned-filters": () => import("./lesson-filters.js"),
  relu: () => import("./lesson-filters.js"),
  translation: () => import("./lesson-translation.js"),
  hierarchy: () => import("./lesson-network.js"),
  "parameter-sharing": () => import("./lesson-network.js"),
  "dog-maps": () => import("./lesson-network.js"),
  pooling: () => import("./lesson-geometry.js"),
  "output-size": () => import("./lesson-geometry.js"),
  transfer: () => import("./lesson-training.js"),
  spurious: () => import("./lesson-training.js"),
  "how-many-images": () => import("./lesson-training.js"),
};

let q = null;
let lessons = [];      // GET /api/lessons, in teaching order
let open = null;       // {id, experiment: {run}} of the lesson on screen
let opening = 0;       // bumped per lesson opened or photo changed: older work is dropped
let stalePhoto = false; // the photo changed while the tab was hidden

export async function start(panel) {
  q = finder(panel);
  // The list, Previous / Next and "All lessons" are plain links (#lesson=...): they can be
  // copied or opened in a new tab, and the browser's Back button walks back through them.
  q("large-type").addEventListener("change", (e) => update({ big: e.target.checked }));
  subscribe((s, changed) => {
    if (changed.has("big")) showLargeType();
    if (changed.has("lesson")) {
      show(s.lesson);
      q("lesson-bar").scrollIntoView({ block: "start" });
    }
    if (changed.has("image")) {
      if (s.tab === "lessons") rerun(); else stalePhoto = true;
    }
    if (changed.has("tab") && s.tab === "lessons" && stalePhoto) rerun();
    // Plots drawn while the tab was hidden could not measure their labels: now they can.
    if (changed.has("tab") && s.tab === "lessons") refitPlots(panel);
  });
  // A phone turned (or a window narrowed past the phones' layout) changes the plots' type.
  let refit = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(refit);
    refit = requestAnimationFrame(() => refitPlots(panel));
  });
  showLargeType();
  await loadList();
}

async function loadList() {
  try {
    lessons = (await api.lessons()).lessons;
  } catch (err) {
    report(err, loadList);
    return;
  }
  renderLessonCards(q("lesson-cards"), lessons);
  await show(state.lesson);
}

function showLargeType() {
  q("large-type").checked = state.big;
  document.body.classList.toggle("large-type", state.big);
  refitPlots(q("lessons"));  // their labels are laid out in the type they are drawn in
}

async function show(id) {
  const lesson = lessons.find((l) => l.id === id);
  open = null;
  const mine = ++opening;
  q("lesson-list").hidden = Boolean(lesson);
  q("lesson").hidden = !lesson;
  q("lesson-all").hidden = !lesson;
  hideError();
  if (!lesson) {
    if (id) report(new api.ApiError(404, "not_found", `There is no lesson called "${id}"; here are all of them.`));
    return;
  }
  const { previous, next, index } = neighbours(lessons, id);
  q("lesson-count").textContent = `Lesson ${index + 1} of ${lessons.length}`;
  q("lesson-title").textContent = lesson.title;
  q("lesson-text").textContent = lesson.text;
  q("lesson-try").replaceChildren(el("strong", { textContent: "Try this: " }), lesson.try);
  for (const [button, to, words] of [[q("lesson-previous"), previous, (t) => `← Previous: ${t}`],
    [q("lesson-next"), next, (t) => `Next: ${t} →`]]) {
    button.hidden = !to;
    button.href = to ? lessonLink(to) : "";
    button.textContent = to ? words(to.title) : "";
  }
  document.title = `${lesson.title} · ConvLens lessons`;
  const box = q("experiment");
  box.replaceChildren();
  box.dataset.lesson = id;
  box.dataset.ready = "";
  let module;
  try {
    module = await MODULES[id]();
  } catch {
    report(new Error(`The experiment for "${lesson.title}" could not be loaded (its script is missing or broken).`));
    return;
  }
  if (mine !== opening) return;
  const experiment = module.experiments[id](box, { report: (err) => report(err) });
  open = { id, experiment };
  await run(mine);
}

// Draw the open lesson's experiment for the current photo (again, once the photo changed).
async function run(mine) {
  if (!open) return;
  const box = q("experiment");
  box.dataset.ready = "";
  stalePhoto = false;
  hideError();
  try {
    await open.experiment.run(() => mine === opening);
    if (mine === opening) {
      box.dataset.image = state.image;
      box.dataset.ready = "1";  // what tests wait on: the experiment shows this photo
      clearError("lessons");
    }
  } catch (err) {
    if (mine === opening) report(err, () => run(++opening));
  }
}

function rerun() {
  if (!open) { stalePhoto = false; return; }
  run(++opening);
}

function hideError() {
  for (const id of ["lesson-error", "lesson-list-error"]) {
    q(id).hidden = true;
    q(id).replaceChildren();
  }
}

// What went wrong, where it happened (under the lesson's words) and on the status line,
// with what to do about it; `retry` offers to run the experiment again.
function report(err, retry = null) {
  const code = err && err.code;
  const message = {
    model_unavailable: "This lesson needs the CNN, which this server has not loaded (it runs with CONVLENS_LOAD_MODEL=0).",
    busy: "The server is busy with other work right now; try again in a few seconds.",
    network: "The server cannot be reached; is it still running?",
  }[code] || (err && err.message) || String(err);
  const line = q(open || !q("lesson").hidden ? "lesson-error" : "lesson-list-error");
  const parts = [message];
  if (retry && code !== "model_unavailable") {
    const again = el("button", { type: "button", textContent: "Try again" });
    again.setAttribute("data-testid", "lesson-retry");
    again.addEventListener("click", retry);
    parts.push(" ", again);
  }
  line.replaceChildren(...parts);
  line.dataset.code = code || "";
  line.hidden = false;
  showError(Object.assign(new Error(message), { code }), "lessons");
}
