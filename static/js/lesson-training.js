// Lessons on training a new last layer: "transfer" (a short guided run of Teach it, then
// the new classifier on your photo), "spurious" (a classifier that learned the background,
// then the cure: more varied photos) and "how-many-images" (learning curves). Each long
// step is a job on the server, followed here with its progress.
import * as api from "./api.js";
import { el } from "./dom.js";
import { withImage } from "./images.js";
import { followJob } from "./jobs.js";
import { behindButton, testid } from "./lesson-common.js";
import { state } from "./state.js";
import { pct } from "./lib/format.js";
import { stateToHash } from "./lib/hashstate.js";
import { accuracyAt, curveReady, firstReaching } from "./lib/lesson-curves.js";
import { JobProgress } from "./render/job-progress.js";
import { drawLinePlot } from "./render/lesson-line-plot.js";
import { renderBars } from "./render/prob-bars.js";

// Follow a job to its end on `progress`; a job that did not finish is an error that says why.
async function finish(job, progress) {
  progress.root.hidden = false;
  const last = await followJob(job, (j) => progress.show(j));
  if (last.status !== "done") {
    throw Object.assign(new Error(last.error ? last.error.message : `The job was ${last.status}.`),
      { code: last.error ? last.error.code : last.status });
  }
  progress.root.hidden = true;
  return last;
}

// A job's progress bar in `root`, hidden until a job starts.
function progressIn(root) {
  const p = new JobProgress(root);
  p.root = root;
  root.hidden = true;
  return p;
}

const wholePercent = (v) => `${Math.round(v * 100)}%`;

// The first call starts `task`; later calls wait for the same answer (a photo chosen while
// it runs must not start a second one); a failure lets the next call try again.
function once(task) {
  let pending = null;
  return () => (pending ??= task().catch((err) => { pending = null; throw err; }));
}

const teachLink = (pid, text) => {
  const a = el("a", { className: "button-link", textContent: text });
  a.href = stateToHash({ ...state, tab: "teach", project: pid });
  return a;
};

// --- transfer ------------------------------------------------------------------------------

// Two coarse classes of bundled photos (static/dataset, credited on the page): never the
// photo loaded above, so trying it is a test on a photo the classifier has not seen.
const CLASSES = {
  animals: ["dog.jpg", "cat.jpg", "horse.jpg", "cow.jpg", "giraffe.jpg", "koala.jpg"],
  objects: ["hammer.jpg", "cup.jpg", "chair.jpg", "eraser.jpg", "adjustable_wrench.jpg", "cast_iron_frying_pan.jpg"],
};

