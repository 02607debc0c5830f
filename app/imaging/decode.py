"""Bytes to pixels: the one place an upload is sniffed, checked and decoded.

Everything later in ConvLens works on ``(H, W, 3) uint8 RGB`` arrays, so every
oddity of real files (EXIF rotation, 16-bit, alpha, palettes, CMYK, animation)
is settled here, and every way a file can be hostile is refused here, before
it costs memory.
"""

from __future__ import annotations

import io
import re
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core.errors import ImageTooLarge, InvalidImage, UnsupportedImageType
from app.core.settings import DecodeLimits

# Pillow's own bomb guard stays on as a second line; ours (DecodeLimits) is tighter.
Image.MAX_IMAGE_PIXELS = 64_000_000


# The formats decoded, and the media types a browser gives their files (for the file picker).
ACCEPTED = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "BMP": "image/bmp",
            "GIF": "image/gif"}

# Signatures of formats we refuse by name, so the message can say what the file was.
_KNOWN_REFUSED = (
    (b"II*\x00", "TIFF"), (b"MM\x00*", "TIFF"), (b"%PDF", "PDF"), (b"%!PS", "PostScript/EPS"),
    (b"\xc5\xd0\xd3\xc6", "EPS"), (b"#?RADIANCE", "HDR"), (b"#?RGBE", "HDR"),
    (b"P1", "PNM"), (b"P2", "PNM"), (b"P3", "PNM"), (b"P4", "PNM"), (b"P5", "PNM"),
    (b"P6", "PNM"), (b"P7", "PAM"), (b"PF", "PFM"), (b"Pf", "PFM"), (b"\x00\x00\x01\x00", "ICO"),
    (b"8BPS", "PSD"), (b"PK\x03\x04", "ZIP"), (b"\x1f\x8b", "gzip"),
)


def sniff_format(data: bytes) -> str:
    """Name the image format from its leading bytes; the filename and Content-Type are ignored.

    Raises ``UnsupportedImageType`` for anything but JPEG, PNG, WebP, BMP and GIF.
    """
    head = data[:16]
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head.startswith(b"BM") and len(data) >= 26:
        return "BMP"
    for magic, name in _KNOWN_REFUSED:
        if head.startswith(magic):
            raise UnsupportedImageType(
                f"{name} files are not supported; upload a JPEG, PNG, WebP, BMP or GIF.",
                detected=name)
    stripped = data[:512].lstrip().lower()
    if stripped.startswith((b"<svg", b"<?xml", b"<!doctype", b"<html")):
        raise UnsupportedImageType(
            "SVG, XML and HTML are not supported; upload a JPEG, PNG, WebP, BMP or GIF.",
            detected="markup")
    raise UnsupportedImageType(
        "This file is not an image we can read; upload a JPEG, PNG, WebP, BMP or GIF.")


def check_dimensions(width: int, height: int, limits: DecodeLimits, fmt: str = "") -> None:
    """Refuse declared sizes that are empty, huge, or absurdly thin, before decoding; a JPEG
    (``fmt``) may declare more pixels than other formats (``DecodeLimits.pixel_limit``)."""
    if width < 1 or height < 1:
        raise InvalidImage(f"The image declares a size of {width}x{height} pixels.",
                           width=width, height=height)
    if max(width, height) > limits.max_side:
        raise ImageTooLarge(
            f"The image is {width}x{height} pixels; each side may be at most "
            f"{limits.max_side} px. Downscale it and try again.",
            width=width, height=height, max_side=limits.max_side)
    most = limits.pixel_limit(fmt)
    if width * height > most:
        raise ImageTooLarge(
            # Two decimals: 4100x4100 (16.81 MP) against 4096x4096 (16.78 MP) read
            # "16.8 megapixels; at most 16.8" with one.
            f"The image is {width}x{height} pixels ({width * height / 1e6:.2f} megapixels); "
            f"at most {limits.max_pixels / 1e6:.2f} megapixels are accepted "
            f"({limits.max_jpeg_pixels / 1e6:.2f} for a JPEG). Downscale it and try again.",
            width=width, height=height, max_pixels=most)
    aspect = max(width, height) / min(width, height)
    if aspect > limits.max_aspect:
        raise InvalidImage(
            f"The image is {width}x{height} pixels, an aspect ratio of {aspect:.0f}:1; "
            f"at most {limits.max_aspect:.0f}:1 is accepted.",
            width=width, height=height, max_aspect=limits.max_aspect)


