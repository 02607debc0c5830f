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


def centre_crop(rgb_u8: np.ndarray, resize_to: int = RESIZE_TO) -> np.ndarray:
    """``(H, W, 3) uint8`` -> the ``(224, 224, 3) uint8`` crop the model is shown: the
    shorter side scaled to ``resize_to`` (a larger value zooms in), then the centre."""
    h, w = rgb_u8.shape[:2]
    scale = resize_to / min(h, w)
    size = (max(CROP, round(w * scale)), max(CROP, round(h * scale)))  # cv2 wants (w, h)
    # INTER_AREA averages when shrinking (no aliasing); bilinear when enlarging.
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(rgb_u8, size, interpolation=interp)
    top, left = (resized.shape[0] - CROP) // 2, (resized.shape[1] - CROP) // 2
    return np.ascontiguousarray(resized[top:top + CROP, left:left + CROP])


def to_tensor(crop_u8: np.ndarray) -> torch.Tensor:
    """``(224, 224, 3) uint8`` -> ``(1, 3, 224, 224) float32`` scaled to about [-1, 1]."""
    x = torch.from_numpy(crop_u8).permute(2, 0, 1).float()  # (3, 224, 224)
    return ((x - 127.0) / 128.0).unsqueeze(0)


def to_model_input(rgb_u8: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
    """The crop to show the user and the tensor to feed the model."""
    crop = centre_crop(rgb_u8)
    return crop, to_tensor(crop)
