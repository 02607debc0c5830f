// The "Teach it" tab: a project's classes and how photos get into them, training and its
// evaluation, the spurious-feature lesson and importing a classifier. The camera, the predictions,
// the learning curve, the from-scratch comparison and export have modules of their own.
import * as api from "./api.js";
import { el, finder } from "./dom.js";
import { withImage } from "./images.js";
import { state, subscribe, update } from "./state.js";
import { guard, showError, showStatus } from "./status.js";
import { followJob } from "./jobs.js";
import { num, pct } from "./lib/format.js";
import { classCard, setRecording, showPending } from "./render/class-card.js";
import { renderConfusion } from "./render/confusion.js";
import { JobProgress } from "./render/job-progress.js";
import { drawLoss } from "./render/loss-chart.js";
import { cameraCard } from "./teach-camera.js";
import { Collector, Recorder, droppedFiles } from "./teach-collect.js";
import { LearningCurve } from "./teach-curve.js";
import { Tryout } from "./teach-predict.js";
import { samplesPicker } from "./teach-samples.js";
import { exportCard } from "./teach-export.js";
import { Scratch } from "./teach-scratch.js";

let q = null;
let project = null;  // GET /api/projects/{id}
let previous = null; // the user's own project while the lesson (or an import) replaced it
let progress = null; // the training or lesson job on screen
let camera = null;
let collector = null;
let recorder = null;
let tryout = null;
let curve = null;
let scratch = null;
let wanted = "";     // the project this tab shows, or is about to: a link naming another opens it

