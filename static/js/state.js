// One state object for the page, mirrored to location.hash so a link reproduces the view.
import { CHOICES, config } from "./config.js";
import { hashToState, stateToHash } from "./lib/hashstate.js";

export const DEFAULTS = Object.freeze({
  tab: "playground",
  // The first view: Sobel x on the macaw, where a newcomer sees edges at once. Measured
  // (edge strength on the photo's outlines over the rest): 9.0 here, 1.5 on the dog, whose
  // grass texture drowns its outline at any 3x3 kernel (README, "The first view").
  sample: "bird_scarlet_macaw",
  image: "",
  preset: "sobel_x",
  kernel: [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]],
  stride: 1,
  dilation: 1,
  padding: "same",
  border: "reflect101",
  channels: "gray",
  bias: 0,
  flip: false,
  relu: false,
  pool: "",
  poolSize: 2,
  poolStride: 2,
  display: "diverging",
  zoom: 0,          // 0 means "fit to the viewport"
  outSize: "true",  // the output at its true size ("true"), or stretched over the input ("aligned")
  stage: "stage3",  // the feature maps shown first: mid-level, still readable
  cls: "",          // the Grad-CAM class as typed ("" is the top class)
  camStage: config.cam_stage,
  project: "",      // transfer-learning project id (lives in server memory)
  lesson: "",       // the lesson open in the Lessons tab ("" shows the list)
  big: false,       // large type in the lessons, for a projector
});

const listeners = new Set();
export const state = hashToState(location.hash, DEFAULTS, CHOICES);
// Whether the opening link spelled out a kernel (a hand-written link may name only a preset).
export const linkHadKernel = new URLSearchParams(location.hash.slice(1)).has("k");

// The link carries the last kernel whose cells were all numbers: a cell being typed
// ("-", "abc") would otherwise write NaN into it, and that link reloads a default kernel.
let linkKernel = state.kernel;
function currentHash() {
  if (state.kernel.flat(2).every(Number.isFinite)) linkKernel = state.kernel;
  return stateToHash({ ...state, kernel: linkKernel });
}

export function subscribe(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Merge a change, mirror it to the URL (without a history entry per keystroke), notify.
export function update(change) {
  const changed = Object.keys(change).filter((k) => JSON.stringify(state[k]) !== JSON.stringify(change[k]));
  if (!changed.length) return;
  Object.assign(state, change);
  history.replaceState(null, "", currentHash());
  for (const fn of listeners) fn(state, new Set(changed));
}

// A hash typed or pasted into the address bar of an open page: keys it names change,
// the rest stay as they are (update() then writes the full hash back).
if (typeof window !== "undefined") {
  window.addEventListener("hashchange", () => update(hashToState(location.hash, state, CHOICES)));
}

export function shareUrl() {
  return location.origin + location.pathname + currentHash();
}
