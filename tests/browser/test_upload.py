"""The first moment: a photo of one's own, shown at once, then worked on."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.browser.test_playground import open_playground

pytestmark = pytest.mark.browser

# Holds back photo uploads until the test calls window.releaseUploads(), so what the page
# shows meanwhile can be looked at however slow the machine is.
SLOW_UPLOADS = """
const send = window.fetch;
const held = new Promise((done) => { window.releaseUploads = done; });
window.fetch = async (url, options) => {
  if (String(url) === "/api/images" && options && options.method === "POST") await held;
  return send(url, options);
};
"""


def test_an_uploaded_photo_shows_before_the_server_has_it(page):
    page.add_init_script(SLOW_UPLOADS)
    open_playground(page)
    buf = io.BytesIO()
    Image.fromarray(np.full((30, 50, 3), (200, 40, 40), np.uint8)).save(buf, "PNG")
    page.get_by_test_id("file-input").set_input_files(
        files=[{"name": "red.png", "mimeType": "image/png", "buffer": buf.getvalue()}])
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=input-image]');"
                           " return i.src.startsWith('blob:') && i.complete"
                           " && i.naturalWidth === 50; }")
    assert "Uploading" in page.get_by_test_id("status").inner_text()  # still on its way
    page.evaluate("window.releaseUploads()")
    page.wait_for_function("() => document.querySelector('[data-testid=input-size]')"
                           ".textContent === '50×30'")
    assert "/api/images/" in page.get_by_test_id("input-image").get_attribute("src")
