// The lessons' pure helpers, run with `node --test tests/js/`.
import test from "node:test";
import assert from "node:assert/strict";

import { cosine, dotProduct, mostAlike, outputSize, outputSizeSteps, poolWinner, slidePositions, writtenOut } from "../../static/js/lib/lesson-conv.js";
import { absQuantile, fieldFacts, histogram, magnitude, meanAbs, parseNpy, signSummary } from "../../static/js/lib/lesson-values.js";
import { convLayer, denseNeuronWeights, grouped, logFraction, workedExample } from "../../static/js/lib/lesson-params.js";
import { lessonLink, neighbours } from "../../static/js/lib/lesson-nav.js";
import { diverging, glowRgba, ink, valuesToRgba } from "../../static/js/lib/lesson-colour.js";
import { describeShifts, rowAt, shiftFacts, shiftRuns, takeovers } from "../../static/js/lib/lesson-shift.js";
import { accuracyAt, curveReady, firstReaching } from "../../static/js/lib/lesson-curves.js";
import { hashToState, stateToHash } from "../../static/js/lib/hashstate.js";

// A .npy file as numpy.save writes it (version 1.0, header padded to a multiple of 64).
function npy(shape, values, version = 1) {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const pre = version === 1 ? 10 : 12;
  header += " ".repeat(64 - ((pre + header.length + 1) % 64)) + "\n";
  const buf = new ArrayBuffer(pre + header.length + values.length * 4);
  const bytes = new Uint8Array(buf);
  bytes.set([0x93, ..."NUMPY"].map((c) => (typeof c === "string" ? c.charCodeAt(0) : c)), 0);
  bytes[6] = version;
  const view = new DataView(buf);
  if (version === 1) view.setUint16(8, header.length, true); else view.setUint32(8, header.length, true);
  bytes.set([...header].map((c) => c.charCodeAt(0)), pre);
  values.forEach((v, i) => view.setFloat32(pre + header.length + i * 4, v, true));
  return buf;
}

test("a dot product is the sum of the element-wise products", () => {
  const patch = [[55, 55, 73], [61, 62, 80], [71, 72, 88]];
  const sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
  const { terms, sum } = dotProduct(patch, sobel);
  assert.equal(terms.length, 9);
  // By hand: (73 - 55) + 2 * (80 - 61) + (88 - 71) = 18 + 38 + 17.
  assert.equal(sum, 73);
  assert.deepEqual(terms[3], { w: -2, x: 61, p: -122 });
  assert.equal(writtenOut(terms.slice(0, 2)), "(-1 × 55) + (0 × 55)");
});