function transfer(box) {
  const steps = testid(el("ol", { className: "lesson-steps" }), "transfer-steps");
  const thumbs = testid(el("div", { className: "lesson-thumbs" }), "transfer-photos");
  const jobBox = testid(el("div"), "transfer-job");
  const loss = testid(el("div", { className: "transfer-loss" }), "transfer-loss");
  const accuracy = testid(el("p", { className: "lesson-big" }), "transfer-accuracy");
  const answer = testid(el("ol", { className: "predictions" }), "transfer-answer");
  const answerLine = testid(el("p", { className: "lesson-big" }), "transfer-verdict");
  const link = el("span");
  const step = (title, ...body) => el("li", {}, [el("strong", { textContent: title }), ...body]);
  steps.append(
    step("Two classes of six bundled photos each: animals and objects.", thumbs),
    step("Each photo (and its mirrored and tighter views) goes once through the frozen network, which keeps its 1280 pooled " +
      "features; then only a new last layer (1280 × 2 weights + 2 biases) is trained on them, on this CPU.",
      jobBox, loss, accuracy),
    step("Your photo, which was not among the twelve:", answerLine, answer),
  );
  box.replaceChildren(steps, link);
  const progress = progressIn(jobBox);
  // The lesson's project, built once per visit, whatever the photo.
  const built = once(async () => {
    const { id } = await api.createProject();
    for (const [name, files] of Object.entries(CLASSES)) {
      const cls = await api.addClass(id, name);
      for (const file of files) {
        progress.root.hidden = false;
        progress.message.textContent = `adding ${file} to ${name}`;
        await api.addPhotoFile(id, cls.id, new File([await api.datasetPhoto(file)], file, { type: "image/jpeg" }));
      }
    }
    const p = await api.getProject(id);
    thumbs.replaceChildren(...p.classes.flatMap((c) => c.images.map((img) => el("img", { src: api.thumbUrl(id, img), alt: c.name, title: c.name }))));
    const { job } = await api.train(id, { epochs: 100, augment: true, seed: 0 });
    await finish(job, progress);
    const trained = await api.getProject(id);
    drawLinePlot(loss, {
      label: "the training loss per epoch",
      series: [{ name: "training loss (cross-entropy on the training photos)", colour: "#3b6fd8",
        points: trained.run.losses.map((l, i) => ({ x: i + 1, y: l })) }],
      x: { label: "epoch" },
      y: { label: "training loss", min: 0 },
    });
    accuracy.textContent = trained.run.accuracy === null ? "Too few photos to hold some out for a fair score."
      : `Accuracy on held-out photos (cross-validation): ${pct(trained.run.accuracy)}, trained in ${trained.run.seconds.toFixed(1)} s.`;
    accuracy.dataset.accuracy = String(trained.run.accuracy);
    link.replaceChildren(teachLink(id, "Go on in Teach it with these two classes"));
    return trained;
  });

  async function run(isFresh) {
    const project = await built();
    if (!isFresh()) return;
    const result = await withImage((id) => api.projectPredict(project.id, id));
    if (!isFresh()) return;
    renderBars(answer, result.probs.map((p) => ({ label: p.name, fraction: p.prob, text: pct(p.prob) })));
    const top = result.probs[0];
    answerLine.textContent = `The new classifier calls it ${top.name} (${pct(top.prob)}). It only knows these two classes, ` +
      "so a photo of neither still gets one of the two names.";
    answerLine.dataset.top = top.name;
  }
  return { run };
}

// --- spurious ------------------------------------------------------------------------------

