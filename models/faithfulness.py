"""How faithful a map is: deletion and insertion curves, and the model-randomisation check.

The curves' protocol is part of the API's contract (issue 15), fixed here once:

- the model's 224x224 view; the map upsampled bilinearly to 224x224 (half-pixel centres,
  ``align_corners=False``) ranks the pixels, most important first, ties by pixel index
  (row-major). Occlusion's map is measured as spread to pixels
  (``models.saliency.occlusion_pixels``), already 224x224: its upsampling is the identity;
- 20 steps; step ``i`` affects the first ``floor(i * 50176 / 20)`` pixels of that order
  (5% each, the last step all of them);
- deletion sets them to grey 127 (0 after ``(x - 127) / 128``) in the view; insertion starts
  from the all-grey image and reveals them;
- at each of the 21 steps (0 to 20) the softmax probability of the target (a group's summed
  probability); the area under a curve is the mean of its 21 values.

A faithful map makes the probability fall fast under deletion (low area) and rise fast
under insertion (high area).

The sanity check (Adebayo et al. 2018, model randomisation): the same map on a copy of the
network whose last stages have random weights; a map that barely changes (high rank
correlation) does not depend on what those layers learned. The paper gives no line; this
module draws it at ``SANITY_THRESHOLD`` (``changed``). A negative correlation means the
randomised model's map orders the pixels roughly the opposite way: a change, so it passes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.efficientnet_lite0 import EfficientNetLite0
from models.preprocess import CROP
from models.saliency import Progress, Target, probabilities
from models.saliency_methods import RANDOMISED, SANITY_THRESHOLD, STEPS

PIXELS = CROP * CROP


@dataclass(frozen=True)
class Curves:
    """A map's deletion and insertion curves: 21 probabilities each, and their areas."""

    deletion: list[float]
    insertion: list[float]

    @property
    def deletion_auc(self) -> float:
        return float(np.mean(self.deletion))

    @property
    def insertion_auc(self) -> float:
        return float(np.mean(self.insertion))


def step_counts() -> list[int]:
    """How many pixels steps 0..20 affect: ``floor(i * 50176 / 20)``."""
    return [i * PIXELS // STEPS for i in range(STEPS + 1)]


def pixel_ranks(saliency: np.ndarray) -> torch.Tensor:
    """``(224, 224)`` long: each pixel's place in the order of importance (0 first)."""
    m = torch.as_tensor(np.ascontiguousarray(saliency), dtype=torch.float32)[None, None]
    up = F.interpolate(m, size=(CROP, CROP), mode="bilinear", align_corners=False).flatten()
    order = torch.argsort(-up, stable=True)  # (50176,): most important first, ties by index
    ranks = torch.empty_like(order)
    ranks[order] = torch.arange(PIXELS)
    return ranks.reshape(CROP, CROP)


def curves(net: EfficientNetLite0, x: torch.Tensor, saliency: np.ndarray, target: Target,
           progress: Progress | None = None) -> Curves:
    """Deletion and insertion curves of ``saliency`` (any resolution) on the view ``x``
    ``(1, 3, 224, 224)``: 42 forwards, in batches."""
    ranks = pixel_ranks(saliency)
    counts = step_counts()

    def make(lo: int, hi: int) -> torch.Tensor:
        masks = []
        for k in range(lo, hi):  # 0..20 deletion, 21..41 insertion
            n = counts[k % (STEPS + 1)]
            masks.append(ranks >= n if k <= STEPS else ranks < n)  # True: the photo shows
        return x * torch.stack(masks)[:, None].to(x.dtype)  # (B, 3, 224, 224)

    probs = probabilities(net, make, 2 * (STEPS + 1), target, progress).tolist()
    return Curves(deletion=probs[:STEPS + 1], insertion=probs[STEPS + 1:])


def randomised_copy(net: EfficientNetLite0, seed: int = 0,
                    layers: tuple[str, ...] = RANDOMISED) -> EfficientNetLite0:
    """A deep copy of ``net`` whose conv and linear weights (and biases) in ``layers`` are
    Gaussian noise with each tensor's own mean and standard deviation (seeded); ``net`` is
    not touched. Batch norm keeps its trained statistics, which do not fit the random
    weights: the activations leave their trained range (on the dog, stage6's standard
    deviation goes from 8.5 to 32.2, stage7's from 3.0 to 15.0)."""
    twin = copy.deepcopy(net)
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name in layers:
            for module in getattr(twin, name).modules():
                if not isinstance(module, nn.Conv2d | nn.Linear):
                    continue
                for p in (module.weight, module.bias):
                    if p is not None:
                        noise = torch.randn(p.shape, generator=gen)
                        p.copy_(noise * p.std(unbiased=False) + p.mean())
    return twin


def _average_ranks(v: np.ndarray) -> np.ndarray:
    """Ranks from 0, tied values sharing the mean of their places."""
    order = np.argsort(v, kind="stable")
    ordered = v[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    group = np.cumsum(starts_group) - 1  # which run of equal values each sorted item is in
    starts = np.flatnonzero(starts_group)
    ends = np.r_[starts[1:], v.size]  # exclusive
    ranks = np.empty(v.size)
    ranks[order] = ((starts + ends - 1) / 2)[group]
    return ranks


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation of two maps of one shape; None when either is constant
    (an all-zero Grad-CAM has no order to compare)."""
    ra = _average_ranks(np.asarray(a, dtype=np.float64).ravel())
    rb = _average_ranks(np.asarray(b, dtype=np.float64).ravel())
    ra, rb = ra - ra.mean(), rb - rb.mean()
    norm = np.sqrt((ra * ra).sum() * (rb * rb).sum())
    return None if norm == 0 else float((ra * rb).sum() / norm)


def changed(rho: float | None) -> bool | None:
    """The sanity check's verdict on a rank correlation: True when the map changed with the
    randomised weights (``rho`` below ``SANITY_THRESHOLD``, negative values included), False
    when it barely changed, None when there was no order to compare."""
    return None if rho is None else rho < SANITY_THRESHOLD
