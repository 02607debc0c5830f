// A picture with boxes drawn over it (a kernel's window, a pooling window, a receptive
// field), an optional translucent overlay, and clicks reported in the picture's own pixels.
import { el } from "../dom.js";

// Narrower than this, a picture is drawn larger than it is: with square pixels, not blurred.
export const MAGNIFY_BELOW = 400;

export class BoxedPicture {
  // onPick(x, y): the picture pixel clicked, if given; fill: drawn as wide as its box with
  // square pixels (a 28x28 feature map is too small to see at its own size); placeholder:
  // what the empty frame says until the first picture is drawn (never a broken image).
  constructor(root, { alt = "", onPick = null, fill = false, placeholder = "" } = {}) {
    this.img = el("img", { alt, className: "lesson-img", hidden: true });
    this.overlay = el("img", { alt: "", className: "lesson-overlay", hidden: true });
    this.layer = el("div", { className: "lesson-boxes" });
    this.empty = el("div", { className: "lesson-placeholder" });
    this.empty.setAttribute("data-testid", "lesson-placeholder");
    this.frame = el("div", { className: "lesson-picture" }, [this.empty, this.img, this.overlay, this.layer]);
    this.frame.classList.toggle("fill", fill);
    this.clear(placeholder);
    root.replaceChildren(this.frame);
    this.size = null;
    this.url = null;
    if (onPick) {
      this.frame.classList.add("pickable");
      this.img.addEventListener("click", (e) => {
        const box = this.img.getBoundingClientRect();
        if (!this.size || !box.width) return;
        const x = Math.min(this.size.width - 1, Math.floor((e.clientX - box.left) / box.width * this.size.width));
        const y = Math.min(this.size.height - 1, Math.floor((e.clientY - box.top) / box.height * this.size.height));
        onPick(x, y);
      });
    }
  }

  // A picture by URL or as a blob; resolves once it is drawn (its natural size is known).
  // One that cannot be drawn leaves the frame empty, saying so.
  async show(source) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = source instanceof Blob ? URL.createObjectURL(source) : null;
    this.img.src = this.url || source;
    await this.img.decode().catch(() => {});
    this.size = { width: this.img.naturalWidth, height: this.img.naturalHeight };
    if (!this.size.width) {
      this.clear("No picture");
      return this.size;
    }
    this.img.hidden = false;
    this.empty.hidden = true;
    this.frame.classList.toggle("magnify", this.size.width < MAGNIFY_BELOW);
    return this.size;
  }

  // Back to the empty frame saying `text` (e.g. while the next picture is computed).
  clear(text = "") {
    this.img.hidden = true;
    this.layer.replaceChildren();
    if (this.laid) this.laid.remove();
    this.laid = null;
    this.empty.textContent = text;
    this.empty.hidden = false;
  }

  // Boxes in picture pixels, inclusive ({x0, y0, x1, y1, kind, label}); a box smaller than
  // a few screen pixels is drawn as a small square around its centre, so it can be seen.
  boxes(list) {
    const { width, height } = this.size || { width: 1, height: 1 };
    this.layer.replaceChildren(...list.map((b) => {
      const node = el("div", { className: `lesson-box ${b.kind || ""}`, title: b.label || "" });
      const w = (b.x1 - b.x0 + 1) / width * 100;
      const h = (b.y1 - b.y0 + 1) / height * 100;
      Object.assign(node.style, {
        left: `${(b.x0 + b.x1 + 1) / 2 / width * 100}%`, top: `${(b.y0 + b.y1 + 1) / 2 / height * 100}%`,
        width: `max(10px, ${w}%)`, height: `max(10px, ${h}%)`,
      });
      if (b.testid) node.setAttribute("data-testid", b.testid);
      return node;
    }));
  }

  // A canvas (a heat map) laid over the rectangle `box` of this picture, in its pixels
  // (inclusive); null takes it away.
  layOver(canvas, box = null) {
    if (this.laid) this.laid.remove();
    this.laid = canvas;
    if (!canvas) return;
    const { width, height } = this.size || { width: 1, height: 1 };
    const b = box || { x0: 0, y0: 0, x1: width - 1, y1: height - 1 };
    canvas.classList.add("lesson-laid");
    Object.assign(canvas.style, {
      left: `${b.x0 / width * 100}%`, top: `${b.y0 / height * 100}%`,
      width: `${(b.x1 - b.x0 + 1) / width * 100}%`, height: `${(b.y1 - b.y0 + 1) / height * 100}%`,
    });
    this.frame.insertBefore(canvas, this.layer);
  }

  // A picture of the same extent laid over this one (null removes it).
  async cover(blob, opacity = 0.6) {
    if (this.overlayUrl) URL.revokeObjectURL(this.overlayUrl);
    this.overlayUrl = blob ? URL.createObjectURL(blob) : null;
    this.overlay.hidden = !blob;
    if (!blob) return;
    this.overlay.style.opacity = String(opacity);
    this.overlay.src = this.overlayUrl;
    await this.overlay.decode().catch(() => {});
  }
}
