"""Keeping a trained classifier: the ONNX button runs the export job and downloads a file
ONNX Runtime opens, with the project's classes."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from tests.support.photos import shape_photo

pytestmark = pytest.mark.browser

SLOW = 240_000  # ms: the ONNX exporter takes tens of seconds on a loaded machine


def test_onnx_download(page):
    import onnx
    import onnxruntime

    with httpx.Client(base_url=page.base, timeout=60) as client:
        pid = client.post("/api/projects").json()["id"]
        for kind in ("disc", "square"):
            cid = client.post(f"/api/projects/{pid}/classes",
                              json={"name": f"{kind}s"}).json()["id"]
            for seed in range(2):
                client.post(f"/api/projects/{pid}/classes/{cid}/images", files={
                    "file": (f"{kind}-{seed}.png", shape_photo(kind, seed), "image/png")})
    page.goto(page.base + f"/#tab=teach&project={pid}")
    page.wait_for_function("() => document.querySelectorAll('.thumb').length === 4",
                           timeout=SLOW)
    page.get_by_test_id("epochs").fill("10")
    page.get_by_test_id("train").click()
    page.wait_for_function("() => document.querySelector('[data-testid=train-status]')"
                           ".dataset.status === 'done'", timeout=SLOW)
    with page.expect_download(timeout=SLOW) as download:
        page.get_by_test_id("export-onnx").click()
    assert download.value.suggested_filename.endswith(".onnx")
    path = download.value.path()
    model = onnx.load(path)
    classes = json.loads({p.key: p.value for p in model.metadata_props}["classes"])
    assert classes == ["discs", "squares"]
    session = onnxruntime.InferenceSession(path)
    x = np.zeros((1, 3, 224, 224), np.float32)
    (probs,) = session.run(None, {"input": x})
    assert probs.shape == (1, 2)
    assert abs(float(probs.sum()) - 1) < 1e-5
    assert page.get_by_test_id("export-job-message").inner_text() == "done"
