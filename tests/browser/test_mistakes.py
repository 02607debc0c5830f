"""What a user sees when something goes wrong: every mistake is said, nothing stale poses
as current, and nothing the user made is lost."""

from __future__ import annotations

import numpy as np
import pytest

from tests.browser.conftest import SHOTS
from tests.browser.test_playground import open_playground, upload_png, wait_new_output

pytestmark = pytest.mark.browser

STATUS = "document.querySelector('[data-testid=status]')"


def test_settings_that_leave_no_output_grey_out_the_last_one(page):
    open_playground(page)
    upload_png(page, np.full((20, 20, 3), 128, np.uint8), "small.png")
    page.get_by_test_id("padding").select_option("valid")
    page.get_by_test_id("stride").fill("8")
    before = page.get_by_test_id("output-image").get_attribute("src")
    page.get_by_test_id("pool").select_option("max")
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '1×1'")  # 3x3 conv output, 2x2 pool
    shown = wait_new_output(page, before)
    page.get_by_test_id("pool-size").fill("8")
    page.wait_for_function(f"() => {STATUS}.textContent.includes('pool does not fit')")
    assert page.get_by_test_id("output-stale").is_visible()
    assert page.get_by_test_id("output-image").get_attribute("src") == shown
    page.screenshot(path=str(SHOTS / "playground-stale.png"))
    page.get_by_test_id("pool-size").fill("2")
    wait_new_output(page, shown)
    page.get_by_test_id("output-stale").wait_for(state="hidden")
    assert page.get_by_test_id("status").inner_text() == ""


def test_a_number_out_of_range_shows_the_value_used(page):
    open_playground(page)
    page.get_by_test_id("pool").select_option("max")
    size = page.get_by_test_id("pool-size")
    size.fill("20")
    size.press("Tab")
    assert size.input_value() == "8"


def test_a_fraction_is_a_kernel_entry(page):
    before = open_playground(page)
    page.get_by_test_id("preset").select_option("identity")
    identity = wait_new_output(page, before)
    for i in range(3):
        for j in range(3):
            page.get_by_test_id(f"kernel-cell-{i}-{j}").fill("1/9")
    wait_new_output(page, identity)
    page.wait_for_function("() => document.querySelector('[data-testid=kernel-sum]')"
                           ".textContent === 'sum 1'")
    assert page.locator("[data-testid=kernel-grid] input.invalid").count() == 0
    page.get_by_test_id("kernel-cell-0-0").fill("0x10")
    page.wait_for_function(f"() => {STATUS}.textContent.includes('fraction')")
    assert page.locator("[data-testid=kernel-grid] input.invalid").count() == 1


def test_a_link_to_a_photo_the_server_dropped_says_so(page):
    page.goto(page.base + "/#image=" + "ab" * 16 + "&k=1,0,-1")
    page.wait_for_function(f"() => {STATUS}.textContent.includes('no longer on the server')")
    page.wait_for_function("() => document.querySelector('[data-testid=input-size]')"
                           ".textContent === '1024×793'")  # the default sample, the macaw
    assert page.get_by_test_id("kernel-cell-0-2").input_value() == "-1"  # the rest survives


# Holds back the next /predict requests by the given delays (ms), to order answers at will.
DELAY_PREDICTS = """
window.predictDelays = [];
const send = window.fetch;
window.fetch = async (url, options) => {
  if (String(url).includes("/predict") && window.predictDelays.length) {
    const ms = window.predictDelays.shift();
    await new Promise((done) => setTimeout(done, ms));
  }
  return send(url, options);
};
"""


def test_the_cnn_tab_shows_the_photo_clicked_last(page):
    page.add_init_script(DELAY_PREDICTS)
    page.goto(page.base + "/#tab=cnn&sample=dog_german_shepherd")
    page.get_by_test_id("predictions").locator("li").first.wait_for()
    # The macaw's answer comes back after the baseball was clicked, but before the baseball's.
    page.evaluate("window.predictDelays = [300, 900]")
    page.get_by_test_id("sample-bird_scarlet_macaw").click()
    page.wait_for_timeout(100)
    page.get_by_test_id("sample-object_baseball").click()
    # The baseball's answer is the last to arrive (the macaw's came before it).
    page.wait_for_function("() => document.querySelector('[data-testid=predictions] li')"
                           ".textContent.startsWith('baseball')")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("predictions").locator("li").first.inner_text() \
        .startswith("baseball")


def test_gradcam_takes_a_typed_name_and_explains_a_refusal(page):
    page.goto(page.base + "/#tab=cnn&sample=dog_german_shepherd")
    page.get_by_test_id("predictions").locator("li").first.wait_for()
    box = page.get_by_test_id("gradcam-class")
    box.fill("tabby")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-testid=gradcam-caption]')"
                           ".textContent.includes('\"tabby\"')")
    box.fill("terrier")
    box.press("Enter")
    page.wait_for_function(f"() => {STATUS}.textContent.includes('fits')")
    assert "stale" in page.get_by_test_id("gradcam-box").get_attribute("class")
    assert "previous" in page.get_by_test_id("gradcam-caption").inner_text()
    page.get_by_test_id("gradcam-stage").select_option("stem")
    box.fill("")
    box.press("Enter")
    page.wait_for_function("() => !document.querySelector('[data-testid=gradcam-box]')"
                           ".classList.contains('stale')")
    caption = page.get_by_test_id("gradcam-caption").inner_text()
    assert "stem" in caption and "zero everywhere" in caption
    box.fill("tabby")
    box.press("Enter")
    page.wait_for_function("() => new URLSearchParams(location.hash.slice(1)).get('cls')"
                           " === 'tabby'")
    page.reload()  # the link brings back the class and the stage
    page.wait_for_function("() => document.querySelector('[data-testid=gradcam-caption]')"
                           ".textContent.includes('\"tabby\" at stem')")
    assert page.get_by_test_id("gradcam-class").input_value() == "tabby"


def test_a_bad_head_file_leaves_the_project_as_it_was(page):
    page.goto(page.base + "/#tab=teach")
    page.wait_for_function("() => document.querySelector('[data-testid=project-id]')"
                           ".textContent.startsWith('project')")
    project = page.get_by_test_id("project-id").get_attribute("data-project")
    page.get_by_test_id("class-name").fill("mine")
    page.get_by_test_id("add-class").click()
    page.get_by_test_id("class-mine").wait_for()
    page.get_by_test_id("import-head").set_input_files(
        files=[{"name": "head.pt", "mimeType": "application/octet-stream", "buffer": b"junk"}])
    page.wait_for_function(f"() => {STATUS}.textContent.includes('not a ConvLens head')")
    assert page.get_by_test_id("project-id").get_attribute("data-project") == project
    assert page.evaluate("new URLSearchParams(location.hash.slice(1)).get('project')") == project
    page.get_by_test_id("class-add-current-mine").click()  # the project still works
    page.wait_for_function("() => document.querySelectorAll('[data-testid=class-mine] .thumb')"
                           ".length === 1")
