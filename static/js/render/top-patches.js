// The top image patches of a channel: one figure per patch, cut from the server's tiled
// picture (one row of equal square tiles, so the tile side is the picture's height).
import { el } from "../dom.js";
import { num } from "../lib/format.js";

export function renderPatches(box, patches, tiles) {
  const side = tiles.naturalHeight;
  const gap = patches.length > 1 ? (tiles.naturalWidth - patches.length * side) / (patches.length - 1) : 0;
  box.replaceChildren(...patches.map((p, i) => {
    const canvas = el("canvas", { width: side, height: side });
    canvas.getContext("2d").drawImage(tiles, i * (side + gap), 0, side, side, 0, 0, side, side);
    const who = p.source === "user" ? "your photo" : p.subject;
    const fig = el("figure", {
      className: `patch ${p.source}`,
      title: `${who}: ${num(p.activation)} at row ${p.unit.row}, column ${p.unit.col}` +
        (p.credit ? ` · ${p.credit}` : ""),
    }, [canvas, el("span", { className: "value", textContent: num(p.activation) }),
      el("span", { textContent: who })]);
    fig.setAttribute("data-testid", `patch-${i}`);
    return fig;
  }));
}
