"""Receptive fields carried back to the photo, and the effective field, against oracles:
the resize's arithmetic done by hand, the stem's gradient read off its weights, and every
stage's box against the gradient support of a linearised copy of the network."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from models.efficientnet_lite0 import load_pretrained
from models.featurevis import stage_value
from models.receptive import PhotoGeometry, effective_field, fields, unit_box
from models.stage_table import build_stage_table
from models.stages import STAGE_IDS


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


def test_sizes_and_strides_are_the_stage_tables(model):
    table = {row["id"]: row for row in build_stage_table(model)}
    for stage, f in fields().items():
        assert (f.size, f.stride) == (table[stage]["receptive_field"], table[stage]["stride"])
        assert f.side == table[stage]["out_shape"][1]


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


@pytest.fixture(scope="module")
def linearised(model):
    """A copy of the network made linear and free of cancellation: every conv weight
    ``|w| + 0.01`` (no zero, no sign), batch norm the identity, no ReLU6. A unit's gradient
    is then positive on exactly the input pixels some path of convs reaches: the field."""
    net = copy.deepcopy(model)
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            module.weight.data = module.weight.data.abs() + 0.01
        elif isinstance(module, nn.BatchNorm2d):
            module.running_mean.zero_()
            module.running_var.fill_(1 - module.eps)  # (x - 0) / sqrt(1 - eps + eps) = x
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
    for module in list(net.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.ReLU6):
                setattr(module, name, nn.Identity())
    return net.eval()


@pytest.mark.parametrize("stage", STAGE_IDS)
def test_box_is_the_gradient_support_of_a_linearised_network(linearised, stage):
    """The arithmetic (sizes, strides, TF padding offsets) against the network itself: the
    support of the linearised copy's gradient equals ``unit_box`` for corner, edge and
    interior units of every stage."""
    side = fields()[stage].side
    for row, col in ((0, 0), (side - 1, side - 1), (side // 2, side // 3), (1, side - 2)):
        x = torch.zeros(1, 3, 224, 224, requires_grad=True)
        unit = stage_value(linearised, stage, x)[0, :, row, col].sum()
        (grad,) = torch.autograd.grad(unit, [x])  # (1, 3, 224, 224)
        ys, xs = np.nonzero(grad[0].abs().sum(0).numpy())
        support = (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))
        assert support == unit_box(stage, row, col), (stage, row, col)
