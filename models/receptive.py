"""Where a unit of a stage looks: its receptive field in the 224x224 crop and in the photo,
and its effective field (how strongly each input pixel moves it).

The boxes are arithmetic over the layer list (``models.stages.STAGE_CONFIG``): every conv
widens the field by ``(k - 1)`` input steps and multiplies the step by its stride; its
TensorFlow 'same' padding (0 before and 1 after on an even input at stride 2, see
``models.efficientnet_lite0.SameConv``) shifts where the field starts. The tests check
the sizes and strides against the stage table (traced from the model) and every stage's
boxes against the gradient support of a linearised copy of the network
(``tests/models/test_receptive.py``). A box is carried back to the photo
through the centre crop and the resize (``models.preprocess``); the effective field is a
gradient taken on a tensor local to the call (the shared network is never written to).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import torch

from models.efficientnet_lite0 import EfficientNetLite0
from models.featurevis import stage_value
from models.preprocess import CROP, crop_origin, resized_size, to_tensor
from models.stages import STAGE_CONFIG, STAGE_IDS

Box = tuple[int, int, int, int]  # (x0, y0, x1, y1), inclusive


@dataclass(frozen=True)
class Field:
    """Unit ``(row, col)`` of a stage sees input rows ``row * stride - offset`` to that
    ``+ size - 1`` (and the same for columns), before clipping to the crop."""

    size: int
    stride: int
    offset: int
    side: int  # the stage's map is side x side at a 224 crop


def _convs() -> list[tuple[str, int, int]]:
    """``(stage, kernel, stride)`` of every conv in execution order (1x1 convs included:
    they change nothing, but keep the list the network's)."""
    convs = [("stem", 3, 2)]
    for i, (repeats, k, stride, expand, _) in enumerate(STAGE_CONFIG, start=1):
        for r in range(repeats):
            if expand != 1:
                convs.append((f"stage{i}", 1, 1))
            convs += [(f"stage{i}", k, stride if r == 0 else 1), (f"stage{i}", 1, 1)]
    convs.append(("head", 1, 1))
    return convs


@cache
def fields(side: int = CROP) -> dict[str, Field]:
    """Every stage's field at a ``side`` x ``side`` input."""
    size, jump, offset, n = 1, 1, 0, side
    out: dict[str, Field] = {}
    for stage, k, s in _convs():
        total = max((math.ceil(n / s) - 1) * s + k - n, 0)  # TF 'same' padding
        offset += (total // 2) * jump
        size += (k - 1) * jump
        jump *= s
        n = math.ceil(n / s)
        out[stage] = Field(size, jump, offset, n)
    assert list(out) == STAGE_IDS
    return out


def unit_box(stage: str, row: int, col: int, side: int = CROP) -> Box:
    """``(x0, y0, x1, y1)``, inclusive, of unit ``(row, col)``'s field, clipped to the crop."""
    f = fields(side)[stage]
    y0, x0 = row * f.stride - f.offset, col * f.stride - f.offset
    return (max(x0, 0), max(y0, 0), min(x0 + f.size - 1, side - 1),
            min(y0 + f.size - 1, side - 1))


@dataclass(frozen=True)
class PhotoGeometry:
    """How the ``CROP`` x ``CROP`` view sits in a photo: the resize's factor per axis (photo
    pixels per resized pixel) and the crop's origin in the resized photo."""

    width: int
    height: int
    sx: float
    sy: float
    top: int
    left: int

    @classmethod
    def of(cls, height: int, width: int) -> PhotoGeometry:
        rh, rw = resized_size(height, width)
        top, left = crop_origin(rh, rw)
        return cls(width, height, width / rw, height / rh, top, left)

    def to_photo(self, box: Box) -> Box:
        """A box of crop pixels as the photo pixels they were resampled from: a crop pixel
        ``i`` covers ``[i, i + 1)``, which the resize took from ``[(i + o) s, (i + o + 1) s)``."""
        x0, y0, x1, y1 = box
        return (max(math.floor((x0 + self.left) * self.sx), 0),
                max(math.floor((y0 + self.top) * self.sy), 0),
                min(math.ceil((x1 + 1 + self.left) * self.sx) - 1, self.width - 1),
                min(math.ceil((y1 + 1 + self.top) * self.sy) - 1, self.height - 1))

    def seen(self) -> Box:
        """The part of the photo the model saw: the whole crop, carried back."""
        return self.to_photo((0, 0, CROP - 1, CROP - 1))


def effective_field(model: EfficientNetLite0, crop_u8: np.ndarray, stage: str, row: int,
                    col: int, channel: int | None = None) -> np.ndarray:
    """``(224, 224) float32``: ``|d unit / d pixel|`` summed over R, G, B, for unit ``(row,
    col)`` of ``stage`` (one channel, or all channels summed). The unit is read before its
    stage's final ReLU6, so a unit the clip switched off still shows what it sees."""
    x = to_tensor(crop_u8).requires_grad_(True)  # (1, 3, 224, 224), this call's own
    with torch.enable_grad():
        value = stage_value(model, stage, x)[0, :, row, col]  # (C,)
        unit = value.sum() if channel is None else value[channel]
        (grad,) = torch.autograd.grad(unit, [x])  # (1, 3, 224, 224)
    return grad[0].abs().sum(0).numpy()
