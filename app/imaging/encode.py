"""Arrays to pictures: display normalisation, colormaps and image encoding.

Signed float results (a Sobel edge is as negative on one side as it is
positive on the other) need a visible choice of how they become pixels; this
module owns those choices so the playground and the CNN inspector agree.
"""

from __future__ import annotations

import io
from typing import Literal

import cv2
import numpy as np

DisplayMode = Literal["clip", "abs", "minmax", "diverging"]
ImageFormat = Literal["png", "jpeg", "webp", "bmp"]

MEDIA_TYPES: dict[str, str] = {
    "png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp", "bmp": "image/bmp",
}


def _diverging_lut() -> np.ndarray:
    """256 RGB entries: blue (most negative) through white (zero) to red (most positive)."""
    t = np.linspace(-1.0, 1.0, 256)
    blue = np.array([33, 102, 172], dtype=np.float64)
    red = np.array([178, 24, 43], dtype=np.float64)
    white = np.array([247, 247, 247], dtype=np.float64)
    lut = np.where(t[:, None] < 0, white + (blue - white) * -t[:, None],
                   white + (red - white) * t[:, None])
    return np.clip(lut + 0.5, 0, 255).astype(np.uint8)


DIVERGING_LUT = _diverging_lut()  # (256, 3) uint8 RGB
# applyColorMap only indexes its table, so an RGB-ordered table yields RGB pixels.
_DIVERGING_LUT_CV = np.ascontiguousarray(DIVERGING_LUT.reshape(256, 1, 3))


