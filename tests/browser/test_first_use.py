"""What a first-time user tripped on (issue: upload errors, stale Grad-CAM, headlines, true
scale, phones, feedback, legends, expired links, typing, zoom), each held to the fix."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import SHOTS, new_context
from tests.browser.test_playground import open_playground, output_src, wait_new_output

pytestmark = pytest.mark.browser

STATUS = "document.querySelector('[data-testid=status]')"
TEXT_AS_PNG = b"this is a text file, not a picture\n" * 20


def thin_png() -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.full((40, 2000, 3), 90, np.uint8)).save(buf, "PNG")  # 50:1
    return buf.getvalue()


# Hands a file to the page as a drop on the document or as a paste, as a browser would.
GIVE_FILE = """
([way, name, type, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const dt = new DataTransfer();
  dt.items.add(new File([bytes], name, { type }));
  if (way === "drop") {
    const drop = { dataTransfer: dt, bubbles: true, cancelable: true };
    document.dispatchEvent(new DragEvent("drop", drop));
  } else {
    document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
  }
}
"""


def give(page, way: str, data: bytes, name: str = "photo.png") -> None:
    if way == "picker":
        page.get_by_test_id("file-input").set_input_files(
            files=[{"name": name, "mimeType": "image/png", "buffer": data}])
    else:
        page.evaluate(GIVE_FILE, [way, name, "image/png", base64.b64encode(data).decode()])


@pytest.mark.parametrize("tab,way,data,words", [
    ("playground", "picker", TEXT_AS_PNG, "not an image we can read"),
    ("playground", "drop", TEXT_AS_PNG, "not an image we can read"),
    ("playground", "paste", TEXT_AS_PNG, "not an image we can read"),
    ("playground", "picker", b"thin", "aspect ratio of 50:1"),
    ("playground", "drop", b"thin", "aspect ratio of 50:1"),
    ("cnn", "picker", TEXT_AS_PNG, "not an image we can read"),
    ("cnn", "drop", TEXT_AS_PNG, "not an image we can read"),
    ("cnn", "paste", b"thin", "aspect ratio of 50:1"),
], ids=lambda v: "text" if v == TEXT_AS_PNG else "thin" if v == b"thin" else None)
def test_a_refused_upload_keeps_its_message_and_the_old_photo(page, tab, way, data, words):
    page.goto(page.base + f"/#tab={tab}&sample=dog_german_shepherd")
    if tab == "playground":
        wait_new_output(page, "")
    else:
        page.get_by_test_id("predictions").locator("li").first.wait_for()
    image = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('image')")
    give(page, way, thin_png() if data == b"thin" else data)
    page.wait_for_function(f"w => {STATUS}.textContent.includes(w)", arg=words)
    page.wait_for_timeout(2000)  # what the user sees two seconds later
    status = page.get_by_test_id("status")
    assert words in status.inner_text() and "error" in status.get_attribute("class")
    assert status.get_attribute("aria-live") == "assertive"  # announced at once
    assert page.evaluate("new URLSearchParams(location.hash.slice(1)).get('image')") == image


# Holds the first Grad-CAM picture request until the test releases it.
HOLD_FIRST_CAM = """
window.releaseCam = null;
const send = window.fetch;
let held = false;
window.fetch = async (url, options) => {
  if (!held && String(url).includes("/gradcam?")) {
    held = true;
    await new Promise((done) => { window.releaseCam = done; });
  }
  return send(url, options);
};
"""


def test_gradcam_shows_the_stage_asked_last_even_when_an_older_answer_comes_later(page):
    page.add_init_script(HOLD_FIRST_CAM)
    page.goto(page.base + "/#tab=cnn&sample=dog_german_shepherd")
    page.wait_for_function("() => window.releaseCam !== null")  # stage7, held
    page.get_by_test_id("gradcam-stage").select_option("stage4")
    page.wait_for_timeout(300)
    page.evaluate("window.releaseCam()")  # the stage7 answer now arrives after stage4 was asked
    caption = page.get_by_test_id("gradcam-caption")
    page.wait_for_function("() => document.querySelector('[data-testid=gradcam-caption]')"
                           ".textContent.includes('at stage4')")
    page.wait_for_load_state("networkidle")
    assert "at stage4" in caption.inner_text()
    assert page.get_by_test_id("gradcam-stage").input_value() == "stage4"


def test_the_top_class_leads_and_the_group_line_only_where_it_helps(page):
    page.goto(page.base + "/#tab=cnn&sample=animal_giant_panda")
    page.wait_for_function("() => document.querySelector('[data-testid=top-answer]')"
                           ".textContent.startsWith('giant panda')")
    assert page.get_by_test_id("group-answer").is_hidden()
    page.get_by_test_id("sample-dog_german_shepherd").click()
    page.wait_for_function("() => document.querySelector('[data-testid=top-answer]')"
                           ".textContent.startsWith('German shepherd')")
    assert page.get_by_test_id("group-answer").inner_text().startswith("dog: 9")
    size = page.evaluate("[...document.querySelectorAll('[data-testid=top-answer],"
                         "[data-testid=group-answer]')].map(e => parseFloat("
                         "getComputedStyle(e).fontSize))")
    assert size[0] > size[1]  # the group line is in smaller type


def test_a_strided_or_pooled_output_is_drawn_smaller(page):
    before = open_playground(page)
    page.get_by_test_id("stride").fill("2")
    after = wait_new_output(page, before)
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '512×384'")
    inp = page.get_by_test_id("input-image").bounding_box()
    out = page.get_by_test_id("output-image").bounding_box()
    assert out["width"] == pytest.approx(inp["width"] / 2, rel=0.02)
    page.get_by_test_id("output-size-mode").select_option("aligned")
    page.wait_for_function("w => Math.abs(document.querySelector('[data-testid=output-image]')"
                           ".getBoundingClientRect().width - w) < 3", arg=inp["width"])
    assert output_src(page) == after


def test_a_top_channel_click_brings_its_card_and_tile_into_view(page):
    page.goto(page.base + "/#tab=cnn&sample=dog_german_shepherd")
    first = page.get_by_test_id("attribution").locator("button").first
    first.wait_for()
    channel = first.inner_text().split()[1]
    first.click()
    page.wait_for_function("c => document.querySelector('[data-testid=channel-title]')"
                           ".textContent.includes('stage7 #' + c + ' ')", arg=channel)
    page.wait_for_function("() => { const r = document.querySelector('[data-testid=channel]')"
                           ".getBoundingClientRect();"
                           " return r.top < innerHeight && r.bottom > 0; }")
    pick = page.get_by_test_id("atlas-pick")
    assert pick.is_visible() and pick.get_attribute("data-channel") == channel
    assert "flash" in page.get_by_test_id("channel").get_attribute("class")


def test_an_rgb_output_gets_a_legend_that_is_true_for_it(page):
    before = open_playground(page)
    assert "negative" not in page.get_by_test_id("legend").inner_text()
    page.get_by_test_id("channels-rgb").check()
    wait_new_output(page, before)
    page.wait_for_function("() => document.querySelector('[data-testid=legend]')"
                           ".className.includes('rgb-diverging')")
    assert "Each of R, G and B" in page.get_by_test_id("legend").inner_text()


def test_an_expired_teach_link_says_the_project_is_gone(page):
    page.goto(page.base + "/#tab=teach&project=0123456789abcdef")
    page.wait_for_function(f"() => {STATUS}.textContent.includes('is gone')")
    page.wait_for_timeout(1000)
    assert "is gone" in page.get_by_test_id("status").inner_text()
    new = page.get_by_test_id("project-id").get_attribute("data-project")
    assert new and new != "0123456789abcdef"
    assert "0123456789abcdef" not in page.get_by_test_id("project-id").inner_text()


def test_a_number_being_typed_is_not_called_a_mistake(page):
    open_playground(page)
    cell = page.get_by_test_id("kernel-cell-0-0")
    cell.fill("")
    cell.type("-", delay=0)
    page.wait_for_timeout(400)
    assert "not numbers" not in page.get_by_test_id("status").inner_text()
    assert cell.get_attribute("aria-invalid") == "false"
    cell.type("0.5", delay=30)
    page.wait_for_timeout(300)
    assert "not numbers" not in page.get_by_test_id("status").inner_text()
    cell.fill("-")
    page.get_by_test_id("kernel-cell-1-1").focus()  # left half-typed: now it is a mistake
    page.wait_for_function(f"() => {STATUS}.textContent.includes('not numbers')")
    assert cell.get_attribute("aria-invalid") == "true"


def test_zoom_keeps_the_pinned_pixel_in_view(page):
    open_playground(page)
    box = page.get_by_test_id("output-image").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.7)
    page.get_by_test_id("inspector-sum-0").wait_for()
    page.get_by_test_id("zoom").fill("4")
    page.wait_for_timeout(300)
    view = page.get_by_test_id("input-viewport").bounding_box()
    patch = page.get_by_test_id("patch-box").bounding_box()
    assert view["x"] <= patch["x"] <= view["x"] + view["width"]
    assert view["y"] <= patch["y"] <= view["y"] + view["height"]


@pytest.mark.parametrize("width,height", [(1366, 850), (414, 896), (390, 844), (360, 740)])
def test_no_tab_scrolls_sideways_and_nothing_errs(browser, base_url, width, height):
    context = new_context(browser, viewport={"width": width, "height": height})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        for tab in ("playground", "cnn", "teach"):
            page.goto(base_url + f"/#tab={tab}")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= page.evaluate("innerWidth"), (tab, wide)
            page.screenshot(path=str(SHOTS / f"first-use-{tab}-{width}.png"), full_page=True)
        if width < 600:  # the samples are one row that scrolls by itself
            tops = page.evaluate("[...document.querySelectorAll('[data-testid^=sample-]')]"
                                 ".map(b => Math.round(b.getBoundingClientRect().top))")
            assert len(set(tops)) == 1
        assert errors == []
    finally:
        context.close()
