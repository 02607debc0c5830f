"""Receptive fields carried back to the photo, and the effective field, against oracles:
the resize's arithmetic done by hand, and the stem's gradient read off its weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.efficientnet_lite0 import load_pretrained
from models.receptive import PhotoGeometry, effective_field, fields, unit_box


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return load_pretrained()


def test_a_crop_box_lands_on_the_photo_pixels_it_was_resampled_from():
    # 1024 x 512: the shorter side 512 -> 256 halves it (2 photo pixels per resized
    # pixel); resized 512 x 256, so the crop starts 144 px in and 16 px down.
    g = PhotoGeometry.of(512, 1024)
    assert (g.sx, g.sy, g.left, g.top) == (2.0, 2.0, 144, 16)
    assert g.to_photo((0, 0, 0, 0)) == (288, 32, 289, 33)
    assert g.to_photo((10, 20, 76, 86)) == (308, 72, 441, 205)  # 67 crop px -> 134 photo px
    assert g.seen() == (288, 32, 735, 479)
    # 300 x 451: the shorter side grows 256 / 300; resized 256 x 385 (451 * 256 / 300 = 384.9).
    g = PhotoGeometry.of(300, 451)
    assert (g.left, g.top) == (80, 16)
    assert g.sx == pytest.approx(451 / 385) and g.sy == pytest.approx(300 / 256)
    x0, y0, x1, y1 = g.to_photo((0, 0, 223, 223))
    assert (x0, y0) == (int(80 * 451 / 385), int(16 * 300 / 256))
    assert x1 == int(np.ceil(304 * 451 / 385)) - 1 and y1 == int(np.ceil(240 * 300 / 256)) - 1


def test_boxes_are_clipped_to_the_photo():
    g = PhotoGeometry.of(224, 224)  # no crop margin: the photo is upscaled to 256
    assert g.to_photo((0, 0, 223, 223)) == (14, 14, 209, 209)  # 16 * 0.875, 240 * 0.875 - 1
    g = PhotoGeometry.of(256, 256)
    assert g.to_photo((-50, -50, 300, 300)) == (0, 0, 255, 255)


def test_a_unit_away_from_the_borders_has_the_full_field():
    for stage, f in fields().items():
        if f.size >= 224:
            continue
        mid = f.side // 2
        x0, y0, x1, y1 = unit_box(stage, mid, mid)
        assert (x1 - x0 + 1, y1 - y0 + 1) == (f.size, f.size), stage


def test_stem_effective_field_is_its_weights(model):
    """A stem unit before its ReLU6 is a linear function of its 3x3x3 patch: the gradient
    with respect to a pixel is the batch-norm scale times the weight on that pixel."""
    rng = np.random.default_rng(1)
    crop = rng.integers(0, 256, (224, 224, 3), dtype=np.uint8)
    row, col = 40, 50
    grad = effective_field(model, crop, "stem", row, col)
    w = model.stem.conv.weight.detach().numpy()  # (32, 3, 3, 3)
    bn = model.stem.bn
    scale = (bn.weight / torch.sqrt(bn.running_var + bn.eps)).detach().numpy()  # (32,)
    oracle = np.abs((w * scale[:, None, None, None]).sum(0)).sum(0)  # (3, 3)
    want = np.zeros((224, 224), np.float32)
    want[2 * row:2 * row + 3, 2 * col:2 * col + 3] = oracle  # offset 0: TF pads after
    np.testing.assert_allclose(grad, want, rtol=1e-5, atol=1e-7)
    one = effective_field(model, crop, "stem", row, col, channel=7)
    np.testing.assert_allclose(one[2 * row:2 * row + 3, 2 * col:2 * col + 3],
                               np.abs(w[7] * scale[7]).sum(0), rtol=1e-5)


@pytest.mark.parametrize("stage,row,col", [("stage2", 30, 20), ("stage3", 0, 27),
                                           ("stage4", 7, 7)])
def test_effective_field_lies_inside_the_theoretical_box(model, stage, row, col):
    crop = np.random.default_rng(2).integers(0, 256, (224, 224, 3), dtype=np.uint8)
    grad = effective_field(model, crop, stage, row, col)
    ys, xs = np.nonzero(grad)
    x0, y0, x1, y1 = unit_box(stage, row, col)
    assert len(xs) > 0
    assert x0 <= xs.min() and xs.max() <= x1 and y0 <= ys.min() and ys.max() <= y1
