// Small DOM helpers every page module shares.

// The element a test (and the code) finds by its data-testid, inside root.
export function byTestId(root, id) {
  return root.querySelector(`[data-testid="${id}"]`);
}

// A finder bound to one root: const q = finder(panel); q("atlas").
export const finder = (root) => (id) => byTestId(root, id);

// A new element with properties and children: el("li", { className: "x" }, [child, "text"]).
export function el(tag, props = {}, children = []) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...[].concat(children));
  return node;
}

// Save a blob as a file the browser downloads.
export function download(blob, filename) {
  const a = el("a", { href: URL.createObjectURL(blob), download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// Put text on the clipboard; false when the browser will not (plain http on another host,
// no permission), so the caller can show it to copy by hand.
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch { /* fall back to a selected text area */ }
  const area = el("textarea", { value: text, readOnly: true });
  Object.assign(area.style, { position: "fixed", opacity: "0" });
  document.body.append(area);
  area.select();
  const copied = Boolean(document.execCommand && document.execCommand("copy"));
  area.remove();
  return copied;
}
