// One feature map on a canvas, with the value under the pointer.
import { mapToRgba, range2d } from "../lib/colormap.js";
import { num } from "../lib/format.js";

// Draw values (h x w numbers) at one canvas pixel per value; CSS scales it up crisply.
export function drawMap(canvas, values, range = range2d(values)) {
  const h = values.length;
  const w = h ? values[0].length : 0;
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d");
  ctx.putImageData(new ImageData(mapToRgba(values, range[0], range[1]), w, h), 0, 0);
  canvas.dataset.range = `${num(range[0])} to ${num(range[1])}`;
}

// Report the value under the pointer through onValue(row, col, value).
export function followPointer(canvas, getValues, onValue) {
  canvas.addEventListener("mousemove", (e) => {
    const values = getValues();
    if (!values || !values.length) return;
    const box = canvas.getBoundingClientRect();
    const col = Math.min(values[0].length - 1, Math.floor((e.clientX - box.left) / box.width * values[0].length));
    const row = Math.min(values.length - 1, Math.floor((e.clientY - box.top) / box.height * values.length));
    onValue(row, col, values[row][col]);
  });
}
