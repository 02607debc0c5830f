// The training loss per epoch, with its two scales, on a canvas.
import { num } from "../lib/format.js";

export function drawLoss(canvas, losses) {
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length < 2) return;
  const hi = Math.max(...losses);
  const left = 40;  // room for the loss scale
  const bottom = canvas.height - 18;  // and for the epoch scale
  ctx.strokeStyle = "#9aa3b1";
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.moveTo(left, 4);
  ctx.lineTo(left, bottom);
  ctx.lineTo(canvas.width - 4, bottom);
  ctx.stroke();
  ctx.fillStyle = "#5a6472";
  ctx.font = "11px sans-serif";
  ctx.textAlign = "right";
  ctx.fillText(num(hi, 2), left - 4, 12);
  ctx.fillText("0", left - 4, bottom);
  ctx.textAlign = "left";
  ctx.fillText("epoch 1", left, canvas.height - 4);
  ctx.textAlign = "right";
  ctx.fillText(String(losses.length), canvas.width - 4, canvas.height - 4);
  ctx.strokeStyle = "#3b6fd8";
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((l, i) => {
    const x = left + (i / (losses.length - 1)) * (canvas.width - 4 - left);
    const y = bottom - (l / hi) * (bottom - 6);
    if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
  });
  ctx.stroke();
}
