// Pure front-end helpers, run with `node --test tests/js/`.
import test from "node:test";
import assert from "node:assert/strict";

import { isPartialNumber, kernelFromText, kernelSum, kernelToText, normalise, parseCell, resizeKernel, transpose } from "../../static/js/lib/kernel.js";
import { hashToState, stateToHash } from "../../static/js/lib/hashstate.js";
import { latestOnly, newestWins } from "../../static/js/lib/latest.js";
import { isValidKernel, outputGeometry, outputStep, pixelAt, specFromState, viewBounds } from "../../static/js/lib/spec.js";
import { range2d, viridis } from "../../static/js/lib/colormap.js";
import { num, pct } from "../../static/js/lib/format.js";
import { describeTarget, parseClass } from "../../static/js/lib/classes.js";
import { count, sharingLesson } from "../../static/js/lib/sharing.js";

test("kernel text round-trips 2-D and 3-D kernels", () => {
  const k2 = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
  assert.equal(kernelToText(k2), "-1,0,1;-2,0,2;-1,0,1");
  assert.deepEqual(kernelFromText(kernelToText(k2)), k2);
  const k3 = [k2, transpose(k2), [[0.5, 0, 0], [0, 0, 0], [0, 0, -0.25]]];
  assert.deepEqual(kernelFromText(kernelToText(k3)), k3);
  assert.equal(kernelFromText("1,2;3"), null);
  assert.equal(kernelFromText("1,x"), null);
  assert.equal(kernelFromText("1|2"), null);  // two slices: neither 2-D nor RGB
});

test("kernel arithmetic", () => {
  assert.equal(kernelSum([[1, 2], [3, 4]]), 10);
  assert.deepEqual(resizeKernel([[1, 2], [3, 4]], 3, 1), [[0], [1], [3]]);
  const sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
  const big = resizeKernel(sobel, 15, 15);
  assert.equal(big[7][8], 2);  // the centre stays the centre
  assert.deepEqual(resizeKernel(big, 3, 3), sobel);
  const four = resizeKernel(sobel, 4, 4);
  assert.deepEqual(resizeKernel(four, 3, 3), sobel);   // one step back undoes it
  assert.deepEqual(resizeKernel(four, 5, 5), resizeKernel(sobel, 5, 5));  // 3 -> 4 -> 5 is centred
  assert.deepEqual(resizeKernel(resizeKernel(sobel, 5, 5), 4, 4).flat().filter((v) => v === 2).length, 1);
  assert.deepEqual(transpose([[1, 2, 3]]), [[1], [2], [3]]);
  assert.deepEqual(normalise([[1, 1], [1, 1]]), [[0.25, 0.25], [0.25, 0.25]]);
  assert.deepEqual(normalise([[1, -1]]), [[1, -1]]);  // sum 0: unchanged
});

test("state survives the URL hash", () => {
  const defaults = { tab: "playground", kernel: [[1]], stride: 1, padding: "same", relu: false, sample: "" };
  const s = { ...defaults, kernel: [[0, 1], [2, 3]], stride: 3, padding: 2, relu: true, sample: "dog" };
  assert.deepEqual(hashToState(stateToHash(s), defaults), s);
  assert.deepEqual(hashToState("#stride=abc&k=1,%3B", defaults), defaults);  // junk is ignored
});

test("latestOnly sends only the newest request after the one in flight", async () => {
  const seen = [];
  let release;
  const task = latestOnly(async (x) => {
    seen.push(x);
    if (x === 1) await new Promise((r) => { release = r; });
    return x * 10;
  });
  const first = task(1);
  const second = task(2);
  const third = task(3);
  release();
  assert.equal(await first, 10);
  assert.equal(await second, undefined);  // superseded, never sent
  assert.equal(await third, 30);
  assert.deepEqual(seen, [1, 3]);
});

test("request body and geometry helpers", () => {
  const s = { kernel: [[1]], stride: 2, padding: "valid", border: "zero", dilation: 1, bias: 0,
    channels: "gray", flip: false, relu: true, pool: "max", poolSize: 2, poolStride: 3, display: "abs" };
  assert.deepEqual(specFromState(s).pool, { kind: "max", size: 2, stride: 3 });
  assert.equal(specFromState({ ...s, pool: "" }).pool, null);
  assert.equal(outputStep(s), 6);
  assert.equal(isValidKernel([[1, NaN]]), false);
  assert.equal(isValidKernel([[[1]], [[2]], [[3]]]), true);
  assert.deepEqual(pixelAt(25, 9, 10, 3, 3), { x: 2, y: 0 });
  assert.equal(pixelAt(31, 0, 10, 3, 3), null);
});

