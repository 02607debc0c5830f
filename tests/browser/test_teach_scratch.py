"""The lecture's experiment in a real browser: a small CNN trained from scratch (its filters
redrawn as it learns), side by side with transfer learning, and the learning curve."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import SHOTS
from tests.support.axe import violations
from tests.support.photos import shape_photo

pytestmark = pytest.mark.browser

SLOW = 240_000  # ms: trainings on a loaded 2-core machine
EPOCHS = 3
PER_CLASS = 4


def make_project(base: str) -> str:
    """Discs against squares, PER_CLASS photos each, made through the API."""
    with httpx.Client(base_url=base, timeout=60) as client:
        pid = client.post("/api/projects").json()["id"]
        for kind in ("disc", "square"):
            cid = client.post(f"/api/projects/{pid}/classes",
                              json={"name": f"{kind}s"}).json()["id"]
            for seed in range(PER_CLASS):
                response = client.post(f"/api/projects/{pid}/classes/{cid}/images", files={
                    "file": (f"{kind}-{seed}.png", shape_photo(kind, seed), "image/png")})
                assert response.status_code == 201, response.text
    return pid


def canvas_pixels(page, testid: str) -> np.ndarray:
    """The canvas as drawn: (H, W, 4) uint8 RGBA."""
    width, height, data = page.get_by_test_id(testid).evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return [c.width, c.height, Array.from(d)];
    }""")
    return np.array(data, dtype=np.uint8).reshape(height, width, 4)


def show_epoch(page, epoch: int) -> np.ndarray:
    page.get_by_test_id("scratch-epoch").fill(str(epoch))
    page.wait_for_function("e => document.querySelector('[data-testid=scratch-filters]')"
                           ".dataset.epoch === String(e)", arg=epoch, timeout=SLOW)
    return canvas_pixels(page, "scratch-filters")


def test_scratch_filters_change_side_by_side_and_the_learning_curve(page):
    pid = make_project(page.base)
    page.goto(page.base + f"/#tab=teach&project={pid}")
    page.wait_for_function("() => document.querySelectorAll('.thumb').length === "
                           f"{2 * PER_CLASS}", timeout=SLOW)

    page.get_by_test_id("scratch-epochs").fill(str(EPOCHS))
    page.get_by_test_id("scratch-train").click()
    # While it trains: the filters of some epoch are drawn before the result arrives.
    page.wait_for_function("() => document.querySelector('[data-testid=scratch-filters]')"
                           ".dataset.epoch !== undefined", timeout=SLOW)
    page.get_by_test_id("scratch-result").wait_for(timeout=SLOW)

    # The lecture's network, counted by its formula.
    total = (3 * 3 * 3 * 16 + 16) + (16 * 74 * 74 * 2 + 2)
    network = page.get_by_test_id("scratch-network").inner_text()
    assert f"{total:,}" in network and "87616" in network
    assert page.get_by_test_id("scratch-where").inner_text().count("dense") >= 2
    accuracy = page.get_by_test_id("compare-accuracy").locator("td").all_inner_texts()
    assert len(accuracy) == 2 and all(a.endswith("%") for a in accuracy)
    assert page.get_by_test_id("scratch-reading").inner_text()

    # The filters drawn are the server's pictures of that epoch, and they changed.
    start, last = show_epoch(page, 0), show_epoch(page, EPOCHS)
    with httpx.Client(base_url=page.base, timeout=60) as client:
        latest = client.get(f"/api/projects/{pid}/scratch").json()
        job_id = latest["filters"].split("job=")[1].split("&")[0]
        served = client.get(f"/api/projects/{pid}/scratch/filters",
                            params={"job": job_id, "epoch": 0})
    server_start = np.asarray(Image.open(io.BytesIO(served.content)).convert("RGBA"))
    assert server_start.shape == start.shape
    assert np.array_equal(server_start, start)
    assert start.shape == last.shape
    assert np.abs(start.astype(int) - last.astype(int)).sum() > 0
    assert latest["filter_change"][EPOCHS] > 0
    page.screenshot(path=str(SHOTS / "teach-scratch.png"), full_page=True)

    # The learning curve: a point per size, the numbers under the chart.
    page.get_by_test_id("curve-run").click()
    page.wait_for_function("() => document.querySelector('[data-testid=curve-chart]')"
                           ".dataset.done === 'true'", timeout=SLOW)
    rows = page.get_by_test_id("curve-table").locator("tbody tr")
    assert rows.count() >= 2
    assert rows.first.locator("td").first.text_content() == "1"  # the table is folded away
    assert "(guessing: 50" in page.get_by_test_id("curve-caption").inner_text()
    chart = canvas_pixels(page, "curve-chart")
    assert (chart[..., 3] > 0).sum() > 1000  # something is drawn
    page.get_by_test_id("curve-card").screenshot(path=str(SHOTS / "teach-curve.png"))
    page.get_by_test_id("scratch-maps-run").click()
    page.get_by_test_id("scratch-maps").wait_for(timeout=SLOW)
    assert violations(page) == []

    # Opened again, the page shows the project's from-scratch result as it was.
    reading = page.get_by_test_id("scratch-reading").inner_text()
    page.reload()
    page.get_by_test_id("scratch-result").wait_for(timeout=SLOW)
    assert page.get_by_test_id("scratch-reading").inner_text() == reading
    page.wait_for_function("e => document.querySelector('[data-testid=scratch-filters]')"
                           ".dataset.epoch === String(e)", arg=EPOCHS, timeout=SLOW)


