"""Occlusion maps as measured: a grid of drops spread over the squares that made it."""

from __future__ import annotations

import numpy as np


def spread_over_squares(grid: np.ndarray, patch: int, stride: int) -> np.ndarray:
    """An occlusion grid as a 224x224 map, written out from Captum's ``Occlusion``: each
    pixel the mean drop of the ``patch``-pixel squares, every ``stride`` pixels, covering it."""
    total, count = np.zeros((224, 224)), np.zeros((224, 224))
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            total[i * stride:i * stride + patch, j * stride:j * stride + patch] += grid[i, j]
            count[i * stride:i * stride + patch, j * stride:j * stride + patch] += 1
    return total / count
