// The status line: progress and errors a person can act on.

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
