"""Large low-rank kernels take the separable passes: the same layer as torch computes it."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from app.imaging.convolve import ConvSpec, PoolSpec
from app.imaging.filter import correlate, separable_parts
from tests.imaging.test_convolve import RGB, assert_matches

GAUSSIAN_15 = (cv2.getGaussianKernel(15, 3.0) @ cv2.getGaussianKernel(15, 3.0).T)
BLUR_AND_BUMP_9 = np.full((9, 9), 1 / 81) + np.pad([[0.5]], 4)  # rank 2
OUTER_7x11 = np.outer(np.arange(-3, 4), np.linspace(-1, 2, 11))  # rank 1, not square
LOW_RANK = {"gaussian 15x15": GAUSSIAN_15, "blur + bump 9x9": BLUR_AND_BUMP_9,
            "outer 7x11": OUTER_7x11}


@pytest.mark.parametrize(("name", "rank"), [("gaussian 15x15", 1), ("blur + bump 9x9", 2),
                                            ("outer 7x11", 1)])
def test_low_rank_kernels_are_split_into_outer_products(name, rank):
    kernel = LOW_RANK[name].astype(np.float32)
    parts = separable_parts(kernel)
    assert parts is not None and len(parts) == rank
    rebuilt = sum(np.outer(column, row) for column, row in parts)
    np.testing.assert_allclose(rebuilt, kernel, rtol=0, atol=1e-6)


def test_small_or_full_rank_kernels_stay_whole():
    rng = np.random.default_rng(2)
    assert separable_parts(np.ones((3, 3), np.float32)) is None  # too few taps to gain
    assert separable_parts(rng.normal(size=(15, 15)).astype(np.float32)) is None  # rank 15
    assert separable_parts(np.zeros((9, 9), np.float32)) is None


@pytest.mark.parametrize("name", sorted(LOW_RANK))
@pytest.mark.parametrize("border", ["zero", "replicate", "reflect", "reflect101"])
@pytest.mark.parametrize(("channels", "stride", "padding", "dilation"), [
    ("gray", 1, "same", 1), ("rgb", 1, "same", 1), ("gray", 2, "same", 1),
    ("rgb", 1, "valid", 1), ("gray", 1, 3, 2), ("rgb", 3, "same", 2)])
def test_separable_passes_match_torch(name, border, channels, stride, padding, dilation):
    big = np.ascontiguousarray(np.tile(RGB, (2, 2, 1)))  # 46x60: room for dilated 15x15
    kernel = LOW_RANK[name].astype(np.float32)
    assert_matches(big, ConvSpec(kernel, stride=stride, padding=padding, border=border,
                                 dilation=dilation, bias=-7.0, channels=channels, relu=True,
                                 pool=PoolSpec("max", 2, 2)))


def test_rgb_slices_of_low_rank_kernels_match_torch():
    big = np.ascontiguousarray(np.tile(RGB, (2, 2, 1)))
    kernel = np.stack([GAUSSIAN_15, -GAUSSIAN_15, np.roll(GAUSSIAN_15, 2, axis=1)])
    assert_matches(big, ConvSpec(kernel.astype(np.float32), channels="rgb", border="reflect",
                                 bias=4.0))


def test_the_passes_equal_filter2d_on_a_photo_sized_input():
    x = np.random.default_rng(3).uniform(0, 255, (120, 160, 3)).astype(np.float32)
    kernel = BLUR_AND_BUMP_9.astype(np.float32)
    want = cv2.filter2D(x, cv2.CV_32F, kernel, anchor=(3, 5), delta=2.5,
                        borderType=cv2.BORDER_REFLECT_101)
    got = correlate(x, kernel, (3, 5), 2.5, cv2.BORDER_REFLECT_101)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-3)
