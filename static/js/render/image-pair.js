// Input and output side by side at one zoom. Two ways to draw the output:
// - "true" (the default): one output pixel is drawn as large as one input pixel, so a
//   stride-2 or pooled output is visibly smaller, as it really is;
// - "aligned": the output is stretched so that each output pixel sits over the input pixels
//   it was computed from (the two viewports then scroll together).
// Owns both viewports, the zoom, and the boxes that mark a pixel and its window.
import { finder } from "../dom.js";
import { pixelAt, viewBounds } from "../lib/spec.js";

export class ImagePair {
  // onDetail(): the picture shown has fewer pixels than where it is now drawn needs (a live
  // frame made for a smaller zoom): the caller asks for it again.
  constructor(root, { onHover, onPick, onDetail = () => {} }) {
    const q = finder(root);
    this.input = q("input-image");
    this.output = q("output-image");
    this.output.decoding = "async"; // decode live frames off the main thread
    this.inView = q("input-viewport");
    this.outView = q("output-viewport");
    this.patchBox = q("patch-box");
    this.pixelBox = q("pixel-box");
    this.zoomInput = q("zoom");
    this.zoomOut = q("zoom-out");
    this.zoom = 0; // 0 = fit
    this.mode = "true";
    this.geometry = null;
    this.outputUrl = null;
    this.syncScroll(this.inView, this.outView);
    this.syncScroll(this.outView, this.inView);
    this.output.addEventListener("mousemove", (e) => { const p = this.pointAt(e); if (p) onHover(p); });
    this.output.addEventListener("click", (e) => { const p = this.pointAt(e); if (p) onPick(p); });
    this.input.addEventListener("load", () => this.layout());
    this.onDetail = onDetail;
    this.output.addEventListener("load", () => this.checkDetail());
    // Re-fit whenever the viewport's width changes: a window resize, or the tab being shown
    // again (a hidden viewport is 0 pixels wide, and "fit" computed then is useless).
    let width = -1;
    new ResizeObserver(() => {
      if (this.inView.clientWidth === width) return;
      width = this.inView.clientWidth;
      this.layout();
    }).observe(this.inView);
  }

  aligned() {
    return this.mode === "aligned" && this.geometry;
  }

