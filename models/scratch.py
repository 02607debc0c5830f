"""The lecture's small CNN, trained from scratch on the CPU beside transfer learning.

150x150 RGB -> conv 3x3, 16 filters -> ReLU -> max pool 2x2 (148 -> 74) -> flatten
(74*74*16 = 87,616) -> one dense layer to the classes. Almost all of its weights sit
in the dense layer: the 16 filters are shared over every position of the photo (448
weights), while the dense layer needs one weight per map pixel and class.

Cross-validated on the same folds as the transfer-learned classifier
(``models.transfer.folds``): one network per fold, judged on the photos its fold holds
out, and one on every photo, whose filters and maps are the ones shown. Every epoch
each photo is shown once, as one of its four views (``models.transfer.views``: plain,
mirrored, zoomed, zoomed mirrored) drawn at random: the usual on-the-fly augmentation,
at the cost of one view per photo. Deterministic for a seed (one torch thread).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from models.preprocess import to_tensor
from models.transfer import views_of

SIDE = 150  # the lecture's input size
FILTERS = 16
KERNEL = 3
CONV_SIDE = SIDE - KERNEL + 1  # 148: a 'valid' 3x3 convolution loses one pixel each side
POOLED_SIDE = CONV_SIDE // 2  # 74
BATCH = 16
LEARNING_RATE = 1e-3


class LectureNet(nn.Module):
    """``(N, 3, 150, 150)`` scaled like the backbone's input -> class logits ``(N, classes)``."""

    def __init__(self, n_classes: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, FILTERS, KERNEL)
        self.dense = nn.Linear(FILTERS * POOLED_SIDE * POOLED_SIDE, n_classes)

    def maps(self, x: torch.Tensor) -> torch.Tensor:
        """The 16 feature maps after the ReLU, ``(N, 16, 148, 148)``."""
        return F.relu(self.conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Pooling before the ReLU gives the same numbers (max and ReLU commute, both are
        # monotonic) with a quarter of the ReLU's work and memory.
        pooled = F.max_pool2d(self.conv(x), 2)  # (N, 16, 74, 74)
        return self.dense(F.relu(pooled).flatten(1))  # (N, classes)


def build(n_classes: int, seed: int) -> LectureNet:
    """A network with PyTorch's default initialisation (uniform within 1/sqrt(fan-in)),
    drawn from its own generator so concurrent jobs do not disturb each other's seeds."""
    net = LectureNet(n_classes)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for layer in (net.conv, net.dense):
            bound = 1 / math.sqrt(layer.weight[0].numel())
            for p in (layer.weight, layer.bias):
                p.copy_(torch.rand(p.shape, generator=gen) * 2 * bound - bound)
    return net


def layer_table(n_classes: int) -> list[dict]:
    """Each layer's output shape and parameter count, with the formula behind it."""
    flat = FILTERS * POOLED_SIDE * POOLED_SIDE
    return [
        {"name": "input", "kind": "150x150 RGB photo", "output_shape": [3, SIDE, SIDE],
         "parameters": 0, "formula": ""},
        {"name": "conv", "kind": f"conv {KERNEL}x{KERNEL}, {FILTERS} filters",
         "output_shape": [FILTERS, CONV_SIDE, CONV_SIDE],
         "parameters": KERNEL * KERNEL * 3 * FILTERS + FILTERS,
         "formula": f"{KERNEL}*{KERNEL}*3*{FILTERS} + {FILTERS}"},
        {"name": "relu", "kind": "ReLU", "output_shape": [FILTERS, CONV_SIDE, CONV_SIDE],
         "parameters": 0, "formula": ""},
        {"name": "pool", "kind": "max pool 2x2", "output_shape": [FILTERS, POOLED_SIDE,
                                                                  POOLED_SIDE],
         "parameters": 0, "formula": ""},
        {"name": "flatten", "kind": "flatten", "output_shape": [flat], "parameters": 0,
         "formula": f"{POOLED_SIDE}*{POOLED_SIDE}*{FILTERS}"},
        {"name": "dense", "kind": "dense", "output_shape": [n_classes],
         "parameters": flat * n_classes + n_classes,
         "formula": f"{flat}*{n_classes} + {n_classes}"},
    ]


def shrink(crop_u8: np.ndarray) -> np.ndarray:
    """A ``(224, 224, 3) uint8`` crop at the lecture's ``(150, 150, 3)``."""
    return cv2.resize(crop_u8, (SIDE, SIDE), interpolation=cv2.INTER_AREA)


def to_input(pixels_u8: np.ndarray) -> torch.Tensor:
    """``(N, 150, 150, 3) uint8`` -> ``(N, 3, 150, 150) float32`` scaled as the backbone's
    input (``models.preprocess.to_tensor``: one scaling for both networks), in channels-last
    memory order: one batch of 16 through the network and back took 5.5 instead of 14 ms
    per photo so (interleaved runs, one thread, a loaded machine; a whole training's gain
    was lost in the load's noise)."""
    x = torch.cat([to_tensor(p) for p in pixels_u8])  # (N, 3, 150, 150)
    return x.contiguous(memory_format=torch.channels_last)


def view_of(pair_u8: np.ndarray, view: int) -> np.ndarray:
    """View ``view`` (0-3, in ``models.transfer.views_of``' order) of a photo kept as its
    plain and zoomed crops ``(2, 150, 150, 3)``."""
    return views_of(pair_u8[0], pair_u8[1])[view]


@dataclass(frozen=True)
class EpochStats:
    """One epoch, averaged over the fold networks (validation: the photos each holds out)."""

    epoch: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float


@dataclass
class ScratchFit:
    probs: np.ndarray  # (N, classes): each photo judged by the fold network that held it out
    history: list[EpochStats]
    filters: list[np.ndarray]  # per epoch, 0 = the random start: (16, 3, 3, 3) of the final net
    conv_bias: list[np.ndarray]  # per epoch: (16,)
    seconds: float  # training time, every network


class _Member:
    """One network being trained: the photos it learns from and those it is judged on."""

    def __init__(self, n_classes: int, seed: int, train: np.ndarray, held: np.ndarray) -> None:
        self.net = build(n_classes, seed)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=LEARNING_RATE)
        self.train, self.held = train, held
        self.rng = np.random.default_rng(seed)


def cross_fit(pairs_u8: np.ndarray, y: np.ndarray, n_classes: int, parts: list[np.ndarray],
              epochs: int, seed: int,
              on_epoch: Callable[[EpochStats | None, np.ndarray, np.ndarray], None] | None = None,
              tick: Callable[[float], None] | None = None) -> ScratchFit:
    """Train one network per held-out part of ``parts`` and one on every photo, in lockstep.

    ``pairs_u8``: ``(N, 2, 150, 150, 3)`` the plain and zoomed crops of each photo.
    ``on_epoch`` hears each epoch's averages (None for the random start, epoch 0) and the
    all-photo network's first layer (weights ``(16, 3, 3, 3)``, biases ``(16,)``); ``tick``
    the fraction of the work done (it may raise to stop the training).
    """
    t0 = time.perf_counter()
    everyone = np.arange(len(y))
    members = [_Member(n_classes, seed, np.setdiff1d(everyone, held), held) for held in parts]
    final = _Member(n_classes, seed, everyone, everyone[:0])
    nets = [*members, final]
    filters = [final.net.conv.weight.detach().numpy().copy()]
    biases = [final.net.conv.bias.detach().numpy().copy()]
    if on_epoch:
        on_epoch(None, filters[0], biases[0])
    labels = torch.from_numpy(np.asarray(y, np.int64))
    steps = epochs * sum(-(-len(m.train) // BATCH) for m in nets)
    done, history = 0, []
    probs = np.zeros((len(y), n_classes), np.float32)
    for epoch in range(1, epochs + 1):
        fits = []
        for m in nets:
            order = m.rng.permutation(m.train)
            views = m.rng.integers(0, 4, len(order))
            loss_sum, correct = 0.0, 0
            for start in range(0, len(order), BATCH):
                idx = order[start:start + BATCH]
                x = to_input(np.stack([view_of(pairs_u8[i], v) for i, v in
                                       zip(idx, views[start:start + BATCH], strict=True)]))
                logits = m.net(x)  # (B, classes)
                loss = F.cross_entropy(logits, labels[idx])
                m.opt.zero_grad()
                loss.backward()
                m.opt.step()
                loss_sum += float(loss.detach()) * len(idx)
                correct += int((logits.detach().argmax(1) == labels[idx]).sum())
                done += 1
                if tick:
                    tick(done / steps)
            fits.append((loss_sum / len(order), correct / len(order)))
        checks = [_judge(m, pairs_u8, labels, probs) for m in members]
        stats = EpochStats(epoch, *np.mean(fits[:-1], axis=0).tolist(),  # the fold networks
                           *np.mean(checks, axis=0).tolist())
        history.append(stats)
        filters.append(final.net.conv.weight.detach().numpy().copy())
        biases.append(final.net.conv.bias.detach().numpy().copy())
        if on_epoch:
            on_epoch(stats, filters[-1], biases[-1])
    return ScratchFit(probs, history, filters, biases, time.perf_counter() - t0)


def _judge(m: _Member, pairs_u8: np.ndarray, labels: torch.Tensor, probs: np.ndarray
           ) -> tuple[float, float]:
    """Loss and accuracy of a fold network on its held-out photos' plain views (their
    probabilities written into ``probs``)."""
    with torch.no_grad():
        logits = m.net(to_input(pairs_u8[m.held, 0]))  # (H, classes)
        truth = labels[m.held]
        probs[m.held] = torch.softmax(logits, 1).numpy()
        return (float(F.cross_entropy(logits, truth)),
                float((logits.argmax(1) == truth).float().mean()))


def feature_maps(filters: np.ndarray, bias: np.ndarray, pixels_u8: np.ndarray) -> np.ndarray:
    """The 16 maps ``(16, 148, 148)`` after the ReLU of a first layer with these weights
    on one ``(150, 150, 3) uint8`` photo."""
    with torch.no_grad():
        out = F.conv2d(to_input(pixels_u8[None]), torch.from_numpy(filters),
                       torch.from_numpy(bias))  # (1, 16, 148, 148)
        return F.relu(out)[0].numpy()