function spurious(box) {
  const demoJob = testid(el("div"), "spurious-demo-job");
  const scores = testid(el("p", { className: "lesson-big" }), "spurious-scores");
  const examples = testid(el("div", { className: "lesson-thumbs big" }), "spurious-examples");
  const yours = testid(el("p", { className: "lesson-caption" }), "spurious-yours");
  const cureWaiting = testid(el("p", { className: "lesson-note",
    textContent: "Part 2 starts once part 1 is done (it trains 70 small classifiers: about a minute)." }), "spurious-cure-waiting");
  const cureJob = testid(el("div"), "spurious-cure-job");
  const plot = testid(el("div"), "spurious-plot");
  const cure = testid(el("p", { className: "lesson-big" }), "spurious-cure");
  const answerLine = testid(el("p", { className: "lesson-big" }), "spurious-answer");
  const answer = behindButton(answerLine, "spurious-answer");
  const link = el("span");
  box.replaceChildren(
    el("h3", { textContent: "1. Discs always on the mountains, squares always on the rocket photo" }),
    demoJob, scores, examples, yours, link,
    el("h3", { textContent: "2. The cure: show each shape on the other background too" }),
    cureWaiting, cureJob, plot, cure, answer.block,
  );
  const demoProgress = progressIn(demoJob);
  const cureProgress = progressIn(cureJob);
  const demo = once(async () => {
    const started = await api.createDemo();
    await finish(started.job, demoProgress);
    const p = await api.getProject(started.id);
    const extra = p.run.extra;
    scores.textContent = `Test photos on the training backgrounds: ${pct(extra.same_background_accuracy)} right. ` +
      `The same shapes with the backgrounds swapped: ${pct(extra.swapped_background_accuracy)} right.`;
    Object.assign(scores.dataset, { same: extra.same_background_accuracy, swapped: extra.swapped_background_accuracy });
    const swapped = ["disc", "square"].flatMap((shape) => extra.examples.filter((e) => e.setting === "swapped" && e.truth === shape).slice(0, 2));
    const figures = await Promise.all(swapped.map(async (e) => {
      const blob = await api.projectGradcam(p.id, e.image_id, extra.classes[e.predicted]);
      return el("figure", {}, [el("img", { src: URL.createObjectURL(blob), alt: `a ${e.truth} on ${e.background}` }),
        el("figcaption", { textContent: `a ${e.truth} on ${e.background}: called "${e.predicted}" (${pct(e.prob)}); red: where it looked` })]);
    }));
    examples.replaceChildren(...figures);
    link.replaceChildren(teachLink(p.id, "Open this classifier in Teach it"));
    return p;
  });

  const cured = once(async () => {
    cureWaiting.hidden = true;
    const { job } = await api.startSpurious();
    const done = await finish(job, cureProgress);
    const curve = await api.lessonResult(done.result);
    showCure(curve);
    return curve;
  });

  function showCure(curve) {
    const points = curve.curve;
    drawLinePlot(plot, {
      label: "accuracy against the share of photos on the other background",
      series: [
        { name: "on the training backgrounds", colour: "#3b6fd8", points: points.map((p) => ({ x: p.mixed_share, y: p.accuracy_training_backgrounds })) },
        { name: "on swapped backgrounds", colour: "#e07b39", points: points.map((p) => ({ x: p.mixed_share, y: p.accuracy_swapped_backgrounds })) },
      ],
      x: { label: "share of each shape's training photos on the other background", format: wholePercent },
      y: { label: "accuracy on test photos", min: 0, max: 1, format: wholePercent },
    });
    const first = points.reduce((a, b) => (a.mixed_share < b.mixed_share ? a : b));
    const last = points.reduce((a, b) => (a.mixed_share > b.mixed_share ? a : b));
    const ninety = firstReaching(points, "mixed_share", "accuracy_swapped_backgrounds", 0.9);
    cure.textContent = `With no mixed photos, swapped backgrounds are ${pct(first.accuracy_swapped_backgrounds)} right; ` +
      `with ${pct(last.mixed_share)} mixed, ${pct(last.accuracy_swapped_backgrounds)}. ` +
      `(${curve.train_per_class} training and ${curve.test_per_class} test photos per class, ${curve.shapes}; ` +
      `each point the mean of ${curve.repeats} repeats.)`;
    Object.assign(cure.dataset, { first: first.accuracy_swapped_backgrounds, last: last.accuracy_swapped_backgrounds });
    const hit = points.find((p) => p.mixed_share === ninety);
    answerLine.textContent = ninety === null ? "It never passes 90% here."
      : `It first passes 90% at ${pct(ninety)} mixed: ${hit.mixed_photos} of each shape's ${curve.train_per_class} ` +
        `training photos on the other background (${pct(hit.accuracy_swapped_backgrounds)} right).`;
    answerLine.dataset.share = String(ninety);
    answer.reveal();
  }

  async function run(isFresh) {
    // Part 1 first, and part 2 only once it is done: the cure embeds 368 scenes, and started
    // together it would take the worker the lesson's main result is waiting for.
    const project = await demo();
    if (!isFresh()) return;
    const result = await withImage((id) => api.projectPredict(project.id, id));
    if (!isFresh()) return;
    const top = result.probs[0];
    yours.textContent = `Your photo, to this classifier: "${top.name}" (${pct(top.prob)}). It holds no drawn disc or square: ` +
      "whatever it answers, it answers from the photo's background.";
    await cured();
  }
  return { run };
}

// --- how-many-images -----------------------------------------------------------------------

const COLOURS = { coarse: "#3b6fd8", fine: "#e07b39", yours: "#2e7d32" };

