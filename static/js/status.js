// The status line: progress and errors a person can act on.
import { ApiError } from "./api.js";

const el = () => document.querySelector('[data-testid="status"]');

export function showStatus(text) {
  const node = el();
  node.textContent = text;
  node.classList.remove("error");
  node.setAttribute("aria-live", "polite");
  delete node.dataset.source;
}

// Show an error and keep it: only a new message, or clearError from the same `source`
// (the part of the page that raised it, once it works again), removes it. Errors are
// announced at once to screen readers; progress messages politely.
export function showError(err, source = "action") {
  const node = el();
  node.setAttribute("aria-live", "assertive");
  node.textContent = err && err.message ? err.message : String(err);
  node.classList.add("error");
  node.dataset.code = (err && err.code) || "";
  node.dataset.source = source;
}

// Clear the line only if it still shows `text` (a progress message nobody replaced).
export function clearStatus(text) {
  if (el().textContent === text) showStatus("");
}

// Clear the line only if it shows an error `source` raised: an edit that works again removes
// its own error, never one another part of the page put there (a refused upload's).
export function clearError(source) {
  const node = el();
  if (node.classList.contains("error") && node.dataset.source === source) showStatus("");
}

// Run an action a person started; if it fails, say why on the status line (and keep it
// there) instead of letting the error vanish into the console. Resolves to null on failure.
export async function guard(task) {
  try {
    return await task();
  } catch (err) {
    showError(err instanceof ApiError ? err : new Error(String(err && err.message ? err.message : err)));
    return null;
  }
}
