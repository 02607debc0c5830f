// Where the current photo comes from: samples, the file picker, drag and drop, paste.
// Owns the current image id, and re-sends the photo when the server has evicted it.
import { ApiError, imageBlob, loadSample, uploadImage } from "./api.js";
import { config } from "./config.js";
import { DEFAULTS, state, update } from "./state.js";
import { showError, showStatus } from "./status.js";

const ACCEPTED = config.accepted_types;
let lastUpload = null; // the user's own file, kept so an evicted id can be re-uploaded
let current = null;    // {id, width, height}

export function currentImage() {
  return current;
}

async function ingest() {
  if (lastUpload && !state.sample) return uploadImage(lastUpload.blob, lastUpload.name);
  return loadSample(state.sample || DEFAULTS.sample);
}

async function useRecord(record, change) {
  current = record;
  update({ ...change, image: record.id });
}

export async function chooseSample(sampleId) {
  showStatus("Loading the sample...");
  try {
    const record = await loadSample(sampleId);
    lastUpload = null;
    await useRecord(record, { sample: sampleId });
    showStatus("");
  } catch (err) {
    showError(err, "upload");
  }
}

export async function chooseFile(file) {
  if (!file) return;
  if (file.type && !ACCEPTED.includes(file.type)) {
    showError(new ApiError(415, "unsupported_image_type",
      `${file.name || "This file"} is not a JPEG, PNG, WebP, BMP or GIF image.`), "upload");
    return;
  }
  showStatus(`Uploading ${file.name || "the photo"}...`);
  // The photo shows at once, from the browser's own copy, while it uploads.
  preview(URL.createObjectURL(file));
  try {
    const record = await uploadImage(file, file.name || "pasted.png");
    lastUpload = { blob: file, name: file.name || "pasted.png" };
    await useRecord(record, { sample: "" });
    showStatus("");
  } catch (err) {
    preview(null); // refused: back to the photo the server has
    showError(err, "upload");
  }
}

// Tell the views a photo is on its way (a local URL), or that it will not come (null).
function preview(url) {
  document.dispatchEvent(new CustomEvent("convlens:preview", { detail: url }));
}

// Run fn(imageId); if the server no longer has the image, send it again once and retry.
export async function withImage(fn) {
  // A link typed into the address bar may name another (or a vanished) image.
  if (!current || current.id !== state.image) await restore();
  try {
    return await fn(current.id);
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== "image_not_found") throw err;
    current = await ingest();
    update({ image: current.id });
    return fn(current.id);
  }
}

// Whether the server still holds the image with this id (it answers 404 image_not_found if not).
// The response is immutable-cached, so the <img> showing it costs nothing more.
async function stillStored(id) {
  try {
    await imageBlob(id);
    return true;
  } catch (err) {
    if (err instanceof ApiError && (err.code === "image_not_found" || err.status === 404 || err.status === 422)) return false;
    throw err;
  }
}

// On page load: the id in the URL if the server still has it, else the sample, else the dog.
export async function restore() {
  const named = state.image;
  if (named && await stillStored(named)) {
    current = { id: named };
    return current;
  }
  try {
    current = await ingest();
  } catch (err) {
    if (!state.sample) throw err;
    current = await loadSample(DEFAULTS.sample);
  }
  update({ image: current.id });
  // Ids are content hashes: a sample sent again keeps its id, so a different id means the
  // link named a photo (someone's upload) that the server has since dropped.
  if (named && current.id !== named && !lastUpload) {
    showStatus("The photo this link names is no longer on the server (uploads are kept for a while, not for ever), " +
      "so a built-in sample is shown instead; upload the photo again to go on.");
  }
  return current;
}

export function installSourceControls(root) {
  root.querySelector('[data-testid="file-input"]').addEventListener("change", (e) => {
    chooseFile(e.target.files[0]);
    e.target.value = "";
  });
  for (const button of root.querySelectorAll("[data-sample]")) {
    button.addEventListener("click", () => chooseSample(button.dataset.sample));
  }
  const overlay = root.querySelector('[data-testid="drop-overlay"]');
  document.addEventListener("dragover", (e) => {
    if ([...e.dataTransfer.types].includes("Files")) {
      e.preventDefault();
      overlay.hidden = false;
    }
  });
  document.addEventListener("dragleave", (e) => {
    if (!e.relatedTarget) overlay.hidden = true;
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    overlay.hidden = true;
    chooseFile(e.dataTransfer.files[0]);
  });
  document.addEventListener("paste", (e) => {
    const item = [...e.clipboardData.items].find((i) => i.kind === "file" && i.type.startsWith("image/"));
    if (item) chooseFile(item.getAsFile());
  });
}