test("the output size follows (n + 2p - d(f - 1) - 1) / s + 1, rounded down", () => {
  assert.equal(outputSize(1024, 3, 1, 1), 1024);       // 'same' at stride 1
  assert.equal(outputSize(1024, 3, 0, 1), 1022);       // 'valid'
  assert.equal(outputSize(1024, 3, 1, 2), 512);        // (1024 + 2 - 3) / 2 + 1 = 512.5 -> 512
  assert.equal(outputSize(224, 3, 1, 2), 112);         // the stem
  assert.equal(outputSize(100, 5, 0, 1, 2), 92);       // a 5-tap kernel at dilation 2 reaches 9
  assert.equal(outputSize(4, 7, 1, 1), 0);             // wider than the padded input
  // Every size a brute-force count of window positions gives.
  for (const [n, f, p, s, d] of [[17, 3, 0, 2, 1], [17, 4, 2, 3, 1], [30, 3, 1, 4, 3], [9, 9, 0, 1, 1]]) {
    let count = 0;
    for (let start = -p; start + d * (f - 1) <= n - 1 + p; start += s) count += 1;
    assert.equal(outputSize(n, f, p, s, d), count, `${[n, f, p, s, d]}`);
  }
  assert.equal(outputSizeSteps(1024, 3, 1, 2), "(n + 2p − f) / s + 1 = (1024 + 2·1 − 3) / 2 + 1 = 1023 / 2 + 1 = 511.5 + 1 → 512 " +
    "(rounded down: a last step that would leave the input is not taken)");
  assert.match(outputSizeSteps(100, 5, 0, 1, 2), /^f' = 2·\(5 − 1\) \+ 1 = 9 .*= 91 \/ 1 \+ 1 = 91 \+ 1 = 92$/);
  assert.match(outputSizeSteps(4, 7, 1, 1), /no output/);
});

test("the step-through slides right and stops at the edge", () => {
  assert.deepEqual(slidePositions(5, 2, 3, 100), [{ x: 5, y: 2 }, { x: 6, y: 2 }, { x: 7, y: 2 }]);
  assert.deepEqual(slidePositions(8, 0, 4, 10), [{ x: 8, y: 0 }, { x: 9, y: 0 }]);
});

test("max pooling keeps the largest value and says where it was; average keeps the mean", () => {
  const w = [[-118.9, 71], [-104.9, 73]];
  assert.deepEqual(poolWinner(w, "max"), { value: 73, row: 1, col: 1 });
  assert.equal(poolWinner([[2, 2], [1, 0]], "max").col, 0);  // first on a tie
  assert.ok(Math.abs(poolWinner(w, "avg").value - (-118.9 + 71 - 104.9 + 73) / 4) < 1e-9);
});

test(".npy files are read as numpy writes them", () => {
  const back = parseNpy(npy([2, 3], [1, -2, 3.5, 0, 5, -6]));
  assert.deepEqual(back.shape, [2, 3]);
  assert.deepEqual([...back.data], [1, -2, 3.5, 0, 5, -6]);
  assert.deepEqual(parseNpy(npy([4], [1, 2, 3, 4], 2)).shape, [4]);
  assert.throws(() => parseNpy(new ArrayBuffer(16)), /not a .npy/);
});

test("edge magnitude, histograms and summaries", () => {
  assert.deepEqual([...magnitude(Float32Array.of(3, 0, -5), Float32Array.of(4, 0, 12))], [5, 0, 13]);
  // Bins [-2, -1), [-1, 0), [0, 1), [1, 2]: -3 and 9 are counted in the end bins, 2 in the last.
  const h = histogram([-3, -1, 0, 0.5, 2, 9], 4, -2, 2);
  assert.deepEqual(h.counts, [1, 1, 2, 2]);
  assert.deepEqual(h.edges, [-2, -1, 0, 1, 2]);
  assert.deepEqual(signSummary([-1, 0, 0, 3]), { n: 4, negative: 1, zero: 2, positive: 1, min: -1, max: 3 });
  assert.equal(meanAbs([-2, 2, 0, 4]), 2);
  assert.equal(absQuantile([1, -2, 3, -100], 0.5), 2);
  assert.equal(absQuantile(Array.from({ length: 101 }, (_, i) => i - 50), 1), 50);
});

test("parameter sharing: the worked example's counts", () => {
  const ex = workedExample(100, 100, 3);
  assert.equal(ex.perNeuron, 10_000);
  assert.deepEqual(ex.conv, { weights: 900, biases: 100, total: 1000 });
  assert.equal(ex.denseLayer, 1_000_100);
  assert.equal(denseNeuronWeights(1024, 768, 3), 2_359_296);
  assert.deepEqual(convLayer(32, 3, 3), { weights: 864, biases: 32, total: 896 });  // the stem's convolution
  assert.equal(grouped(10000), "10\u202f000");
  assert.equal(grouped(2_359_296), "2\u202f359\u202f296");
  assert.equal(grouped(999), "999");
  assert.equal(logFraction(1000, 1e6), 0.5);
  assert.equal(logFraction(1, 1e6), 0);
});

test("lessons in teaching order: previous and next", () => {
  const list = [{ id: "a" }, { id: "b" }, { id: "c" }];
  assert.deepEqual(neighbours(list, "b"), { previous: { id: "a" }, next: { id: "c" }, index: 1 });
  assert.equal(neighbours(list, "a").previous, null);
  assert.equal(neighbours(list, "c").next, null);
  assert.equal(neighbours(list, "zzz").index, -1);
});

test("a lesson's link opens the Lessons tab, with large type if asked", () => {
  const defaults = { tab: "playground", lesson: "", big: false };
  assert.deepEqual(hashToState("#lesson=translation", defaults), { tab: "lessons", lesson: "translation", big: false });
  assert.equal(hashToState("#lesson=edges&big=1", defaults).big, true);
  // A link that names its tab keeps it (the lesson waits in its tab).
  assert.equal(hashToState("#tab=cnn&lesson=edges", defaults).tab, "cnn");
  const s = { ...defaults, tab: "lessons", lesson: "relu", big: true };
  assert.deepEqual(hashToState(stateToHash(s), defaults), s);
});

test("a lesson's in-page link", () => {
  assert.equal(lessonLink({ id: "edges", url: "/#lesson=edges" }), "#lesson=edges");
  assert.equal(lessonLink({ id: "relu" }), "#lesson=relu");
});

test("value colours: diverging for signed values, ink for sizes", () => {
  assert.deepEqual(diverging(0), [247, 247, 247]);
  assert.deepEqual(diverging(-1), [33, 102, 172]);
  assert.deepEqual(diverging(5), [178, 24, 43]);  // clipped
  assert.deepEqual(ink(0), [247, 247, 247]);
  assert.deepEqual(ink(1), [20, 20, 20]);
  const rgba = valuesToRgba(Float32Array.of(-2, 0, 2), "signed", 2);
  assert.deepEqual([...rgba.slice(0, 4)], [33, 102, 172, 255]);
  assert.deepEqual([...rgba.slice(8, 12)], [178, 24, 43, 255]);
});

test("which learned filter is most like a hand-made kernel", () => {
  const sobel = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]];
  assert.equal(cosine(sobel, sobel), 1);
  assert.equal(cosine(sobel, sobel.map((r) => r.map((v) => -v))), -1);
  assert.equal(cosine(sobel, [[1, 1, 1], [1, 1, 1], [1, 1, 1]]), 0);
  const flat = [[[1, 1, 1], [1, 1, 1], [1, 1, 1]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]], [[0, 0, 0], [0, 0, 0], [0, 0, 0]]];
  // Split over R, G, B: only the sum over the three slices is compared.
  const third = sobel.map((r) => r.map((v) => -v / 3));
  const edge = [third, third, third];
  assert.deepEqual(mostAlike([flat, edge], sobel), { index: 1, cosine: -1 });
});

