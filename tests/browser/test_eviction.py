"""An evicted image is re-sent by the page itself, and the user's settings survive."""

from __future__ import annotations

import pytest

from tests.browser.test_playground import output_src, wait_new_output
from tests.support.servers import convlens_server

pytestmark = pytest.mark.browser


def test_evicted_photo_is_reuploaded_transparently(browser):
    # Room for one 1024x768 photo only: loading any other photo evicts the current one.
    with convlens_server({"CONVLENS_IMAGE_CACHE_BYTES": str(3 * 1024 * 1024)}) as base:
        page = browser.new_page()
        page.goto(base + "/#sample=dog_german_shepherd&preset=sobel_y&stride=2")
        first = wait_new_output(page, "")
        dog_id = page.evaluate("new URLSearchParams(location.hash.slice(1)).get('image')")
        # Another client fills the server's store behind the page's back.
        page.evaluate("fetch('/api/samples/cat_chelsea/image', {method: 'POST'})")
        page.wait_for_function(
            f"() => fetch('/api/images/{dog_id}').then(r => r.status === 404)")
        page.get_by_test_id("kernel-cell-0-0").fill("-3")
        wait_new_output(page, first)
        assert page.get_by_test_id("status").inner_text() == ""
        assert page.get_by_test_id("stride").input_value() == "2"
        assert page.get_by_test_id("output-size").inner_text() == "512×384"
        assert output_src(page)
        # The page put the photo back (same content, same id): the server has it again.
        assert page.evaluate(f"fetch('/api/images/{dog_id}').then(r => r.status)") == 200
        page.close()
