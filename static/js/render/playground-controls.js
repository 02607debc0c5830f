// The playground's settings controls, drawn from the state.
import { labels } from "../config.js";
import { finder } from "../dom.js";
import { num } from "../lib/format.js";
import { kernelSum } from "../lib/kernel.js";

const is3d = (k) => Array.isArray(k[0][0]);

// The controls, found once per root: a slider dragged at 60 Hz re-renders them all, and each
// attribute query searched the whole panel again.
const fields = new WeakMap();
function fieldOf(root, name) {
  if (!fields.has(root)) fields.set(root, new Map());
  const known = fields.get(root);
  if (!known.has(name)) known.set(name, root.querySelector(`[data-field="${name}"]`));
  return known.get(name);
}

// The playground's controls showing state `s` (on load, and when something else changed
// it: a link, the CNN tab). The kernel grid draws itself (render/kernel-grid.js).
export function renderControls(root, s, presets) {
  const q = finder(root);
  const field = (name) => fieldOf(root, name);
  const k = is3d(s.kernel) ? s.kernel[0] : s.kernel;
  field("preset").value = presets[s.preset] ? s.preset : "";
  q("preset-note").textContent = presets[s.preset] ? presets[s.preset].description
    : is3d(s.kernel) ? "A kernel with one slice per input channel (R, G, B), summed into one output: this is what a CNN's first layer does." : "";
  const put = (el, v) => { if (document.activeElement !== el || el.type === "range") el.value = v; };
  put(field("rows"), k.length);
  put(field("cols"), k[0].length);
  field("flip").checked = s.flip;
  field("relu").checked = s.relu;
  for (const name of ["stride", "dilation"]) {
    field(name).value = s[name];
    root.querySelector(`[data-out="${name}"]`).textContent = s[name];
  }
  field("padmode").value = typeof s.padding === "number" ? "explicit" : s.padding;
  field("padnum").hidden = typeof s.padding !== "number";
  if (typeof s.padding === "number") put(field("padnum"), s.padding);
  field("border").value = s.border;
  for (const radio of root.querySelectorAll('[data-field="channels"]')) {
    radio.checked = radio.value === s.channels;
    // An R, G, B kernel needs the three colour channels; a preset brings back a 2-D one.
    radio.disabled = radio.value === "gray" && is3d(s.kernel);
    radio.parentElement.title = radio.disabled ? "This kernel has one slice per colour channel: pick a preset to go back to grayscale" : "";
    if (radio.value === "rgb") radio.nextSibling.textContent = is3d(s.kernel) ? " R, G, B summed into one output" : ` ${labels("channels").rgb}`;
  }
  put(field("bias"), s.bias);
  field("pool").value = s.pool;
  put(field("poolsize"), s.poolSize);
  put(field("poolstride"), s.poolStride);
  field("display").value = s.display;
  const sum = kernelSum(s.kernel);
  q("kernel-sum").textContent = Number.isFinite(sum) ? `sum ${num(sum, 4)}` : "sum ?";
}
