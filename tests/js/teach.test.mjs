// The Teach tab's pure helpers, run with `node --test tests/js/`.
import test from "node:test";
import assert from "node:assert/strict";

import { bandPolygon, extent, linear, log2Scale, niceTicks, points } from "../../static/js/lib/teach-chart.js";
import {
  cameraProblem, confidenceMeaning, frameSize, grouped, mayBePhoto, parameterShares, plural, sharePct, whereParametersSit,
} from "../../static/js/lib/teach-text.js";

test("linear maps the domain onto the range, a flat domain to its middle", () => {
  const s = linear(0, 10, 100, 200);
  assert.equal(s(0), 100);
  assert.equal(s(10), 200);
  assert.equal(s(2.5), 125);
  const down = linear(0, 1, 180, 20);  // canvas y grows downwards
  assert.equal(down(1), 20);
  assert.equal(linear(3, 3, 0, 50)(3), 25);
});

test("log2Scale gives each doubling the same width", () => {
  const s = log2Scale(1, 16, 0, 400);
  assert.equal(s(1), 0);
  assert.equal(s(16), 400);
  assert.equal(s(2) - s(1), s(16) - s(8));
  assert.equal(s(4), 200);
});

test("niceTicks are round steps that cover the range", () => {
  assert.deepEqual(niceTicks(0, 1, 4), [0, 0.5, 1]);  // a step of 0.25 is not round: 0.5 is
  assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.deepEqual(niceTicks(0, 0.73, 4), [0, 0.2, 0.4, 0.6]);
  assert.deepEqual(niceTicks(1, 20, 5), [5, 10, 15, 20]);
  assert.deepEqual(niceTicks(2, 2), [2]);
  assert.deepEqual(niceTicks(5, 1, 2), [2, 4]);  // reversed bounds are put in order
  assert.deepEqual(niceTicks(NaN, 1), []);
  for (const [lo, hi] of [[0, 0.0031], [-3, 17], [100, 5000]]) {
    const t = niceTicks(lo, hi, 4);
    assert.ok(t.length >= 2 && t.length <= 9, `${lo}..${hi}: ${t}`);
    assert.ok(t.every((v) => v >= lo - 1e-12 && v <= hi + 1e-12));
  }
});

test("extent skips missing values and keeps the floor", () => {
  assert.deepEqual(extent([[0.5, null, 0.7], [NaN, 0.2]]), [0.2, 0.7]);
  assert.deepEqual(extent([[0.5, 0.9]], 0), [0, 0.9]);
  assert.deepEqual(extent([[null]]), [0, 1]);
});

test("points drop the gaps of a series", () => {
  const id = (v) => v;
  assert.deepEqual(points([1, 2, 3], [0.1, null, 0.3], id, id), [[1, 0.1], [3, 0.3]]);
});

test("bandPolygon runs along the upper edge and back along the lower, clamped", () => {
  const id = (v) => v;
  const poly = bandPolygon([1, 2], [0.5, -0.2], [0.9, 1.3], id, id, 0, 1);
  assert.deepEqual(poly, [[1, 0.9], [2, 1], [2, 0], [1, 0.5]]);
});

test("a camera problem names what to do, by the error's name", () => {
  assert.match(cameraProblem({ name: "NotAllowedError" }), /refused.*allow it/);
  assert.match(cameraProblem({ name: "NotFoundError" }), /No camera was found/);
  assert.match(cameraProblem({ name: "NotReadableError" }), /busy/);
  assert.match(cameraProblem(null), /no camera to web pages/);
  assert.match(cameraProblem(null, { secure: false }), /https or at localhost/);
  assert.match(cameraProblem({ name: "WeirdError" }), /WeirdError/);
  for (const e of [{ name: "NotAllowedError" }, { name: "NotFoundError" }, null]) {
    assert.match(cameraProblem(e), /files or the samples/);  // the way on without a camera
  }
});

test("frames are grabbed with a shorter side of 256, never enlarged", () => {
  assert.deepEqual(frameSize(640, 480), { width: 341, height: 256 });
  assert.deepEqual(frameSize(480, 640), { width: 256, height: 341 });
  assert.deepEqual(frameSize(320, 240), { width: 320, height: 240 });
});

test("which files may be photos", () => {
  assert.equal(mayBePhoto({ type: "image/png", name: "a.png" }), true);
  assert.equal(mayBePhoto({ type: "text/plain", name: "notes.txt" }), false);
  assert.equal(mayBePhoto({ type: "", name: "IMG_0001" }), true);  // the server decides
  assert.equal(mayBePhoto({ type: "", name: ".DS_Store" }), false);
});

test("what a probability means says what it does not mean", () => {
  const s = confidenceMeaning(0.9996);
  assert.match(s, /^100% means/);
  assert.match(s, /does not mean/);
  assert.doesNotMatch(s, /held-out/);
  assert.match(confidenceMeaning(0.62, 0.08), /^62% .*off by 8 points/);
  assert.match(confidenceMeaning(1, 0.002), /off by less than 1 point on average/);
  assert.match(confidenceMeaning(1, 0.01), /off by 1 point on average/);
  assert.match(confidenceMeaning(1, null, false), /looks like none of your training photos/);
  assert.doesNotMatch(confidenceMeaning(1, null, true), /looks like none/);
});

test("parameter shares and where they sit, for the lecture network", () => {
  const layers = [
    { name: "input", kind: "input", output_shape: [3, 150, 150], parameters: 0 },
    { name: "conv", kind: "conv 3x3, 16 filters", output_shape: [16, 148, 148], parameters: 3 * 3 * 3 * 16 + 16 },
    { name: "pool", kind: "max pool 2x2", output_shape: [16, 74, 74], parameters: 0 },
    { name: "flatten", kind: "flatten", output_shape: [87616], parameters: 0 },
    { name: "dense", kind: "dense", output_shape: [2], parameters: 87616 * 2 + 2 },
  ];
  const shares = parameterShares(layers);
  assert.deepEqual(shares.map((s) => s.name), ["conv", "dense"]);
  assert.equal(shares[0].parameters + shares[1].parameters, 175682);
  assert.ok(Math.abs(shares[1].share - 175234 / 175682) < 1e-12);
  const sentence = whereParametersSit(layers);
  assert.match(sentence, /dense layer holds 99\.7% of the network's 175,682 parameters/);
  assert.match(sentence, /87,616 values/);
  assert.match(sentence, /only 448/);
  assert.equal(whereParametersSit(layers.filter((l) => l.name !== "dense")), "");
});

test("shares never round to 0% or 100% when they are not", () => {
  assert.equal(sharePct(0.9974), "99.7%");
  assert.equal(sharePct(0.0026), "0.3%");
  assert.equal(sharePct(0.99996), "99.996%");
  assert.equal(sharePct(1), "100%");
  assert.equal(sharePct(0), "0%");
  assert.equal(sharePct(0.5), "50%");
});

test("counts read as people write them", () => {
  assert.equal(grouped(175682), "175,682");
  assert.equal(grouped(3371008), "3,371,008");
  assert.equal(plural(1, "photo"), "1 photo");
  assert.equal(plural(3, "photo"), "3 photos");
});
