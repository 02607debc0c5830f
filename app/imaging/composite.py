"""Synthetic scenes for the spurious-feature lesson: a plain shape on a photo background.

A white disc or square means little to an ImageNet network, while grass,
mountains and sky mean a lot; a head trained on discs that are always on
mountains and squares that are always under the sky learns the background.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

Shape = Literal["disc", "square"]


def scene(background: np.ndarray, shape: Shape, seed: int, size: float = 0.3,
          side: int = 256) -> np.ndarray:
    """``(side, side, 3) uint8``: a random crop of ``background`` with one white shape of
    diameter ``size * side`` at a random place; the same seed gives the same picture."""
    rng = np.random.default_rng(seed)
    h, w = background.shape[:2]
    crop = int(min(h, w) * rng.uniform(0.6, 1.0))
    y0, x0 = int(rng.integers(0, h - crop + 1)), int(rng.integers(0, w - crop + 1))
    img = cv2.resize(background[y0:y0 + crop, x0:x0 + crop], (side, side),
                     interpolation=cv2.INTER_AREA)
    r = int(size * side / 2)
    cy, cx = int(rng.integers(r, side - r)), int(rng.integers(r, side - r))
    if shape == "disc":
        cv2.circle(img, (cx, cy), r, (235, 235, 235), thickness=-1, lineType=cv2.LINE_AA)
    else:
        img[cy - r:cy + r, cx - r:cx + r] = (235, 235, 235)
    return img
