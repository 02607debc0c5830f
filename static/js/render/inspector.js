// One output pixel explained: patch x kernel, element by element, summed.
import { num } from "../lib/format.js";

// Small weights (a Gaussian's 0.004) keep three decimals; pixel values and products two.
function table(title, grid, className = "", digits = 2) {
  const t = document.createElement("table");
  t.className = `numbers ${className}`;
  t.append(Object.assign(document.createElement("caption"), { textContent: title }));
  for (const row of grid) {
    const tr = t.insertRow();
    for (const v of row) {
      const td = tr.insertCell();
      td.textContent = num(v, digits);
      td.title = String(v);
    }
  }
  return t;
}

const line = (text, testid) => {
  const p = Object.assign(document.createElement("p"), { className: "equation", textContent: text });
  if (testid) p.setAttribute("data-testid", testid);
  return p;
};

export function renderInspector(root, info, pinned) {
  const parts = [];
  const where = info.pool
    ? `Output pixel (${info.x}, ${info.y}) pools conv pixels ${info.pool.window.x0}-${info.pool.window.x1} × ${info.pool.window.y0}-${info.pool.window.y1}; explained: conv pixel (${info.conv_x}, ${info.conv_y}).`
    : `Output pixel (${info.x}, ${info.y}) ${pinned ? "(pinned: click another to move)" : ""}`;
  parts.push(line(where, "inspector-where"));
  parts.push(line(`Input window: columns ${info.window.x0} to ${info.window.x1}, rows ${info.window.y0} to ${info.window.y1}` +
    (info.dilation > 1 ? `, taps ${info.dilation} pixels apart (dilation ${info.dilation})` : "") +
    (info.window.x0 < 0 || info.window.y0 < 0 ? " (negative positions are padding)" : "")));
  const big = info.kernel[0].length * info.kernel[0][0].length > 49;
  info.channels.forEach((name, c) => {
    const box = document.createElement("div");
    box.className = "dot";
    box.append(Object.assign(document.createElement("h4"), { textContent: name === "gray" ? "Grayscale input" : `Channel ${name}` }));
    if (big) {
      box.append(line("(kernel larger than 7×7: tables omitted)"));
    } else {
      const row = document.createElement("div");
      row.className = "dot-row";
      row.append(table("patch", info.patch[c]), Object.assign(document.createElement("span"), { className: "op", textContent: "×" }),
        table(info.flip ? "kernel (flipped)" : "kernel", info.kernel[c], "kernel", 4), Object.assign(document.createElement("span"), { className: "op", textContent: "=" }),
        table("products", info.products[c], "products"));
      box.append(row);
    }
    if (info.mode === "per_channel" || info.mode === "gray") {
      box.append(equation(info, c));
    }
    parts.push(box);
  });
  if (info.mode === "summed") {
    parts.push(line(`The three channels' products are summed into one output, as in a CNN layer.`));
    parts.push(equation(info, 0));
  }
  if (info.pool) {
    const p = info.pool;
    const row = document.createElement("div");
    row.className = "dot-row pool-row";
    row.append(...p.values.map((grid, o) => table(`${p.kind} pool window${p.values.length > 1 ? " " + "RGB"[o] : ""}`, grid)));
    parts.push(Object.assign(document.createElement("h4"), { textContent: `Then ${p.kind === "max" ? "max" : "average"} pooling (${p.size}×${p.size}, stride ${p.stride}) over conv outputs` }), row);
    parts.push(line(`${p.kind === "max" ? "max" : "mean"} of the window = ${p.result.map((v) => num(v, 3)).join(", ")}`, "inspector-pool"));
  }
  root.replaceChildren(...parts);
}

function equation(info, o) {
  const relu = info.relu ? ` → ReLU → ${num(info.relu_value[o], 4)}` : "";
  return line(`sum of products ${num(info.sum[o], 4)} + bias ${num(info.bias, 4)} = ${num(info.value[o], 4)}${relu}`, `inspector-sum-${o}`);
}
