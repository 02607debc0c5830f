// Input and output side by side at one zoom; the output is scaled so that each output
// pixel sits over the input pixels it was computed from. Owns both viewports.
import { finder } from "../dom.js";
import { pixelAt, viewBounds } from "../lib/spec.js";

export class ImagePair {
  constructor(root, { onHover, onPick }) {
    const q = finder(root);
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
    // Re-fit whenever the viewport's width changes: a window resize, or the tab being shown
    // again (a hidden viewport is 0 pixels wide, and "fit" computed then is useless).
    let width = -1;
    new ResizeObserver(() => {
      if (this.inView.clientWidth === width) return;
      width = this.inView.clientWidth;
      this.layout();
    }).observe(this.inView);
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

  // A photo still uploading: shown alone at its own size; the old output is not its output.
  preview(url) {
    this.geometry = null;
    this.marked = null;
    this.patchBox.hidden = true;
    this.pixelBox.hidden = true;
    this.output.removeAttribute("src");
    this.input.src = url; // layout() runs once it has loaded
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

  // Screen pixels per input pixel: the zoom, or (zoom 0) whatever fits the viewport.
  scale() {
    if (this.zoom) return this.zoom;
    const b = this.bounds();
    const w = b.x1 - b.x0;
    const h = b.y1 - b.y0;
    if (!w || !h) return 1;
    const maxHeight = parseFloat(getComputedStyle(this.inView).maxHeight) || Infinity;
    return Math.max(0.05, Math.min((this.inView.clientWidth - 4) / w, (maxHeight - 4) / h));
  }

  bounds() {
    if (this.geometry) return viewBounds(this.geometry);
    return { x0: 0, y0: 0, x1: this.input.naturalWidth, y1: this.input.naturalHeight };
  }

  layout() {
    const z = this.scale();
    this.zoomOut.textContent = `${Math.round(z * 100)}%${this.zoom ? "" : " (fit)"}`;
    // A tiny photo fits at more than 800%: the slider then reaches that far, so moving it
    // right never zooms out.
    this.zoomInput.max = String(Math.max(8, Math.ceil(z)));
    if (!this.zoom) this.zoomInput.value = String(Math.max(0.25, z));
    const g = this.geometry;
    const b = this.bounds();
    const inW = g ? g.inWidth : this.input.naturalWidth;
    const inH = g ? g.inHeight : this.input.naturalHeight;
    Object.assign(this.input.style, {
      width: `${inW * z}px`, height: `${inH * z}px`, marginLeft: `${-b.x0 * z}px`, marginTop: `${-b.y0 * z}px`,
    });
    for (const layer of [this.input.parentElement, this.output.parentElement]) {
      Object.assign(layer.style, { width: `${(b.x1 - b.x0) * z}px`, height: `${(b.y1 - b.y0) * z}px` });
    }
    if (!g) return;
    const px = g.step * z;
    Object.assign(this.output.style, {
      width: `${g.width * px}px`, height: `${g.height * px}px`,
      marginLeft: `${(g.offsetX - b.x0) * z}px`, marginTop: `${(g.offsetY - b.y0) * z}px`,
    });
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
    const b = this.bounds();
    const g = this.geometry;
    const { p, window } = this.marked;
    const px = g.step * z;
    const side = Math.max(px, 8); // an output pixel can be under a screen pixel when zoomed out
    const grow = (side - px) / 2;
    Object.assign(this.pixelBox.style, {
      left: `${(g.offsetX - b.x0) * z + p.x * px - grow}px`, top: `${(g.offsetY - b.y0) * z + p.y * px - grow}px`,
      width: `${side}px`, height: `${side}px`,
    });
    this.pixelBox.hidden = false;
    if (window) {
      Object.assign(this.patchBox.style, {
        left: `${(window.x0 - b.x0) * z}px`, top: `${(window.y0 - b.y0) * z}px`,
        width: `${Math.max(6, (window.x1 - window.x0 + 1) * z)}px`, height: `${Math.max(6, (window.y1 - window.y0 + 1) * z)}px`,
      });
      this.patchBox.hidden = false;
    }
  }
}