function howManyImages(box) {
  const jobBox = testid(el("div"), "curves-job");
  const plot = testid(el("div"), "curves-plot");
  const read = testid(el("p", { className: "lesson-big" }), "curves-read");
  const answer = behindButton(read, "curves-read");
  const yoursBox = testid(el("div"), "curves-yours-job");
  const yours = testid(el("p", { className: "lesson-caption" }), "curves-yours");
  const classes = testid(el("div", { className: "lesson-row" }), "curves-classes");
  box.replaceChildren(jobBox, classes, plot, answer.block, yoursBox, yours);
  const progress = progressIn(jobBox);
  const yoursProgress = progressIn(yoursBox);
  let pairs = null;
  let own = null;  // {name, points} of the user's project, when it has one

  // A few of each class's photos, so the two distinctions are concrete.
  function showClasses() {
    classes.replaceChildren(...pairs.map((p) => el("section", {}, [
      el("h3", { textContent: `${p.name}: ${p.title}` }),
      ...p.classes.map((c) => el("div", { className: "lesson-thumbs" }, [el("span", { className: "thumb-label", textContent: c }),
        ...(p.photos[c] || []).slice(0, 4).map((src) => el("img", { src, alt: c, title: c }))])),
    ])));
  }

  function draw() {
    const series = pairs.map((p) => ({ name: `${p.name}: ${p.title}`, colour: COLOURS[p.name] || "#8a8f98",
      points: p.points.map((q) => ({ x: q.per_class, y: q.accuracy })) }));
    if (own) series.push({ name: own.name, colour: COLOURS.yours, points: own.points.map((q) => ({ x: q.per_class, y: q.accuracy })) });
    drawLinePlot(plot, {
      label: "held-out accuracy against photos per class",
      series,
      x: { label: "photos per class trained on", log2: true },
      y: { label: "accuracy on held-out photos", min: 0, max: 1, format: wholePercent },
    });
    const [a, b] = pairs;
    const common = a.points.map((p) => p.per_class).filter((n) => accuracyAt(b.points, n) !== null);
    const at = common.includes(3) ? 3 : common[Math.min(1, common.length - 1)];
    read.textContent = `At ${at} photo${at === 1 ? "" : "s"} per class: ${a.title} ${pct(accuracyAt(a.points, at))} right, ` +
      `${b.title} ${pct(accuracyAt(b.points, at))}: ${Math.round(100 * Math.abs(accuracyAt(a.points, at) - accuracyAt(b.points, at)))} ` +
      `percentage points apart (on held-out photos; guessing gives ${pct(1 / a.classes.length)}).`;
    Object.assign(read.dataset, { at, [a.name]: accuracyAt(a.points, at), [b.name]: accuracyAt(b.points, at) });
    answer.reveal();
  }

  async function yourProject(isFresh) {
    const none = "With a project of your own in Teach it (two classes of two photos or more), its curve is drawn here too.";
    if (!state.project) { yours.textContent = none; return; }
    let project;
    try {
      project = await api.getProject(state.project);
    } catch (err) {
      if (err instanceof api.ApiError && err.status === 404) { yours.textContent = none; return; }  // gone
      throw err;
    }
    if (!curveReady(project)) {
      yours.textContent = "Your project in Teach it needs two classes with at least two photos each for its own curve.";
      return;
    }
    const { job } = await api.startLearningCurve(project.id, {});
    const done = await finish(job, yoursProgress);
    const result = await api.teachResult(done.result);
    if (!isFresh()) return;
    own = { name: `your project: ${result.classes.map((c) => c.name).join(" vs ")}`, points: result.points };
    yours.textContent = `Your project's curve (green) is measured the same way on your own photos.`;
    draw();
  }

  const measured = once(async () => {
    const { job } = await api.startHowManyImages();
    const done = await finish(job, progress);
    pairs = (await api.lessonResult(done.result)).pairs;
    showClasses();
  });

  async function run(isFresh) {
    await measured();
    if (!isFresh()) return;
    draw();
    await yourProject(isFresh);
  }
  return { run };
}

export const experiments = { transfer, spurious, "how-many-images": howManyImages };
