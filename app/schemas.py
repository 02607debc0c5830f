"""Request and response models of the HTTP API.

Types do the first line of validation: numbers must be finite JSON numbers
(never booleans or strings), switches must be JSON ``true``/``false`` (never
"yes" or 1), enums are closed, sizes are bounded. Domain rules that need
arithmetic (does any output remain?) live in ``imaging``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    field_validator,
)
from pydantic_core import PydanticCustomError

from app.imaging.convolve import KERNEL_MAX_ABS, KERNEL_MAX_SIDE, ConvSpec, PoolSpec


def _not_a_huge_int(value: object) -> object:
    # Pydantic's finite check converts an int to float first, and 10**309 overflowed there
    # (a 500); such an int is refused as what it is, a number too big to be finite.
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 1e300:
        raise PydanticCustomError("finite_number", "Input should be a finite number")
    return value


# A JSON number: ints are fine, booleans and strings are not, NaN/Infinity/1e309 are not.
Number = Annotated[StrictFloat, BeforeValidator(_not_a_huge_int), Field(allow_inf_nan=False)]
Row = list[Number]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImageInfo(BaseModel):
    """A stored image: use ``id`` in every later call."""

    id: str
    width: int
    height: int


class SampleInfo(BaseModel):
    """A built-in photo and the credit its licence asks for."""

    id: str
    title: str
    url: str
    licence: str
    credit: str
    source: str
    changes: str


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


class PoolRequest(_Strict):
    kind: Literal["max", "avg"] = "max"
    size: Annotated[StrictInt, Field(ge=1, le=8)] = 2
    stride: Annotated[StrictInt, Field(ge=1, le=8)] = 2


class ConvRequest(_Strict):
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


class ClassCreate(_Strict):
    # Blank or invisible names are refused by ``projects.clean_class_name`` (one rule for
    # names typed here and names read from an uploaded head file).
    name: Annotated[str, Field(min_length=1, max_length=40)]


class TrainRequest(_Strict):
    epochs: Annotated[StrictInt, Field(ge=1, le=500)] = 100
    augment: StrictBool = True
    seed: Annotated[StrictInt, Field(ge=0, le=2**31 - 1)] = 0


class ImageRef(_Strict):
    image_id: Annotated[str, Field(min_length=1, max_length=64)]
