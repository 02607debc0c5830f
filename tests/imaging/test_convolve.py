"""The playground's convolution against an independent oracle: torch.nn.functional."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from app.core.errors import InvalidParameter
from app.imaging.convolve import (
    ConvSpec,
    PoolSpec,
    convolve,
    output_geometry,
    prepare_input,
)
from app.imaging.pixel import inspect_pixel
from app.imaging.presets import PRESETS

RNG = np.random.default_rng(7)
RGB = RNG.integers(0, 256, size=(23, 30, 3), dtype=np.uint8)  # odd and even sides


def _pad_oracle(x: torch.Tensor, pad: tuple[int, int, int, int], border: str) -> torch.Tensor:
    """Pad (N, C, H, W) the way each border mode promises, with torch / NumPy."""
    top, bottom, left, right = pad
    if border == "zero":
        return F.pad(x, (left, right, top, bottom))
    if border == "replicate":
        return F.pad(x, (left, right, top, bottom), mode="replicate")
    if border == "reflect101":  # torch's "reflect" does not repeat the edge pixel
        return F.pad(x, (left, right, top, bottom), mode="reflect")
    # OpenCV's BORDER_REFLECT repeats the edge: NumPy calls that "symmetric".
    arr = np.pad(x.numpy(), ((0, 0), (0, 0), (top, bottom), (left, right)), mode="symmetric")
    return torch.from_numpy(arr)


def _pads_oracle(n: int, k: int, spec: ConvSpec) -> tuple[int, int]:
    """Padding before and after one axis, worked out here rather than taken from the code:
    TensorFlow's 'same' keeps ceil(n / s) outputs and puts an odd extra pixel after."""
    if spec.padding == "valid":
        return 0, 0
    if spec.padding != "same":
        return int(spec.padding), int(spec.padding)
    extent = spec.dilation * (k - 1) + 1
    outputs = -(-n // spec.stride)
    total = max(0, (outputs - 1) * spec.stride + extent - n)
    return total // 2, total - total // 2


def oracle(rgb: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """The same layer with torch: pad, conv2d (groups per channel), bias, ReLU, pool."""
    if spec.channels == "gray":
        x = torch.from_numpy(rgb.astype(np.float64) @ np.array([0.299, 0.587, 0.114]))[None, None]
    else:
        x = torch.from_numpy(rgb.astype(np.float64)).permute(2, 0, 1)[None]
    k = torch.from_numpy(np.asarray(spec.kernel, dtype=np.float64))
    if spec.flip:
        k = torch.flip(k, dims=(-2, -1))
    top, bottom = _pads_oracle(rgb.shape[0], k.shape[-2], spec)
    left, right = _pads_oracle(rgb.shape[1], k.shape[-1], spec)
    x = _pad_oracle(x, (top, bottom, left, right), spec.border)
    if k.ndim == 3:  # one output summing three input channels
        weight, groups = k[None], 1
    else:
        c = x.shape[1]
        weight, groups = k[None, None].repeat(c, 1, 1, 1), c
    y = F.conv2d(x, weight, stride=spec.stride, dilation=spec.dilation, groups=groups)
    y = y + spec.bias
    if spec.relu:
        y = F.relu(y)
    if spec.pool:
        pool = F.max_pool2d if spec.pool.kind == "max" else F.avg_pool2d
        y = pool(y, spec.pool.size, spec.pool.stride)
    out = y[0].permute(1, 2, 0).numpy()
    return out[:, :, 0] if out.shape[2] == 1 else out


def assert_matches(rgb: np.ndarray, spec: ConvSpec) -> None:
    got = convolve(prepare_input(rgb, spec.channels), spec).values
    want = oracle(rgb, spec)
    assert got.dtype == np.float32
    assert got.shape == want.shape
    # Relative to the output's scale: float32 sums of up to 225 products of 0-255 values.
    scale = max(1.0, float(np.abs(want).max()))
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-4 * scale)


GRID = list(itertools.product(
    [(1, 1), (2, 2), (3, 3), (4, 3), (5, 5), (7, 2)],  # kernel sizes, odd and even
    [1, 2, 3],  # stride
    ["same", "valid", 2],  # padding
    [1, 2],  # dilation
    ["zero", "replicate", "reflect", "reflect101"],
))


@pytest.mark.parametrize(("size", "stride", "padding", "dilation", "border"), GRID)
def test_gray_matches_torch(size, stride, padding, dilation, border):
    kernel = RNG.uniform(-2, 2, size=size).astype(np.float32)
    spec = ConvSpec(kernel, stride=stride, padding=padding, border=border, dilation=dilation,
                    bias=3.5)
    assert_matches(RGB, spec)
    if padding == "same":  # what 'same' promises, whatever the kernel: ceil(n / s) outputs
        values = convolve(prepare_input(RGB, "gray"), spec).values
        assert values.shape == (-(-23 // stride), -(-30 // stride))


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("pool", [None, PoolSpec("max", 2, 2), PoolSpec("avg", 3, 2),
                                  PoolSpec("max", 3, 1)])
@pytest.mark.parametrize("relu", [False, True])
def test_rgb_per_channel_with_pool_and_relu(flip, pool, relu):
    kernel = RNG.uniform(-1, 1, size=(3, 4)).astype(np.float32)
    assert_matches(RGB, ConvSpec(kernel, stride=2, padding=1, border="reflect", channels="rgb",
                                 flip=flip, relu=relu, bias=-20.0, pool=pool))


@pytest.mark.parametrize("stride", [1, 2])
def test_three_slice_kernel_sums_channels(stride):
    kernel = RNG.uniform(-1, 1, size=(3, 3, 3)).astype(np.float32)
    spec = ConvSpec(kernel, stride=stride, channels="rgb", border="zero", relu=True)
    assert_matches(RGB, spec)
    assert convolve(prepare_input(RGB, "rgb"), spec).values.ndim == 2


def test_large_kernel_matches_torch():
    # OpenCV switches to a DFT for big kernels: still within tolerance.
    kernel = RNG.uniform(-1, 1, size=(15, 15)).astype(np.float32)
    assert_matches(RGB, ConvSpec(kernel, padding="same", border="replicate"))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_preset_is_a_valid_kernel(preset):
    kernel = np.asarray(PRESETS[preset]["kernel"], dtype=np.float32)
    assert_matches(RGB, ConvSpec(kernel))


def test_identity_preset_returns_the_gray_image():
    spec = ConvSpec(np.asarray(PRESETS["identity"]["kernel"], np.float32))
    x = prepare_input(RGB, "gray")
    np.testing.assert_array_equal(convolve(x, spec).values, x)


def test_gray_is_bt601_luma():
    pixel = np.array([[[200, 100, 50]]], dtype=np.uint8)
    assert prepare_input(pixel, "gray")[0, 0] == pytest.approx(0.299 * 200 + 0.587 * 100
                                                               + 0.114 * 50, abs=1e-4)


def test_geometry_formula_and_uneven_stride_warning():
    g = output_geometry(512, 512, ConvSpec(np.ones((3, 3), np.float32), padding=1))
    assert (g.conv_h, g.conv_w) == (512, 512)
    assert g.formulas[0]["text"] == "floor((512 + 2·1 − 1·(3 − 1) − 1) / 1) + 1 = 512"
    assert g.warnings == []
    g = output_geometry(10, 11, ConvSpec(np.ones((3, 3), np.float32), padding="valid",
                                         stride=2, pool=PoolSpec("max", 2, 2)))
    assert (g.conv_h, g.conv_w, g.out_h, g.out_w) == (4, 5, 2, 2)
    assert any("stride 2" in w for w in g.warnings)
    assert any("pool" in w for w in g.warnings)


def test_same_padding_is_tensorflow_style():
    g = output_geometry(8, 8, ConvSpec(np.ones((3, 3), np.float32), stride=2))
    assert g.pad == (0, 1, 0, 1)  # pad after, not before, as TF does
    assert (g.conv_h, g.conv_w) == (4, 4)


@pytest.mark.parametrize(("spec", "field"), [
    (ConvSpec(np.ones((5, 5), np.float32), padding="valid", dilation=2), "padding"),
    (ConvSpec(np.ones((3, 3), np.float32), pool=PoolSpec("max", 8, 1), stride=2), "pool"),
    (ConvSpec(np.ones((3, 3, 3), np.float32)), "channels"),
    (ConvSpec(np.full((3, 3), np.nan, np.float32)), "kernel"),
    (ConvSpec(np.full((3, 3), 1e6, np.float32)), "kernel"),
    (ConvSpec(np.ones((16, 3), np.float32)), "kernel"),
    (ConvSpec(np.ones((3, 3), np.float32), stride=0), "stride"),
])
def test_impossible_specs_name_their_field(spec, field):
    with pytest.raises(InvalidParameter) as err:
        output_geometry(8, 8, spec)
    assert err.value.details["field"] == field


@pytest.mark.parametrize("channels", ["gray", "rgb"])
@pytest.mark.parametrize("pool", [None, PoolSpec("max", 2, 2), PoolSpec("avg", 2, 2)])
def test_inspect_explains_every_checked_pixel(channels, pool):
    kernel = RNG.uniform(-1, 1, size=(3, 3)).astype(np.float32)
    spec = ConvSpec(kernel, stride=2, padding=1, border="reflect101", dilation=2, bias=1.5,
                    channels=channels, flip=True, relu=True, pool=pool)
    x = prepare_input(RGB, channels)
    result = convolve(x, spec)
    for oy, ox in [(0, 0), (result.geometry.out_h - 1, result.geometry.out_w - 1), (2, 3)]:
        info = inspect_pixel(x, spec, result, ox, oy)
        products = np.asarray(info["products"])
        np.testing.assert_allclose(products, np.asarray(info["patch"]) * np.asarray(info["kernel"]))
        conv_pixel = result.conv[info["conv_y"], info["conv_x"]]
        np.testing.assert_allclose(info["relu_value"], np.atleast_1d(conv_pixel), atol=1e-3)
        np.testing.assert_allclose(info["output"], np.atleast_1d(result.values[oy, ox]))
        if pool is not None:
            np.testing.assert_allclose(info["pool"]["result"], info["output"], atol=1e-4)
        # The window is the dilated kernel's extent in input coordinates.
        assert info["window"]["x1"] - info["window"]["x0"] == 2 * (3 - 1)


def test_inspect_reads_border_values_like_the_padding():
    x = prepare_input(RGB, "gray")
    for border in ["zero", "replicate", "reflect", "reflect101"]:
        spec = ConvSpec(np.ones((3, 3), np.float32), border=border)
        info = inspect_pixel(x, spec, convolve(x, spec), 0, 0)
        assert info["window"] == {"x0": -1, "y0": -1, "x1": 1, "y1": 1}
        corner = info["patch"][0][0][0]
        expected = {"zero": 0.0, "replicate": x[0, 0], "reflect": x[0, 0],
                    "reflect101": x[1, 1]}[border]
        assert corner == pytest.approx(float(expected), abs=1e-4)


def test_inspect_rejects_pixels_outside_the_output():
    x = prepare_input(RGB, "gray")
    spec = ConvSpec(np.ones((3, 3), np.float32))
    with pytest.raises(InvalidParameter) as err:
        inspect_pixel(x, spec, convolve(x, spec), 30, 0)
    assert err.value.details["field"] == "x"
