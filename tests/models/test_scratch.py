"""The lecture's small CNN: its parameter counts, its numbers against torch.nn.functional,
and what training it does, on photos drawn in memory (no backbone)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from models import scratch, transfer


@pytest.fixture(autouse=True)
def one_torch_thread():
    """As the server runs it (CONVLENS_TORCH_THREADS=1): two threads were slower here."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("n_classes", [2, 5])
def test_parameter_counts_equal_the_formula_and_the_module(n_classes):
    table = {row["name"]: row for row in scratch.layer_table(n_classes)}
    assert table["conv"]["parameters"] == 3 * 3 * 3 * 16 + 16 == 448
    assert table["dense"]["parameters"] == 74 * 74 * 16 * n_classes + n_classes
    net = scratch.build(n_classes, seed=0)
    assert table["conv"]["parameters"] == sum(p.numel() for p in net.conv.parameters())
    assert table["dense"]["parameters"] == sum(p.numel() for p in net.dense.parameters())
    assert sum(r["parameters"] for r in table.values()) == sum(p.numel() for p in net.parameters())
    # The shapes in the table are the ones the network really produces.
    x = torch.zeros(1, 3, 150, 150)
    assert list(net.maps(x).shape[1:]) == table["conv"]["output_shape"] == [16, 148, 148]
    assert list(F.max_pool2d(net.maps(x), 2).shape[1:]) == table["pool"]["output_shape"]
    assert table["flatten"]["output_shape"] == [87_616]
    assert list(net(x).shape[1:]) == table["dense"]["output_shape"] == [n_classes]


def test_forward_is_conv_relu_pool_dense_in_the_lecture_order():
    """The network pools before its ReLU (cheaper); the lecture's order gives the same logits."""
    net = scratch.build(3, seed=1)
    x = torch.randn(2, 3, 150, 150, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        maps = F.relu(F.conv2d(x, net.conv.weight, net.conv.bias))  # (2, 16, 148, 148)
        reference = F.linear(F.max_pool2d(maps, 2).flatten(1), net.dense.weight, net.dense.bias)
        assert torch.allclose(net(x), reference, atol=1e-5)
        got = scratch.feature_maps(net.conv.weight.numpy(), net.conv.bias.numpy(),
                                   np.zeros((150, 150, 3), np.uint8) + 200)
        want = F.relu(F.conv2d(torch.full((1, 3, 150, 150), (200 - 127) / 128),
                               net.conv.weight, net.conv.bias))[0]
        assert np.allclose(got, want.numpy(), atol=1e-5)


def test_initialisation_is_seeded_and_within_the_default_bound():
    a, b, c = scratch.build(2, 7), scratch.build(2, 7), scratch.build(2, 8)
    assert torch.equal(a.conv.weight, b.conv.weight) and torch.equal(a.dense.weight, b.dense.weight)
    assert not torch.equal(a.conv.weight, c.conv.weight)
    assert a.conv.weight.abs().max() <= 1 / np.sqrt(27)
    assert a.dense.weight.abs().max() <= 1 / np.sqrt(87_616)


def easy_pairs(per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Photos as (plain, zoomed) 150x150 pairs: a bright disc (class 0) or a dark bar
    (class 1) at a random place on grey noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:150, :150]
    pairs, labels = [], []
    for label in (0, 1):
        for _ in range(per_class):
            img = rng.integers(100, 150, (150, 150, 3)).astype(np.uint8)
            cy, cx = rng.integers(40, 110, 2)
            if label == 0:
                img[(yy - cy) ** 2 + (xx - cx) ** 2 < 30 ** 2] = (240, 240, 60)
            else:
                img[cy - 30:cy + 30, cx - 8:cx + 8] = (20, 20, 90)
            pairs.append(np.stack([img, img]))
            labels.append(label)
    return np.stack(pairs), np.array(labels)


def test_training_beats_chance_on_held_out_photos_and_moves_the_filters():
    pairs, y = easy_pairs(per_class=6)
    parts = transfer.folds(y, 2, seed=0)
    heard, ticks = [], []
    fit = scratch.cross_fit(pairs, y, 2, parts, epochs=4, seed=0,
                            on_epoch=lambda s, w, b: heard.append((s, w.copy())),
                            tick=ticks.append)
    # Held out, by networks that never saw them: 10 or more of 12 right happens to a guesser
    # 2% of the time (binomial, p = 1/2); more than half right, 39%.
    assert np.sum(fit.probs.argmax(1) == y) >= 10
    assert np.allclose(fit.probs.sum(1), 1, atol=1e-5)
    assert [s is None for s, _ in heard] == [True, False, False, False, False]
    assert [s.epoch for s, _ in heard[1:]] == [1, 2, 3, 4] == [h.epoch for h in fit.history]
    assert len(fit.filters) == 5 and np.array_equal(heard[0][1], fit.filters[0])
    change = np.linalg.norm(fit.filters[-1] - fit.filters[0]) / np.linalg.norm(fit.filters[0])
    assert change > 0.005  # learned, not left at their random start
    assert np.array_equal(fit.filters[0], scratch.build(2, 0).conv.weight.detach().numpy())
    assert ticks == sorted(ticks) and ticks[-1] == pytest.approx(1.0)
    assert fit.history[-1].train_loss < fit.history[0].train_loss


def test_a_held_out_photo_is_never_trained_on():
    """Random labels on noise: a network can learn its own photos' labels by heart but not
    guess those of photos it never saw. A fold network that trained on the photos it is
    judged on (a leak) scores near 1 on them; a clean one near chance."""
    rng = np.random.default_rng(0)
    half = rng.integers(0, 256, (24, 150, 75, 3), dtype=np.uint8)
    noise = np.concatenate([half, half[:, :, ::-1]], axis=2)  # mirror images of themselves
    pairs = np.stack([noise, noise], axis=1)  # so all four views are one picture
    y = rng.permutation(np.repeat([0, 1], 12))
    fit = scratch.cross_fit(pairs, y, 2, transfer.folds(y, 2, seed=0), epochs=12, seed=0)
    assert max(h.train_accuracy for h in fit.history[-3:]) >= 0.9  # it fits what it sees
    assert 0.25 <= np.mean(fit.probs.argmax(1) == y) <= 0.75  # measured: 0.5 (a leak: 1.0)
    assert all(h.val_accuracy <= 0.75 for h in fit.history)


def test_training_is_deterministic_for_a_seed():
    pairs, y = easy_pairs(per_class=3, seed=1)
    parts = transfer.folds(y, 2, seed=2)
    one = scratch.cross_fit(pairs, y, 2, parts, epochs=2, seed=2)
    two = scratch.cross_fit(pairs, y, 2, parts, epochs=2, seed=2)
    assert one.history == two.history and np.array_equal(one.probs, two.probs)
    assert all(np.array_equal(a, b) for a, b in zip(one.filters, two.filters, strict=True))


def test_views_are_the_transfer_views_in_order():
    crop = np.arange(2 * 150 * 150 * 3, dtype=np.uint32).astype(np.uint8).reshape(2, 150, 150, 3)
    assert np.array_equal(scratch.view_of(crop, 0), crop[0])
    assert np.array_equal(scratch.view_of(crop, 1), crop[0][:, ::-1])
    assert np.array_equal(scratch.view_of(crop, 2), crop[1])
    assert np.array_equal(scratch.view_of(crop, 3), crop[1][:, ::-1])
