// The playground state <-> URL hash, so a copied link reproduces the exact view.
// Pure (no DOM): tested with `node --test`.
import { kernelFromText, kernelToText } from "./kernel.js";

const NUMBER_KEYS = ["stride", "dilation", "bias", "poolSize", "poolStride", "zoom"];
const TEXT_KEYS = ["tab", "sample", "image", "preset", "border", "channels", "pool", "display", "stage", "cls", "camStage", "project", "outSize", "lesson"];
const BOOL_KEYS = ["flip", "relu", "big"];

export function stateToHash(state) {
  const p = new URLSearchParams();
  for (const k of TEXT_KEYS) if (state[k]) p.set(k, state[k]);
  for (const k of NUMBER_KEYS) if (state[k] !== undefined && state[k] !== null) p.set(k, String(state[k]));
  for (const k of BOOL_KEYS) if (state[k]) p.set(k, "1");
  if (state.kernel) p.set("k", kernelToText(state.kernel));
  if (state.padding !== undefined) p.set("padding", String(state.padding));
  return "#" + p.toString();
}

// `choices`: keys with a fixed set of values ({border: [...], ...}); anything else in a
// hand-edited link keeps the default.
export function hashToState(hash, defaults, choices = {}) {
  const p = new URLSearchParams(String(hash).replace(/^#/, ""));
  const out = { ...defaults };
  for (const k of TEXT_KEYS) {
    if (p.has(k) && (!choices[k] || choices[k].includes(p.get(k)))) out[k] = p.get(k);
  }
  for (const k of NUMBER_KEYS) {
    if (p.has(k) && Number.isFinite(Number(p.get(k)))) out[k] = Number(p.get(k));
  }
  for (const k of BOOL_KEYS) if (p.has(k)) out[k] = p.get(k) === "1";
  // A teacher's link names only the lesson (/#lesson=translation): it opens the Lessons tab.
  if (p.has("lesson") && p.get("lesson") && !p.has("tab")) out.tab = "lessons";
  if (p.has("k")) {
    const kernel = kernelFromText(p.get("k"));
    if (kernel) out.kernel = kernel;
  }
  if (p.has("padding")) {
    const v = p.get("padding");
    out.padding = v === "same" || v === "valid" ? v : Number.isInteger(Number(v)) ? Number(v) : defaults.padding;
  }
  return out;
}
