// A small line chart on a canvas: series, a shaded band (a spread), whiskers (worst and
// best), horizontal reference lines (chance), axes with round ticks and a legend.
import { bandPolygon, extent, linear, log2Scale, niceTicks, points } from "../lib/teach-chart.js";
import { num } from "../lib/format.js";

const INK = "#5a6472";
const GRID = "#e3e7ee";
const PAD = { left: 58, right: 10, bottom: 34 };  // room for the axes' ticks and titles

// spec: {x: {domain?, log2?, ticks?, label, format?}, y: {domain?, floor?, label, format?},
//        series: [{label, color, xs, ys, dash?, dots?}], band?: {color, xs, lo, hi},
//        whiskers?: {color, xs, lo, hi}, lines?: [{y, label, color}]}
export function drawChart(canvas, spec) {
  specs.set(canvas, spec);
  resized.observe(canvas);
  const { width, height } = fit(canvas);
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, width, height);
  ctx.font = "11px system-ui, sans-serif";
  // The legend names the series and the reference lines (on the chart a label would hide
  // the curves it crosses); it wraps, and the plot starts below it.
  const keys = [...spec.series.map((k) => ({ ...k, dash: k.dash || [] })),
    ...(spec.lines || []).map((r) => ({ label: r.label, color: r.color, dash: [4, 4] }))];
  const rows = legendRows(ctx, keys, width - PAD.left - PAD.right - 6);
  const pad = { ...PAD, top: 14 + 14 * rows.length };
  const allX = spec.series.flatMap((s) => s.xs);
  const xDomain = spec.x.domain || extent([allX]);
  const yDomain = spec.y.domain || extent([...spec.series.map((s) => s.ys),
    ...(spec.band ? [spec.band.lo, spec.band.hi] : [])], spec.y.floor ?? null);
  const scaleX = spec.x.log2 ? log2Scale : linear;
  const inset = 8;  // the first and last points (and their bars) stay off the axes
  const sx = scaleX(xDomain[0], xDomain[1], pad.left + inset, width - pad.right - inset);
  const sy = linear(yDomain[0], yDomain[1], height - pad.bottom, pad.top);
  const fx = spec.x.format || ((v) => num(v, 2));
  const fy = spec.y.format || ((v) => num(v, 2));

  ctx.lineWidth = 1;
  ctx.fillStyle = INK;
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of niceTicks(yDomain[0], yDomain[1], 4)) {
    line(ctx, [[pad.left, sy(t)], [width - pad.right, sy(t)]], GRID);
    ctx.fillText(fy(t), pad.left - 4, sy(t));
  }
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of spec.x.ticks || niceTicks(xDomain[0], xDomain[1], 5)) {
    ctx.fillText(fx(t), sx(t), height - pad.bottom + 4);
  }
  line(ctx, [[pad.left, pad.top], [pad.left, height - pad.bottom], [width - pad.right, height - pad.bottom]], "#9aa3b1");
  ctx.fillText(spec.x.label, (pad.left + width - pad.right) / 2, height - 14);
  ctx.save();
  ctx.translate(9, (pad.top + height - pad.bottom) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle";
  ctx.fillText(spec.y.label, 0, 0);
  ctx.restore();

  if (spec.band && spec.band.xs.length) {
    const poly = bandPolygon(spec.band.xs, spec.band.lo, spec.band.hi, sx, sy, yDomain[0], yDomain[1]);
    ctx.fillStyle = spec.band.color;
    ctx.beginPath();
    poly.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
    ctx.closePath();
    ctx.fill();
  }
  if (spec.whiskers) {
    ctx.lineWidth = 1.5;
    spec.whiskers.xs.forEach((x, i) => {
      const [px, lo, hi] = [sx(x), sy(spec.whiskers.lo[i]), sy(spec.whiskers.hi[i])];
      line(ctx, [[px, lo], [px, hi]], spec.whiskers.color);
      for (const y of [lo, hi]) line(ctx, [[px - 4, y], [px + 4, y]], spec.whiskers.color);
    });
  }
  for (const ref of spec.lines || []) {
    line(ctx, [[pad.left, sy(ref.y)], [width - pad.right, sy(ref.y)]], ref.color, [4, 4]);
  }
  for (const s of spec.series) {
    const pts = points(s.xs, s.ys, sx, sy);
    ctx.lineWidth = 2;
    line(ctx, pts, s.color, s.dash || []);
    if (s.dots || pts.length === 1) {
      ctx.fillStyle = s.color;
      for (const [x, y] of pts) { ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill(); }
    }
  }
  legend(ctx, keys, pad.left + 6, width - pad.right);
}

// A chart redraws itself when its shown width changes (a phone turned, a window resized).
const specs = new WeakMap();
const resized = new ResizeObserver((entries) => {
  for (const { target } of entries) {
    const width = Math.round(target.clientWidth * (window.devicePixelRatio || 1));
    if (width && width !== target.width && specs.has(target)) drawChart(target, specs.get(target));
  }
});

// Draw at the size the canvas is shown (its width and height attributes give the largest
// size and the aspect), in device pixels: the 11 px labels stay 11 px on a phone.
function fit(canvas) {
  if (!canvas.dataset.aspect) {
    canvas.dataset.aspect = String(canvas.height / canvas.width);
    Object.assign(canvas.style, { width: "100%", maxWidth: `${canvas.width}px` });
  }
  const width = canvas.clientWidth || canvas.width;
  const height = Math.round(width * Number(canvas.dataset.aspect));
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.getContext("2d").setTransform(dpr, 0, 0, dpr, 0, 0);
  return { width, height };
}

function line(ctx, pts, color, dash = []) {
  if (pts.length < 2) return;
  ctx.strokeStyle = color;
  ctx.setLineDash(dash);
  ctx.beginPath();
  pts.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.stroke();
  ctx.setLineDash([]);
}

// The keys split into rows that fit `room` pixels: [[key, ...], ...].
function legendRows(ctx, keys, room) {
  const rows = [[]];
  let used = 0;
  for (const key of keys) {
    const w = 28 + ctx.measureText(key.label).width;
    if (used + w > room && rows[rows.length - 1].length) { rows.push([]); used = 0; }
    rows[rows.length - 1].push(key);
    used += w;
  }
  return rows;
}

function legend(ctx, keys, left, right) {
  ctx.lineWidth = 2;
  ctx.textAlign = "left";
  ctx.textBaseline = "top";
  legendRows(ctx, keys, right - left).forEach((row, r) => {
    let x = left;
    const y = 4 + 14 * r;
    for (const key of row) {
      line(ctx, [[x, y + 6], [x + 16, y + 6]], key.color, key.dash);
      ctx.fillStyle = INK;
      ctx.fillText(key.label, x + 20, y);
      x += 28 + ctx.measureText(key.label).width;
    }
  });
}
