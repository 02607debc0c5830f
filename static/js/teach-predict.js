// "Try it": the trained classifier on the photo loaded above, or live on the camera's view
// (as fast as the server answers, one request at a time, always the newest frame), each
// answer with how familiar the photo is and what its confidence means.
import * as api from "./api.js";
import { withImage } from "./images.js";
import { newestWins } from "./lib/latest.js";
import { num, pct } from "./lib/format.js";
import { confidenceMeaning } from "./lib/teach-text.js";
import { renderBars } from "./render/prob-bars.js";
import { renderFamiliar } from "./render/teach-familiar.js";
import { guard } from "./status.js";

const BUSY_PAUSE_MS = 500;  // the server said busy: ask again after this

export class Tryout {
  // q: the tab's finder; project(): the project on screen; camera: the Webcam.
  constructor(q, project, camera) {
    this.q = q;
    this.project = project;
    this.camera = camera;
    this.live = 0;  // the live loop's generation; 0 is off
    this.answers = 0;
    this.gradcamUrl = null;
    // Both sources draw into one view: only the newest request's answer is drawn.
    this.classify = newestWins((ask) => ask());
    q("teach-predict").addEventListener("click", () => guard(() => this.tryCurrentPhoto()));
    q("live-toggle").addEventListener("change", (e) => (e.target.checked ? this.startLive() : this.stopLive()));
  }

  // The project changed (trained, loaded, replaced): live mode is offered once it can answer.
  sync(cameraOn) {
    const p = this.project();
    const can = Boolean(cameraOn && p && p.trained);
    const toggle = this.q("live-toggle");
    toggle.disabled = !can;
    toggle.title = !cameraOn ? "turn the camera on first" : can ? "" : "train the classifier first";
    if (!can && this.live) this.stopLive();
  }

  clear() {
    this.q("teach-probs").replaceChildren();
    this.q("teach-source").textContent = "";
    this.q("confidence-meaning").textContent = "";
    renderFamiliar(this.q("familiar"), {}, {}, () => "");
    this.q("teach-gradcam").hidden = true;
    this.q("teach-gradcam-caption").textContent = "";
  }

  async tryCurrentPhoto() {
    this.stopLive();
    const pid = this.project().id;
    let imageId = "";
    const result = await this.classify(() => withImage((id) => { imageId = id; return api.projectPredict(pid, id); }));
    if (!result) return;
    this.show(result, "the photo loaded above");
    const top = result.probs[0];
    const blob = await api.projectGradcam(pid, imageId, top.class_id);
    if (this.live) return;  // live mode started meanwhile: its frames own the view
    const img = this.q("teach-gradcam");
    if (this.gradcamUrl) URL.revokeObjectURL(this.gradcamUrl);
    img.src = this.gradcamUrl = URL.createObjectURL(blob);
    img.hidden = false;
    this.q("teach-gradcam-caption").textContent = `Where the new classifier finds "${top.name}" (Grad-CAM at stage7)`;
  }

  startLive() {
    const generation = ++this.live;
    this.q("live-toggle").checked = true;
    this.q("teach-gradcam").hidden = true;
    this.q("teach-gradcam-caption").textContent = "";
    this.loop(generation);
  }

  stopLive() {
    if (!this.live) return;
    this.live = 0;
    this.q("live-toggle").checked = false;
    this.note("");
  }

  note(text, error = false) {
    const node = this.q("live-note");
    node.textContent = text;
    node.classList.toggle("error", error);
  }

  // One request in flight at a time; each grabs the camera's newest frame when it starts,
  // so a slow server means fewer answers, never older ones.
  async loop(generation) {
    const pid = this.project().id;
    const started = performance.now();
    let answered = 0;
    while (this.live === generation) {
      try {
        // One request a frame, kept nowhere on the server: frames are never asked for again.
        const result = await this.classify(async () => api.projectPredictFile(pid, await this.camera.grab()));
        if (!result || this.live !== generation) continue;
        answered += 1;
        this.show(result, "the camera, live");
        const rate = answered / ((performance.now() - started) / 1000);
        this.note(`live: ${num(rate, 1)} answers a second (as fast as the server answers)`);
      } catch (err) {
        if (this.live !== generation) return;  // stopped meanwhile: nobody waits for this answer
        if (err instanceof api.ApiError && err.code === "busy") {
          await new Promise((r) => setTimeout(r, BUSY_PAUSE_MS));
          continue;
        }
        this.stopLive();
        this.note(err.message || String(err), true);  // said beside the live switch, where it stopped
      }
    }
  }

  show(result, source) {
    const p = this.project();
    const names = Object.fromEntries(p.classes.map((c) => [c.id, c.name]));
    this.answers += 1;
    const probs = this.q("teach-probs");
    probs.dataset.answers = String(this.answers);
    this.q("teach-source").textContent = `On ${source}:`;
    renderBars(probs, result.probs.map((r) => ({ label: r.name, fraction: r.prob, text: pct(r.prob) })));
    renderFamiliar(this.q("familiar"), result, names, (imageId) => api.thumbUrl(p.id, imageId));
    const calibration = p.run && p.run.calibration ? p.run.calibration.ece : null;
    this.q("confidence-meaning").textContent = confidenceMeaning(result.probs[0].prob, calibration, result.familiar ?? null);
  }
}
