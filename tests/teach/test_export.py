"""The whole classifier as one ONNX file: GET answers 202 with the export job until the file
exists, then the file, which onnxruntime runs to the server's probabilities. A project keeps
one export, a cancelled export keeps nothing, and a failed one says why."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import onnx
import onnxruntime
import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.imaging.decode import decode_image
from app.main import create_app
from app.teach import export
from models.preprocess import to_model_input
from tests.conftest import assert_error
from tests.support.photos import shape_photo
from tests.teach.conftest import SAMPLES, model_settings, project_of, upload, wait_for


def test_onnx_export_gives_the_servers_probabilities(real):
    c, pid, classes, _ = real
    url = f"/api/projects/{pid}/export?format=onnx"
    started = c.get(url)  # no POST first: the GET asks for the export
    assert started.status_code == 202 and started.headers["retry-after"] == "5"
    job = started.json()["job"]
    assert job["kind"] == "export-onnx"
    again = c.get(url)
    assert again.status_code == 202 and again.json()["job"]["id"] == job["id"]  # joined
    done = wait_for(c, job)
    assert done["status"] == "done" and done["result"] == url
    r = c.get(url)
    assert r.status_code == 200
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
    services = c.app.state.services
    assert services.jobs.store.result(done["id"], "onnx") is None  # kept once, with the project


@pytest.fixture(scope="module")
def quick():
    """A small trained project, for export tests whose exporter is stood in for."""
    with TestClient(create_app(model_settings())) as c:
        pid, _, _ = project_of(c, {k: [shape_photo(k, s) for s in range(2)]
                                   for k in ("disc", "square")}, epochs=5)
        yield c, pid


def retrain(c, pid: str, epochs: int) -> None:
    """Train the project again: a different number of epochs, different weights."""
    job = c.post(f"/api/projects/{pid}/train", json={"epochs": epochs}).json()["job"]
    assert wait_for(c, job)["status"] == "done"


def exporter(monkeypatch, make):
    """Replace the real exporter (tens of seconds) by ``make(names) -> bytes``."""
    monkeypatch.setattr("models.export.export_onnx", lambda backbone, head, names: make(names))


def test_a_project_keeps_one_export_the_latest(quick, monkeypatch):
    c, pid = quick
    exporter(monkeypatch, lambda names: b"x" * (1 << 20))
    url = f"/api/projects/{pid}/export?format=onnx"
    first = wait_for(c, c.get(url).json()["job"])
    assert first["status"] == "done" and len(c.get(url).content) == 1 << 20
    retrain(c, pid, 6)
    exporter(monkeypatch, lambda names: b"y" * (1 << 19))
    second = c.get(url).json()["job"]  # another classifier: another export
    assert second["id"] != first["id"] and wait_for(c, second)["status"] == "done"
    assert c.get(url).content == b"y" * (1 << 19)
    services = c.app.state.services
    kept = services.projects.part(pid, export.PART)
    assert len(kept) == export.FINGERPRINT_CHARS + (1 << 19)  # the first one is gone
    assert all(services.jobs.store.result(j["id"], "onnx") is None for j in (first, second))
    # Trained back to the first classifier (same settings, same weights): its job is done
    # and still known, but its file was replaced, so the GET exports it again.
    retrain(c, pid, 5)
    third = c.get(url)
    assert third.status_code == 202 and third.json()["job"]["id"] != first["id"]
    assert wait_for(c, third.json()["job"])["status"] == "done"
    assert c.get(url).content == b"y" * (1 << 19)


def test_a_cancelled_export_keeps_nothing(quick, monkeypatch):
    c, pid = quick
    retrain(c, pid, 7)
    go = threading.Event()

    def slow(names):
        go.wait(60)
        return b"z" * 1000

    exporter(monkeypatch, slow)
    url = f"/api/projects/{pid}/export?format=onnx"
    job = c.get(url).json()["job"]
    deadline = time.monotonic() + 60
    while c.get(job["url"]).json()["status"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    c.delete(job["url"])
    go.set()  # the exporter finishes after the cancel: nothing may be kept
    assert wait_for(c, job)["status"] == "cancelled"
    before = c.app.state.services.projects.part(pid, export.PART)
    assert before is None or not before.endswith(b"z" * 1000)
    assert c.get(url).json()["job"]["id"] != job["id"]  # asked again: a new export


def test_a_failed_export_says_why_once_then_tries_again(quick, monkeypatch):
    c, pid = quick
    retrain(c, pid, 8)

    def broken(names):
        raise RuntimeError("no")

    exporter(monkeypatch, broken)
    url = f"/api/projects/{pid}/export?format=onnx"
    job = c.get(url).json()["job"]
    failed = wait_for(c, job)
    assert failed["status"] == "failed"
    err = assert_error(c.get(url), 409, "conflict")
    assert err["details"] == {"status": "failed", "job": job["id"]}
    assert failed["error"]["message"] in err["message"]
    exporter(monkeypatch, lambda names: b"ok")
    retry = c.get(url)
    assert retry.status_code == 202 and retry.json()["job"]["id"] != job["id"]
    assert wait_for(c, retry.json()["job"])["status"] == "done" and c.get(url).content == b"ok"


def test_torchscript_is_built_once_per_classifier_even_when_asked_at_once(quick, monkeypatch):
    """Four downloads at once build the file once; the next download is the kept file; a
    retrained classifier gets a file of its own (the builder is stood in for: 1.3 s)."""
    c, pid = quick
    retrain(c, pid, 9)
    built: list[list[str]] = []

    def build(backbone, head, names):
        built.append(names)
        time.sleep(0.3)  # long enough for the other requests to arrive meanwhile
        return b"ts" * 5000 + bytes([len(built)])

    monkeypatch.setattr("models.export.export_torchscript", build)
    url = f"/api/projects/{pid}/export?format=torchscript"
    answers = []
    threads = [threading.Thread(target=lambda: answers.append(c.get(url))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in answers] == [200] * 4 and len(built) == 1
    assert {r.content for r in answers} == {b"ts" * 5000 + b"\x01"}
    assert c.get(url).content == b"ts" * 5000 + b"\x01" and len(built) == 1
    kept = c.app.state.services.projects.part(pid, export.TORCHSCRIPT_PART)
    assert len(kept) == export.FINGERPRINT_CHARS + 10_001  # one file, with its fingerprint
    retrain(c, pid, 10)
    assert c.get(url).content == b"ts" * 5000 + b"\x02" and len(built) == 2