test("colormap and formatting", () => {
  assert.deepEqual(viridis(0), [68, 1, 84]);
  assert.deepEqual(viridis(1), [253, 231, 37]);
  assert.deepEqual(viridis(NaN), [68, 1, 84]);
  assert.deepEqual(range2d([[3, -1], [2, 5]]), [-1, 5]);
  assert.equal(num(0.1234567), "0.123");
  assert.equal(num(123456), "123456");
  assert.equal(num(1.5e-5), "1.50e-5");
  assert.equal(pct(0.974), "97.4%");
  assert.equal(pct(0.9996), "100%");
  assert.equal(pct(0.0004), "<0.1%");
  assert.equal(pct(0.0007), "0.1%");
  assert.equal(pct(0), "0%");
});

test("kernel cells take decimals and fractions, nothing else", () => {
  for (const [text, v] of [["1", 1], [" -2 ", -2], [".5", 0.5], ["1e-3", 0.001], ["1/9", 1 / 9],
    ["-2 / 16", -0.125], ["1/-4", -0.25], ["+3", 3]]) assert.equal(parseCell(text), v, text);
  for (const text of ["", "-", "0x10", "Infinity", "1/0", "abc", "1//2", "1/2/3", "1,5", "e5"]) {
    assert.ok(Number.isNaN(parseCell(text)), text);
  }
});

test("an RGB kernel survives the URL hash", () => {
  const defaults = { kernel: [[1]], channels: "gray", padding: "same" };
  const k3 = [[[0.5, -1]], [[0, 2]], [[-0.125, 3]]];
  const back = hashToState(stateToHash({ ...defaults, kernel: k3, channels: "rgb" }), defaults);
  assert.deepEqual(back.kernel, k3);
  assert.equal(back.channels, "rgb");
  assert.ok(stateToHash({ ...defaults, kernel: k3 }).includes("%7C"));  // slices split by "|"
});

test("a typed hash changes only the keys it names", () => {
  const current = { stride: 3, kernel: [[2]], relu: true, padding: 4 };
  assert.deepEqual(hashToState("#stride=2", current), { ...current, stride: 2 });
});

test("output geometry centres each output pixel on the input it came from", () => {
  const summary = (k, pad, stride, pool = null) => ({
    stride, pool, effective_kernel: { width: k, height: k },
    padding: { left: pad, top: pad }, output: { width: 10, height: 5 }, input: { width: 20, height: 10 },
  });
  // 'same' 3x3 at stride 1: the output lies exactly on the input.
  assert.deepEqual(outputGeometry(summary(3, 1, 1)), { step: 1, offsetX: 0, offsetY: 0, width: 10, height: 5, inWidth: 20, inHeight: 10 });
  // 'valid' 3x3: output pixel 0 is input pixel 1.
  assert.equal(outputGeometry(summary(3, 0, 1)).offsetX, 1);
  // stride 2, valid 3x3: pixel 0 covers input [0.5, 2.5], centred on input pixel 1.
  assert.equal(outputGeometry(summary(3, 0, 2)).offsetX, 0.5);
  // 1x1 kernel, 3-wide pool at stride 2: window conv 0..2, centred on input pixel 1.
  const g = outputGeometry(summary(1, 0, 1, { size: 3, stride: 2 }));
  assert.equal(g.step, 2);
  assert.equal(g.offsetX, 0.5);
  // conv stride 2 then pool 2/2: each output pixel covers 4 input pixels from -0.5 ('same' 3x3, pad 1).
  const h = outputGeometry(summary(3, 1, 2, { size: 2, stride: 2 }));
  assert.equal(h.step, 4);
  assert.equal(h.offsetX, -0.5);
});

test("the view covers the input and any output over the padding", () => {
  const g = (offsetX, width, step = 1) => ({ offsetX, offsetY: 0, width, height: Math.floor(5 / step), step, inWidth: 6, inHeight: 5 });
  // 'same': the output lies on the input.
  assert.deepEqual(viewBounds(g(0, 6)), { x0: 0, y0: 0, x1: 6, y1: 5 });
  // 3x3 kernel, explicit padding 3: 10 output columns from input column -2.
  assert.deepEqual(viewBounds(g(-2, 10)), { x0: -2, y0: 0, x1: 8, y1: 5 });
  // 'valid' at stride 2: the output sits inside the input.
  assert.deepEqual(viewBounds(g(0.5, 2, 2)), { x0: 0, y0: 0, x1: 6, y1: 5 });
});

