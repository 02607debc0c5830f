"""Feature visualisation and receptive fields against oracles: the model's own forward,
torch.nn.functional written out by hand, NumPy's covariance, and gradient support."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from models.efficientnet_lite0 import load_pretrained
from models.featurevis import Visualisation, colour_mixing, stage_value
from models.receptive import fields, unit_box
from models.stage_table import build_stage_table
from models.stages import STAGE_IDS


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return load_pretrained()


@pytest.fixture(scope="module")
def x():
    g = torch.Generator().manual_seed(3)
    return torch.rand(2, 3, 96, 96, generator=g) * 2 - 1  # (2, 3, 96, 96) model scale


def test_stage_value_is_the_stage_before_its_relu6(model, x):
    with torch.inference_mode():
        _, acts = model.forward_stages(x, parts=False)
        for stage in STAGE_IDS:
            v = stage_value(model, stage, x)
            if stage in ("stem", "head"):
                # Written out: the conv, then batch norm with the running statistics.
                conv = getattr(model, stage).conv
                bn = getattr(model, stage).bn
                inp = x if stage == "stem" else acts["stage7"]
                pad = [0, 1, 0, 1] if stage == "stem" else [0, 0, 0, 0]  # TF 'same', 96 even
                ref = F.batch_norm(F.conv2d(F.pad(inp, pad), conv.weight, stride=conv.stride),
                                   bn.running_mean, bn.running_var, bn.weight, bn.bias,
                                   False, 0.0, bn.eps)
                torch.testing.assert_close(v, ref, rtol=1e-4, atol=1e-4)
                assert (v < 0).any()  # the clip would have cut these: the value is before it
                torch.testing.assert_close(F.relu6(v), acts[stage])
            else:
                torch.testing.assert_close(v, acts[stage])  # no activation to leave out


def test_colour_mixing_is_a_square_root_of_the_covariance():
    rng = np.random.default_rng(0)
    pixels = rng.random((5000, 3)) @ np.array([[1, .8, .6], [0, .6, .5], [0, 0, .4]])
    cov = np.cov(pixels.T)
    m = colour_mixing(cov).numpy().astype(np.float64)
    np.testing.assert_allclose(m, m.T, atol=1e-6)  # symmetric
    ratio = (m @ m.T) / cov  # M M^T is the covariance up to one scale
    np.testing.assert_allclose(ratio, np.full((3, 3), ratio[0, 0]), rtol=1e-4)
    assert np.isclose(np.linalg.norm(m, axis=0).max(), 1.0)


def test_the_picture_raises_its_objective_and_is_reproducible(model):
    mixing = colour_mixing(np.eye(3) * 0.08)

    def run(seed: int) -> tuple[np.ndarray, list[float]]:
        vis = Visualisation(model, "stage2", 3, 64, seed, mixing)
        values = [v for _, v in vis.steps(24)]
        return vis.picture(), values

    a, values = run(0)
    b, _ = run(0)
    c, _ = run(1)
    assert a.shape == (64, 64, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(a, b)  # same seed: same start, same views
    assert np.abs(a.astype(int) - c).mean() > 1  # another seed: another picture
    assert np.mean(values[-6:]) > np.mean(values[:6]) + 1  # the optimiser climbs


def test_receptive_fields_match_the_stage_table(model):
    table = {r["id"]: r for r in build_stage_table(copy.deepcopy(model))}
    for stage, f in fields().items():
        assert f.size == table[stage]["receptive_field"], stage
        assert f.stride == table[stage]["stride"], stage
        assert f.side == table[stage]["out_shape"][1], stage


def _linear_copy(model: nn.Module) -> nn.Module:
    """The network with every ReLU6 removed: a linear map whose gradient is non-zero on
    exactly the pixels a unit can see (no unit is switched off by the clip)."""
    linear = copy.deepcopy(model)
    for name, module in list(linear.named_modules()):
        if isinstance(module, nn.ReLU6):
            parent = linear.get_submodule(name.rsplit(".", 1)[0])
            setattr(parent, name.rsplit(".", 1)[1], nn.Identity())
    return linear


@pytest.mark.parametrize("stage,row,col", [
    ("stem", 0, 0), ("stem", 40, 77), ("stage1", 111, 3), ("stage2", 20, 30),
    ("stage3", 13, 13), ("stage3", 0, 27), ("stage4", 7, 6), ("stage4", 0, 0)])
def test_unit_box_is_the_gradient_support(model, stage, row, col):
    linear = _linear_copy(model)
    x = torch.zeros(1, 3, 224, 224, requires_grad=True)
    with torch.enable_grad():
        value = stage_value(linear, stage, x)[0, :, row, col].sum()
        (grad,) = torch.autograd.grad(value, [x])
    ys, xs = np.nonzero(grad[0].abs().sum(0).numpy() > 0)
    assert unit_box(stage, row, col) == (xs.min(), ys.min(), xs.max(), ys.max())