def coefficient_bytes(width: int, height: int, components: list[tuple]) -> int:
    """What libjpeg holds whole to decode a progressive JPEG of ``width`` x ``height``: a
    2-byte coefficient per pixel of each component at that component's own resolution.
    ``components``: Pillow's ``JpegImageFile.layer``, ``(id, h_sampling, v_sampling, table)``
    each (a 4:2:0 photo's colour components have a quarter of the pixels)."""
    h_max = max(c[1] for c in components)
    v_max = max(c[2] for c in components)
    return sum(2 * -(-width * h // h_max) * -(-height * v // v_max)
               for _, h, v, _ in components)


def check_coefficients(width: int, height: int, components: list[tuple],
                       limits: DecodeLimits) -> None:
    """Refuse a progressive JPEG whose coefficients would take more than
    ``limits.max_coefficient_bytes`` to hold, before decoding (a small flat file can
    declare hundreds of MiB of them)."""
    if not components or any(not (1 <= c[1] <= 4 and 1 <= c[2] <= 4) for c in components):
        # The standard allows sampling factors 1-4; a forged 0 would divide by zero below.
        raise InvalidImage("The JPEG declares impossible channel sampling; re-save it and "
                           "try again.", format="JPEG")
    need = coefficient_bytes(width, height, components)
    if need > limits.max_coefficient_bytes:
        raise ImageTooLarge(
            f"This progressive JPEG ({width}x{height} pixels, {len(components)} channels) "
            f"needs {need / 2**20:.0f} MiB to decode; at most "
            f"{limits.max_coefficient_bytes / 2**20:.0f} MiB. Save it as a standard (baseline) "
            "JPEG or downscale it and try again.",
            width=width, height=height, needs_bytes=need,
            max_bytes=limits.max_coefficient_bytes)


def decode_image(data: bytes, limits: DecodeLimits) -> np.ndarray:
    """Decode an upload to ``(H, W, 3) uint8`` RGB at working size.

    The format comes from the bytes; declared dimensions are checked before the
    pixel data is touched; EXIF orientation is applied; the first frame of an
    animation is used; the result's longest side is at most ``working_side``.
    """
    if not data:
        raise InvalidImage("The file is empty.")
    fmt = sniff_format(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data), formats=[fmt])
            check_dimensions(*img.size, limits, fmt)
            if fmt == "JPEG" and img.info.get("progressive"):
                check_coefficients(*img.size, img.layer, limits)
            if fmt == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the photo is far
                # larger than we keep: the cheapest pixels are the ones never decoded.
                img.draft("RGB", (limits.working_side, limits.working_side))
            img.load()
            # In place: a photo with no EXIF turn is not copied (decoding a 2000x1500
            # JPEG raised the peak RSS by 41 MB, 29 MB without this copy and the next).
            ImageOps.exif_transpose(img, in_place=True)
            rgb = _to_rgb_array(img)
    except (ImageTooLarge, InvalidImage, UnsupportedImageType):
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's guard fired inside open(), before our check saw the size; its message
        # names the pixel count ("Image size (N pixels) exceeds ...").
        found = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(found.group(1)) if found else None
        declared = f"{pixels / 1e6:,.0f} megapixels" if pixels else "more pixels than that"
        most = min(limits.pixel_limit(fmt), Image.MAX_IMAGE_PIXELS)
        raise ImageTooLarge(
            f"The image declares {declared}; at most {most / 1e6:.2f} megapixels "
            "are accepted. Downscale it and try again.",
            pixels=pixels, max_pixels=most) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InvalidImage(
            f"The {fmt} file is truncated or corrupt and could not be decoded; "
            "re-save it and try again.", format=fmt) from exc
    return fit_working_size(rgb, limits.working_side)


def _to_rgb_array(img: Image.Image) -> np.ndarray:
    """Any Pillow mode to ``(H, W, 3) uint8``; alpha is composited over white."""
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        # High bit depth grayscale: scale to 8 bits instead of clipping at 255.
        arr = np.asarray(img, dtype=np.float64)
        top = 65535.0 if arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(gray[:, :, None], 3, axis=2))
    if img.mode == "RGB":
        return np.asarray(img)  # Pillow's convert("RGB") would copy an RGB image first
    if img.mode == "P":
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(white, rgba)
    rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb)


def fit_working_size(rgb: np.ndarray, max_side: int) -> np.ndarray:
    """Downsize ``(H, W, 3)`` so its longest side is at most ``max_side``; never upsizes."""
    h, w = rgb.shape[:2]
    scale = max_side / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
