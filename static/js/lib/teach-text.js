// What the Teach tab says, computed from numbers: camera problems, frame sizes, which
// files are photos, what a probability does and does not mean. Pure (no DOM): tested
// with `node --test`.

export const plural = (n, word, many = `${word}s`) => `${n} ${n === 1 ? word : many}`;

// Why the camera cannot start, in words a person can act on. `error` is what getUserMedia
// threw (a DOMException: branch on its name), or null when the browser has no camera API;
// `secure`: window.isSecureContext (browsers offer cameras only to https and localhost).
export function cameraProblem(error, { secure = true } = {}) {
  if (!secure) {
    return "The camera needs a secure page: open ConvLens over https or at localhost. " +
      "Photos from files and the samples work without it.";
  }
  if (!error) {
    return "This browser offers no camera to web pages. Add photos from files or the samples instead.";
  }
  switch (error.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "The camera was refused: allow it for this site (the camera icon in the address bar) " +
        "and press the button again. Without it, add photos from files or the samples.";
    case "NotFoundError":
    case "OverconstrainedError":
      return "No camera was found on this device. Add photos from files or the samples instead.";
    case "NotReadableError":
    case "AbortError":
      return "The camera is busy or could not start (another program may be using it); close that " +
        "program and press the button again.";
    default:
      return `The camera could not start (${error.name || "unknown error"}). Add photos from files or the samples instead.`;
  }
}

// The size to grab a camera frame at: the shorter side `short` (the network resizes photos
// to a shorter side of 256 anyway), never larger than the camera gives.
export function frameSize(width, height, short = 256) {
  const scale = Math.min(1, short / Math.min(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

// Whether a dropped or chosen file may be a photo. An empty type (some folders' files)
// is given a chance: the server decides from the bytes.
export function mayBePhoto(file) {
  if (file.type) return file.type.startsWith("image/");
  return !String(file.name || "").startsWith(".");  // .DS_Store and friends
}

// One sentence on what the top probability does and does not mean; `calibration` is the
// run's expected calibration error on held-out photos (0..1) when it reports one;
// `familiar` whether the photo looks like the training photos (null: not known).
export function confidenceMeaning(prob, calibration = null, familiar = null) {
  const shown = prob >= 0.995 ? "100%" : `${Math.round(prob * 100)}%`;
  const points = calibration === null || calibration === undefined ? null : Math.round(calibration * 100);
  const measured = points === null ? ""
    : ` On held-out photos its stated confidence was off by ${points ? plural(points, "point") : "less than 1 point"} on average.`;
  const here = familiar === false
    ? " Here the photo looks like none of your training photos, so this number says nothing about what it shows." : "";
  return `${shown} means the classifier prefers this class over your other classes by that much; ` +
    "it does not mean the photo surely shows it: it must pick one of your classes even for a photo of " +
    `something else.${here}${measured}`;
}

// 175682 -> "175,682": parameter counts are read digit by digit.
export const grouped = (n) => Math.round(n).toLocaleString("en-US");

// Each layer's share of a network's parameters: [{name, kind, parameters, share}] for the
// layers that have any. layers: the scratch result's rows ({name, kind, parameters}).
export function parameterShares(layers) {
  const total = layers.reduce((sum, l) => sum + l.parameters, 0);
  return layers.filter((l) => l.parameters > 0)
    .map((l) => ({ name: l.name, kind: l.kind, parameters: l.parameters, share: total ? l.parameters / total : 0 }));
}

// Where a small CNN's parameters sit, in one sentence: the dense layer against the shared
// filters. layers: rows with {name, kind, output_shape, parameters}, the dense one last.
export function whereParametersSit(layers) {
  const shares = parameterShares(layers);
  const dense = shares.find((s) => s.name.startsWith("dense"));
  const convs = shares.filter((s) => s.name.startsWith("conv"));
  if (!dense || !convs.length) return "";
  const total = shares.reduce((sum, s) => sum + s.parameters, 0);
  const flat = layers.find((l) => l.name.startsWith("flatten"));
  const convParams = convs.reduce((sum, s) => sum + s.parameters, 0);
  const inputs = flat ? ` each of the ${grouped(flat.output_shape[0])} values it receives has its own weight for every class,` : "";
  return `The dense layer holds ${sharePct(dense.share)} of the network's ${grouped(total)} parameters:${inputs} ` +
    `while the convolution${convs.length > 1 ? "s" : ""} need${convs.length > 1 ? "" : "s"} only ${grouped(convParams)}, ` +
    "because each filter is one small set of weights reused at every position of the photo.";
}

// A share as a percentage with as many digits as it takes not to round to 0% or 100%.
export function sharePct(share) {
  for (const digits of [0, 1, 2]) {
    const text = (share * 100).toFixed(digits);
    if ((share <= 0 || Number(text) > 0) && (share >= 1 || Number(text) < 100)) return `${text}%`;
  }
  return `${(share * 100).toFixed(3)}%`;
}
