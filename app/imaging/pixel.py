"""The dot product behind one output pixel: the patch, the kernel, their products and sums.

The pixel inspector's numbers are recomputed here from the input and the spec
(not read back from the convolution), so a student can check the arithmetic
that ``convolve`` did, including padding, dilation, bias, ReLU and pooling.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.core.errors import invalid
from app.imaging.convolve import CV_BORDER, Border, ConvResult, ConvSpec


def _tap(index: int, size: int, border: Border) -> int:
    """Where padding reads from for an out-of-range index; -1 means a zero."""
    return cv2.borderInterpolate(index, size, CV_BORDER[border])


def inspect_pixel(x: np.ndarray, spec: ConvSpec, result: ConvResult, ox: int, oy: int) -> dict:
    """The dot product behind output pixel ``(ox, oy)`` of ``result``, in plain numbers.

    With pooling, ``(ox, oy)`` is a pooled pixel: the pool window is reported and
    the conv pixel explained is the window's maximum (max pool, first channel) or
    its top-left pixel (average pool).
    """
    g = result.geometry
    if not 0 <= ox < g.out_w:
        raise invalid("x", f"x must be between 0 and {g.out_w - 1}")
    if not 0 <= oy < g.out_h:
        raise invalid("y", f"y must be between 0 and {g.out_h - 1}")
    conv = result.conv if result.conv.ndim == 3 else result.conv[:, :, None]  # (ch, cw, O)
    cx, cy, pool = ox, oy, None
    if g.pool is not None:
        p = g.pool
        y0, x0 = oy * p.stride, ox * p.stride
        window = conv[y0:y0 + p.size, x0:x0 + p.size]  # (size, size, O)
        if p.kind == "max":
            dy, dx = np.unravel_index(int(np.argmax(window[:, :, 0])), window.shape[:2])
        else:
            dy, dx = 0, 0
        cy, cx = y0 + int(dy), x0 + int(dx)
        reduce = np.max if p.kind == "max" else np.mean
        pool = {"kind": p.kind, "size": p.size, "stride": p.stride,
                "window": {"x0": x0, "y0": y0, "x1": x0 + p.size - 1, "y1": y0 + p.size - 1},
                "values": np.moveaxis(window, 2, 0).tolist(),
                "result": [float(v) for v in reduce(window, axis=(0, 1))]}
    top, _, left, _ = g.pad
    d = g.dilation
    rows = [cy * g.stride - top + i * d for i in range(g.kh)]
    cols = [cx * g.stride - left + j * d for j in range(g.kw)]
    ri = np.array([_tap(r, g.in_h, spec.border) for r in rows])
    ci = np.array([_tap(c, g.in_w, spec.border) for c in cols])
    img = x if x.ndim == 3 else x[:, :, None]  # (H, W, C)
    patch = img[np.clip(ri, 0, None)[:, None], np.clip(ci, 0, None)[None, :]]  # (kh, kw, C)
    patch = np.where((ri[:, None, None] < 0) | (ci[None, :, None] < 0), 0.0, patch)
    patch = np.moveaxis(patch, 2, 0).astype(np.float32)  # (C, kh, kw)
    k = spec.applied_kernel()
    kernel = k if k.ndim == 3 else np.broadcast_to(k, patch.shape)
    products = patch * kernel  # (C, kh, kw)
    if k.ndim == 3:
        mode, sums = "summed", [float(products.sum(dtype=np.float64))]
    else:
        mode = "gray" if patch.shape[0] == 1 else "per_channel"
        sums = [float(s) for s in products.sum(axis=(1, 2), dtype=np.float64)]
    values = [s + spec.bias for s in sums]
    out = result.values[oy, ox]
    return {
        "x": ox, "y": oy, "conv_x": cx, "conv_y": cy, "mode": mode,
        "channels": ["gray"] if patch.shape[0] == 1 else ["R", "G", "B"],
        "patch": patch.tolist(), "kernel": np.asarray(kernel).tolist(),
        "products": products.tolist(), "sum": sums, "bias": spec.bias, "value": values,
        "relu": spec.relu, "relu_value": [max(v, 0.0) if spec.relu else v for v in values],
        "window": {"x0": cols[0], "y0": rows[0], "x1": cols[-1], "y1": rows[-1]},
        "dilation": d, "pool": pool,
        "output": [float(v) for v in np.atleast_1d(out)],
    }
