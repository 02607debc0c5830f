"""Responses shared by every router: pictures, NumPy arrays, cache headers."""

from __future__ import annotations

from typing import Literal

import numpy as np
from fastapi import Response

from app.imaging.encode import MEDIA_TYPES, encode, encode_npy

# Every URL that serves derived data names its inputs (content id + parameters),
# so a response never changes: let browsers and proxies keep it.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}

Format = Literal["png", "jpeg", "webp", "bmp"]


def image_response(pixels: np.ndarray, fmt: Format, filename: str | None = None) -> Response:
    """Encode ``(H, W[, 3]) uint8`` RGB pixels and answer with them."""
    headers = dict(IMMUTABLE)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.{_ext(fmt)}"'
    return Response(encode(pixels, fmt), media_type=MEDIA_TYPES[fmt], headers=headers)


def bytes_response(content: bytes, fmt: Format) -> Response:
    """Already-encoded image bytes."""
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=IMMUTABLE)


def npy_response(values: np.ndarray, filename: str) -> Response:
    """Raw float32 values as a downloadable ``.npy`` file."""
    headers = dict(IMMUTABLE)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.npy"'
    return Response(encode_npy(values), media_type="application/x-npy", headers=headers)


def _ext(fmt: Format) -> str:
    return "jpg" if fmt == "jpeg" else fmt
