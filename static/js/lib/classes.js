// What a person types into the Grad-CAM class field, as the API's `class` parameter.
// Pure (no DOM): tested with `node --test`.

// "" -> "top" (the top class); "German shepherd (#235)" (a picked suggestion) or "235" -> "235";
// anything else (a name or a group such as "dog") is sent as typed, lower-cased.
export function parseClass(text) {
  const t = String(text).trim();
  const hash = t.match(/#(\d+)\)?$/);
  if (hash) return hash[1];
  return t === "" ? "top" : t.toLowerCase();
}

// How a caption names the target: "the top class", "class #235" or "\"dog\"".
export function describeTarget(target) {
  if (target === "top") return "the top class";
  return /^\d+$/.test(target) ? `class #${target}` : `"${target}"`;
}
