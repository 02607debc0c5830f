"""Where a unit of a stage looks in the 224x224 crop: its receptive field as a pixel box.

Torch-free arithmetic over the layer list (``models.stages.STAGE_CONFIG``): every conv
widens the field by ``(k - 1)`` input steps and multiplies the step by its stride; its
TensorFlow 'same' padding (0 before and 1 after on an even input at stride 2, see
``models.efficientnet_lite0.SameConv``) shifts where the field starts. The test checks
the sizes against the stage table (measured from the model) and the boxes against the
gradient support of a linearised copy of the network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from models.preprocess import CROP
from models.stages import STAGE_CONFIG, STAGE_IDS


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


def unit_box(stage: str, row: int, col: int, side: int = CROP) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``, inclusive, of unit ``(row, col)``'s field, clipped to the crop."""
    f = fields(side)[stage]
    y0, x0 = row * f.stride - f.offset, col * f.stride - f.offset
    return (max(x0, 0), max(y0, 0), min(x0 + f.size - 1, side - 1),
            min(y0 + f.size - 1, side - 1))
