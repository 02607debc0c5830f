// The "Teach it" tab: classes of photos, training progress, evaluation, predictions,
// Grad-CAM through the new head, the spurious-feature lesson, export and import.
import { ApiError, deleteResource, getBlob, getJson, postFile, postJson } from "./api.js";
import { withImage } from "./images.js";
import { state, subscribe, update } from "./state.js";
import { showError, showStatus } from "./status.js";
import { num, pct } from "./lib/format.js";

let root = null;
let project = null;  // GET /api/projects/{id}
let previous = null; // the user's own project while the lesson (or an import) replaced it
let polling = null;
const q = (id) => root.querySelector(`[data-testid="${id}"]`);
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...[].concat(children));
  return node;
};
const url = (path = "") => `/api/projects/${project.id}${path}`;

async function guard(task) {
  try {
    return await task();
  } catch (err) {
    showError(err instanceof ApiError ? err : new Error(String(err)));
    return null;
  }
}

export async function start(panel) {
  root = panel;
  q("new-project").addEventListener("click", () => guard(newProject));
  q("teach-demo").addEventListener("click", () => guard(runDemo));
  q("class-form").addEventListener("submit", (e) => { e.preventDefault(); guard(addClass); });
  q("train").addEventListener("click", () => guard(train));
  q("teach-predict").addEventListener("click", () => guard(tryCurrentPhoto));
  q("export-head").addEventListener("click", () => guard(() => download("head")));
  q("export-torchscript").addEventListener("click", () => guard(() => download("torchscript")));
  q("import-head").addEventListener("change", (e) => {
    guard(() => importHead(e.target.files[0]));
    e.target.value = ""; // the same file may be chosen again
  });
  q("back-to-project").addEventListener("click", () => guard(backToProject));
  // A prediction is of one photo: choosing another clears it rather than leave it captioned wrongly.
  subscribe((_, changed) => { if (changed.has("image")) clearTry(); });
  if (state.project) {
    const existing = await guard(() => getJson(`/api/projects/${state.project}`));
    if (existing) return show(existing);
  }
  await guard(newProject);
}

async function newProject() {
  const { id } = await postJson("/api/projects", {});
  update({ project: id });
  q("demo-result").hidden = true;
  previous = null;
  show(await getJson(`/api/projects/${id}`));
}

// Leave the user's project for another (the lesson, an imported head) without losing it:
// it stays on the server, and "Back to your project" returns to it.
function keepCurrent() {
  if (project && project.classes.some((c) => c.count) && !(project.run && project.run.extra && project.run.extra.lesson)) {
    previous = project.id;
  }
}

async function backToProject() {
  if (!previous) return;
  const p = await getJson(`/api/projects/${previous}`);
  update({ project: p.id });
  previous = null;
  q("demo-result").hidden = true;
  show(p);
}

async function reload() {
  show(await getJson(url()));
}

function show(p) {
  project = p;
  q("project-id").textContent = `project ${p.id}`;
  q("back-to-project").hidden = !previous || previous === p.id;
  q("classes").replaceChildren(...p.classes.map(classCard));
  showRun(p.run);
  if (!p.run && p.trained) {
    q("train-status").textContent = `a loaded head (classes ${p.head_classes.map((c) => c.name).join(", ")}): ` +
      "ready to classify; add photos to its classes to train it here";
  }
}