  syncScroll(from, to) {
    from.addEventListener("scroll", () => {
      if (this.syncing || !this.aligned()) return; // true size: the two differ in size
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
    this.geometryKey = null;
    this.marked = null;
    this.patchBox.hidden = true;
    this.pixelBox.hidden = true;
    this.output.removeAttribute("src");
    this.input.src = url; // layout() runs once it has loaded
  }

  // blob: the display image; geometry: {step, offsetX, offsetY, width, height, inWidth, inHeight}.
  // While a slider is dragged the geometry stays the same: then only the picture changes,
  // and nothing is laid out again (a layout per frame read sizes back, forcing the browser
  // to lay the page out synchronously every frame).
  setOutput(blob, geometry) {
    if (this.outputUrl) URL.revokeObjectURL(this.outputUrl);
    this.outputUrl = URL.createObjectURL(blob);
    this.output.src = this.outputUrl;
    const key = JSON.stringify(geometry);
    if (key === this.geometryKey) return;
    this.geometryKey = key;
    this.geometry = geometry;
    this.layout();
  }

  setMode(mode) {
    this.mode = mode;
    this.layout();
  }

  // Zoom about the pinned pixel's window, or else the middle of the input view: that point
  // stays where it is on screen (zooming used to enlarge the top-left corner).
  setZoom(zoom) {
    const before = this.scale();
    const b = this.inputBounds();
    const view = this.inView;
    const anchor = this.marked && this.marked.window
      ? { x: (this.marked.window.x0 + this.marked.window.x1 + 1) / 2, y: (this.marked.window.y0 + this.marked.window.y1 + 1) / 2 }
      : { x: b.x0 + (view.scrollLeft + view.clientWidth / 2) / before, y: b.y0 + (view.scrollTop + view.clientHeight / 2) / before };
    const onScreen = { x: (anchor.x - b.x0) * before - view.scrollLeft, y: (anchor.y - b.y0) * before - view.scrollTop };
    this.zoom = zoom;
    this.layout();
    const after = this.scale();
    view.scrollLeft = (anchor.x - b.x0) * after - onScreen.x;
    view.scrollTop = (anchor.y - b.y0) * after - onScreen.y;
    if (!this.aligned() && this.marked && this.geometry) this.keepPixelInView();
  }

  // Screen pixels per input pixel: the zoom, or (zoom 0) whatever fits the viewport.
  scale() {
    if (this.zoom) return this.zoom;
    const b = this.inputBounds();
    const w = b.x1 - b.x0;
    const h = b.y1 - b.y0;
    if (!w || !h) return 1;
    const maxHeight = parseFloat(getComputedStyle(this.inView).maxHeight) || Infinity;
    // One pixel short of the viewport: a rounded-up width would add a scrollbar.
    return Math.max(0.05, Math.min((this.inView.clientWidth - 1) / w, (maxHeight - 1) / h));
  }

  // What the input viewport shows, in input pixels: the input, and when the output is
  // aligned with it, wherever the output reaches beyond it (padding wider than "same").
  inputBounds() {
    if (this.aligned()) return viewBounds(this.geometry);
    const g = this.geometry;
    return { x0: 0, y0: 0, x1: g ? g.inWidth : this.input.naturalWidth, y1: g ? g.inHeight : this.input.naturalHeight };
  }

  // Screen pixels per output pixel, and where output pixel (0, 0) starts in its layer.
  outputScale() {
    const z = this.scale();
    const g = this.geometry;
    if (!this.aligned()) return { px: z, x: 0, y: 0 };
    const b = this.inputBounds();
    return { px: g.step * z, x: (g.offsetX - b.x0) * z, y: (g.offsetY - b.y0) * z };
  }

  layout() {
    const z = this.scale();
    this.laidOutScale = this.inView.clientWidth ? z : null; // null: not laid out (a hidden tab)
    this.zoomOut.textContent = `${Math.round(z * 100)}%${this.zoom ? "" : " (fit)"}`;
    // A tiny photo fits at more than 800%: the slider then reaches that far, so moving it
    // right never zooms out.
    this.zoomInput.max = String(Math.max(8, Math.ceil(z)));
    if (!this.zoom) this.zoomInput.value = String(Math.max(0.25, z));
    const g = this.geometry;
    const b = this.inputBounds();
    const inW = g ? g.inWidth : this.input.naturalWidth;
    const inH = g ? g.inHeight : this.input.naturalHeight;
    const size = (w, h) => ({ width: `${w}px`, height: `${h}px` });
    Object.assign(this.input.style, size(inW * z, inH * z), { marginLeft: `${-b.x0 * z}px`, marginTop: `${-b.y0 * z}px` });
    Object.assign(this.input.parentElement.style, size((b.x1 - b.x0) * z, (b.y1 - b.y0) * z));
    if (!g) return;
    const o = this.outputScale();
    const layer = this.aligned() ? size((b.x1 - b.x0) * z, (b.y1 - b.y0) * z) : size(g.width * o.px, g.height * o.px);
    Object.assign(this.output.parentElement.style, layer);
    Object.assign(this.output.style, size(g.width * o.px, g.height * o.px), { marginLeft: `${o.x}px`, marginTop: `${o.y}px` });
    this.refreshBoxes();
    // Device pixels the output covers across (kept: checkDetail runs on every frame's load and
    // must not read the layout back).
    this.drawnWidth = g.width * o.px * (window.devicePixelRatio || 1);
    this.checkDetail();
  }

  // A live frame may come halved when drawn at half size or less (api.js convolveLive): once
  // it is drawn larger than that (zoomed in, the tab shown), it needs its pixels back.
  checkDetail() {
    const g = this.geometry;
    const shown = this.output.naturalWidth;
    if (!g || !this.output.complete || !shown || !this.drawnWidth) return;
    if (shown < Math.min(g.width, this.drawnWidth) - 1) this.onDetail();
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
    const b = this.inputBounds();
    const o = this.outputScale();
    const { p, window } = this.marked;
    const side = Math.max(o.px, 8); // an output pixel can be under a screen pixel when zoomed out
    const grow = (side - o.px) / 2;
    Object.assign(this.pixelBox.style, {
      left: `${o.x + p.x * o.px - grow}px`, top: `${o.y + p.y * o.px - grow}px`,
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

  // With the output at its own size its viewport scrolls by itself: bring the pinned pixel in.
  keepPixelInView() {
    const { px } = this.outputScale();
    const { p } = this.marked;
    const view = this.outView;
    const x = p.x * px;
    const y = p.y * px;
    if (x < view.scrollLeft || x > view.scrollLeft + view.clientWidth) view.scrollLeft = x - view.clientWidth / 2;
    if (y < view.scrollTop || y > view.scrollTop + view.clientHeight) view.scrollTop = y - view.clientHeight / 2;
  }
}
