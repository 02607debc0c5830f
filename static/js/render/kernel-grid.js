// The kernel as a grid of number inputs (three grids for an R, G, B kernel).
import { num } from "../lib/format.js";
import { isPartialNumber, parseCell } from "../lib/kernel.js";

const tint = (v, peak) => {
  if (!Number.isFinite(v) || !peak) return "";
  const a = Math.min(1, Math.abs(v) / peak) * 0.45;
  return v > 0 ? `rgba(200, 40, 50, ${a})` : v < 0 ? `rgba(40, 90, 200, ${a})` : "";
};

export class KernelGrid {
  // onChange(c, i, j, value) after each keystroke; onSettle() when a cell is left.
  constructor(root, onChange, onSettle = () => {}) {
    this.root = root;
    this.onChange = onChange;
    this.onSettle = onSettle;
  }

  // Draw `kernel` ((rows x cols) or 3 such slices); keeps focus if the shape is unchanged.
  render(kernel) {
    const slices = Array.isArray(kernel[0][0]) ? kernel : [kernel];
    const key = `${slices.length}x${slices[0].length}x${slices[0][0].length}`;
    const peak = Math.max(...slices.flat(2).filter(Number.isFinite).map(Math.abs), 0);
    if (this.key !== key) {
      this.key = key;
      this.root.replaceChildren(...slices.map((slice, c) => this.buildSlice(slice, c, slices.length)));
    }
    this.root.querySelectorAll("input").forEach((input) => {
      const { c, i, j } = input.dataset;
      const v = slices[c][i][j];
      if (document.activeElement !== input) input.value = Number.isFinite(v) ? num(v, 3) : input.value;
      input.title = Number.isFinite(v) ? String(v) : "not a number";
      input.style.background = tint(v, peak);
      this.mark(input, v);
    });
  }

  buildSlice(slice, c, count) {
    const box = document.createElement("div");
    box.className = "kernel-slice";
    if (count === 3) box.append(Object.assign(document.createElement("span"), { className: "slice-label", textContent: "RGB"[c] }));
    const grid = document.createElement("div");
    grid.className = "cells";
    // Up to five columns get roomy cells; wider kernels shrink to fit the controls column.
    const cols = slice[0].length;
    grid.style.gridTemplateColumns = `repeat(${cols}, minmax(0, 1fr))`;
    grid.style.maxWidth = `${cols * 3.9}rem`;
    grid.classList.toggle("dense", cols > 5);
    grid.classList.toggle("tiny", cols > 9);
    slice.forEach((row, i) => row.forEach((_, j) => {
      const input = Object.assign(document.createElement("input"), { type: "text", inputMode: "decimal" });
      Object.assign(input.dataset, { c, i, j });
      input.setAttribute("data-testid", `kernel-cell-${count === 3 ? c + "-" : ""}${i}-${j}`);
      input.setAttribute("aria-label", `kernel ${count === 3 ? "RGB"[c] + " " : ""}row ${i + 1} column ${j + 1}`);
      input.addEventListener("input", () => this.edited(input));
      input.addEventListener("blur", () => { this.mark(input, parseCell(input.value)); this.onSettle(); });
      input.addEventListener("keydown", (e) => this.move(e, input, slice.length, row.length));
      grid.append(input);
    }));
    box.append(grid);
    return box;
  }

  // Red (and aria-invalid) for a cell that is not a number, unless it is the one being typed
  // and still on its way to one ("-" before "-0.5").
  mark(input, v) {
    const bad = !Number.isFinite(v) && !this.typing(input);
    input.classList.toggle("invalid", bad);
    input.setAttribute("aria-invalid", String(bad));
  }

  typing(input) {
    return document.activeElement === input && isPartialNumber(input.value);
  }

  // Whether every cell that is not a number is one being typed (so no error is due yet).
  hasTyping() {
    const cells = [...this.root.querySelectorAll("input")];
    const pending = cells.filter((i) => !Number.isFinite(parseCell(i.value)));
    return pending.length > 0 && pending.every((i) => this.typing(i));
  }

  edited(input) {
    const v = parseCell(input.value);
    this.mark(input, v);
    this.onChange(Number(input.dataset.c), Number(input.dataset.i), Number(input.dataset.j), v);
  }

  move(e, input, rows, cols) {
    const d = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] }[e.key];
    if (!d) return;
    // Left/right move the caret inside a number first; they leave the cell at its edge.
    if (d[1] < 0 && input.selectionStart !== 0) return;
    if (d[1] > 0 && input.selectionEnd !== input.value.length) return;
    const i = Number(input.dataset.i) + d[0];
    const j = Number(input.dataset.j) + d[1];
    if (i < 0 || j < 0 || i >= rows || j >= cols) return;
    const next = this.root.querySelector(`input[data-c="${input.dataset.c}"][data-i="${i}"][data-j="${j}"]`);
    if (next) { e.preventDefault(); next.focus(); next.select(); }
  }
}
