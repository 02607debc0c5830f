"""Teach it with a camera: Chromium's fake camera records into classes, the classifier
trained on the frames answers live; refused or missing cameras are explained.

The browser here gets a fake camera but not ``--use-fake-ui-for-media-stream``: that flag
accepts every camera request, even where the permission is denied (tried), so it could not
show a refusal. Granting the ``camera`` permission to a context is what the fake UI's
"allow" does; a context without it is refused for real.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM_ARGS, SHOTS, new_context
from tests.support.axe import violations

pytestmark = pytest.mark.browser

FAKE_CAMERA = ["--use-fake-device-for-media-stream"]
SLOW = 120_000  # ms: a loaded 2-core machine


@pytest.fixture(scope="module")
def camera_browser(browser):
    """A second Chromium with a fake camera, from the session's Playwright (two sync
    Playwright instances cannot run in one process)."""
    b = browser.browser_type.launch(executable_path=browser_executable(),
                                    args=CHROMIUM_ARGS + FAKE_CAMERA, headless=True)
    yield b
    b.close()


def browser_executable() -> str:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Debian's chromium is not installed; `make test` installs it with apt-get")
    return executable


def open_teach(browser, base_url, permissions=(), init_script=None):
    context = new_context(browser, viewport={"width": 1400, "height": 1000},
                                  permissions=list(permissions))
    if init_script:
        context.add_init_script(init_script)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base_url + "/#tab=teach")
    page.wait_for_function("() => document.querySelector('[data-testid=project-id]')"
                           ".textContent.startsWith('project')", timeout=SLOW)
    SHOTS.mkdir(exist_ok=True)
    return context, page, errors


def add_class(page, name: str) -> None:
    page.get_by_test_id("class-name").fill(name)
    page.get_by_test_id("add-class").click()
    page.get_by_test_id(f"class-{name}").wait_for()


def stored_photos(page, name: str) -> int:
    return page.evaluate(f"document.querySelectorAll('[data-testid=class-{name}] .thumb').length")


def record(page, name: str, frames: int) -> None:
    """Hold the class's record button until `frames` frames were taken, then let go."""
    page.get_by_test_id(f"class-record-{name}").hover()
    page.mouse.down()
    page.wait_for_function(
        "([name, n]) => document.querySelectorAll("
        "`[data-testid=class-${name}] .frame, [data-testid=class-${name}] .thumb`).length >= n",
        arg=[name, frames], timeout=SLOW)
    page.mouse.up()
    page.wait_for_function(
        "name => document.querySelector(`[data-testid=class-record-${name}]`)"
        ".getAttribute('aria-pressed') === 'false'", arg=name)


def settled(page) -> None:
    """Every recorded frame is on the server (none on the way) and shown as a stored photo."""
    page.wait_for_function(
        "() => !document.querySelector('.frame') && [...document.querySelectorAll("
        "'[data-testid^=class-count-]')].every(n => !n.textContent.includes('on the way'))",
        timeout=SLOW)


def test_record_two_classes_train_and_classify_live(camera_browser, base_url):
    context, page, errors = open_teach(camera_browser, base_url, permissions=["camera"])
    try:
        add_class(page, "left")
        add_class(page, "right")
        assert page.get_by_test_id("class-record-left").is_disabled()  # no camera yet
        page.get_by_test_id("camera-toggle").click()
        page.wait_for_function("() => document.querySelector('[data-testid=camera-toggle]')"
                               ".dataset.on === 'true'", timeout=SLOW)
        video = page.get_by_test_id("camera-video")
        assert video.evaluate("v => v.videoWidth > 0 && !v.paused")
        assert video.evaluate("v => getComputedStyle(v).transform") == "matrix(-1, 0, 0, 1, 0, 0)"
        record(page, "left", 5)
        record(page, "right", 5)
        settled(page)
        left, right = stored_photos(page, "left"), stored_photos(page, "right")
        assert left >= 5 and right >= 5
        assert page.get_by_test_id("class-count-left").inner_text() == f"{left} photos"
        # The frames are the camera's pictures: JPEGs the server kept, not placeholders.
        first = page.locator("[data-testid=class-left] .thumb img").first
        assert first.evaluate("i => i.complete && i.naturalWidth > 0")

        page.get_by_test_id("epochs").fill("20")
        page.get_by_test_id("train").click()
        page.wait_for_function("() => document.querySelector('[data-testid=train-status]')"
                               ".dataset.status === 'done'", timeout=SLOW)

        # Live: count the requests in flight while it runs; never more than one.
        page.evaluate("""() => {
            window.__inflight = 0; window.__maxInflight = 0;
            const fetch0 = window.fetch;
            window.fetch = async (...a) => {
                window.__inflight += 1;
                window.__maxInflight = Math.max(window.__maxInflight, window.__inflight);
                try { return await fetch0(...a); } finally { window.__inflight -= 1; }
            };
        }""")
        live = page.get_by_test_id("live-toggle")
        assert live.is_enabled()
        live.check()
        page.wait_for_function("() => Number(document.querySelector('[data-testid=teach-probs]')"
                               ".dataset.answers || 0) >= 4", timeout=SLOW)
        assert page.get_by_test_id("teach-source").inner_text() == "On the camera, live:"
        labels = page.get_by_test_id("teach-probs").locator(".label").all_inner_texts()
        assert sorted(labels) == ["left", "right"]
        assert "answers a second" in page.get_by_test_id("live-note").inner_text()
        # The camera shows what the classes were recorded from: familiar, no warning.
        familiar = page.get_by_test_id("familiar")
        assert familiar.get_attribute("data-familiar") == "true"
        assert "none of your training photos" not in familiar.inner_text()
        page.screenshot(path=str(SHOTS / "teach-camera-live.png"), full_page=True)
        live.uncheck()
        answers = page.evaluate("document.querySelector('[data-testid=teach-probs]')"
                                ".dataset.answers")
        page.wait_for_function("() => window.__inflight === 0", timeout=SLOW)
        assert page.evaluate("window.__maxInflight") == 1
        # Off means off: no answer is drawn after it (the last one in flight is dropped).
        assert page.evaluate("document.querySelector('[data-testid=teach-probs]')"
                             ".dataset.answers") == answers

        # A photo of something the classes never saw: the answer still sums to 100%, and
        # the page says it is a guess, with the nearest training photos to show why.
        page.get_by_test_id("sample-bird_scarlet_macaw").click()
        page.wait_for_function("() => new URLSearchParams(location.hash.slice(1))"
                               ".get('sample') === 'bird_scarlet_macaw'")
        page.get_by_test_id("teach-predict").click()
        page.wait_for_function("() => document.querySelector('[data-testid=familiar]')"
                               ".dataset.familiar === 'false'", timeout=SLOW)
        assert page.get_by_test_id("familiar-verdict").inner_text() == (
            "This looks like none of your training photos; the answer is a guess.")
        nearest = page.get_by_test_id("nearest").locator("img")
        assert nearest.count() >= 1
        nearest.first.evaluate("i => i.decode()")
        assert "says nothing about what it shows" in (
            page.get_by_test_id("confidence-meaning").inner_text())
        page.screenshot(path=str(SHOTS / "teach-unfamiliar.png"), full_page=True)
        assert violations(page) == []
        # Leaving the tab turns the camera off: nobody is looking at it there.
        page.get_by_test_id("tab-playground").click()
        assert page.get_by_test_id("camera-toggle").get_attribute("data-on") == "false"
        assert video.evaluate("v => v.srcObject === null")
        assert errors == []
    finally:
        context.close()