def test_a_refusal_to_start_is_said_in_its_card(page):
    with httpx.Client(base_url=page.base, timeout=60) as client:
        pid = client.post("/api/projects").json()["id"]
        for kind in ("disc", "square"):  # one photo each: nothing to hold out
            cid = client.post(f"/api/projects/{pid}/classes",
                              json={"name": f"{kind}s"}).json()["id"]
            client.post(f"/api/projects/{pid}/classes/{cid}/images", files={
                "file": (f"{kind}.png", shape_photo(kind, 0), "image/png")})
        refusal = client.post(f"/api/projects/{pid}/scratch").json()["error"]["message"]
    page.goto(page.base + f"/#tab=teach&project={pid}")
    page.wait_for_function("() => document.querySelectorAll('.thumb').length === 2",
                           timeout=SLOW)
    for button, where in (("scratch-train", "scratch-job"), ("curve-run", "curve-job")):
        page.get_by_test_id(button).click()
        error = page.get_by_test_id(f"{where}-error")
        error.wait_for(timeout=SLOW)
        assert "photo" in error.inner_text()
    assert page.get_by_test_id("scratch-job-error").inner_text() == refusal
    assert page.get_by_test_id("status").inner_text() == ""  # not at the top of the page


def test_a_scratch_training_can_be_cancelled(page):
    pid = make_project(page.base)
    page.goto(page.base + f"/#tab=teach&project={pid}")
    page.wait_for_function("() => document.querySelectorAll('.thumb').length === "
                           f"{2 * PER_CLASS}", timeout=SLOW)
    page.get_by_test_id("scratch-epochs").fill("30")
    page.get_by_test_id("scratch-train").click()
    page.wait_for_function("() => document.querySelector('[data-testid=scratch-filters]')"
                           ".dataset.epoch !== undefined", timeout=SLOW)  # it is training
    page.get_by_test_id("scratch-job-cancel").click()
    page.wait_for_function("() => document.querySelector('[data-testid=scratch-job-message]')"
                           ".textContent.startsWith('cancelled')", timeout=SLOW)
    assert page.get_by_test_id("scratch-job-cancel").is_hidden()
    assert page.get_by_test_id("scratch-result").is_hidden()  # no result from a cancelled run
