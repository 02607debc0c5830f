// Playground state -> the convolve request body, and the checks the UI makes first.
// Pure (no DOM): tested with `node --test`.

export function isValidKernel(kernel) {
  return Array.isArray(kernel) && kernel.length > 0 &&
    kernel.flat(2).every((v) => typeof v === "number" && Number.isFinite(v));
}

export function specFromState(s) {
  return {
    kernel: s.kernel,
    stride: s.stride,
    padding: s.padding,
    border: s.border,
    dilation: s.dilation,
    bias: s.bias,
    channels: s.channels,
    flip: s.flip,
    relu: s.relu,
    pool: s.pool ? { kind: s.pool, size: s.poolSize, stride: s.poolStride } : null,
    display: s.display,
  };
}

// How many input pixels one output pixel steps over (conv stride x pool stride).
export function outputStep(s) {
  return s.stride * (s.pool ? s.poolStride : 1);
}

// The output pixel under a point (px, py) of the displayed output, or null outside it.
export function pixelAt(px, py, scale, width, height) {
  const x = Math.floor(px / scale);
  const y = Math.floor(py / scale);
  return x >= 0 && y >= 0 && x < width && y < height ? { x, y } : null;
}

// How the output lies over the input, from a convolve summary: `step` input pixels per
// output pixel (stride x pool stride) and where output pixel 0's top-left corner sits
// (offsetX, offsetY, in input pixels) so that each output pixel is centred on the input
// region it was computed from: its conv window, or the pool window of conv windows.
export function outputGeometry(summary) {
  const s = summary.stride;
  const pool = summary.pool;
  const size = pool ? pool.size : 1;
  const step = s * (pool ? pool.stride : 1);
  const offset = (k, padBefore) => ((size - 1) / 2) * s - padBefore + (k - 1) / 2 + 0.5 - step / 2;
  return {
    step,
    offsetX: offset(summary.effective_kernel.width, summary.padding.left),
    offsetY: offset(summary.effective_kernel.height, summary.padding.top),
    width: summary.output.width, height: summary.output.height,
    inWidth: summary.input.width, inHeight: summary.input.height,
  };
}

// The region both viewports show, in input pixels: the input plus wherever the output
// reaches beyond it (padding wider than "same" puts output pixels over the padding).
export function viewBounds(g) {
  return {
    x0: Math.min(0, g.offsetX), y0: Math.min(0, g.offsetY),
    x1: Math.max(g.inWidth, g.offsetX + g.width * g.step), y1: Math.max(g.inHeight, g.offsetY + g.height * g.step),
  };
}
