"""What a student does in the kernel playground, in a real browser."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser


def output_src(page) -> str:
    return page.get_by_test_id("output-image").get_attribute("src") or ""


def wait_new_output(page, old: str) -> str:
    page.wait_for_function(
        "old => { const i = document.querySelector('[data-testid=output-image]');"
        " return i.src && i.src !== old && i.complete && i.naturalWidth > 0; }", arg=old)
    return output_src(page)


def open_playground(page, sample: str = "dog_german_shepherd") -> str:
    """The playground on ``sample`` (the tests' geometry is the dog's 1024x768); "" opens
    the page as a newcomer does."""
    page.goto(page.base + (f"/#sample={sample}" if sample else "/"))
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=input-image]');"
                           " return i.complete && i.naturalWidth > 0; }")
    return wait_new_output(page, "")


def upload_png(page, arr: np.ndarray, name: str) -> None:
    """Send ``arr`` through the file input as a PNG and wait for its output and size."""
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    before = output_src(page)
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": buf.getvalue()}])
    wait_new_output(page, before)
    h, w = arr.shape[:2]
    page.wait_for_function("size => document.querySelector('[data-testid=input-size]')"
                           ".textContent === size", arg=f"{w}×{h}")


def test_sobel_edit_and_inspect(page):
    first = open_playground(page)
    page.get_by_test_id("sample-dog_german_shepherd").click()
    page.get_by_test_id("preset").select_option("box_blur")
    blurred = wait_new_output(page, first)
    page.get_by_test_id("preset").select_option("sobel_x")
    sobel = wait_new_output(page, blurred)
    assert "Sobel" in page.get_by_test_id("preset-note").inner_text() or \
        "gradient" in page.get_by_test_id("preset-note").inner_text()

    cell = page.get_by_test_id("kernel-cell-1-1")
    cell.fill("3")
    edited = wait_new_output(page, sobel)
    assert edited != sobel
    assert page.get_by_test_id("preset").input_value() == ""  # now a custom kernel
    assert page.get_by_test_id("kernel-sum").inner_text() == "sum 3"

    box = page.get_by_test_id("output-image").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.45)
    equation = page.get_by_test_id("inspector-sum-0")
    equation.wait_for()
    text = equation.inner_text()
    total, bias, value = (float(v) for v in re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)[:3])
    assert total + bias == pytest.approx(value, abs=1e-3)
    products = [float(td) for td in page.locator(".products td").all_inner_texts()]
    assert sum(products) == pytest.approx(total, rel=1e-2, abs=0.05)
    assert page.get_by_test_id("patch-box").is_visible()
    page.screenshot(path=str(SHOTS / "playground-inspect.png"), full_page=True)


def test_stride_and_pooling_show_the_arithmetic(page):
    first = open_playground(page)
    page.get_by_test_id("stride").fill("2")
    page.get_by_test_id("pool").select_option("max")
    wait_new_output(page, first)
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '256×192'")
    formula = page.get_by_test_id("formula").inner_text()
    assert "= 384" in formula and "= 192" in formula  # 768 / 2 conv, then / 2 pool


def test_upload_a_png_through_the_file_input(page):
    open_playground(page)
    arr = np.zeros((60, 80, 3), np.uint8)
    arr[:, 40:] = 255
    upload_png(page, arr, "edge.png")


def test_copied_link_reproduces_the_kernel(page):
    open_playground(page)
    page.get_by_test_id("preset").select_option("laplacian_8")
    page.get_by_test_id("relu").check()
    page.get_by_test_id("copy-link").click()
    page.wait_for_function("() => document.querySelector('[data-testid=status]')"
                           ".textContent.includes('copied')")
    url = page.evaluate("navigator.clipboard.readText()")
    assert "relu=1" in url
    page.goto("about:blank")
    page.goto(url)
    page.get_by_test_id("kernel-cell-1-1").wait_for()
    page.wait_for_function("() => document.querySelector('[data-testid=kernel-cell-1-1]')"
                           ".value === '-8'")
    assert page.get_by_test_id("relu").is_checked()


def test_the_first_view_is_sobel_on_the_macaw(page):
    open_playground(page, sample="")
    macaw = page.get_by_test_id("sample-bird_scarlet_macaw")
    assert "active" in (macaw.get_attribute("class") or "")
    assert page.get_by_test_id("input-size").inner_text() == "1024×793"
    assert page.get_by_test_id("preset").input_value() == "sobel_x"
    page.screenshot(path=str(SHOTS / "playground-first-load.png"))


def test_reload_keeps_an_uploaded_photo(page):
    open_playground(page)
    arr = np.zeros((50, 70, 3), np.uint8)
    arr[10:40, 20:50] = (255, 128, 0)
    upload_png(page, arr, "square.png")
    page.reload()
    wait_new_output(page, "")
    page.wait_for_function("() => document.querySelector('[data-testid=input-size]')"
                           ".textContent === '70×50'")  # the link's photo, not the default dog


def test_rgb_kernel_from_a_link_is_summed_over_channels(page):
    kernel = "0,0,0;0,1,0;0,0,0|0,0,0;0,-1,0;0,0,0|0,0,0;0,0,0;0,0,0"
    page.goto(page.base + f"/#channels=rgb&preset=&k={kernel}&sample=dog_german_shepherd")
    wait_new_output(page, "")
    assert page.get_by_test_id("kernel-cell-2-1-1").is_visible()  # the B slice's centre
    assert page.get_by_test_id("kernel-cell-0-1-1").input_value() == "1"
    assert page.get_by_test_id("output-size").inner_text() == "1024×768"
    box = page.get_by_test_id("output-image").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.6)
    equation = page.get_by_test_id("inspector-sum-0")
    equation.wait_for()
    numbers = re.findall(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", equation.inner_text())
    total, bias, value = (float(v) for v in numbers[:3])
    assert total + bias == pytest.approx(value, abs=1e-3)
    # Three products tables (R, G, B), whose entries add up to the sum shown.
    products = [float(td) for td in page.locator(".products td").all_inner_texts()]
    assert len(products) == 27
    assert sum(products) == pytest.approx(total, rel=1e-2, abs=0.05)
    assert "Channel B" in page.get_by_test_id("inspector-body").inner_text()
    page.screenshot(path=str(SHOTS / "playground-rgb-kernel.png"), full_page=True)


def test_a_cell_that_is_not_a_number_is_marked_and_not_sent(page):
    before = open_playground(page)
    cell = page.get_by_test_id("kernel-cell-0-0")
    cell.fill("abc")
    page.wait_for_function("() => document.querySelector('[data-testid=kernel-cell-0-0]')"
                           ".classList.contains('invalid')")
    page.wait_for_timeout(500)
    assert output_src(page) == before
    # The link keeps the last kernel that was all numbers (Sobel x), never NaN.
    link = page.evaluate("location.hash")
    assert "NaN" not in link and "k=-1%2C0%2C1%3B-2%2C0%2C2%3B-1%2C0%2C1" in link
    cell.fill("2")
    wait_new_output(page, before)
    assert "k=2%2C0%2C1%3B" in page.evaluate("location.hash")


def test_a_hash_typed_into_the_address_bar_is_followed(page):
    before = open_playground(page)
    page.evaluate("location.hash = '#preset=laplacian_8&stride=2'")
    wait_new_output(page, before)
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '512×384'")
    assert page.get_by_test_id("kernel-cell-1-1").input_value() == "-8"
    assert page.get_by_test_id("stride").input_value() == "2"
    assert page.get_by_test_id("preset").input_value() == "laplacian_8"


def test_a_missing_tab_module_leaves_the_playground_working(page):
    page.route("**/static/js/cnn.js*", lambda route: route.abort())
    before = open_playground(page)
    page.get_by_test_id("tab-cnn").click()
    page.wait_for_function("() => document.querySelector('[data-testid=status]')"
                           ".textContent.includes('could not be loaded')")
    page.get_by_test_id("tab-playground").click()
    page.get_by_test_id("preset").select_option("box_blur")
    wait_new_output(page, before)


def test_downloads_carry_the_output(page):
    open_playground(page)
    with page.expect_download() as png:
        page.get_by_test_id("download-png").click()
    path = png.value.path()
    assert png.value.suggested_filename.endswith(".png")
    with Image.open(path) as img:
        assert img.size == (1024, 768)
    with page.expect_download() as npy:
        page.get_by_test_id("download-npy").click()
    assert npy.value.suggested_filename.endswith(".npy")
    assert npy.value.suggested_filename[:-4] == png.value.suggested_filename[:-4]
    values = np.load(npy.value.path())
    assert values.shape[-2:] == (768, 1024) or values.shape[:2] == (768, 1024)


def test_hover_follows_the_kernel_and_a_click_pins_it(page):
    open_playground(page)
    page.get_by_test_id("zoom").fill("1")  # 100%: one output pixel per screen pixel
    box = page.get_by_test_id("output-viewport").bounding_box()

    def boxes():
        return page.evaluate("() => ['pixel-box', 'patch-box'].map(id => {"
                             " const b = document.querySelector(`[data-testid=${id}]`);"
                             " return b.hidden ? null : [b.style.left, b.style.top]; })")

    page.mouse.move(box["x"] + 60, box["y"] + 50)
    page.wait_for_function("() => !document.querySelector('[data-testid=pixel-box]').hidden")
    page.get_by_test_id("inspector-sum-0").wait_for()
    first = boxes()
    assert None not in first
    page.mouse.move(box["x"] + 120, box["y"] + 90)
    page.wait_for_function("old => { const b = document.querySelector('[data-testid=pixel-box]');"
                           " return b.style.left !== old; }", arg=first[0][0])
    page.mouse.click(box["x"] + 120, box["y"] + 90)
    page.wait_for_function("() => document.querySelector('[data-testid=inspector-where]')"
                           ".textContent.includes('pinned')")
    pinned = page.get_by_test_id("inspector-where").inner_text()
    page.mouse.move(box["x"] + 30, box["y"] + 30)
    page.wait_for_timeout(400)
    assert page.get_by_test_id("inspector-where").inner_text() == pinned


def test_arrow_keys_move_between_kernel_cells(page):
    open_playground(page)
    page.get_by_test_id("kernel-cell-0-0").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowRight")
    assert page.evaluate("document.activeElement.dataset.testid") == "kernel-cell-1-1"


def test_the_playground_fits_when_opened_from_another_tab(page):
    page.goto(page.base + "/#tab=cnn")
    wait_new_output(page, "")  # drawn while its panel was hidden
    page.wait_for_function("() => document.querySelector('[data-testid=input-image]').complete")
    page.wait_for_timeout(300)
    page.get_by_test_id("tab-playground").click()
    page.wait_for_function("() => document.querySelector('[data-testid=output-image]')"
                           ".getBoundingClientRect().width > 200")
    assert "(fit)" in page.get_by_test_id("zoom-out").inner_text()


def test_output_over_wide_padding_is_shown_beside_the_input(page):
    open_playground(page)
    upload_png(page, np.full((5, 6, 3), 200, np.uint8), "tiny.png")
    page.get_by_test_id("output-size-mode").select_option("aligned")  # lined up with the input
    before = output_src(page)
    page.get_by_test_id("padding").select_option("explicit")
    page.get_by_test_id("padding-number").fill("3")
    wait_new_output(page, before)
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '10×9'")  # 6 + 2·3 − 2 by 5 + 2·3 − 2
    out = page.get_by_test_id("output-image").bounding_box()
    inp = page.get_by_test_id("input-image").bounding_box()
    view = page.get_by_test_id("output-viewport").bounding_box()
    assert out["width"] == pytest.approx(inp["width"] * 10 / 6, rel=0.02)
    assert out["x"] >= view["x"] - 1  # the columns over the left padding are not cut off
    # Output column 2 lies over input column 0 in the other viewport.
    assert out["x"] - view["x"] + 2 * out["width"] / 10 == pytest.approx(
        inp["x"] - page.get_by_test_id("input-viewport").bounding_box()["x"], abs=2)


def test_a_pinned_pixel_survives_pooling_that_shrinks_the_output(page):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    before = open_playground(page)
    box = page.get_by_test_id("output-image").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9)
    page.get_by_test_id("inspector-sum-0").wait_for()
    # Two quick edits: the first one's output arrives while the second waits its turn.
    page.get_by_test_id("stride").fill("2")
    page.get_by_test_id("pool").select_option("max")
    wait_new_output(page, before)
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '256×192'")
    page.get_by_test_id("inspector-pool").wait_for()
    assert "error" not in (page.get_by_test_id("status").get_attribute("class") or "")
    assert failed == []  # no inspection of the old, larger output with the new settings
    where = page.get_by_test_id("inspector-where").inner_text()
    x, y = (int(v) for v in re.findall(r"\d+", where)[:2])
    assert x < 256 and y < 192


def test_a_slow_answer_shows_updating_until_it_arrives(page):
    # Over HTTP, where a route can hold the answer: the live WebSocket is refused here
    # (tests/browser/test_live.py holds a live answer instead).
    page.route_web_socket("**/api/playground/live", lambda ws: ws.close())
    before = open_playground(page)
    held = []
    page.route("**/convolve*", lambda route: held.append(route))
    page.get_by_test_id("kernel-cell-1-1").fill("1")
    busy = page.get_by_test_id("busy")
    busy.wait_for(state="visible")  # shown once the answer takes longer than 150 ms
    assert len(held) == 1 and output_src(page) == before
    held[0].continue_()
    page.unroute("**/convolve*")
    wait_new_output(page, before)
    busy.wait_for(state="hidden")



def test_on_a_phone_the_sliders_sit_right_under_the_output_they_change(page):
    """One column on a phone: the kernel, the images and the pixel explained, then the
    stride, bias and pooling controls, then the output size; the stride slider is within a
    screen of the output (it sat under the whole explanation, some 1,000 px further)."""
    page.set_viewport_size({"width": 390, "height": 844})
    open_playground(page)

    def top(testid: str) -> float:
        return page.get_by_test_id(testid).bounding_box()["y"]

    order = ["kernel-grid", "output-viewport", "inspector", "stride", "bias", "pool",
             "arithmetic"]
    tops = [top(t) for t in order]
    assert tops == sorted(tops), dict(zip(order, tops, strict=True))
    output = page.get_by_test_id("output-viewport").bounding_box()
    assert top("stride") - (output["y"] + output["height"]) < 844 / 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "playground-phone-order.png"), full_page=True)
