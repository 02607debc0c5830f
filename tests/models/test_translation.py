"""The translation lesson's numerics against oracles written here: the stem as a plain
``F.conv2d`` with TensorFlow's padding, shifts as array slicing, cosine by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models.efficientnet_lite0 import load_pretrained
from models.preprocess import centre_crop, resize_shorter, to_tensor
from models.translation import (
    map_similarity,
    moved,
    shift_limits,
    shift_list,
    shifted_view,
    view_map,
    views_forward,
)


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return load_pretrained()


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    """A 300x420 photo-like picture: smooth colour ramps, discs and noise."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[:300, :420].astype(np.float32)
    img = np.stack([xx / 420 * 200, yy / 300 * 180, (xx + yy) / 720 * 150], axis=2)
    for _ in range(12):
        cy, cx, r = rng.integers(0, 300), rng.integers(0, 420), rng.integers(8, 40)
        img[(yy - cy) ** 2 + (xx - cx) ** 2 < r * r] = rng.integers(0, 256, 3)
    img += rng.normal(0, 12, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def stem_oracle(model, crop: np.ndarray) -> np.ndarray:
    """The stem written out: conv 3x3 stride 2 with TF 'same' padding (0 before, 1 after on
    an even side), batch norm in eval form, ReLU6; ``(32, 112, 112)``."""
    stem = model.stem
    x = F.pad(to_tensor(crop), (0, 1, 0, 1))  # (1, 3, 225, 225)
    y = F.conv2d(x, stem.conv.weight, stride=2)  # (1, 32, 112, 112)
    bn = stem.bn
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    y = (y - bn.running_mean[None, :, None, None]) * scale[None, :, None, None] \
        + bn.bias[None, :, None, None]
    return y.clamp(0, 6)[0].detach().numpy()


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_the_window_covers_exactly_what_the_photo_allows(photo):
    resized = resize_shorter(photo)  # 256 x 358
    assert resized.shape[:2] == (256, 358)
    assert shift_limits(resized.shape[:2], "x") == (-67, 67)
    assert shift_limits(resized.shape[:2], "y") == (-16, 16)
    assert shift_list((-16, 16), 32, 1) == list(range(-16, 17))
    assert shift_list((-16, 16), 5, 3) == [-3, 0, 3]
    assert shift_list((-67, 67), 64, 16) == [-64, -48, -32, -16, 0, 16, 32, 48, 64]
    np.testing.assert_array_equal(shifted_view(resized, 0, "x"), centre_crop(photo))
    np.testing.assert_array_equal(shifted_view(resized, 5, "x")[:, :-5],
                                  centre_crop(photo)[:, 5:])
    np.testing.assert_array_equal(shifted_view(resized, -16, "y"), resized[:224, 67:291])
    with pytest.raises(ValueError):
        shifted_view(resized, 17, "y")


@pytest.mark.parametrize("shift", [-12, -2, 2, 8, 30])
def test_stem_map_of_an_even_shift_is_the_shifted_map(model, photo, shift):
    """The stem has stride 2: moving the view by an even number of pixels moves its map by
    exactly shift / 2 units (up to the one column that sees padding in one view only)."""
    resized = resize_shorter(photo)
    base = stem_oracle(model, shifted_view(resized, 0, "x"))
    view = stem_oracle(model, shifted_view(resized, shift, "x"))
    d = shift // 2
    both = slice(max(0, -d), min(112, 112 - d))  # view columns whose partner is in base
    partner = slice(both.start + d, both.stop + d)
    oracle = cosine(view[:, :, both], base[:, :, partner])
    assert oracle >= 0.99
    # The module's own forward and comparison agree with the oracle.
    ours = view_map(model, shifted_view(resized, shift, "x"), "stem")
    np.testing.assert_allclose(ours, view, atol=1e-4)
    assert map_similarity(ours, base, shift / 2, "x") == pytest.approx(oracle, abs=1e-5)
    # Interior units (away from the padded column) match exactly.
    inner = slice(both.start + 1, both.stop - 1)
    np.testing.assert_allclose(view[:, :, inner],
                               base[:, :, inner.start + d:inner.stop + d], atol=1e-4)


def test_odd_shifts_match_only_approximately(model, photo):
    resized = resize_shorter(photo)
    base = view_map(model, shifted_view(resized, 0, "y"), "stem")
    even = [map_similarity(view_map(model, shifted_view(resized, s, "y"), "stem"), base, s / 2,
                           "y") for s in (2, 4)]
    odd = [map_similarity(view_map(model, shifted_view(resized, s, "y"), "stem"), base, s / 2,
                          "y") for s in (1, 3)]
    assert min(even) > max(odd)


def test_moved_reads_the_map_at_a_whole_or_fractional_offset():
    ref = np.arange(2 * 3 * 5, dtype=np.float32).reshape(2, 3, 5)
    out, kept = moved(ref, 2, "x")
    assert kept == slice(0, 3)
    np.testing.assert_array_equal(out, ref[:, :, 2:])
    out, kept = moved(ref, -1, "y")
    assert kept == slice(1, 3)
    np.testing.assert_array_equal(out, ref[:, :2, :])
    out, kept = moved(ref, 0.5, "x")  # halfway between neighbours
    assert kept == slice(0, 4)
    np.testing.assert_allclose(out, (ref[:, :, :-1] + ref[:, :, 1:]) / 2)
    assert moved(ref, 9, "x")[1] == slice(0, 0)


def test_map_similarity_is_the_cosine_over_the_shared_positions():
    rng = np.random.default_rng(0)
    ref = rng.random((4, 6, 6)).astype(np.float32)
    view = rng.random((4, 6, 6)).astype(np.float32)
    assert map_similarity(view, ref, -2, "x") == pytest.approx(
        cosine(view[:, :, 2:], ref[:, :, :4]), abs=1e-9)
    assert map_similarity(ref, ref, 0, "y") == pytest.approx(1.0, abs=1e-12)
    assert map_similarity(np.zeros_like(ref), ref, 0, "y") == 0.0


def test_batched_views_equal_one_at_a_time(model, photo):
    resized = resize_shorter(photo)
    crops = [shifted_view(resized, s, "x") for s in range(-10, 10)]  # 20 views: 3 chunks
    chunks = list(views_forward(model, crops, "stage2"))
    probs = np.concatenate([p for p, _ in chunks])
    maps = np.concatenate([m for _, m in chunks])
    assert probs.shape == (20, 1000) and maps.shape == (20, 24, 56, 56)
    for i in (0, 9, 19):
        with torch.inference_mode():
            logits = model(to_tensor(crops[i]))
        np.testing.assert_allclose(probs[i], torch.softmax(logits, 1)[0].numpy(), atol=1e-5)
        np.testing.assert_allclose(maps[i], view_map(model, crops[i], "stage2"), atol=1e-4)
