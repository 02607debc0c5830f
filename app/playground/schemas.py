"""The kernel playground's request and response models.

Types do the first line of validation: numbers must be finite JSON numbers
(never booleans or strings), switches must be JSON ``true``/``false`` (never
"yes" or 1), enums are closed, sizes are bounded. Domain rules that need
arithmetic (does any output remain?) live in ``imaging``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, Field, StrictBool, StrictInt, field_validator

from app.core.schema import Box, Number, Strict
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
    ConvSpec,
    PaddingMode,
    PoolKind,
    PoolSpec,
)
from app.imaging.encode import DisplayMode, ImageFormat


def _within(bounds: tuple[int, int]) -> Field:
    return Field(ge=bounds[0], le=bounds[1])

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
    kind: PoolKind = PoolSpec.kind
    size: Annotated[StrictInt, _within(POOL_RANGE)] = PoolSpec.size
    stride: Annotated[StrictInt, _within(POOL_RANGE)] = PoolSpec.stride


class ConvRequest(Strict):
    """Everything that defines one convolution of a stored image."""

    kernel: list[Row] | list[list[Row]] = Field(
        description=f"2-D kernel (1-{KERNEL_MAX_SIDE} per side), or 3 such slices (one per "
                    f"R, G, B input channel, summed like a CNN layer); |values| <= "
                    f"{KERNEL_MAX_ABS:g}")
    stride: Annotated[StrictInt, _within(STRIDE_RANGE)] = ConvSpec.stride
    padding: PaddingMode | Annotated[StrictInt, _within(PADDING_RANGE)] = ConvSpec.padding
    border: Border = ConvSpec.border
    dilation: Annotated[StrictInt, _within(DILATION_RANGE)] = ConvSpec.dilation
    bias: Annotated[Number, Field(ge=-BIAS_MAX_ABS, le=BIAS_MAX_ABS)] = ConvSpec.bias
    channels: Channels = ConvSpec.channels
    flip: StrictBool = ConvSpec.flip
    relu: StrictBool = ConvSpec.relu
    pool: PoolRequest | None = None
    display: DisplayMode = "diverging"

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


class LiveEdit(ConvRequest):
    """One edit sent over the playground's WebSocket: the convolution as ``ConvRequest`` has
    it (so its fields and their errors read the same as over HTTP), plus the image it
    applies to and the picture's format. Answers come in the order edits were sent."""

    image: Annotated[str, Field(max_length=64)]
    format: ImageFormat = "jpeg"
    drawn_scale: Annotated[Number, Field(gt=0, le=1024)] | None = Field(
        None, description="device pixels per output pixel where the page draws the picture: "
                          "at 1/2 or less the picture comes halved (2x2 averages), at 1/4 "
                          "quartered, and so on; the summary still describes the output")


class Preset(BaseModel):
    name: str
    kernel: list[list[float]]
    description: str


class Size(BaseModel):
    height: int
    width: int


class Layered(Size):
    channels: int


class KernelSize(Size):
    slices: int = Field(description="3 for an R, G, B kernel summed into one output, else 1")


class Padding(BaseModel):
    top: int
    bottom: int
    left: int
    right: int


class PoolSize(Size):
    kind: PoolKind
    size: int
    stride: int


class Formula(BaseModel):
    axis: Literal["height", "width"]
    stage: Literal["conv", "pool"]
    text: str = Field(description="the output-size formula with this request's numbers")


class ValueStats(BaseModel):
    min: float
    max: float
    mean: float


class DisplayScale(BaseModel):
    mode: DisplayMode
    low: float = Field(description="the value drawn at the low end of the colour scale")
    high: float


class ConvSummary(BaseModel):
    """Every size in the pipeline, the formulas that give them, warnings and statistics
    (also sent with each picture, as the ``X-Conv-Summary`` header)."""

    input: Layered
    kernel: KernelSize
    effective_kernel: Size
    padding: Padding
    stride: int
    dilation: int
    conv: Size
    pool: PoolSize | None
    output: Layered
    formulas: list[Formula]
    warnings: list[str]
    stats: ValueStats
    display: DisplayScale


class PoolWindow(BaseModel):
    kind: PoolKind
    size: int
    stride: int
    window: Box = Field(description="the window in conv-output pixels")
    values: list[list[list[float]]] = Field(description="(output channels, size, size)")
    result: list[float]


class PixelExplanation(BaseModel):
    """The dot product behind one output pixel, in plain numbers."""

    x: int
    y: int
    conv_x: int
    conv_y: int
    mode: Literal["gray", "per_channel", "summed"]
    channels: list[str]
    patch: list[list[list[float]]] = Field(description="(input channels, kh, kw)")
    kernel: list[list[list[float]]]
    products: list[list[list[float]]]
    sum: list[float]
    bias: float
    value: list[float]
    relu: bool
    relu_value: list[float]
    window: Box = Field(description="the input pixels under the (dilated) kernel")
    dilation: int
    pool: PoolWindow | None
    output: list[float]
