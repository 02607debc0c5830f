// One class of a Teach project: its name, photo thumbnails, and the ways to add photos.
import { el } from "../dom.js";

// cls: {id, name, count, images}; thumb(imageId) -> URL; on: {addFiles(files), addCurrent(),
// removePhoto(imageId), removeClass()}, each returning a promise the caller guards.
export function classCard(cls, thumb, on) {
  const files = el("input", { type: "file", multiple: true, accept: "image/*", className: "visually-hidden" });
  files.setAttribute("data-testid", `class-files-${cls.name}`);
  files.addEventListener("change", () => on.addFiles([...files.files]));
  const thumbs = cls.images.map((imageId) => {
    const remove = el("button", { type: "button", className: "remove", textContent: "×", title: "remove this photo" });
    remove.addEventListener("click", () => on.removePhoto(imageId));
    return el("span", { className: "thumb" }, [el("img", { src: thumb(imageId), alt: "" }), remove]);
  });
  const addCurrent = el("button", { type: "button", textContent: "+ current photo" });
  addCurrent.setAttribute("data-testid", `class-add-current-${cls.name}`);
  addCurrent.addEventListener("click", () => on.addCurrent());
  const drop = el("label", { className: "button-like", textContent: "+ photos" }, files);
  const removeClass = el("button", { type: "button", className: "link", textContent: "delete class" });
  removeClass.addEventListener("click", () => on.removeClass());
  const card = el("div", { className: "class-card" }, [
    el("div", { className: "class-head" }, [el("strong", { textContent: cls.name }),
      el("span", { className: "hint", textContent: `${cls.count} photo${cls.count === 1 ? "" : "s"}` }), drop, addCurrent, removeClass]),
    el("div", { className: "thumbs" }, thumbs),
  ]);
  card.setAttribute("data-testid", `class-${cls.name}`);
  card.addEventListener("dragover", (e) => { e.preventDefault(); e.stopPropagation(); card.classList.add("over"); });
  card.addEventListener("dragleave", () => card.classList.remove("over"));
  card.addEventListener("drop", (e) => {
    e.preventDefault();
    e.stopPropagation();  // the page-wide drop would replace the current photo instead
    card.classList.remove("over");
    on.addFiles([...e.dataTransfer.files]);
  });
  return card;
}
