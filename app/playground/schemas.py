"""The kernel playground's request and response models.

Types do the first line of validation: numbers must be finite JSON numbers
(never booleans or strings), switches must be JSON ``true``/``false`` (never
"yes" or 1), enums are closed, sizes are bounded. Domain rules that need
arithmetic (does any output remain?) live in ``imaging``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import Field, StrictBool, StrictInt, field_validator

from app.core.schema import Number, Strict
from app.imaging.convolve import KERNEL_MAX_ABS, KERNEL_MAX_SIDE, ConvSpec, PoolSpec

Row = list[Number]


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_kernel_shape(kernel: object) -> None:
    """Raise ``ValueError`` with a readable reason unless ``kernel`` is a rectangular
    2-D list of numbers, or 3 such slices of one size, within the size limit."""
    if not isinstance(kernel, list) or not kernel:
        raise ValueError("the kernel must be a non-empty list of rows of numbers")
    three_d = isinstance(kernel[0], list) and bool(kernel[0]) and isinstance(kernel[0][0], list)
    slices = kernel if three_d else [kernel]
    if three_d and len(slices) != 3:
        raise ValueError(f"a 3-D kernel needs 3 slices (R, G, B), not {len(slices)}")
    first = slices[0]
    if not isinstance(first[0], list) or not first[0]:
        raise ValueError("the kernel must be a non-empty list of rows of numbers")
    height, width = len(first), len(first[0])
    for part in slices:
        if not isinstance(part, list) or len(part) != height or any(
                not isinstance(row, list) or len(row) != width for row in part):
            raise ValueError("the kernel is ragged: every row must have the same length")
        for row in part:
            if not all(_is_number(v) for v in row):
                raise ValueError("every kernel entry must be a number")
    if height > KERNEL_MAX_SIDE or width > KERNEL_MAX_SIDE:
        raise ValueError(f"the kernel is {height}x{width}; at most "
                         f"{KERNEL_MAX_SIDE}x{KERNEL_MAX_SIDE} is allowed")


class PoolRequest(Strict):
    kind: Literal["max", "avg"] = "max"
    size: Annotated[StrictInt, Field(ge=1, le=8)] = 2
    stride: Annotated[StrictInt, Field(ge=1, le=8)] = 2


class ConvRequest(Strict):
    """Everything that defines one convolution of a stored image."""

    kernel: list[Row] | list[list[Row]] = Field(
        description=f"2-D kernel (1-{KERNEL_MAX_SIDE} per side), or 3 such slices (one per "
                    f"R, G, B input channel, summed like a CNN layer); |values| <= "
                    f"{KERNEL_MAX_ABS:g}")
    stride: Annotated[StrictInt, Field(ge=1, le=8)] = 1
    padding: Literal["same", "valid"] | Annotated[StrictInt, Field(ge=0, le=64)] = "same"
    border: Literal["zero", "replicate", "reflect", "reflect101"] = "reflect101"
    dilation: Annotated[StrictInt, Field(ge=1, le=4)] = 1
    bias: Annotated[Number, Field(ge=-1e6, le=1e6)] = 0.0
    channels: Literal["gray", "rgb"] = "gray"
    flip: StrictBool = False
    relu: StrictBool = False
    pool: PoolRequest | None = None
    display: Literal["clip", "abs", "minmax", "diverging"] = "diverging"

    @field_validator("kernel", mode="before")
    @classmethod
    def _rectangular(cls, kernel: object) -> object:
        check_kernel_shape(kernel)
        return kernel

    def to_spec(self) -> ConvSpec:
        """The pure-imaging description of this request."""
        pool = PoolSpec(self.pool.kind, self.pool.size, self.pool.stride) if self.pool else None
        return ConvSpec(
            kernel=np.asarray(self.kernel, dtype=np.float32), stride=self.stride,
            padding=self.padding, border=self.border, dilation=self.dilation,
            bias=float(self.bias), channels=self.channels, flip=self.flip, relu=self.relu,
            pool=pool)


class InspectRequest(ConvRequest):
    """A convolution plus one output pixel to explain."""

    x: Annotated[StrictInt, Field(ge=0, le=100_000)]
    y: Annotated[StrictInt, Field(ge=0, le=100_000)]