function classCard(c) {
  const files = el("input", { type: "file", multiple: true, accept: "image/*", className: "visually-hidden" });
  files.setAttribute("data-testid", `class-files-${c.name}`);
  files.addEventListener("change", () => guard(() => addFiles(c, [...files.files])));
  const thumbs = c.images.map((imageId) => {
    const remove = el("button", { type: "button", className: "remove", textContent: "×", title: "remove this photo" });
    remove.addEventListener("click", () => guard(async () => {
      await deleteResource(url(`/classes/${c.id}/images/${imageId}`));
      await reload();
    }));
    return el("span", { className: "thumb" }, [el("img", { src: url(`/images/${imageId}/thumb`), alt: "" }), remove]);
  });
  const addCurrent = el("button", { type: "button", textContent: "+ current photo" });
  addCurrent.setAttribute("data-testid", `class-add-current-${c.name}`);
  addCurrent.addEventListener("click", () => guard(async () => {
    await withImage((id) => postJson(url(`/classes/${c.id}/images`), { image_id: id }));
    await reload();
  }));
  const drop = el("label", { className: "button-like", textContent: "+ photos" }, files);
  const removeClass = el("button", { type: "button", className: "link", textContent: "delete class" });
  removeClass.addEventListener("click", () => guard(async () => { await deleteResource(url(`/classes/${c.id}`)); await reload(); }));
  const card = el("div", { className: "class-card" }, [
    el("div", { className: "class-head" }, [el("strong", { textContent: c.name }),
      el("span", { className: "hint", textContent: `${c.count} photo${c.count === 1 ? "" : "s"}` }), drop, addCurrent, removeClass]),
    el("div", { className: "thumbs" }, thumbs),
  ]);
  card.setAttribute("data-testid", `class-${c.name}`);
  card.addEventListener("dragover", (e) => { e.preventDefault(); e.stopPropagation(); card.classList.add("over"); });
  card.addEventListener("dragleave", () => card.classList.remove("over"));
  card.addEventListener("drop", (e) => {
    e.preventDefault();
    e.stopPropagation();  // the page-wide drop would replace the current photo instead
    card.classList.remove("over");
    guard(() => addFiles(c, [...e.dataTransfer.files]));
  });
  return card;
}

async function addClass() {
  const input = q("class-name");
  await postJson(url("/classes"), { name: input.value });
  input.value = "";
  await reload();
}

async function addFiles(cls, files) {
  const failed = [];
  for (const [i, file] of files.entries()) {
    showStatus(`Adding ${file.name} to ${cls.name} (${i + 1} of ${files.length})...`);
    try {
      await postFile(url(`/classes/${cls.id}/images`), file, file.name);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      failed.push(`${file.name}: ${err.message}`);
    }
  }
  if (failed.length) {
    const added = files.length - failed.length;
    showError(new ApiError(422, "invalid_image", `Added ${added} of ${files.length} photos. ${failed.join(" ")}`));
  } else if (files.length) {
    showStatus("");
  }
  await reload();
}

async function train() {
  const body = { epochs: Number(q("epochs").value) || 100, augment: q("augment").checked, seed: Number(q("seed").value) || 0 };
  await postJson(url("/train"), body);
  poll();
}

function poll() {
  clearTimeout(polling);
  polling = setTimeout(async () => {
    const p = await guard(() => getJson(url()));
    if (!p) return;
    project = p;
    showRun(p.run);
    if (p.run && (p.run.status === "queued" || p.run.status === "running")) poll();
    else if (p.run && p.run.extra && p.run.extra.examples) showDemo(p.run.extra);
  }, 250);
}

function showRun(run) {
  q("train-progress").value = run ? run.progress : 0;
  q("train-status").textContent = run ? `${run.status}${run.seconds ? ` in ${num(run.seconds, 2)} s` : ""}${run.error ? `: ${run.error}` : ""}` : "not trained yet";
  q("train-status").dataset.status = run ? run.status : "";
  q("train-warnings").replaceChildren(...(run ? run.warnings : []).map((w) => el("li", { textContent: w })));
  drawLoss(run ? run.losses : []);
  if (!run) { q("accuracy").textContent = ""; q("confusion").replaceChildren(); return; }
  q("accuracy").textContent = run.accuracy === null ? "Accuracy: not enough photos to hold some out."
    : `Accuracy on held-out photos (cross-validation): ${pct(run.accuracy)}`;
  const names = run.classes.map((c) => c.name);
  const table = q("confusion");
  table.replaceChildren();
  if (run.confusion.length) {
    const head = table.createTHead().insertRow();
    head.append(el("th", { textContent: "true ↓ / predicted →" }), ...names.map((n) => el("th", { textContent: n })));
    run.confusion.forEach((row, i) => {
      const tr = table.insertRow();
      tr.append(el("th", { textContent: names[i] }));
      row.forEach((v, j) => { const td = tr.insertCell(); td.textContent = v; if (i === j) td.className = "diag"; });
    });
  }
}

