"""The whole classifier as one ONNX file, exported by a job: onnxruntime gives the server's
probabilities."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime

from app.core.settings import Settings
from app.imaging.decode import decode_image
from models.preprocess import to_model_input
from tests.conftest import assert_error
from tests.teach.conftest import SAMPLES, upload, wait_for


def test_onnx_export_gives_the_servers_probabilities(real):
    c, pid, classes, _ = real
    url = f"/api/projects/{pid}/export?format=onnx"
    assert_error(c.get(url), 404, "not_found")  # not exported yet
    started = c.post(url)
    assert started.status_code == 202 and started.json()["job"]["kind"] == "export-onnx"
    done = wait_for(c, started.json()["job"])
    assert done["status"] == "done" and done["result"] == url
    assert c.post(url).json()["job"]["id"] == done["id"]  # the same classifier: one export
    r = c.get(url)
    assert r.headers["content-disposition"] == f'attachment; filename="convlens-{pid}.onnx"'
    model = onnx.load_from_string(r.content)
    meta = {p.key: p.value for p in model.metadata_props}
    order = [cls["id"] for cls in c.get(f"/api/projects/{pid}").json()["head_classes"]]
    assert json.loads(meta["classes"]) == [n for i in order for n, cid in classes.items()
                                           if cid == i]
    session = onnxruntime.InferenceSession(r.content, providers=["CPUExecutionProvider"])
    limits = Settings.from_env().decode_limits
    for photo in ("dog_german_shepherd.jpg", "cat_chelsea.png"):
        data = (SAMPLES / photo).read_bytes()
        server = c.post(f"/api/projects/{pid}/predict", json={"image_id": upload(c, data)}).json()
        by_class = {q["class_id"]: q["prob"] for q in server["probs"]}
        _, x = to_model_input(decode_image(data, limits))  # (1, 3, 224, 224)
        (probs,) = session.run(["probs"], {"input": x.numpy()})
        assert np.abs(probs[0] - [by_class[i] for i in order]).max() <= 1e-4
