"""Random maps of a method's own resolution: the baseline its deletion and insertion areas
are judged against.

The areas depend on how coarse and how smooth a map is, not only on where it points: on the
dog, random maps of independent values score deletion 0.60 at 7x7, 0.30 at 28x28 and 0.44
per pixel (the mean of seeds 0-7 each). Scattered grey specks damage a photo differently from grey
blocks, so an area means little beside another method's; beside random maps of the same
resolution, ranked by the same protocol, it says whether the map knows more than chance.

- A random map: independent uniform values on the method's native grid,
  ``numpy.random.default_rng(seed).random((h, w))`` in float32, for seeds 0..n-1: the
  stage's grid for the CAM methods and Score-CAM, 224x224 for the input gradient, and for
  occlusion its ``(n, n)`` grid spread to pixels as occlusion's own map is
  (``occlusion_pixels``). It is then measured like any map (``models.faithfulness.curves``).
- The baseline: each random map's curves, their mean curve, and each area's mean and sample
  standard deviation.
- A map beats random on deletion when its area is below the random mean by more than
  ``BEATS_RANDOM_SD`` standard deviations (and at least ``BEATS_RANDOM_MIN``); on insertion,
  above it. A random map of the same kind is a draw from the same distribution: with 8 maps
  and roughly normal areas it passes about one time in 20 for each curve (Student's t with
  7 degrees of freedom, 2 / sqrt(1 + 1/8) = 1.89 beyond the mean).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import fmean, stdev

import numpy as np
import torch

from models.efficientnet_lite0 import EfficientNetLite0
from models.faithfulness import Curves, curves
from models.preprocess import CROP
from models.saliency import Progress, Target, occlusion_pixels
from models.saliency_methods import (
    BEATS_RANDOM_MIN,
    BEATS_RANDOM_SD,
    RANDOM_MAPS,
    MapSpec,
)


@dataclass(frozen=True)
class RandomGrid:
    """The resolution random maps are drawn at: ``rows`` x ``cols`` values, bilinearly
    upsampled by the protocol, or (occlusion, ``patch`` > 0) spread over the squares of a
    ``patch`` every ``stride`` occlusion grid."""

    rows: int
    cols: int
    patch: int = 0
    stride: int = 0

    @property
    def label(self) -> str:
        """How the page names these random maps."""
        if self.patch:
            return (f"{self.rows}\u00d7{self.cols} occlusion grid ({self.patch} px squares "
                    f"every {self.stride} px)")
        if (self.rows, self.cols) == (CROP, CROP):
            return f"{CROP}\u00d7{CROP} pixels"
        return f"{self.rows}\u00d7{self.cols} grid"

    def map(self, seed: int) -> np.ndarray:
        """The random map of ``seed``, ready for ``curves``."""
        values = np.random.default_rng(seed).random((self.rows, self.cols)).astype(np.float32)
        return occlusion_pixels(values, self.patch, self.stride) if self.patch else values


def grid_for(spec: MapSpec, found: np.ndarray) -> RandomGrid:
    """The random maps that match the map ``found`` (native resolution) of ``spec``."""
    rows, cols = found.shape
    if spec.method == "occlusion":
        return RandomGrid(rows, cols, spec.patch, spec.stride)
    return RandomGrid(rows, cols)


@dataclass(frozen=True)
class Baseline:
    """The curves of ``len(runs)`` random maps of one ``grid`` (seeds 0, 1, ...)."""

    grid: RandomGrid
    runs: tuple[Curves, ...]

    @property
    def deletion(self) -> list[float]:
        """The mean deletion curve, step by step (its mean is ``deletion_auc``)."""
        return np.mean([r.deletion for r in self.runs], axis=0).tolist()

    @property
    def insertion(self) -> list[float]:
        return np.mean([r.insertion for r in self.runs], axis=0).tolist()

    @property
    def deletion_aucs(self) -> list[float]:
        return [r.deletion_auc for r in self.runs]

    @property
    def insertion_aucs(self) -> list[float]:
        return [r.insertion_auc for r in self.runs]

    @property
    def deletion_auc(self) -> float:
        return fmean(self.deletion_aucs)

    @property
    def insertion_auc(self) -> float:
        return fmean(self.insertion_aucs)


def random_baseline(net: EfficientNetLite0, x: torch.Tensor, grid: RandomGrid, target: Target,
                    n: int = RANDOM_MAPS, progress: Progress | None = None) -> Baseline:
    """Deletion and insertion curves of the random maps of seeds 0..n-1 on the view ``x``
    ``(1, 3, 224, 224)``: n x 42 forwards."""
    runs = []
    for seed in range(n):
        part = None if progress is None else (lambda f, s=seed: progress((s + f) / n))
        runs.append(curves(net, x, grid.map(seed), target, part))
    return Baseline(grid, tuple(runs))


def beats_random(auc: float, random_aucs: list[float], lower_is_better: bool) -> bool:
    """Whether an area is better than random maps' areas ``random_aucs`` by the margin the
    module states: below their mean for deletion (``lower_is_better``), above for insertion."""
    margin = max(BEATS_RANDOM_SD * spread(random_aucs), BEATS_RANDOM_MIN)
    mean = fmean(random_aucs)
    return auc < mean - margin if lower_is_better else auc > mean + margin


def spread(aucs: list[float]) -> float:
    """The sample standard deviation of random maps' areas (0 for fewer than two)."""
    return stdev(aucs) if len(aucs) > 1 else 0.0

