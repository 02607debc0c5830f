// Raw values (a convolution's float32 output) drawn on a canvas, one canvas pixel per
// value, on a scale the caller fixes (so two maps can be compared on one scale).
import { valuesToRgba } from "../lib/lesson-colour.js";
import { MAGNIFY_BELOW } from "./lesson-picture.js";

// values: row-major numbers of a height x width map; mode "signed" or "size".
export function drawValues(canvas, values, width, height, mode, limit) {
  canvas.width = width;
  canvas.height = height;
  canvas.getContext("2d").putImageData(new ImageData(valuesToRgba(values, mode, limit), width, height), 0, 0);
  canvas.dataset.limit = String(limit);
  canvas.classList.toggle("magnify", width < MAGNIFY_BELOW);
}

// Where a click on the (scaled) canvas falls, in map pixels.
export function pixelUnder(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return {
    x: Math.min(canvas.width - 1, Math.max(0, Math.floor((event.clientX - box.left) / box.width * canvas.width))),
    y: Math.min(canvas.height - 1, Math.max(0, Math.floor((event.clientY - box.top) / box.height * canvas.height))),
  };
}
