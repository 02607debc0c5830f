// The status line: progress and errors a person can act on.
import { ApiError } from "./api.js";

const el = () => document.querySelector('[data-testid="status"]');

export function showStatus(text) {
  const node = el();
  node.textContent = text;
  node.classList.remove("error");
}

export function showError(err) {
  const node = el();
  node.textContent = err && err.message ? err.message : String(err);
  node.classList.add("error");
  node.dataset.code = (err && err.code) || "";
}

// Clear the line only if it still shows `text` (a progress message nobody replaced).
export function clearStatus(text) {
  if (el().textContent === text) showStatus("");
}

// Clear the line only if it shows an error: an edit that works again removes its own
// error, but never a message another part of the page has just put there.
export function clearError() {
  const node = el();
  if (node.classList.contains("error")) showStatus("");
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
