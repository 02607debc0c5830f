"""User kernels on photos: padding, stride, dilation, bias, ReLU, pooling, and their arithmetic.

Convolution here means cross-correlation, as in CNNs and OpenCV's ``filter2D``:
the kernel is laid on the image as written. ``flip=True`` rotates it by 180
degrees first, which is the textbook convolution.

The pipeline, in the order a CNN layer applies it::

    x (H, W) or (H, W, 3) float32
      -> pad (border mode)        (H + pt + pb, W + pl + pr)
      -> correlate (dilated k)    every position, then keep every s-th
      -> + bias, ReLU             conv map
      -> pool (max/avg, floor)    final values

OpenCV does the sliding (``filter2D`` is ~100x faster than NumPy windows and
5-80x faster than ``torch.conv2d`` on photos); torch is the test oracle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from app.core.errors import invalid
from app.imaging.filter import correlate

# Every bound of a layer a student can set, written once: the API's types, the checks
# below and the page's controls all read these.
KERNEL_MAX_SIDE = 15
KERNEL_MAX_ABS = 1000.0  # keeps sums finite in float32 and the display meaningful
STRIDE_RANGE = (1, 8)
DILATION_RANGE = (1, 4)
PADDING_RANGE = (0, 64)  # explicit padding, pixels per side
POOL_RANGE = (1, 8)  # pool size and pool stride
BIAS_MAX_ABS = 1e6

Border = Literal["zero", "replicate", "reflect", "reflect101"]
Channels = Literal["gray", "rgb"]
PaddingMode = Literal["same", "valid"]
PoolKind = Literal["max", "avg"]

CV_BORDER = {
    "zero": cv2.BORDER_CONSTANT,        # 000|abc
    "replicate": cv2.BORDER_REPLICATE,  # aaa|abc
    "reflect": cv2.BORDER_REFLECT,      # cba|abc (edge repeated)
    "reflect101": cv2.BORDER_REFLECT_101,  # dcb|abc (OpenCV's default)
}

# ITU-R BT.601 luma, the weights of every "convert to grayscale" students meet.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


@dataclass(frozen=True)
class PoolSpec:
    kind: PoolKind = "max"
    size: int = 2
    stride: int = 2


@dataclass(frozen=True)
class ConvSpec:
    """One convolution layer as a student sets it up.

    ``kernel`` is ``(kh, kw)``, applied to every channel on its own, or
    ``(3, kh, kw)``: one slice per R, G, B input channel, summed into one
    output like a CNN's first layer (needs ``channels="rgb"``).
    """

    kernel: np.ndarray
    stride: int = 1
    padding: PaddingMode | int = "same"
    border: Border = "reflect101"
    dilation: int = 1
    bias: float = 0.0
    channels: Channels = "gray"
    flip: bool = False
    relu: bool = False
    pool: PoolSpec | None = None

    def applied_kernel(self) -> np.ndarray:
        """The kernel as laid on the image: float32, rotated 180 degrees when ``flip``."""
        k = np.asarray(self.kernel, dtype=np.float32)
        return np.ascontiguousarray(k[..., ::-1, ::-1]) if self.flip else k


@dataclass(frozen=True)
class Geometry:
    """Every size in the pipeline, with the formulas that produce them."""

    in_h: int
    in_w: int
    kh: int
    kw: int
    eff_h: int  # dilated kernel extent: d * (k - 1) + 1
    eff_w: int
    pad: tuple[int, int, int, int]  # top, bottom, left, right
    stride: int
    dilation: int
    conv_h: int
    conv_w: int
    out_h: int
    out_w: int
    pool: PoolSpec | None
    formulas: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConvResult:
    values: np.ndarray  # final output: (oh, ow) or (oh, ow, 3) float32
    conv: np.ndarray  # after bias and ReLU, before pooling
    geometry: Geometry


def validate(spec: ConvSpec) -> None:
    """Raise ``InvalidParameter`` for a spec no image could satisfy."""
    k = np.asarray(spec.kernel)
    if k.ndim not in (2, 3) or (k.ndim == 3 and k.shape[0] != 3) or 0 in k.shape:
        raise invalid("kernel", "the kernel must be a 2-D grid, or 3 grids (R, G, B)")
    if max(k.shape[-2:]) > KERNEL_MAX_SIDE:
        raise invalid("kernel", f"the kernel is {k.shape[-2]}x{k.shape[-1]}; at most "
                                       f"{KERNEL_MAX_SIDE}x{KERNEL_MAX_SIDE} is allowed")
    if not np.all(np.isfinite(k)) or float(np.abs(k).max()) > KERNEL_MAX_ABS:
        raise invalid("kernel", f"kernel entries must be finite numbers between "
                                       f"-{KERNEL_MAX_ABS:g} and {KERNEL_MAX_ABS:g}")
    if k.ndim == 3 and spec.channels != "rgb":
        raise invalid("channels", "a kernel with R, G, B slices needs channels 'rgb'")
    for name, (lo, hi) in (("stride", STRIDE_RANGE), ("dilation", DILATION_RANGE)):
        if not lo <= getattr(spec, name) <= hi:
            raise invalid(name, f"{name} must be between {lo} and {hi}")
    if spec.border not in CV_BORDER:
        raise invalid("border", f"border must be one of {', '.join(CV_BORDER)}")


def _same_padding(n: int, eff: int, stride: int) -> tuple[int, int]:
    """TensorFlow's 'same': output ceil(n / s); an odd total pads one more after."""
    out = -(-n // stride)
    total = max((out - 1) * stride + eff - n, 0)
    return total // 2, total - total // 2


def _conv_formula(axis: str, n: int, before: int, after: int, k: int, d: int, s: int,
                  out: int) -> dict:
    pads = f"{before} + {after}" if before != after else f"2·{before}"
    return {"axis": axis, "stage": "conv",
            "text": f"floor(({n} + {pads} − {d}·({k} − 1) − 1) / {s}) + 1 = {out}"}


def output_geometry(in_h: int, in_w: int, spec: ConvSpec) -> Geometry:
    """Sizes after padding, convolution and pooling; ``InvalidParameter`` if nothing is left.

    The conv output is ``floor((n + p_before + p_after - d(f - 1) - 1) / s) + 1``
    per axis, as in ``torch.nn.Conv2d``; pooling uses floor mode without padding.
    """
    validate(spec)
    kh, kw = np.asarray(spec.kernel).shape[-2:]
    d, s = spec.dilation, spec.stride
    eff_h, eff_w = d * (kh - 1) + 1, d * (kw - 1) + 1
    if spec.padding == "same":
        top, bottom = _same_padding(in_h, eff_h, s)
        left, right = _same_padding(in_w, eff_w, s)
    elif spec.padding == "valid":
        top = bottom = left = right = 0
    else:
        lo, hi = PADDING_RANGE
        if not lo <= int(spec.padding) <= hi:
            raise invalid("padding", f"padding must be 'same', 'valid' or {lo}-{hi} pixels")
        top = bottom = left = right = int(spec.padding)
    span_h, span_w = in_h + top + bottom, in_w + left + right
    if eff_h > span_h or eff_w > span_w:
        raise invalid("padding", f"the kernel spans {eff_h}x{eff_w} pixels (dilation included) "
                                 f"but the padded input is only {span_h}x{span_w}: no output is "
                                 "left; use more padding, a smaller kernel or less dilation")
    conv_h, conv_w = (span_h - eff_h) // s + 1, (span_w - eff_w) // s + 1
    formulas = [_conv_formula("height", in_h, top, bottom, kh, d, s, conv_h),
                _conv_formula("width", in_w, left, right, kw, d, s, conv_w)]
    warnings = []
    for axis, span, eff in (("rows", span_h, eff_h), ("columns", span_w, eff_w)):
        if (span - eff) % s:
            warnings.append(f"stride {s} does not tile the padded input evenly: the last "
                            f"{(span - eff) % s} {axis} are never under the kernel")
    if spec.padding == "same" and (top != bottom or left != right):
        warnings.append("'same' padding is uneven here (as in TensorFlow): the extra "
                        "row or column goes at the bottom or right")
    out_h, out_w = conv_h, conv_w
    if spec.pool is not None:
        p = spec.pool
        lo, hi = POOL_RANGE
        if not (lo <= p.size <= hi and lo <= p.stride <= hi):
            raise invalid("pool", f"pool size and stride must be between {lo} and {hi}")
        if p.size > conv_h or p.size > conv_w:
            raise invalid("pool", f"the {p.size}x{p.size} pool does not fit the {conv_h}x{conv_w} "
                        f"convolution output: use a smaller pool size")
        out_h, out_w = (conv_h - p.size) // p.stride + 1, (conv_w - p.size) // p.stride + 1
        for axis, n, out in (("height", conv_h, out_h), ("width", conv_w, out_w)):
            formulas.append({"axis": axis, "stage": "pool",
                             "text": f"floor(({n} − {p.size}) / {p.stride}) + 1 = {out}"})
            if (n - p.size) % p.stride:
                warnings.append(f"the pool stride does not tile the {n}-pixel {axis} evenly: "
                                f"the last {(n - p.size) % p.stride} are dropped (floor mode)")
    return Geometry(in_h, in_w, kh, kw, eff_h, eff_w, (top, bottom, left, right), s, d,
                    conv_h, conv_w, out_h, out_w, spec.pool, formulas, warnings)


def prepare_input(rgb_u8: np.ndarray, channels: Channels) -> np.ndarray:
    """The float32 image a kernel sees: luma ``(H, W)`` for gray, ``(H, W, 3)`` for rgb, 0-255."""
    if channels == "gray":
        return rgb_u8.astype(np.float32) @ LUMA  # (H, W)
    return rgb_u8.astype(np.float32)  # (H, W, 3)


def _dilate(k: np.ndarray, d: int) -> np.ndarray:
    """Insert ``d - 1`` zeros between taps: the same sums as a dilated convolution."""
    if d == 1:
        return k
    out = np.zeros((d * (k.shape[0] - 1) + 1, d * (k.shape[1] - 1) + 1), np.float32)
    out[::d, ::d] = k
    return out


def _correlate(padded: np.ndarray, k2: np.ndarray, g: Geometry) -> np.ndarray:
    """Valid cross-correlation of ``padded`` with the 2-D kernel, then the stride."""
    kd = _dilate(k2, g.dilation)
    # Anchor (0, 0): out[i, j] = sum k[u, v] * padded[i + u, j + v]; the rows that
    # would need pixels past the padded edge are cut off below.
    full = correlate(padded, kd, (0, 0), 0.0, cv2.BORDER_CONSTANT)
    h = padded.shape[0] - g.eff_h + 1
    w = padded.shape[1] - g.eff_w + 1
    return full[:h:g.stride, :w:g.stride]


def pool2d(values: np.ndarray, spec: PoolSpec) -> np.ndarray:
    """Max or average pooling over ``(H, W[, C])``, floor mode, no padding."""
    windows = sliding_window_view(values, (spec.size, spec.size), axis=(0, 1))
    windows = windows[::spec.stride, ::spec.stride]  # (oh, ow[, C], size, size)
    reduce = np.max if spec.kind == "max" else np.mean
    return reduce(windows, axis=(-2, -1)).astype(np.float32)


def convolve(x: np.ndarray, spec: ConvSpec) -> ConvResult:
    """Apply ``spec`` to a prepared image ``x`` (see ``prepare_input``)."""
    g = output_geometry(x.shape[0], x.shape[1], spec)
    k = spec.applied_kernel()
    if g.stride == 1 and (g.conv_h, g.conv_w) == (g.in_h, g.in_w):
        conv = _same_size(x, k, g, spec)
    else:
        top, bottom, left, right = g.pad
        padded = cv2.copyMakeBorder(x, top, bottom, left, right, CV_BORDER[spec.border], value=0)
        if k.ndim == 3:  # one slice per input channel, summed: a CNN layer with 1 output
            conv = sum(_correlate(np.ascontiguousarray(padded[:, :, c]), k[c], g)
                       for c in range(3))
        else:
            conv = _correlate(padded, k, g)
        conv = (conv + np.float32(spec.bias)).astype(np.float32, copy=False)
    if spec.relu:
        np.maximum(conv, 0, out=conv)
    values = pool2d(conv, spec.pool) if spec.pool else conv
    return ConvResult(values, conv, g)


def _same_size(x: np.ndarray, k: np.ndarray, g: Geometry, spec: ConvSpec) -> np.ndarray:
    """The common live case (stride 1, output as large as the input) in one OpenCV pass per
    kernel slice: ``filter2D`` pads with the border mode as ``copyMakeBorder`` would, the
    anchor puts the padding before and after where the geometry says, and ``delta`` adds the
    bias; no padded copy, no slicing (measured: about half the time of the general path)."""
    top, _, left, _ = g.pad
    border = CV_BORDER[spec.border]
    if k.ndim == 2:
        return correlate(x, _dilate(k, g.dilation), (left, top), float(spec.bias), border)
    planes = cv2.split(x)  # three (H, W) slices, one per input channel
    conv = correlate(planes[0], _dilate(k[0], g.dilation), (left, top), float(spec.bias),
                     border)
    for plane, kc in zip(planes[1:], k[1:], strict=True):
        conv += correlate(plane, _dilate(kc, g.dilation), (left, top), 0.0, border)
    return conv
