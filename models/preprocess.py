"""What the model sees: RGB, shorter side 256, centre crop 224, ``(x - 127) / 128``.

Lite models were trained with that scaling, not ImageNet's mean and standard
deviation (which quietly costs about 6 points of top-1).
"""

from __future__ import annotations

import cv2
import numpy as np
import torch

RESIZE_TO = 256
CROP = 224


def resized_size(h: int, w: int, resize_to: int = RESIZE_TO) -> tuple[int, int]:
    """``(height, width)`` of a ``h`` x ``w`` photo with its shorter side scaled to
    ``resize_to`` (never under the crop)."""
    scale = resize_to / min(h, w)
    return max(CROP, round(h * scale)), max(CROP, round(w * scale))


def resize_shorter(rgb_u8: np.ndarray, resize_to: int = RESIZE_TO) -> np.ndarray:
    """The whole photo at ``resized_size``: what the centre crop is cut from (the
    translation lesson slides its window over it)."""
    h, w = rgb_u8.shape[:2]
    rh, rw = resized_size(h, w, resize_to)
    # INTER_AREA averages when shrinking (no aliasing); bilinear when enlarging.
    interp = cv2.INTER_AREA if resize_to < min(h, w) else cv2.INTER_LINEAR
    return cv2.resize(rgb_u8, (rw, rh), interpolation=interp)  # cv2 wants (w, h)


def crop_origin(rh: int, rw: int) -> tuple[int, int]:
    """``(top, left)`` of the centre crop in a ``rh`` x ``rw`` resized photo."""
    return (rh - CROP) // 2, (rw - CROP) // 2


def centre_crop(rgb_u8: np.ndarray, resize_to: int = RESIZE_TO) -> np.ndarray:
    """``(H, W, 3) uint8`` -> the ``(224, 224, 3) uint8`` crop the model is shown: the
    shorter side scaled to ``resize_to`` (a larger value zooms in), then the centre."""
    resized = resize_shorter(rgb_u8, resize_to)
    top, left = crop_origin(*resized.shape[:2])
    return np.ascontiguousarray(resized[top:top + CROP, left:left + CROP])


def to_tensor(crop_u8: np.ndarray) -> torch.Tensor:
    """``(224, 224, 3) uint8`` -> ``(1, 3, 224, 224) float32`` scaled to about [-1, 1]."""
    x = torch.from_numpy(crop_u8).permute(2, 0, 1).float()  # (3, 224, 224)
    return ((x - 127.0) / 128.0).unsqueeze(0)


def to_model_input(rgb_u8: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
    """The crop to show the user and the tensor to feed the model."""
    crop = centre_crop(rgb_u8)
    return crop, to_tensor(crop)
