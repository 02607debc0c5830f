// The "Teach it" tab: classes of photos, training progress, evaluation, predictions,
// Grad-CAM through the new classifier, the spurious-feature lesson, export and import.
import * as api from "./api.js";
import { download, el, finder } from "./dom.js";
import { withImage } from "./images.js";
import { state, subscribe, update } from "./state.js";
import { guard, showError, showStatus } from "./status.js";
import { followJob } from "./jobs.js";
import { num, pct } from "./lib/format.js";
import { classCard } from "./render/class-card.js";
import { renderConfusion } from "./render/confusion.js";
import { JobProgress } from "./render/job-progress.js";
import { drawLoss } from "./render/loss-chart.js";
import { renderBars } from "./render/prob-bars.js";

let q = null;
let project = null;  // GET /api/projects/{id}
let previous = null; // the user's own project while the lesson (or an import) replaced it
let progress = null; // the training or lesson job on screen

export async function start(panel) {
  q = finder(panel);
  progress = new JobProgress(q("train-job"));
  q("new-project").addEventListener("click", () => guard(newProject));
  q("teach-demo").addEventListener("click", () => guard(runDemo));
  q("class-form").addEventListener("submit", (e) => { e.preventDefault(); guard(addClass); });
  q("train").addEventListener("click", () => guard(train));
  q("teach-predict").addEventListener("click", () => guard(tryCurrentPhoto));
  q("export-head").addEventListener("click", () => guard(() => save("head")));
  q("export-torchscript").addEventListener("click", () => guard(() => save("torchscript")));
  q("import-head").addEventListener("change", (e) => {
    guard(() => importClassifier(e.target.files[0]));
    e.target.value = ""; // the same file may be chosen again
  });
  q("back-to-project").addEventListener("click", () => guard(backToProject));
  // A prediction is of one photo: choosing another clears it rather than leave it captioned wrongly.
  subscribe((_, changed) => { if (changed.has("image")) clearTry(); });
  let gone = false;
  if (state.project) {
    try {
      return show(await api.getProject(state.project));
    } catch (err) {
      if (!(err instanceof api.ApiError && err.status === 404)) return showError(err, "teach");
      gone = true;
    }
  }
  await guard(newProject);
  if (gone) {
    showError(new api.ApiError(404, "not_found", "The project this link names is gone: projects are kept on the " +
      "server for a while after their last use, not for ever. Here is a new, empty one."), "teach");
  }
}

async function newProject() {
  const { id } = await api.createProject();
  update({ project: id });
  q("demo-result").hidden = true;
  previous = null;
  show(await api.getProject(id));
}

// Leave the user's project for another (the lesson, an imported classifier) without losing
// it: it stays on the server, and "Back to your project" returns to it.
function keepCurrent() {
  if (project && project.classes.some((c) => c.count) && !(project.run && project.run.extra && project.run.extra.lesson)) {
    previous = project.id;
  }
}

async function backToProject() {
  if (!previous) return;
  const p = await api.getProject(previous);
  update({ project: p.id });
  previous = null;
  q("demo-result").hidden = true;
  show(p);
}

async function reload() {
  show(await api.getProject(project.id));
}

function show(p) {
  project = p;
  // People see what the project is; the id stays in the link (and here, for scripts).
  q("project-id").textContent = p.classes.length
    ? `project of ${p.classes.length} class${p.classes.length === 1 ? "" : "es"}, kept on the server for a while: this page's link brings you back`
    : "project: new and empty; add classes below";
  q("project-id").dataset.project = p.id;
  q("back-to-project").hidden = !previous || previous === p.id;
  q("classes").replaceChildren(...p.classes.map((c) => classCard(c, (imageId) => api.thumbUrl(p.id, imageId), {
    addFiles: (files) => guard(() => addFiles(c, files)),
    addCurrent: () => guard(async () => {
      await withImage((id) => api.addPhotoById(p.id, c.id, id));
      await reload();
    }),
    removePhoto: (imageId) => guard(async () => { await api.removePhoto(p.id, c.id, imageId); await reload(); }),
    removeClass: () => guard(async () => { await api.deleteClass(p.id, c.id); await reload(); }),
  })));
  showRun(p.run);
  if (p.run && (p.run.status === "queued" || p.run.status === "running") && p.run.job_id) {
    guard(async () => follow(await api.getJob(api.jobUrl(p.run.job_id))));
  }
  if (!p.run && p.trained) {
    q("train-status").textContent = `a loaded classifier (classes ${p.head_classes.map((c) => c.name).join(", ")}): ` +
      "ready to classify; add photos to its classes to train it here";
  }
}

async function addClass() {
  const input = q("class-name");
  await api.addClass(project.id, input.value);
  input.value = "";
  await reload();
}

