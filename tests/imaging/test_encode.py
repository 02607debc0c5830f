"""Display normalisation and encoding: what a signed result looks like as pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.imaging.encode import (
    DIVERGING_LUT,
    display_range,
    diverging_peak,
    encode,
    encode_npy,
    tile,
    to_display,
)


def test_diverging_maps_zero_to_white_and_signs_to_blue_and_red():
    v = np.array([[-10.0, 0.0, 10.0]], np.float32)
    rgb = to_display(v, "diverging")
    assert rgb.shape == (1, 3, 3)
    assert rgb[0, 1].tolist() == DIVERGING_LUT[128].tolist()  # white-ish
    assert rgb[0, 0, 2] > rgb[0, 0, 0] and rgb[0, 2, 0] > rgb[0, 2, 2]  # blue, red


@pytest.mark.parametrize("shape", [(100, 100), (100, 100, 3)])
def test_values_beyond_the_peak_saturate_instead_of_wrapping(shape):
    v = np.ones(shape, np.float32)
    v[0, 0] = 1e6  # far above the robust peak (1.0): full red, not wrapped
    v[0, 1] = -1e6  # far below: full blue, not folded back to white
    out = to_display(v, "diverging").astype(int)
    if len(shape) == 2:
        assert out[0, 0].tolist() == DIVERGING_LUT[255].tolist()
        assert out[0, 1].tolist() == DIVERGING_LUT[0].tolist()
    else:
        assert out[0, 0].tolist() == [255, 255, 255] and out[0, 1].tolist() == [0, 0, 0]


def test_diverging_scale_ignores_a_few_outliers():
    v = np.ones((100, 100), np.float32)
    v[0, 0] = 1e6
    assert diverging_peak(v) == pytest.approx(1.0)
    assert display_range(v, "diverging") == (-1.0, 1.0)


@pytest.mark.parametrize("mode,expected", [
    ("clip", [0, 0, 100, 255]), ("abs", [50, 0, 100, 255]), ("minmax", [0, 36, 109, 255]),
])
def test_gray_modes(mode, expected):
    v = np.array([[-50.0, 0.0, 100.0, 300.0]], np.float32)
    assert to_display(v, mode)[0].tolist() == expected


def test_flat_output_does_not_divide_by_zero():
    v = np.zeros((4, 4), np.float32)
    for mode in ("clip", "abs", "minmax", "diverging"):
        assert np.isfinite(to_display(v, mode).astype(float)).all()


@pytest.mark.parametrize("fmt", ["png", "jpeg", "webp", "bmp"])
def test_encode_round_trips_rgb_order(fmt):
    rgb = np.zeros((8, 8, 3), np.uint8)
    rgb[..., 0] = 250  # red
    back = np.asarray(Image.open(io.BytesIO(encode(rgb, fmt))).convert("RGB"))
    assert back[4, 4, 0] > 200 and back[4, 4, 2] < 50


def test_npy_and_tiles():
    v = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_array_equal(np.load(io.BytesIO(encode_npy(v))), v)
    grid = tile([np.full((2, 2, 3), k, np.uint8) for k in range(5)], cols=3, gap=1)
    assert grid.shape == (5, 8, 3) and grid[3, 0, 0] == 3


def test_the_fast_rgb_diverging_map_equals_the_definition_within_one_grey_level():
    """Three channels centred on grey: clip to the robust peak, scale to 0-255, round (the
    NumPy definition the OpenCV pass replaced)."""
    from app.imaging.encode import display_range

    rng = np.random.default_rng(3)
    values = rng.normal(0, 300, (61, 47, 3)).astype(np.float32)
    values[0, 0] = (5000, -5000, 0)  # beyond the peak: saturates
    low, high = display_range(values, "diverging")
    want = np.clip(np.clip(values, -high, high) * (127.5 / high) + 127.5 + 0.5, 0, 255
                   ).astype(np.uint8)
    got = to_display(values, "diverging", (low, high))
    assert got.shape == values.shape and got.dtype == np.uint8
    assert int(np.abs(got.astype(int) - want.astype(int)).max()) <= 1
    assert tuple(got[0, 0]) == (255, 0, 128)


@pytest.mark.parametrize("shape", [(37, 52, 3), (36, 53), (2, 3, 3)])
@pytest.mark.parametrize(("drawn_scale", "halvings"), [(1.0, 0), (0.51, 0), (0.5, 1),
                                                       (0.3, 1), (0.25, 2), (0.1, 3)])
def test_a_frame_drawn_small_is_halved_into_2x2_means(shape, drawn_scale, halvings):
    """Each halving averages 2x2 blocks (an odd last row or column dropped), and stops before
    the picture would have fewer pixels than where it is drawn."""
    from app.imaging.encode import fit_drawn_scale

    pixels = np.random.default_rng(4).integers(0, 256, shape, dtype=np.uint8)
    want = pixels.astype(np.float64)
    for _ in range(halvings):
        if min(want.shape[:2]) < 2:
            break
        h, w = want.shape[0] // 2 * 2, want.shape[1] // 2 * 2
        want = (want[0:h:2, 0:w:2] + want[1:h:2, 0:w:2] + want[0:h:2, 1:w:2]
                + want[1:h:2, 1:w:2]) / 4
    got = fit_drawn_scale(pixels, drawn_scale)
    assert got.shape == want.shape and got.dtype == np.uint8
    assert int(np.abs(got.astype(int) - np.round(want)).max()) <= 1