test("normalise divides an R, G, B kernel by its total", () => {
  assert.deepEqual(normalise([[[1, 1]], [[1, 0]], [[0, 1]]]), [[[0.25, 0.25]], [[0.25, 0]], [[0, 0.25]]]);
});

test("latestOnly passes a queued call's failure to its caller", async () => {
  let release;
  const task = latestOnly(async (x) => {
    if (x === 1) await new Promise((r) => { release = r; });
    if (x === 2) throw new Error("bad request");
    return x;
  });
  const first = task(1);
  const second = task(2);
  release();
  assert.equal(await first, 1);
  await assert.rejects(second, /bad request/);
});

test("a hand-edited link with an unknown choice keeps the default", () => {
  const defaults = { tab: "playground", border: "reflect101", display: "diverging", pool: "", stride: 1 };
  // As the page's config gives them (app/playground/options.py and the tab buttons).
  const choices = { tab: ["playground", "cnn", "teach"], border: ["zero", "replicate", "reflect", "reflect101"],
    pool: ["", "max", "avg"], display: ["clip", "abs", "minmax", "diverging"] };
  assert.deepEqual(hashToState("#tab=nope&border=wrap&display=rainbow&pool=min", defaults, choices), defaults);
  assert.equal(hashToState("#pool=avg&tab=cnn", defaults, choices).pool, "avg");
  assert.equal(hashToState("#pool=avg&tab=cnn", defaults, choices).tab, "cnn");
});

test("the Grad-CAM class field becomes the API's class parameter", () => {
  assert.equal(parseClass(""), "top");
  assert.equal(parseClass("   "), "top");
  assert.equal(parseClass("German shepherd (#235)"), "235");
  assert.equal(parseClass("235"), "235");
  assert.equal(parseClass("  Dog "), "dog");
  assert.equal(parseClass("tabby, tabby cat (#281)"), "281");
  assert.equal(describeTarget("top"), "the top class");
  assert.equal(describeTarget("235"), "class #235");
  assert.equal(describeTarget("dog"), '"dog"');
});

test("the sharing lesson counts a dense layer's weights against the stage's", () => {
  assert.equal(count(999), "999");
  assert.equal(count(13_900), "13.9 k");
  assert.equal(count(60_400_000_000), "60.4 G");
  // A 3x3 conv from 3 to 32 channels on 224x224 -> 112x112 (the stem, 864 weights + BN).
  const stem = { id: "stem", in_shape: [3, 224, 224], out_shape: [32, 112, 112], params: 928,
    dense_params: 3 * 224 * 224 * 32 * 112 * 112 + 32 * 112 * 112 };
  const text = sharingLesson(stem);
  assert.match(text, /3 × 224 × 224 in, 32 × 112 × 112 out/);
  assert.match(text, /would need 60\.4 G weights; this convolutional stage uses 928/);
  const head = { id: "head", out_shape: [1280, 7, 7] };
  const classifier = { id: "classifier", in_shape: [1280], out_shape: [1000], params: 1_281_000 };
  const dense = sharingLesson(classifier, [head, classifier]);
  assert.match(dense, /1\.3 M\s+parameters/);
  assert.match(dense, /would need 62\.7 M/);  // 1280 x 7 x 7 x 1000
  assert.equal(sharingLesson(undefined), "");
});

test("a number still being typed is told apart from a mistake", () => {
  for (const t of ["-", "+", ".", "-.", "1e", "1e-", "1/", "-2/", ""]) assert.equal(isPartialNumber(t), true, t);
  for (const t of ["-0.5", "1/9", "0.", "abc", "1..", "0x1", "--", "1/2/", "Infinity"]) assert.equal(isPartialNumber(t), false, t);
});

test("newestWins drops an answer that arrives after a newer call", async () => {
  let release;
  const seen = [];
  const task = newestWins(async (x) => {
    seen.push(x);
    if (x === "slow") await new Promise((r) => { release = r; });
    if (x === "bad") throw new Error("bad");
    return x;
  });
  const first = task("slow");
  const second = task("a");
  const third = task("b");  // replaces "a" before it ran
  release();
  assert.equal(await first, undefined);  // answered, but after newer calls: dropped
  assert.equal(await second, undefined);
  assert.equal(await third, "b");
  assert.deepEqual(seen, ["slow", "b"]);
  const failed = task("bad");
  await assert.rejects(failed, /bad/);  // the newest call's error still reaches its caller
});
