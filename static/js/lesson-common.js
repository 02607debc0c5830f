// What several lessons' experiments share: the convolution they ask for, links into the
// playground that carry the lesson's settings, the presets, and where a kernel answers most.
import * as api from "./api.js";
import { el } from "./dom.js";
import { state } from "./state.js";
import { stateToHash } from "./lib/hashstate.js";
import { poolWinner } from "./lib/lesson-conv.js";
import { parseNpy } from "./lib/lesson-values.js";

export const testid = (node, id) => { node.setAttribute("data-testid", id); return node; };

// A convolve / inspect body: the playground's defaults, grayscale, `kernel`, then `extra`.
export const convSpec = (kernel, extra = {}) => ({
  kernel, stride: 1, padding: "same", border: "reflect101", dilation: 1, bias: 0,
  channels: "gray", flip: false, relu: false, pool: null, display: "diverging", ...extra,
});

// A link that opens the kernel playground on the current photo with the settings in
// `change` (page state keys: kernel, stride, padding, pool, poolSize...), the rest plain.
export function playgroundLink(text, change) {
  const a = el("a", { className: "button-link", textContent: text });
  a.href = stateToHash({ ...state, tab: "playground", preset: "", channels: "gray", stride: 1, dilation: 1,
    padding: "same", border: "reflect101", bias: 0, relu: false, flip: false, pool: "", display: "diverging", ...change });
  return a;
}

// A link that opens Inside the CNN on the current photo (stage, Grad-CAM class and stage).
export function cnnLink(text, change = {}) {
  const a = el("a", { className: "button-link", textContent: text });
  a.href = stateToHash({ ...state, tab: "cnn", ...change });
  return a;
}

// A "Try this" question's answer behind a button, so the question is tried first: the returned
// block (hidden until `reveal()` says the answer is written) holds the button and `answer`.
export function behindButton(answer, id) {
  const button = testid(el("button", { type: "button", textContent: "Show the answer" }), `${id}-show`);
  answer.id = id;
  answer.hidden = true;
  button.setAttribute("aria-controls", answer.id);
  button.setAttribute("aria-expanded", "false");
  button.addEventListener("click", () => {
    answer.hidden = !answer.hidden;
    button.setAttribute("aria-expanded", String(!answer.hidden));
    button.textContent = answer.hidden ? "Show the answer" : "Hide the answer";
  });
  const block = el("div", { className: "lesson-answer", hidden: true }, [button, answer]);
  return { block, reveal: () => { block.hidden = false; } };
}

let presetCache = null;
export const presets = async () => (presetCache ??= await api.presets());

// The convolution's raw output for photo `id`: {width, height, data}.
export async function convValues(id, body) {
  const { shape, data } = parseNpy(await api.convolveValues(id, body));
  return { height: shape[0], width: shape[1], data };
}

// The pixel where `body`'s convolution (no pooling) answers most on photo `id`, found
// cheaply: the output max-pooled in 8x8 tiles (a small .npy), then the inspector's view of
// the winning tile says which pixel in it won. {x, y} in output pixels.
export async function strongestPixel(id, body) {
  const pool = { kind: "max", size: 8, stride: 8 };
  const tiles = await convValues(id, { ...body, pool });
  const best = tiles.data.reduce((b, v, i) => (v > tiles.data[b] ? i : b), 0);
  const info = await api.inspect(id, { ...body, pool, x: best % tiles.width, y: Math.floor(best / tiles.width) });
  const won = poolWinner(info.pool.values[0], "max");
  return { x: info.pool.window.x0 + won.col, y: info.pool.window.y0 + won.row };
}