def value_range(values: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of a float32 array in one OpenCV pass (NumPy needs two)."""
    lo, hi, _, _ = cv2.minMaxLoc(np.ascontiguousarray(values).reshape(values.shape[0], -1))
    return float(lo), float(hi)


def diverging_peak(values: np.ndarray) -> float:
    """The magnitude that maps to full blue or red: the 99.5th percentile of ``|values|``.

    Scaling by the single largest value made a photo's Sobel output almost white
    (a few edge pixels dwarf the rest); the top 0.5% saturate instead. Estimated
    on every 4th pixel in each direction, so it costs well under a millisecond.
    """
    sample = np.abs(values[::4, ::4]).ravel()
    if sample.size == 0:
        return 0.0
    k = min(sample.size - 1, int(sample.size * 0.995))
    peak = float(np.partition(sample, k)[k])
    return peak if peak > 0 else float(np.abs(values).max())


def to_display(values: np.ndarray, mode: DisplayMode,
               limits: tuple[float, float] | None = None) -> np.ndarray:
    """Map float results ``(H, W)`` or ``(H, W, 3)`` to uint8 pixels.

    The result has the input's shape, except that "diverging" colours a
    ``(H, W)`` input into ``(H, W, 3)`` RGB.


    clip: values outside 0-255 saturate (hides negative edges).
    abs: magnitude, so both sides of an edge show bright.
    minmax: stretch the image's own range to 0-255.
    diverging: zero is white, negatives blue, positives red, full colour at
    ``diverging_peak``; for a 3-channel result each channel is centred on grey.

    ``limits`` is ``display_range(values, mode)`` when the caller already has it.
    """
    low, high = limits if limits is not None else display_range(values, mode)
    v = values.astype(np.float32, copy=False)
    if mode == "clip":
        out = np.clip(v, 0, 255)
    elif mode == "abs":
        out = np.clip(np.abs(v), 0, 255)
    elif mode == "minmax":
        out = (v - low) * (255.0 / (high - low)) if high > low else np.zeros_like(v)
    elif mode == "diverging":
        scale = 127.5 / high if high > 0 else 0.0
        if v.ndim == 2:
            # Clip first: convertScaleAbs would fold values beyond the robust peak back
            # (abs). Then one OpenCV pass each for scaling and colouring: ~3x faster than NumPy.
            index = cv2.convertScaleAbs(np.clip(v, -high, high) if high > 0 else v,
                                        alpha=scale, beta=127.5)
            return cv2.applyColorMap(index, _DIVERGING_LUT_CV)
        # Each channel centred on grey, in one saturating OpenCV pass (values beyond the
        # robust peak saturate at 0 or 255; NumPy took 4 passes and 5x the time).
        return cv2.addWeighted(v, scale, v, 0.0, 127.5, dtype=cv2.CV_8U)
    else:  # pragma: no cover - the HTTP layer validates the mode
        raise ValueError(f"unknown display mode {mode!r}")
    # A gray result stays one channel: it encodes faster and smaller.
    return (out + 0.5).astype(np.uint8) if mode != "clip" else out.astype(np.uint8)


def fit_drawn_scale(pixels: np.ndarray, drawn_scale: float) -> np.ndarray:
    """``pixels`` halved (each 2x2 block averaged) while the result still has a pixel for
    every device pixel where it is drawn, ``drawn_scale`` device pixels per pixel of
    ``pixels``: a live frame shown at half size or less needs a quarter of the pixels.
    An odd last row or column is dropped first, so each halving is OpenCV's exact 2x box
    average (measured at 1024x768 RGB: 0.24 ms, where INTER_AREA to 467x350 took 3.6 ms)."""
    while drawn_scale * 2 <= 1 and min(pixels.shape[:2]) >= 2:
        h, w = pixels.shape[0] // 2 * 2, pixels.shape[1] // 2 * 2
        pixels = cv2.resize(pixels[:h, :w], (w // 2, h // 2), interpolation=cv2.INTER_AREA)
        drawn_scale *= 2
    return pixels


def display_range(values: np.ndarray, mode: DisplayMode) -> tuple[float, float]:
    """The values ``to_display`` maps to the two ends of its scale (for a legend)."""
    if mode == "diverging":
        peak = diverging_peak(values)
        return -peak, peak
    if mode == "minmax":
        return value_range(values)
    return 0.0, 255.0


def colormap(values: np.ndarray, name: str = "viridis", lo: float | None = None,
             hi: float | None = None) -> np.ndarray:
    """Colour ``(H, W)`` floats with an OpenCV colormap between ``lo`` and ``hi``; RGB out."""
    v = values.astype(np.float32, copy=False)
    lo = float(v.min()) if lo is None else lo
    hi = float(v.max()) if hi is None else hi
    scaled = (v - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(v)
    index = np.clip(scaled, 0, 255).astype(np.uint8)
    maps = {"viridis": cv2.COLORMAP_VIRIDIS, "inferno": cv2.COLORMAP_INFERNO,
            "jet": cv2.COLORMAP_JET, "turbo": cv2.COLORMAP_TURBO}
    bgr = cv2.applyColorMap(index, maps[name])
    return bgr[:, :, ::-1]


def tile(tiles: list[np.ndarray], cols: int, gap: int = 1, background: int = 40) -> np.ndarray:
    """Lay equal-sized ``(h, w, 3) uint8`` tiles in a grid, row by row, ``gap`` pixels apart."""
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // cols)
    canvas = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap, 3), background, np.uint8)
    for k, t in enumerate(tiles):
        y, x = (k // cols) * (h + gap), (k % cols) * (w + gap)
        canvas[y:y + h, x:x + w] = t
    return canvas


def encode(rgb_u8: np.ndarray, fmt: ImageFormat = "png", quality: int = 90) -> bytes:
    """Encode ``(H, W, 3)`` or ``(H, W)`` uint8 RGB as an image file.

    PNG uses zlib level 1: on noisy filter output it is several times faster
    than the default and only slightly larger.
    """
    # OpenCV writes BGR. cvtColor makes a contiguous copy; handing imencode a reversed
    # view instead made JPEG encoding 2.4x slower.
    arr = cv2.cvtColor(rgb_u8, cv2.COLOR_RGB2BGR) if rgb_u8.ndim == 3 else rgb_u8
    params: list[int] = []
    if fmt == "png":
        params = [cv2.IMWRITE_PNG_COMPRESSION, 1]
    elif fmt == "jpeg":
        params = [cv2.IMWRITE_JPEG_QUALITY, quality]
    elif fmt == "webp":
        params = [cv2.IMWRITE_WEBP_QUALITY, quality]
    ok, buf = cv2.imencode("." + ("jpg" if fmt == "jpeg" else fmt), arr, params)
    if not ok:  # pragma: no cover - OpenCV only fails on impossible shapes
        raise RuntimeError(f"could not encode a {arr.shape} image as {fmt}")
    return buf.tobytes()


def encode_npy(values: np.ndarray) -> bytes:
    """Raw float32 values as a NumPy ``.npy`` file."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(values, dtype=np.float32), allow_pickle=False)
    return buf.getvalue()
