// A few pixels of a picture, magnified, with a grid and the kernel's window outlined: what
// "the window slides over the image" looks like up close.
export function drawZoom(canvas, img, { cx, cy, radius = 5, window = null, cell = 26, gray = true }) {
  const side = 2 * radius + 1;
  canvas.width = side * cell;
  canvas.height = side * cell;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = "#eef0f4";  // outside the picture: no pixels
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const x0 = cx - radius;
  const y0 = cy - radius;
  // Only the part inside the picture is copied; the rest stays the "no pixels" colour.
  const sx = Math.max(0, x0);
  const sy = Math.max(0, y0);
  const sw = Math.min(img.naturalWidth, x0 + side) - sx;
  const sh = Math.min(img.naturalHeight, y0 + side) - sy;
  if (sw > 0 && sh > 0) {
    ctx.filter = gray ? "grayscale(1)" : "none";
    ctx.drawImage(img, sx, sy, sw, sh, (sx - x0) * cell, (sy - y0) * cell, sw * cell, sh * cell);
    ctx.filter = "none";
  }
  ctx.strokeStyle = "rgba(255, 255, 255, .35)";
  ctx.lineWidth = 1;
  for (let k = 1; k < side; k++) {
    ctx.beginPath();
    ctx.moveTo(k * cell + 0.5, 0); ctx.lineTo(k * cell + 0.5, canvas.height);
    ctx.moveTo(0, k * cell + 0.5); ctx.lineTo(canvas.width, k * cell + 0.5);
    ctx.stroke();
  }
  if (window) {
    ctx.strokeStyle = "#ffb300";
    ctx.lineWidth = 4;
    ctx.strokeRect((window.x0 - x0) * cell + 2, (window.y0 - y0) * cell + 2,
      (window.x1 - window.x0 + 1) * cell - 4, (window.y1 - window.y0 + 1) * cell - 4);
  }
}
