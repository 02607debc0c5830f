"""How far translation "invariance" holds: slide the model's 224x224 window over the photo.

The window is cut from the photo resized to shorter side 256, exactly where the centre
crop is at shift 0, and moved by whole pixels along one axis, so every view is real
photo (no invented border). Each view is run through the network; its stage map is
compared with the unshifted view's map moved by ``shift / stride`` map units.

A map can only move by whole units: at multiples of the stride the comparison is exact
(a convolution commutes with a shift by its stride), between them the unshifted map is
moved by a fraction of a unit with linear interpolation, the closest a map on that grid
can come to following the photo.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Literal

import numpy as np
import torch

from models.efficientnet_lite0 import ConvBN, EfficientNetLite0
from models.featurevis import stage_value
from models.preprocess import CROP, crop_origin, to_tensor

Axis = Literal["x", "y"]
CHUNK = 8  # views per forward pass: batched, but a bounded peak of intermediate maps


def shift_limits(resized_hw: tuple[int, int], axis: Axis) -> tuple[int, int]:
    """The most the window can move each way (``lo <= 0 <= hi``) and stay in the photo."""
    rh, rw = resized_hw
    top, left = crop_origin(rh, rw)
    origin, side = (left, rw) if axis == "x" else (top, rh)
    return -origin, side - CROP - origin


def shift_list(limits: tuple[int, int], max_shift: int, step: int) -> list[int]:
    """Shifts ``0, +-step, +-2 step, ...`` up to ``max_shift`` and inside ``limits``, ascending."""
    lo, hi = max(limits[0], -max_shift), min(limits[1], max_shift)
    return list(range(-(-lo // step) * step, hi + 1, step))


def shifted_view(resized: np.ndarray, shift: int, axis: Axis) -> np.ndarray:
    """``(224, 224, 3) uint8``: the crop window of ``resized`` moved by ``shift`` pixels
    (positive: right for ``x``, down for ``y``); shift 0 is the centre crop itself."""
    top, left = crop_origin(*resized.shape[:2])
    if axis == "x":
        left += shift
    else:
        top += shift
    if top < 0 or left < 0 or top + CROP > resized.shape[0] or left + CROP > resized.shape[1]:
        raise ValueError(f"shift {shift} along {axis} leaves the photo")
    return np.ascontiguousarray(resized[top:top + CROP, left:left + CROP])


def _batch(crops: list[np.ndarray]) -> torch.Tensor:
    x = torch.cat([to_tensor(c) for c in crops])  # (N, 3, 224, 224)
    return x.contiguous(memory_format=torch.channels_last)


def stage_map(model: EfficientNetLite0, stage: str, x: torch.Tensor) -> torch.Tensor:
    """``(N, C, h, w)``: the map at ``stage`` as the analysis shows it (after the ReLU6 that
    the stem and the head end in), running only up to it."""
    value = stage_value(model, stage, x)  # before any ReLU6
    module = getattr(model, stage)
    return module.act(value) if isinstance(module, ConvBN) else value


def view_map(model: EfficientNetLite0, crop_u8: np.ndarray, stage: str) -> np.ndarray:
    """``(C, h, w) float32``: one view's map at ``stage``, running only up to it."""
    with torch.inference_mode():
        return stage_map(model, stage, _batch([crop_u8]))[0].contiguous().numpy()


def views_forward(model: EfficientNetLite0, crops_u8: list[np.ndarray], stage: str
                  ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Class probabilities ``(n, 1000)`` and stage maps ``(n, C, h, w)`` of the views, ``CHUNK``
    views per forward pass, chunk by chunk (the stem maps of 65 views would be 100 MB)."""
    for i in range(0, len(crops_u8), CHUNK):
        with torch.inference_mode():
            maps = stage_map(model, stage, _batch(crops_u8[i:i + CHUNK]))  # (n, C, h, w)
            logits, _ = model.forward_from(stage, maps)  # (n, 1000)
            probs = torch.softmax(logits, dim=1).numpy()
        yield probs, maps.contiguous().numpy()


def moved(ref: np.ndarray, units: float, axis: Axis) -> tuple[np.ndarray, slice]:
    """``ref (C, h, w)`` read at position ``j + units`` along ``axis`` (linear interpolation
    between neighbours for a fractional ``units``), for the positions ``j`` where that lies
    inside the map: the moved map over those positions, and the slice of ``j``."""
    a = np.moveaxis(ref, 2 if axis == "x" else 1, -1)  # (C, other, n): the axis last
    n = a.shape[-1]
    j0, j1 = max(0, math.ceil(-units)), min(n, math.floor(n - 1 - units) + 1)
    if j1 <= j0:
        return np.moveaxis(a[..., :0], -1, 2 if axis == "x" else 1), slice(0, 0)
    pos = np.arange(j0, j1) + units  # where each kept j reads ref, in [0, n - 1]
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    t = (pos - lo).astype(np.float32)
    out = a[..., lo] * (1 - t) + a[..., hi] * t  # (C, other, j1 - j0)
    return np.moveaxis(out, -1, 2 if axis == "x" else 1), slice(j0, j1)


def map_similarity(view: np.ndarray, ref: np.ndarray, units: float, axis: Axis) -> float:
    """Cosine between ``view (C, h, w)`` (the shifted view's map) and ``ref`` (the unshifted
    view's map) moved by ``units``, over the positions both cover; 0 when either is all zero."""
    target, kept = moved(ref, units, axis)
    part = view[:, :, kept] if axis == "x" else view[:, kept, :]
    a, b = part.astype(np.float64).ravel(), target.astype(np.float64).ravel()
    norm = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b / norm) if norm > 0 else 0.0
