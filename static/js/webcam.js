// The camera: a mirrored live preview, frames grabbed as small JPEGs, and in plain words
// why it cannot start. One camera for the Teach tab (recording and live classification).
import { cameraProblem, frameSize } from "./lib/teach-text.js";

export class CameraUnavailable extends Error {}

export class Webcam {
  // video: the <video> element that previews the camera (mirrored by CSS).
  constructor(video) {
    this.video = video;
    this.stream = null;
    this.canvas = document.createElement("canvas");
  }

  get on() {
    return Boolean(this.stream);
  }

  // Whether this page could ask for a camera at all (a secure page, a browser with the API).
  static available() {
    return window.isSecureContext && Boolean(navigator.mediaDevices && navigator.mediaDevices.getUserMedia);
  }

  // Ask for the camera; throws CameraUnavailable with the reason a person can act on.
  async start() {
    if (this.stream) return;
    if (!Webcam.available()) throw new CameraUnavailable(cameraProblem(null, { secure: window.isSecureContext }));
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" }, audio: false,
      });
    } catch (err) {
      throw new CameraUnavailable(cameraProblem(err));
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => {});  // autoplay of a muted preview is allowed
    if (!this.video.videoWidth) {
      await new Promise((resolve) => this.video.addEventListener("loadedmetadata", resolve, { once: true }));
    }
  }

  stop() {
    if (!this.stream) return;
    for (const track of this.stream.getTracks()) track.stop();
    this.stream = null;
    this.video.srcObject = null;
  }

  // The current view as a JPEG, mirrored as the preview shows it (what you see is what is
  // kept), its shorter side 256 px.
  grab() {
    if (!this.stream) return Promise.reject(new CameraUnavailable("The camera is off."));
    const { width, height } = frameSize(this.video.videoWidth, this.video.videoHeight);
    this.canvas.width = width;
    this.canvas.height = height;
    const ctx = this.canvas.getContext("2d");
    ctx.setTransform(-1, 0, 0, 1, width, 0);
    ctx.drawImage(this.video, 0, 0, width, height);
    return new Promise((resolve, reject) => this.canvas.toBlob(
      (blob) => (blob ? resolve(blob) : reject(new CameraUnavailable("The camera gave no picture."))),
      "image/jpeg", 0.9));
  }
}
