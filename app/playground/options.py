"""The playground's choices and bounds as the page shows them, from the one place each is set.

The API's types, the checks in ``app.imaging`` and the page's controls all read
the same constants; this module adds only what a person reads (the labels), and
``app.http.pages`` renders the controls and hands the same numbers to the scripts.
"""

from __future__ import annotations

from typing import get_args

from app.imaging.convolve import (
    BIAS_MAX_ABS,
    DILATION_RANGE,
    KERNEL_MAX_ABS,
    KERNEL_MAX_SIDE,
    PADDING_RANGE,
    POOL_RANGE,
    STRIDE_RANGE,
    Border,
    Channels,
    PaddingMode,
    PoolKind,
)
from app.imaging.encode import DisplayMode

BORDER_LABELS: dict[str, str] = {
    "reflect101": "reflect-101 (gfedcb|abcdefgh, OpenCV default)",
    "reflect": "reflect (fedcba|abcdefgh)",
    "replicate": "replicate (aaaaaa|abcdefgh)",
    "zero": "zero (000000|abcdefgh)",
}
DISPLAY_LABELS: dict[str, str] = {
    "diverging": "diverging: blue < 0 < red",
    "abs": "absolute value",
    "minmax": "min-max stretch",
    "clip": "clip to 0-255 (hides negatives)",
}
CHANNEL_LABELS: dict[str, str] = {"gray": "grayscale", "rgb": "R, G, B separately"}
PADDING_LABELS: dict[str, str] = {
    "same": "same (keep size at stride 1)",
    "valid": "valid (no padding)",
}
POOL_LABELS: dict[str, str] = {"max": "max", "avg": "average"}

_CHOICES = {"border": (Border, BORDER_LABELS), "display": (DisplayMode, DISPLAY_LABELS),
            "channels": (Channels, CHANNEL_LABELS), "padding": (PaddingMode, PADDING_LABELS),
            "pool": (PoolKind, POOL_LABELS)}


def playground_options() -> dict:
    """Every choice (value and label, in the order shown) and every numeric bound of a layer.

    Raises ``KeyError`` at start-up if a label is missing for a value the API accepts."""
    choices = {name: [{"value": v, "label": labels[v]} for v in _ordered(kind, labels)]
               for name, (kind, labels) in _CHOICES.items()}
    return {
        "choices": choices,
        "bounds": {"stride": list(STRIDE_RANGE), "dilation": list(DILATION_RANGE),
                   "padding": list(PADDING_RANGE), "pool": list(POOL_RANGE),
                   "kernel_side": [1, KERNEL_MAX_SIDE]},
        "kernel_max_abs": KERNEL_MAX_ABS, "bias_max_abs": BIAS_MAX_ABS,
    }


def _ordered(kind: object, labels: dict[str, str]) -> list[str]:
    """The accepted values in the labels' order (the order a person reads them)."""
    values = set(get_args(kind))
    if set(labels) != values:
        raise KeyError(f"labels {sorted(labels)} do not match the accepted {sorted(values)}")
    return list(labels)