function drawLoss(losses) {
  const canvas = q("loss-curve");
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const hi = Math.max(...losses);
  const left = 40;  // room for the loss scale
  const bottom = canvas.height - 18;  // and for the epoch scale
  ctx.strokeStyle = "#9aa3b1";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, 4);
  ctx.lineTo(left, bottom);
  ctx.lineTo(canvas.width - 4, bottom);
  ctx.stroke();
  ctx.fillStyle = "#5a6472";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  ctx.fillText(num(hi, 2), left - 4, 12);
  ctx.fillText("0", left - 4, bottom);
  ctx.textAlign = "left";
  ctx.fillText("epoch 1", left, canvas.height - 4);
  ctx.textAlign = "right";
  ctx.fillText(String(losses.length), canvas.width - 4, canvas.height - 4);
  ctx.strokeStyle = "#3b6fd8";
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((l, i) => {
    const x = left + (i / (losses.length - 1)) * (canvas.width - 4 - left);
    const y = bottom - (l / hi) * (bottom - 6);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

function clearTry() {
  q("teach-probs").replaceChildren();
  q("teach-gradcam").hidden = true;
  q("teach-gradcam-caption").textContent = "";
}

async function tryCurrentPhoto() {
  let imageId = "";
  const result = await withImage((id) => { imageId = id; return postJson(url("/predict"), { image_id: id }); });
  q("teach-probs").replaceChildren(...result.probs.map((p) => el("li", {}, [
    el("span", { className: "label", textContent: p.name }),
    el("span", { className: "bar" }, el("span", { style: `width:${(p.prob * 100).toFixed(1)}%` })),
    el("span", { className: "prob", textContent: pct(p.prob) }),
  ])));
  const top = result.probs[0];
  const blob = await getBlob(url(`/gradcam?image_id=${imageId}&class_id=${top.class_id}`));
  const img = q("teach-gradcam");
  img.src = URL.createObjectURL(blob);
  img.hidden = false;
  q("teach-gradcam-caption").textContent = `Where the new classifier finds "${top.name}" (Grad-CAM at stage7)`;
}

async function runDemo() {
  keepCurrent();
  const bar = q("train-progress");
  const button = q("teach-demo");
  bar.removeAttribute("value"); // indeterminate: the server is drawing and embedding 48 photos
  q("train-status").textContent = "making the lesson's 48 photos (about 5 s)...";
  button.disabled = true;
  showStatus("Making the lesson's photos: discs on mountains and squares under the sky...");
  try {
    const { id } = await postJson("/api/projects/demo", {});
    update({ project: id });
    show(await getJson(`/api/projects/${id}`));
    showStatus("Training on the lesson's photos...");
    poll();
  } finally {
    button.disabled = false;
    if (!bar.hasAttribute("value")) bar.value = 0;
  }
}

async function showDemo(extra) {
  showStatus("");
  q("demo-result").hidden = false;
  q("demo-lesson").textContent = extra.lesson;
  q("demo-scores").textContent = `Test photos with the training backgrounds: ${pct(extra.same_background_accuracy)} right. ` +
    `With the backgrounds swapped: ${pct(extra.swapped_background_accuracy)} right.`;
  const swapped = ["disc", "square"].flatMap((shape) =>
    extra.examples.filter((e) => e.setting === "swapped" && e.truth === shape).slice(0, 2));
  const figures = [];
  for (const e of swapped) {
    const cls = extra.classes[e.predicted];
    const blob = await getBlob(url(`/gradcam?image_id=${e.image_id}&class_id=${cls}`));
    figures.push(el("figure", {}, [el("img", { src: URL.createObjectURL(blob), alt: "" }),
      el("figcaption", { textContent: `a ${e.truth} on ${e.background}: called "${e.predicted}" (${pct(e.prob)})` })]));
  }
  q("demo-examples").replaceChildren(...figures);
}

async function download(format) {
  const blob = await getBlob(url(`/export?format=${format}`));
  const a = el("a", { href: URL.createObjectURL(blob), download: `convlens-${format}.pt` });
  document.body.append(a);
  a.click();
  a.remove();
}

async function importHead(file) {
  if (!file) return;
  const { id } = await postJson("/api/projects", {});
  // Only a head that loads replaces the project on screen; a bad file leaves it as it was.
  const loaded = await postFile(`/api/projects/${id}/head`, file, file.name);
  keepCurrent();
  update({ project: id });
  show(loaded);
  showStatus(`Loaded a head with classes ${project.head_classes.map((c) => c.name).join(", ")}.`);
}
