"""Responses shared by every router: pictures, NumPy arrays, cache headers."""

from __future__ import annotations

import numpy as np
from fastapi import Response

from app.imaging.encode import MEDIA_TYPES, ImageFormat, encode_npy

# Every URL that serves derived data names its inputs (content id + parameters),
# so a response never changes: let browsers and proxies keep it.
IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}


def bytes_response(content: bytes, fmt: ImageFormat, filename: str | None = None) -> Response:
    """Already-encoded image bytes; ``filename`` makes it a download."""
    headers = dict(IMMUTABLE)
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}.{_ext(fmt)}"'
    return Response(content, media_type=MEDIA_TYPES[fmt], headers=headers)


def npy_file_response(content: bytes, filename: str) -> Response:
    """An encoded ``.npy`` file, as a download."""
    headers = dict(IMMUTABLE)
    headers["Content-Disposition"] = f'attachment; filename="{filename}.npy"'
    return Response(content, media_type="application/x-npy", headers=headers)


def npy_response(values: np.ndarray, filename: str) -> Response:
    """Raw float32 values as a downloadable ``.npy`` file."""
    return npy_file_response(encode_npy(values), filename)


def _ext(fmt: ImageFormat) -> str:
    return "jpg" if fmt == "jpeg" else fmt
