"""A job two pages asked for, in a real browser: Cancel on one page answers that the job goes
on for the other, and the lesson still gets its result."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pytest

from tests.browser.conftest import SHOTS
from tests.support.photos import encoded

pytestmark = pytest.mark.browser

CURVE = {"stage": "stem", "axis": "x", "max_shift": 32, "step": 1}  # what the lesson asks


def fresh_photo(base: str, seed: int) -> str:
    """A photo no test measured before (noise from ``seed``): its curve is a new job."""
    rgb = np.random.default_rng(seed).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    r = httpx.post(base + "/api/images", files={"file": ("n.png", encoded(rgb), "image/png")},
                   timeout=60)
    r.raise_for_status()
    return r.json()["id"]


def test_cancel_on_a_job_another_page_shares_says_it_goes_on_for_them(page):
    base = page.base
    seed = int.from_bytes(np.random.default_rng().bytes(4), "little")
    photo, other = fresh_photo(base, seed), fresh_photo(base, seed + 1)
    # A longer job ahead keeps the shared one waiting while the page opens.
    ahead = httpx.get(f"{base}/api/images/{other}/translation", timeout=60,
                      params={"stage": "head", "axis": "x", "max_shift": 64, "step": 1},
                      headers={"X-ConvLens-Client": "teacher"})
    assert ahead.status_code == 202, ahead.text
    # A classmate asks for the very curve the lesson will ask for.
    theirs = httpx.get(f"{base}/api/images/{photo}/translation", params=CURVE, timeout=60,
                       headers={"X-ConvLens-Client": "classmate"})
    assert theirs.status_code == 202, theirs.text

    page.goto(f"{base}/#lesson=translation&image={photo}")
    cancel = page.get_by_test_id("shift-job-cancel")
    cancel.wait_for(state="visible", timeout=120_000)
    cancel.click()
    error = page.get_by_test_id("shift-job-error")
    error.wait_for(state="visible")
    assert "1 other page asked for this same work" in error.inner_text()
    assert "goes on for them" in error.inner_text()
    assert cancel.is_hidden()  # asking again would be refused again
    page.get_by_test_id("shift-job").screenshot(path=str(SHOTS / "job-shared-cancel.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("shift-job").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "job-shared-cancel-390.png"))
    # The job went on, for the classmate and for this page: the lesson shows its curve.
    page.wait_for_function(
        "() => { const b = document.querySelector('[data-testid=experiment]');"
        " return b && b.dataset.ready === '1'; }", timeout=300_000)
    job = httpx.get(f"{base}{theirs.json()['job']['url']}", timeout=60).json()
    assert job["status"] == "done"


def test_a_job_the_server_no_longer_knows_says_to_start_it_again(page):
    """A server restarted with its jobs in memory answers 404 for a job the page follows: the
    page stops waiting at once and says what happened and what to do."""
    photo = fresh_photo(page.base, int.from_bytes(np.random.default_rng().bytes(4), "little"))
    gone = {"error": {"status": 404, "code": "not_found", "details": {},
                      "message": "There is no job 'x'."}}
    page.route("**/api/jobs/**", lambda route: route.fulfill(
        status=404, content_type="application/json", body=json.dumps(gone)))
    page.goto(f"{page.base}/#lesson=translation&image={photo}")
    error = page.get_by_test_id("lesson-error")  # where a lesson reports what stopped it
    error.wait_for(state="visible")
    assert "no longer on the server" in error.inner_text()
    assert "start it again" in error.inner_text()
