// The receptive field growing from stem to head: the model's 224x224 view once per stage,
// with a box as large as one unit's field at that stage, centred (clipped at the view).
import { el } from "../dom.js";
import { BoxedPicture } from "./lesson-picture.js";

// rows: the stage table's rows ({id, receptive_field, stride}); cropUrl: the 224 view.
export async function drawFieldStrip(root, rows, cropUrl, side = 224) {
  const figures = rows.map((row) => {
    const holder = el("div");
    const rf = row.receptive_field;
    const caption = el("figcaption", { textContent: `${row.id}: ${rf} px${rf > side ? ` (wider than the ${side} px view)` : ""}` });
    const fig = el("figure", { className: "rf-step" }, [holder, caption]);
    fig.setAttribute("data-testid", `rf-step-${row.id}`);
    return { row, holder, fig };
  });
  root.replaceChildren(...figures.map((f) => f.fig));
  await Promise.all(figures.map(async ({ row, holder }) => {
    const picture = new BoxedPicture(holder, { alt: `the field of one ${row.id} unit`, fill: true });
    await picture.show(cropUrl);
    const half = Math.min(row.receptive_field, side) / 2;
    const c = side / 2;
    picture.boxes([{ x0: Math.round(c - half), y0: Math.round(c - half), x1: Math.round(c + half) - 1, y1: Math.round(c + half) - 1,
      kind: row.receptive_field > side ? "field wider" : "field", label: `${row.receptive_field} px` }]);
  }));
}
