"""What a practitioner does in the CNN tab, in a real browser."""

from __future__ import annotations

import pytest

from tests.browser.conftest import SHOTS

pytestmark = pytest.mark.browser


def test_dog_predictions_feature_maps_gradcam_and_a_filter(page):
    page.goto(page.base + "/#tab=cnn&sample=dog_german_shepherd")
    predictions = page.get_by_test_id("predictions")
    predictions.locator("li").first.wait_for()
    assert "German shepherd" in predictions.inner_text()
    assert page.get_by_test_id("group-answer").inner_text().startswith("dog: 9")

    page.get_by_test_id("stage-stage2").click()
    page.wait_for_function("() => document.querySelector('[data-testid=fm-caption]')"
                           ".textContent.startsWith('24 × 56 × 56')")
    page.wait_for_function("() => { const i = document.querySelector('[data-testid=atlas]');"
                           " return i.complete && i.naturalWidth > 0; }")
    page.wait_for_function("() => { const i = document.querySelector("
                           "'[data-testid=gradcam-image]');"
                           " return i.complete && i.naturalWidth === 224; }")
    page.screenshot(path=str(SHOTS / "cnn.png"), full_page=True)

    page.get_by_test_id("stem-filter-3").click()
    page.wait_for_function("() => !document.querySelector('[data-panel=playground]').hidden")
    assert page.get_by_test_id("channels-rgb").is_checked()
    page.get_by_test_id("kernel-cell-2-2-2").wait_for()  # the B slice of a 3x3x3 kernel
    page.wait_for_function("() => document.querySelector('[data-testid=output-size]')"
                           ".textContent === '1024×768'")
