"""A corpus of hostile and broken uploads, generated in memory (no binaries committed).

Run ``python -m tests.badinputs OUTDIR`` to write the files out for manual poking;
``tests/api/test_bad_inputs.py`` sends every case to the API.
"""

from __future__ import annotations

import io
import struct
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    status: int
    code: str


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int, pixels: bytes = b"") -> bytes:
    """A PNG whose header declares any size; ``pixels`` is the (compressed) data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", pixels or zlib.compress(b"\0" * 64)) + _png_chunk(b"IEND", b""))


def zero_bomb_png(side: int = 20_000) -> bytes:
    """A valid-looking PNG of side x side black pixels, a few hundred KB on disk."""
    row = b"\0" * (1 + side * 3)
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(row) for _ in range(200)) + compressor.flush()
    return png_declaring(side, side, body)


def encoded(fmt: str, size: tuple[int, int] = (32, 24), mode: str = "RGB") -> bytes:
    img = Image.fromarray(np.random.default_rng(0).integers(0, 256, (size[1], size[0], 3),
                                                          dtype=np.uint8)).convert(mode)
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def gif_declaring(width: int, height: int) -> bytes:
    """A GIF with a 2-colour palette whose screen and first frame declare a size."""
    screen = struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + frame + b";"


def bmp_declaring(width: int, height: int) -> bytes:
    header = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return header + info


def jpeg_declaring(width: int, height: int) -> bytes:
    """A JPEG whose SOF0 header declares a size; no scan data follows."""
    sof = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return b"\xff\xd8" + b"\xff\xc0" + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"


def corpus() -> list[Case]:
    png = encoded("PNG")
    jpeg = encoded("JPEG")
    return [
        Case("empty", b"", 422, "invalid_image"),
        Case("text", b"just some words\n" * 10, 415, "unsupported_image_type"),
        Case("html", b"<!doctype html><html><body>hi</body></html>", 415, "unsupported_image_type"),
        Case("svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>', 415,
             "unsupported_image_type"),
        Case("svg_bare", b'<svg width="9999999" height="9999999"></svg>', 415,
             "unsupported_image_type"),
        Case("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", 415,
             "unsupported_image_type"),
        Case("eps", b"%!PS-Adobe-3.0 EPSF-3.0\n", 415, "unsupported_image_type"),
        Case("tiff", encoded("TIFF"), 415, "unsupported_image_type"),
        Case("ppm", encoded("PPM"), 415, "unsupported_image_type"),
        Case("pfm", b"PF\n2 2\n-1.0\n" + b"\0" * 48, 415, "unsupported_image_type"),
        Case("hdr", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 2\n" + b"\0" * 16, 415,
             "unsupported_image_type"),
        Case("ico", encoded("ICO"), 415, "unsupported_image_type"),
        Case("zip", b"PK\x03\x04" + b"\0" * 40, 415, "unsupported_image_type"),
        Case("gzip", zlib.compress(b"x" * 100)[:0] + b"\x1f\x8b\x08\x00" + b"\0" * 20, 415,
             "unsupported_image_type"),
        Case("html_after_png_name", b"<html><script>alert(1)</script></html>", 415,
             "unsupported_image_type"),
        Case("polyglot_pdf_with_jpeg_inside", b"%PDF-1.4\n" + jpeg, 415,
             "unsupported_image_type"),
        Case("png_truncated", png[: len(png) // 2], 422, "invalid_image"),
        Case("png_header_only", png[:33], 422, "invalid_image"),
        Case("png_bad_crc", png[:29] + b"\0\0\0\0" + png[33:], 422, "invalid_image"),
        Case("jpeg_truncated", jpeg[:200], 422, "invalid_image"),
        Case("jpeg_soi_only", b"\xff\xd8\xff\xe0", 422, "invalid_image"),
        Case("gif_header_only", b"GIF89a", 422, "invalid_image"),
        Case("webp_header_only", b"RIFF\x10\0\0\0WEBPVP8 ", 422, "invalid_image"),
        Case("bmp_garbage", b"BM" + b"\xff" * 60, 422, "invalid_image"),
        Case("png_declares_100000x100000", png_declaring(100_000, 100_000), 413,
             "image_too_large"),
        Case("png_declares_9000x10", png_declaring(9000, 10), 413, "image_too_large"),
        Case("png_declares_5000x5000", png_declaring(5000, 5000), 413, "image_too_large"),
        Case("png_declares_0x0", png_declaring(0, 0), 422, "invalid_image"),
        Case("png_declares_4000x10_thin", png_declaring(4000, 10), 422, "invalid_image"),
        Case("png_zero_bomb_20000", zero_bomb_png(), 413, "image_too_large"),
        Case("gif_declares_65535x65535", gif_declaring(65535, 65535), 413, "image_too_large"),
        Case("bmp_declares_huge", bmp_declaring(60000, 60000), 413, "image_too_large"),
        Case("jpeg_declares_65000x65000", jpeg_declaring(65000, 65000), 413, "image_too_large"),
    ]


def main(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    for case in corpus():
        (out / f"{case.name}.bin").write_bytes(case.data)
    print(f"wrote {len(corpus())} files to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "badinputs")