test("the translation lesson's facts come from the measured rows", () => {
  const row = (shift, sim, p, top = 235) => ({ shift, map_similarity: sim, prob_of_unshifted_top: p, top_index: top, aligned: shift % 2 === 0 });
  const curve = {
    unshifted_top: { index: 235 },
    rows: [row(-3, 0.95, 0.9), row(-2, 0.999, 0.8), row(-1, 0.94, 0.85, 236), row(0, 1, 0.97), row(1, 0.96, 0.7), row(2, 0.998, 0.92)],
  };
  const facts = shiftFacts(curve);
  assert.deepEqual(facts.aligned, { min: 0.998, max: 0.999 });   // shift 0 left out: it is the reference
  assert.deepEqual(facts.between, { min: 0.94, max: 0.96 });
  assert.deepEqual(facts.prob, { min: 0.7, max: 0.97 });
  assert.deepEqual(facts.changes, [-1]);
  assert.equal(rowAt(curve, 1).shift, 1);
  assert.equal(rowAt(curve, 9).shift, 2);
});

test("the shifts at which the top class changed, every one accounted for, and who took over", () => {
  const changes = [-32, -31, -30, -29, -28, -27, -26, -25, -20, 3, 4, 5, 6, 7];
  assert.deepEqual(shiftRuns(changes).map((r) => [r.from, r.to]), [[-32, -25], [-20, -20], [3, 7]]);
  assert.equal(describeShifts(changes), "-32 to -25, -20, 3 to 7");
  // Past `most` runs the rest is counted, never silently left out.
  assert.equal(describeShifts(changes, 1, 2), "-32 to -25, -20, … and 5 more");
  assert.equal(describeShifts([-4, -2, 0, 2, 8], 2), "-4 to 2, 8");
  assert.equal(describeShifts([]), "");
  const row = (shift, top, label) => ({ shift, top_index: top, top_label: label });
  const curve = {
    unshifted_top: { index: 282, label: "tiger cat" },
    rows: [row(-2, 285, "Egyptian cat"), row(-1, 287, "lynx"), row(0, 282, "tiger cat"), row(1, 285, "Egyptian cat"), row(2, 282, "tiger cat")],
  };
  assert.deepEqual(takeovers(curve), [{ label: "Egyptian cat", index: 285, count: 2 }, { label: "lynx", index: 287, count: 1 }]);
  assert.deepEqual(takeovers({ ...curve, rows: [row(0, 282, "tiger cat")] }), []);
});

test("reading the training lessons' curves", () => {
  const cure = [{ mixed_share: 0.5, swapped: 0.98 }, { mixed_share: 0, swapped: 0.02 }, { mixed_share: 0.2, swapped: 0.93 }, { mixed_share: 0.1, swapped: 0.7 }];
  assert.equal(firstReaching(cure, "mixed_share", "swapped", 0.9), 0.2);
  assert.equal(firstReaching(cure, "mixed_share", "swapped", 0.99), null);
  const points = [{ per_class: 1, accuracy: 0.6 }, { per_class: 4, accuracy: 0.9 }];
  assert.equal(accuracyAt(points, 4), 0.9);
  assert.equal(accuracyAt(points, 3), null);
  assert.equal(curveReady({ classes: [{ count: 2 }, { count: 5 }] }), true);
  assert.equal(curveReady({ classes: [{ count: 1 }, { count: 5 }, { count: 0 }] }), false);
});

test("an effective field: where it is non-zero, where half of it lies, and its glow", () => {
  const f = fieldFacts(Float32Array.of(0, 0, 1, 1, 6, 0, 2));
  assert.equal(f.nonzero, 4);
  assert.equal(f.half, 1);   // 6 of the total 10 is in one pixel
  assert.equal(f.total, 10);
  const rgba = glowRgba(Float32Array.of(0, 1, 4), [200, 100, 0]);
  assert.deepEqual([...rgba.slice(0, 4)], [0, 0, 0, 140]);      // 0: only dimmed
  assert.deepEqual([...rgba.slice(4, 8)], [100, 50, 0, 185]);   // sqrt(1/4) = 0.5: half way
  assert.deepEqual([...rgba.slice(8, 12)], [200, 100, 0, 230]); // the peak: the glow
});
