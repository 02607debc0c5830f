// One class of a Teach project: its name, its photos, the photos on their way (and the
// refused ones with their reasons), and the ways to add photos: files, a folder, the
// current photo, and the camera while "hold to record" is held.
import { el } from "../dom.js";
import { plural } from "../lib/teach-text.js";

const tid = (node, id) => { node.setAttribute("data-testid", id); return node; };

// cls: {id, name, count, images}; thumb(imageId) -> URL; opts: {camera (on), recording};
// on: {addFiles(files), dropped(dataTransfer), addCurrent(), removePhoto(imageId),
// openPhoto(imageId), removeClass(), recordStart(), recordStop(), clearFailed()}.
export function classCard(cls, thumb, on, opts = {}) {
  const picker = (props) => {
    const input = el("input", { type: "file", multiple: true, className: "visually-hidden", ...props });
    input.addEventListener("change", () => { on.addFiles([...input.files]); input.value = ""; });
    return input;
  };
  const files = tid(picker({ accept: "image/*" }), `class-files-${cls.name}`);
  const folder = tid(picker({ webkitdirectory: true }), `class-folder-${cls.name}`);
  const thumbs = cls.images.map((imageId) => {
    const remove = el("button", { type: "button", className: "remove", textContent: "×", title: "remove this photo" });
    remove.setAttribute("aria-label", "remove this photo");
    remove.addEventListener("click", () => on.removePhoto(imageId));
    const open = el("button", { type: "button", className: "open", title: "what training sees of this photo" },
      el("img", { src: thumb(imageId), alt: "" }));
    open.setAttribute("aria-label", "show what training sees of this photo");
    open.addEventListener("click", () => on.openPhoto(imageId));
    return el("span", { className: "thumb" }, [open, remove]);
  });
  const addCurrent = tid(el("button", { type: "button", textContent: "+ current photo" }), `class-add-current-${cls.name}`);
  addCurrent.addEventListener("click", () => on.addCurrent());
  const record = recordButton(cls, on);
  const removeClass = el("button", { type: "button", className: "link", textContent: "delete class" });
  removeClass.addEventListener("click", () => on.removeClass());
  const count = tid(el("span", { className: "hint count" }), `class-count-${cls.name}`);
  const pending = el("span", { className: "frames" });
  const failed = tid(el("div", { className: "file-errors" }), `class-errors-${cls.name}`);
  const card = el("div", { className: "class-card" }, [
    el("div", { className: "class-head" }, [el("strong", { textContent: cls.name }), count,
      el("label", { className: "button-like", textContent: "+ photos" }, files),
      el("label", { className: "button-like", textContent: "+ folder" }, folder),
      addCurrent, record, removeClass]),
    el("div", { className: "thumbs" }, [...thumbs, pending]),
    failed,
  ]);
  card.dataset.classId = cls.id;
  card.dataset.count = String(cls.count);
  tid(card, `class-${cls.name}`);
  setRecording(card, opts);
  failed.addEventListener("click", (e) => { if (e.target.closest("button")) on.clearFailed(); });
  card.addEventListener("dragover", (e) => { e.preventDefault(); e.stopPropagation(); card.classList.add("over"); });
  card.addEventListener("dragleave", () => card.classList.remove("over"));
  card.addEventListener("drop", (e) => {
    e.preventDefault();
    e.stopPropagation();  // the page-wide drop would replace the current photo instead
    card.classList.remove("over");
    on.dropped(e.dataTransfer);
  });
  return card;
}

function recordButton(cls, on) {
  const button = tid(el("button", { type: "button", className: "record" }), `class-record-${cls.name}`);
  button.addEventListener("pointerdown", (e) => {
    if (e.button !== 0 || button.disabled) return;
    button.setPointerCapture(e.pointerId);  // letting go outside the button still stops it
    on.recordStart();
  });
  button.addEventListener("pointerup", () => on.recordStop());
  button.addEventListener("keydown", (e) => {
    if ((e.key === " " || e.key === "Enter") && !e.repeat) { e.preventDefault(); on.recordStart(); }
  });
  button.addEventListener("contextmenu", (e) => e.preventDefault());  // a long press on a phone
  return button;
}

// The record button as the camera and the recorder are now (changed in place: replacing
// the button under a finger that holds it would lose the finger's "let go").
export function setRecording(card, { camera, recording }) {
  const button = card.querySelector(".record");
  const name = card.querySelector("strong").textContent;
  button.disabled = !camera;
  button.textContent = recording ? "● recording…" : "● hold to record";
  button.title = camera ? `hold to take a few photos a second for ${name}` : "turn the camera on first";
  button.setAttribute("aria-pressed", String(recording));
  card.classList.toggle("recording", recording);
}

// The photos of a class on their way to the server, and the refused ones with their
// reasons (kept until cleared). items: [{key, name, url, status, error}].
export function showPending(card, items) {
  const waiting = items.filter((i) => i.status !== "failed");
  const failed = items.filter((i) => i.status === "failed");
  card.querySelector(".frames").replaceChildren(...waiting.map((i) => {
    const frame = el("span", { className: `frame ${i.status}`, title: i.name }, i.url ? el("img", { src: i.url, alt: "" }) : []);
    frame.dataset.status = i.status;
    return frame;
  }));
  const onTheWay = items.filter((i) => i.status === "waiting" || i.status === "uploading").length;
  // Photos the server took since the card was drawn count already.
  const count = Number(card.dataset.count) + items.filter((i) => i.status === "done").length;
  card.querySelector(".count").textContent = plural(count, "photo") + (onTheWay ? `, ${onTheWay} on the way` : "");
  const list = card.querySelector(".file-errors");
  list.replaceChildren(...(failed.length ? [
    el("p", { textContent: `${plural(failed.length, "photo")} not added:` }),
    el("ul", {}, failed.map((i) => el("li", {}, [el("strong", { textContent: i.name }), `: ${i.error}`]))),
    el("button", { type: "button", className: "link", textContent: "clear this list" }),
  ] : []));
}
