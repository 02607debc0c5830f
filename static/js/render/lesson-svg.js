// Building SVG for the lessons' plots (the DOM's createElementNS, with attributes).
const NS = "http://www.w3.org/2000/svg";

export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  node.append(...[].concat(children));
  return node;
}

export const text = (x, y, content, attrs = {}) => svg("text", { x, y, ...attrs }, content);
