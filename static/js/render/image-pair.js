// Input and output side by side at one zoom; the output is scaled so that each output
// pixel sits over the input pixels it was computed from. Owns both viewports.
import { pixelAt } from "../lib/spec.js";

export class ImagePair {
  constructor(root, { onHover, onPick }) {
    const q = (id) => root.querySelector(`[data-testid="${id}"]`);
    this.input = q("input-image");
    this.output = q("output-image");
    this.inView = q("input-viewport");
    this.outView = q("output-viewport");
    this.patchBox = q("patch-box");
    this.pixelBox = q("pixel-box");
    this.zoomInput = q("zoom");
    this.zoomOut = q("zoom-out");
    this.zoom = 0; // 0 = fit
    this.geometry = null;
    this.outputUrl = null;
    this.syncScroll(this.inView, this.outView);
    this.syncScroll(this.outView, this.inView);
    this.output.addEventListener("mousemove", (e) => { const p = this.pointAt(e); if (p) onHover(p); });
    this.output.addEventListener("click", (e) => { const p = this.pointAt(e); if (p) onPick(p); });
    this.input.addEventListener("load", () => this.layout());
    window.addEventListener("resize", () => this.layout());
  }

  syncScroll(from, to) {
    from.addEventListener("scroll", () => {
      if (this.syncing) return;
      this.syncing = true;
      to.scrollLeft = from.scrollLeft;
      to.scrollTop = from.scrollTop;
      requestAnimationFrame(() => { this.syncing = false; });
    });
  }

  setInput(url) {
    if (this.input.getAttribute("src") !== url) this.input.src = url;
  }

  // blob: the display image; geometry: {step, offsetX, offsetY, width, height, inWidth, inHeight}.
  setOutput(blob, geometry) {
    if (this.outputUrl) URL.revokeObjectURL(this.outputUrl);
    this.outputUrl = URL.createObjectURL(blob);
    this.output.src = this.outputUrl;
    this.geometry = geometry;
    this.layout();
  }

  setZoom(zoom) {
    this.zoom = zoom;
    this.layout();
  }

  scale() {
    const w = this.geometry ? this.geometry.inWidth : this.input.naturalWidth;
    if (!w) return 1;
    return this.zoom || Math.max(0.05, (this.inView.clientWidth - 4) / w);
  }

  layout() {
    const z = this.scale();
    this.zoomOut.textContent = `${Math.round(z * 100)}%${this.zoom ? "" : " (fit)"}`;
    if (!this.zoom) this.zoomInput.value = String(Math.min(8, Math.max(0.25, z)));
    const g = this.geometry;
    const inW = g ? g.inWidth : this.input.naturalWidth;
    const inH = g ? g.inHeight : this.input.naturalHeight;
    Object.assign(this.input.style, { width: `${inW * z}px`, height: `${inH * z}px` });
    if (!g) return;
    const px = g.step * z;
    Object.assign(this.output.style, {
      width: `${g.width * px}px`, height: `${g.height * px}px`,
      marginLeft: `${g.offsetX * z}px`, marginTop: `${g.offsetY * z}px`,
    });
    this.output.parentElement.style.width = `${inW * z}px`;
    this.output.parentElement.style.height = `${inH * z}px`;
    this.refreshBoxes();
  }

  pointAt(e) {
    if (!this.geometry) return null;
    const box = this.output.getBoundingClientRect();
    return pixelAt(e.clientX - box.left, e.clientY - box.top, box.width / this.geometry.width,
      this.geometry.width, this.geometry.height);
  }

  // Outline output pixel p and the input window it read (input pixel coordinates).
  mark(p, window) {
    this.marked = { p, window };
    this.refreshBoxes();
  }

  refreshBoxes() {
    if (!this.marked || !this.geometry) return;
    const z = this.scale();
    const { p, window } = this.marked;
    const px = this.geometry.step * z;
    const side = Math.max(px, 8); // an output pixel can be under a screen pixel when zoomed out
    const grow = (side - px) / 2;
    Object.assign(this.pixelBox.style, {
      left: `${this.geometry.offsetX * z + p.x * px - grow}px`, top: `${this.geometry.offsetY * z + p.y * px - grow}px`,
      width: `${side}px`, height: `${side}px`,
    });
    this.pixelBox.hidden = false;
    if (window) {
      Object.assign(this.patchBox.style, {
        left: `${window.x0 * z}px`, top: `${window.y0 * z}px`,
        width: `${Math.max(6, (window.x1 - window.x0 + 1) * z)}px`, height: `${Math.max(6, (window.y1 - window.y0 + 1) * z)}px`,
      });
      this.patchBox.hidden = false;
    }
  }
}
