"""The lessons' job experiments with the real model: their numbers, not just their shape."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from app.core.settings import Settings
from app.main import create_app


@pytest.fixture(scope="module")
def real():
    settings = replace(Settings.from_env(), load_model=True)
    with TestClient(create_app(settings)) as c:
        yield c


def result_of(c: TestClient, started, seconds: float = 240) -> dict:
    assert started.status_code == 202, started.text[:300]
    job = started.json()["job"]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        record = c.get(job["url"]).json()
        if record["status"] not in ("queued", "running"):
            assert record["status"] == "done", record
            answer = c.get(record["result"])
            assert answer.status_code == 200, answer.text[:300]
            return answer.json()
        time.sleep(0.2)
    raise AssertionError(f"job {job['id']} did not finish")


def test_spurious_cure_swapped_accuracy_rises_from_zero_to_above_90_percent(real):
    result = result_of(real, real.post("/api/lessons/spurious"))
    curve = result["curve"]
    shares = [p["mixed_share"] for p in curve]
    assert shares[0] == 0 and shares[-1] >= 0.5 and shares == sorted(shares)
    assert [p["mixed_photos"] for p in curve] == [round(s * 40) for s in shares]
    # Trained on discs on mountains and squares under the sky only, it learned the background.
    assert curve[0]["accuracy_swapped_backgrounds"] <= 0.1
    # Mixed backgrounds cure it.
    assert curve[-1]["accuracy_swapped_backgrounds"] >= 0.9
    assert max(p["accuracy_swapped_backgrounds"] for p in curve if p["mixed_share"] >= 0.1) \
        >= 0.9
    assert all(p["accuracy_training_backgrounds"] >= 0.9 for p in curve)
    assert result["backgrounds"] == {"disc": "mountains", "square": "sky"}
    assert "drawn" in result["shapes"]


def test_a_fine_distinction_needs_more_photos_than_a_coarse_one(real):
    result = result_of(real, real.post("/api/lessons/how-many-images", json={"repeats": 3}))
    pairs = {p["name"]: p for p in result["pairs"]}
    assert result["per_class"] == 10 and result["chance"] == 0.5
    coarse = {pt["per_class"]: pt["accuracy"] for pt in pairs["coarse"]["points"]}
    fine = {pt["per_class"]: pt["accuracy"] for pt in pairs["fine"]["points"]}
    assert sorted(coarse) == sorted(fine) == [1, 2, 3, 4, 6, 8]
    assert coarse[4] >= 0.95  # fishes against tools: a few photos suffice
    for n in (1, 2, 3, 4):  # France against India needs more for the same accuracy
        assert fine[n] < coarse[n] - 0.05, (n, fine, coarse)
    assert fine[8] > fine[1]  # and it does learn, slowly
    assert all(len(urls) == 10 for p in pairs.values() for urls in p["photos"].values())
    photo = real.get(pairs["fine"]["photos"]["India"][0])
    assert photo.status_code == 200
