"""The summary sent with every edit (a plain dict on the hot path) keeps the declared shape."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.imaging.convolve import convolve, prepare_input
from app.imaging.encode import display_range
from app.playground.schemas import ConvRequest, ConvSummary
from app.playground.service import conv_summary

RGB = np.random.default_rng(5).integers(0, 256, (19, 26, 3), dtype=np.uint8)
SOBEL = [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]


CASES = [(channels, kernel, pool, display) for channels, kernel, pool, display in
         itertools.product(["gray", "rgb"], [SOBEL, [[1, 2], [3, 4]], [SOBEL, SOBEL, SOBEL]],
                           [None, {"kind": "max", "size": 2, "stride": 2}],
                           ["diverging", "minmax", "abs", "clip"])
         if channels == "rgb" or not isinstance(kernel[0][0], list)]  # R, G, B slices need rgb


@pytest.mark.parametrize(("channels", "kernel", "pool", "display"), CASES)
def test_every_summary_is_a_valid_conv_summary(channels, kernel, pool, display):
    request = ConvRequest(kernel=kernel, channels=channels, pool=pool, display=display,
                          stride=2, padding="same")
    spec = request.to_spec()
    result = convolve(prepare_input(RGB, channels), spec)
    summary = conv_summary(result, request, display_range(result.values, display))
    model = ConvSummary.model_validate(summary)
    assert model.model_dump() == summary  # nothing extra, nothing coerced
    assert (model.output.height, model.output.width) == result.values.shape[:2]
    assert model.stats.mean == pytest.approx(float(result.values.mean()), rel=1e-5, abs=1e-5)