async function addFiles(cls, files) {
  const failed = [];
  for (const [i, file] of files.entries()) {
    showStatus(`Adding ${file.name} to ${cls.name} (${i + 1} of ${files.length})...`);
    try {
      await api.addPhotoFile(project.id, cls.id, file);
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      failed.push(`${file.name}: ${err.message}`);
    }
  }
  if (failed.length) {
    const added = files.length - failed.length;
    showError(new api.ApiError(422, "invalid_image", `Added ${added} of ${files.length} photos. ${failed.join(" ")}`));
  } else if (files.length) {
    showStatus("");
  }
  await reload();
}

async function train() {
  const body = { epochs: Number(q("epochs").value) || 100, augment: q("augment").checked, seed: Number(q("seed").value) || 0 };
  const { job } = await api.train(project.id, body);
  await follow(job);
}

// Follow the project's job (a training, or the lesson being built): its progress in the
// job bar, and the run (loss curve, accuracy) redrawn from the project as it trains.
let following = null;
function follow(job) {
  if (following === job.id) return null;
  following = job.id;
  const pid = project.id;
  return guard(async () => {
    const last = await followJob(job, async (j) => {
      progress.show(j);
      const p = await api.getProject(pid);
      if (project && project.id === pid) { project = p; showRun(p.run); }
    });
    following = null;
    if (!project || project.id !== pid) return;  // the user moved on to another project
    show(await api.getProject(pid));
    if (last.status === "done" && project.run && project.run.extra && project.run.extra.examples) {
      showDemo(project.run.extra);
    }
  });
}

function showRun(run) {
  q("train-status").textContent = run ? `${run.status}${run.seconds ? ` in ${num(run.seconds, 2)} s` : ""}${run.error ? `: ${run.error}` : ""}` : "not trained yet";
  q("train-status").dataset.status = run ? run.status : "";
  q("train-warnings").replaceChildren(...(run ? run.warnings : []).map((w) => el("li", { textContent: w })));
  drawLoss(q("loss-curve"), run ? run.losses : []);
  if (!run) { q("accuracy").textContent = ""; q("confusion").replaceChildren(); return; }
  const trained = run.status === "done";
  q("accuracy").textContent = !trained ? "" : run.accuracy === null ? "Accuracy: not enough photos to hold some out."
    : `Accuracy on held-out photos (cross-validation): ${pct(run.accuracy)}`;
  renderConfusion(q("confusion"), run.classes.map((c) => c.name), run.confusion);
}

function clearTry() {
  q("teach-probs").replaceChildren();
  q("teach-gradcam").hidden = true;
  q("teach-gradcam-caption").textContent = "";
}

async function tryCurrentPhoto() {
  let imageId = "";
  const result = await withImage((id) => { imageId = id; return api.projectPredict(project.id, id); });
  renderBars(q("teach-probs"), result.probs.map((p) => ({ label: p.name, fraction: p.prob, text: pct(p.prob) })));
  const top = result.probs[0];
  const blob = await api.projectGradcam(project.id, imageId, top.class_id);
  const img = q("teach-gradcam");
  img.src = URL.createObjectURL(blob);
  img.hidden = false;
  q("teach-gradcam-caption").textContent = `Where the new classifier finds "${top.name}" (Grad-CAM at stage7)`;
}

async function runDemo() {
  keepCurrent();
  const button = q("teach-demo");
  button.disabled = true;
  try {
    const { id } = await api.createDemo();  // the lesson's project; a job fills and trains it
    update({ project: id });
    show(await api.getProject(id));  // it follows the lesson's job
  } finally {
    button.disabled = false;
  }
}

async function showDemo(extra) {
  q("demo-result").hidden = false;
  q("demo-lesson").textContent = extra.lesson;
  q("demo-scores").textContent = `Test photos with the training backgrounds: ${pct(extra.same_background_accuracy)} right. ` +
    `With the backgrounds swapped: ${pct(extra.swapped_background_accuracy)} right.`;
  const swapped = ["disc", "square"].flatMap((shape) =>
    extra.examples.filter((e) => e.setting === "swapped" && e.truth === shape).slice(0, 2));
  const figures = [];
  for (const e of swapped) {
    const blob = await api.projectGradcam(project.id, e.image_id, extra.classes[e.predicted]);
    figures.push(el("figure", {}, [el("img", { src: URL.createObjectURL(blob), alt: "" }),
      el("figcaption", { textContent: `a ${e.truth} on ${e.background}: called "${e.predicted}" (${pct(e.prob)})` })]));
  }
  q("demo-examples").replaceChildren(...figures);
}

async function save(format) {
  download(await api.exportBlob(project.id, format), `convlens-${format}.pt`);
}

async function importClassifier(file) {
  if (!file) return;
  const { id } = await api.createProject();
  // Only a classifier that loads replaces the project on screen; a bad file leaves it as it was.
  const loaded = await api.importClassifier(id, file);
  keepCurrent();
  update({ project: id });
  show(loaded);
  showStatus(`Loaded a classifier with classes ${project.head_classes.map((c) => c.name).join(", ")}.`);
}
