"""Photos made in memory for tests and benchmarks: gradients, noise, edges, shapes."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def encoded(arr: np.ndarray, fmt: str = "PNG", **save: object) -> bytes:
    """An ``(H, W, 3) uint8`` array as an image file."""
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, fmt, **save)
    return buf.getvalue()


def make_image(width: int, height: int, fmt: str = "PNG", mode: str = "RGB",
               pattern: str = "gradient", **save: object) -> bytes:
    """Encode a small synthetic picture: ``gradient`` (smooth), ``noise`` or ``edge``."""
    if pattern == "noise":
        arr = np.random.default_rng(width * 31 + height).integers(
            0, 256, (height, width, 3), dtype=np.uint8)
    else:
        x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
        y = np.linspace(0, 255, height, dtype=np.float32)[:, None, None]
        arr = np.broadcast_to((x + y) / 2, (height, width, 3)).astype(np.uint8).copy()
        if pattern == "edge":
            arr[:, : width // 2] = 0
            arr[:, width // 2:] = 255
    img = Image.fromarray(arr, "RGB")
    if mode != "RGB":
        img = img.convert(mode)
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def shape_photo(kind: str, seed: int, width: int = 320, height: int = 240,
                fmt: str = "PNG") -> bytes:
    """A red disc or a blue square on a noisy grey background, placed at random: two
    classes any frozen backbone tells apart, for training tests and benchmarks."""
    rng = np.random.default_rng(seed)
    img = rng.integers(90, 160, (height, width, 3), dtype=np.uint8)
    side = min(width, height)
    r = int(rng.integers(side // 6, side // 3.4))
    cy, cx = int(rng.integers(r, height - r)), int(rng.integers(r, width - r))
    yy, xx = np.mgrid[:height, :width]
    if kind == "disc":
        img[(yy - cy) ** 2 + (xx - cx) ** 2 <= r * r] = (220, 30, 30)
    else:
        img[cy - r:cy + r, cx - r:cx + r] = (30, 30, 220)
    return encoded(img, fmt, **({"quality": 90} if fmt == "JPEG" else {}))


def noisy_gradient(side: int, seed: int, fmt: str = "JPEG") -> bytes:
    """A smooth gradient with noise: a photo-like load for kernel edits."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, side, dtype=np.float32)
    base = (x[None, :, None] + x[:, None, None]) / 2 + rng.normal(0, 20, (side, side, 3))
    return encoded(np.clip(base, 0, 255).astype(np.uint8), fmt, quality=90)