export async function start(panel) {
  q = finder(panel);
  progress = new JobProgress(q("train-job"));
  collector = new Collector({ onItems: pendingChanged, onIdle: () => { if (!recorder.recording) guard(reload); } });
  const card = cameraCard(q, (on) => { if (tryout) { markRecording(); tryout.sync(on); } });
  camera = card.camera;
  recorder = new Recorder(camera, collector, { onChange: markRecording });
  tryout = new Tryout(q, () => project, camera);
  curve = new LearningCurve(q, () => project);
  scratch = new Scratch(q, () => project);
  exportCard(q, () => project);
  samplesPicker(q, () => project, (cls, sources) => collector.add(project.id, cls.id, sources));
  q("new-project").addEventListener("click", () => guard(newProject));
  q("teach-demo").addEventListener("click", () => guard(runDemo));
  q("class-form").addEventListener("submit", (e) => { e.preventDefault(); guard(addClass); });
  q("train").addEventListener("click", () => guard(train));
  q("import-head").addEventListener("change", (e) => {
    guard(() => importClassifier(e.target.files[0]));
    e.target.value = ""; // the same file may be chosen again
  });
  q("back-to-project").addEventListener("click", () => guard(backToProject));
  // A prediction is of one photo: choosing another clears it rather than leave it captioned
  // wrongly (live answers are of the camera, not of the photo).
  subscribe((s, changed) => {
    if (changed.has("image") && !tryout.live) tryout.clear();
    if (changed.has("tab") && s.tab !== "teach") card.off();
    if (changed.has("project") && s.project && s.project !== wanted) guard(() => openLinked(s.project));
  });
  let gone = false;
  if (state.project) {
    wanted = state.project;
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

// Put a project this tab chose in the link, without opening it a second time.
function own(id) {
  wanted = id;
  update({ project: id });
}

// A link opened while the tab is open (a lesson's "Go on in Teach it") names another project.
async function openLinked(pid) {
  wanted = pid;
  keepCurrent();
  show(await api.getProject(pid));
}

async function newProject() {
  const { id } = await api.createProject();
  own(id);
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
  own(p.id);
  previous = null;
  q("demo-result").hidden = true;
  show(p);
}

async function reload() {
  show(await api.getProject(project.id));
}

function show(p) {
  if (project && project.id !== p.id) {
    collector.reset();
    recorder.stop();
    tryout.stopLive();
    tryout.clear();
    q("photo-views").hidden = true;
  }
  project = p;
  wanted = p.id;
  collector.settle(p);
  // People see what the project is; the id stays in the link (and here, for scripts).
  q("project-id").textContent = p.classes.length
    ? `project of ${p.classes.length} class${p.classes.length === 1 ? "" : "es"}, kept on the server for a while: this page's link brings you back`
    : "project: new and empty; add classes below";
  q("project-id").dataset.project = p.id;
  q("back-to-project").hidden = !previous || previous === p.id;
  q("classes").replaceChildren(...p.classes.map((c) => {
    const card = classCard(c, (imageId) => api.thumbUrl(p.id, imageId), classActions(p, c),
      { camera: camera.on, recording: recorder.recording === c.id });
    showPending(card, collector.items(c.id));
    return card;
  }));
  const target = q("samples-class");
  const chosen = target.value;
  target.replaceChildren(...p.classes.map((c) => el("option", { value: c.id, textContent: c.name, selected: c.id === chosen })));
  showRun(p.run);
  tryout.sync(camera.on);
  curve.sync();
  guard(() => scratch.sync());
  if (p.run && (p.run.status === "queued" || p.run.status === "running") && p.run.job_id) {
    guard(async () => follow(await api.getJob(api.jobUrl(p.run.job_id))));
  }
  if (!p.run && p.trained) {
    q("train-status").textContent = `a loaded classifier (classes ${p.head_classes.map((c) => c.name).join(", ")}): ` +
      "ready to classify; add photos to its classes to train it here";
  }
}

function classActions(p, c) {
  // Hidden files (.DS_Store and the like) come with folders; nobody chose them.
  const addFiles = (files) => collector.add(p.id, c.id, files.filter((f) => !f.name.startsWith("."))
    .map((file) => ({ name: file.webkitRelativePath || file.name || "photo", file })));
  return {
    addFiles,
    dropped: (dataTransfer) => guard(async () => addFiles(await droppedFiles(dataTransfer))),
    addCurrent: () => guard(async () => {
      await withImage((id) => api.addPhotoById(p.id, c.id, id));
      await reload();
    }),
    removePhoto: (imageId) => guard(async () => { await api.removePhoto(p.id, c.id, imageId); await reload(); }),
    openPhoto: (imageId) => guard(() => showViews(p, c, imageId)),
    removeClass: () => guard(async () => { await api.deleteClass(p.id, c.id); await reload(); }),
    recordStart: () => recorder.start(p.id, c),
    recordStop: () => recorder.stop(),
    clearFailed: () => collector.clearFailed(c.id),
  };
}

const cardOf = (classId) => q("classes").querySelector(`[data-class-id="${classId}"]`);

function pendingChanged(classId) {
  const card = cardOf(classId);
  if (card) showPending(card, collector.items(classId));
}

function markRecording() {
  for (const card of q("classes").querySelectorAll("[data-class-id]")) {
    setRecording(card, { camera: camera.on, recording: recorder.recording === card.dataset.classId });
  }
}

// What training makes of one photo: the crops and mirror images it contributes.
async function showViews(p, c, imageId) {
  const strip = q("photo-views-strip");
  for (const img of strip.querySelectorAll("img")) URL.revokeObjectURL(img.src);
  strip.replaceChildren();
  q("photo-views").hidden = false;
  let blob;
  try {
    blob = await api.photoViews(p.id, imageId);
  } catch (err) {
    if (!(err instanceof api.ApiError)) throw err;
    q("photo-views-caption").textContent = err.message;  // said here, under the photos clicked
    return;
  }
  strip.replaceChildren(el("img", { src: URL.createObjectURL(blob), alt: `the views training takes of a photo of ${c.name}` }));
  q("photo-views-caption").textContent = `What one photo of ${c.name} gives training: the centre crop the network sees, ` +
    "and, when training augments, its mirror image, a tighter crop and that crop's mirror. Each is one more example, " +
    "but not a new photo: none shows the class from another side. Held-out photos are judged on the centre crop only. " +
    "Drawn at 150×150, as the photo is kept for the small network below; the pretrained network sees the same crops at 224×224.";
}

async function addClass() {
  const input = q("class-name");
  await api.addClass(project.id, input.value);
  input.value = "";
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
  if (!run) { q("accuracy").textContent = ""; q("calibration").textContent = ""; q("confusion").replaceChildren(); return; }
  const trained = run.status === "done";
  q("accuracy").textContent = !trained ? "" : run.accuracy === null ? "Accuracy: not enough photos to hold some out."
    : `Accuracy on held-out photos (cross-validation): ${pct(run.accuracy)}`;
  const c = trained && run.calibration;
  q("calibration").textContent = !c ? "" : `Calibration on the ${c.held_out} held-out photos: it said ${pct(c.mean_confidence)} ` +
    `on average and was right ${pct(c.accuracy)} of the time (expected calibration error ${pct(c.ece)}). ${c.note}`;
  renderConfusion(q("confusion"), run.classes.map((c) => c.name), run.confusion);
}

async function runDemo() {
  keepCurrent();
  const button = q("teach-demo");
  button.disabled = true;
  try {
    const { id } = await api.createDemo();  // the lesson's project; a job fills and trains it
    own(id);
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

async function importClassifier(file) {
  if (!file) return;
  const { id } = await api.createProject();
  // Only a classifier that loads replaces the project on screen; a bad file leaves it as it was.
  const loaded = await api.importClassifier(id, file);
  keepCurrent();
  own(id);
  show(loaded);
  showStatus(`Loaded a classifier with classes ${project.head_classes.map((c) => c.name).join(", ")}.`);
}