def test_a_refused_camera_is_explained_and_the_rest_works(camera_browser, base_url):
    context, page, errors = open_teach(camera_browser, base_url)  # no camera permission
    try:
        page.get_by_test_id("camera-toggle").click()
        problem = page.get_by_test_id("camera-problem")
        problem.wait_for(timeout=SLOW)
        assert "refused" in problem.inner_text()
        assert "files or the samples" in problem.inner_text()
        assert page.get_by_test_id("camera-toggle").get_attribute("data-on") == "false"
        add_class(page, "mine")
        assert page.get_by_test_id("class-record-mine").is_disabled()
        page.get_by_test_id("class-add-current-mine").click()  # photos still come in
        page.wait_for_function("() => document.querySelectorAll('[data-testid=class-mine] "
                               ".thumb').length === 1", timeout=SLOW)
        assert errors == []
    finally:
        context.close()


def test_a_browser_without_a_camera_says_so_before_anything_is_pressed(camera_browser,
                                                                       base_url):
    context, page, errors = open_teach(
        camera_browser, base_url, permissions=["camera"],
        init_script="Object.defineProperty(navigator, 'mediaDevices', {value: undefined})")
    try:
        problem = page.get_by_test_id("camera-problem")
        problem.wait_for(timeout=SLOW)
        assert "offers no camera" in problem.inner_text()
        assert page.get_by_test_id("camera-toggle").is_disabled()
        assert page.get_by_test_id("live-toggle").is_disabled()
        assert errors == []
    finally:
        context.close()


def test_the_floating_preview_can_be_tucked_away_and_covers_nothing_for_good(
        camera_browser, base_url):
    """On a phone, scrolled away from the camera card, the preview floats in a corner; the
    tab leaves room below its last card so the end of the tab can be scrolled clear of it,
    and its close button tucks it into a small chip while the camera keeps running."""
    context = new_context(camera_browser, viewport={"width": 390, "height": 844},
                                         permissions=["camera"], has_touch=True)
    page = context.new_page()
    try:
        page.goto(base_url + "/#tab=teach")
        page.wait_for_function("() => document.querySelector('[data-testid=project-id]')"
                               ".textContent.startsWith('project')", timeout=SLOW)
        page.get_by_test_id("camera-toggle").click()
        page.wait_for_function("() => document.querySelector('[data-testid=camera-toggle]')"
                               ".dataset.on === 'true'", timeout=SLOW)
        view = page.get_by_test_id("camera-view")
        assert page.get_by_test_id("camera-float-hide").is_hidden()  # in its card: no need
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        page.wait_for_function("() => document.querySelector('[data-testid=camera-view]')"
                               ".classList.contains('floating')", timeout=SLOW)
        page.wait_for_function("() => Math.abs(window.scrollY + innerHeight - "
                               "document.documentElement.scrollHeight) < 2")
        floating = view.bounding_box()
        last_card = page.locator("[data-testid=teach] > .card").last.bounding_box()
        assert last_card["y"] + last_card["height"] <= floating["y"]
        SHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SHOTS / "teach-camera-floating-phone.png"))

        page.get_by_test_id("camera-float-hide").click()
        chip = page.get_by_test_id("camera-chip")
        chip.wait_for()
        assert "floating" not in view.get_attribute("class")
        assert chip.bounding_box()["height"] < 60 and chip.inner_text() == "Camera on: show it"
        video = page.get_by_test_id("camera-video")
        assert page.get_by_test_id("camera-toggle").get_attribute("data-on") == "true"
        assert video.evaluate("v => v.srcObject !== null && !v.paused")  # still running
        page.screenshot(path=str(SHOTS / "teach-camera-tucked-phone.png"))
        chip.click()
        assert "floating" in view.get_attribute("class") and chip.is_hidden()
    finally:
        context.close()
