"""A corpus of hostile and broken uploads, generated in memory (no binaries committed).

Run ``python -m tests.badinputs OUTDIR`` to write the files out for manual poking;
``tests/api/test_bad_inputs.py`` sends every case to the API.
"""

from __future__ import annotations

import base64
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


def jpeg_declaring(width: int, height: int, progressive: bool = False,
                   cmyk: bool = False, sampling: int | None = None) -> bytes:
    """A JPEG whose SOF0 (SOF2 when ``progressive``) header declares a size, in YCbCr 4:2:0
    or (``cmyk``) four full-resolution channels, or three channels all of ``sampling``
    (a byte, horizontal factor high); no scan data follows."""
    channels = (b"\x01\x11\x00\x02\x11\x01\x03\x11\x01\x04\x11\x01" if cmyk
                else b"\x01\x22\x00\x02\x11\x01\x03\x11\x01" if sampling is None
                else bytes([1, sampling, 0, 2, sampling, 1, 3, sampling, 1]))
    sof = struct.pack(">BHHB", 8, height, width, 4 if cmyk else 3) + channels
    marker = b"\xff\xc2" if progressive else b"\xff\xc0"
    return b"\xff\xd8" + marker + struct.pack(">H", len(sof) + 2) + sof + b"\xff\xd9"


def gif_frame_beyond_screen(width: int, height: int) -> bytes:
    """A GIF whose 10x10 screen is small but whose first frame declares a huge size."""
    screen = struct.pack("<HHBBB", 10, 10, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"," + struct.pack("<HHHHB", 0, 0, width, height, 0) + b"\x02\x02\x44\x01\x00"
    return b"GIF89a" + screen + frame + b";"


def _riff_webp(chunk_kind: bytes, body: bytes) -> bytes:
    chunk = chunk_kind + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def webp_vp8x_declaring(width: int, height: int) -> bytes:
    """An extended WebP whose VP8X canvas declares a size (up to 2**24 a side)."""
    body = bytes([0x10, 0, 0, 0]) + (width - 1).to_bytes(3, "little") + (
        height - 1).to_bytes(3, "little")
    return _riff_webp(b"VP8X", body)


def webp_black(width: int, height: int) -> bytes:
    """A real lossless WebP of black pixels, any size up to 16384 a side, in 34 bytes.

    The bitstream after the size header is what libwebp writes for one flat colour,
    so the file decodes (to a lot of pixels) unless the declared size is refused first.
    """
    bits = (width - 1) | ((height - 1) << 14)
    return _riff_webp(b"VP8L", b"\x2f" + struct.pack("<I", bits)
                      + b"\x07\x10\x11\xfd\x0fDD\xff\x03")


def png_with_chunk(png: bytes, kind: bytes, body: bytes) -> bytes:
    """Insert an ancillary chunk right after IHDR."""
    return png[:33] + _png_chunk(kind, body) + png[33:]


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
        Case("jpeg_progressive_sampling_0", jpeg_declaring(800, 600, True, sampling=0x00), 422,
             "invalid_image"),
        Case("jpeg_progressive_sampling_0x1", jpeg_declaring(800, 600, True, sampling=0x10),
             422, "invalid_image"),
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
        *_more_cases(png, jpeg),
    ]


def _more_cases(png: bytes, jpeg: bytes) -> list[Case]:
    unsupported, invalid, too_large = "unsupported_image_type", "invalid_image", "image_too_large"
    text_bomb = zlib.compress(b"\0" * 20_000_000, 9)  # 20 MB of text in ~20 KB
    gif, bmp, webp = encoded("GIF"), encoded("BMP"), encoded("WEBP")
    return [
        # Families refused by name or as "not an image", whatever the filename says.
        Case("tiff_big_endian", b"MM\x00*" + b"\0" * 20, 415, unsupported),
        Case("bigtiff", b"II+\x00" + b"\0" * 20, 415, unsupported),
        Case("eps_binary_header", b"\xc5\xd0\xd3\xc6" + b"\0" * 28, 415, unsupported),
        Case("pfm_gray", b"Pf\n2 2\n-1.0\n" + b"\0" * 16, 415, unsupported),
        Case("pgm", encoded("PPM", mode="L"), 415, unsupported),
        Case("pam", b"P7\nWIDTH 2\nHEIGHT 2\nDEPTH 3\nMAXVAL 255\nENDHDR\n" + b"\0" * 12, 415,
             unsupported),
        Case("hdr_rgbe", b"#?RGBE\n\n-Y 1 +X 1\n\0\0\0\0", 415, unsupported),
        Case("psd", b"8BPS" + b"\0" * 40, 415, unsupported),
        Case("pcx", encoded("PCX"), 415, unsupported),
        Case("tga", encoded("TGA"), 415, unsupported),
        Case("jpeg2000", b"\x00\x00\x00\x0cjP  \r\n\x87\n" + b"\0" * 40, 415, unsupported),
        Case("avif", b"\x00\x00\x00\x1cftypavif" + b"\0" * 40, 415, unsupported),
        Case("heic", b"\x00\x00\x00\x18ftypheic" + b"\0" * 40, 415, unsupported),
        Case("qoi", b"qoif" + struct.pack(">II", 4, 4) + b"\x04\x00" + b"\0" * 20, 415,
             unsupported),
        Case("xbm", b"#define x_width 1\n#define x_height 1\nstatic char x_bits[] = {0};", 415,
             unsupported),
        Case("xpm", b'/* XPM */\nstatic char *x[] = {"1 1 1 1", "a c #000000", "a"};', 415,
             unsupported),
        Case("dicom", b"\0" * 128 + b"DICM" + b"\0" * 20, 415, unsupported),
        Case("wmf", b"\xd7\xcd\xc6\x9a" + b"\0" * 40, 415, unsupported),
        Case("riff_wave_not_webp", b"RIFF\x24\0\0\0WAVEfmt " + b"\0" * 16, 415, unsupported),
        Case("json", b'{"image": "cat.png"}', 415, unsupported),
        Case("single_byte", b"\x89", 415, unsupported),
        Case("utf8_bom_html", b"\xef\xbb\xbf<!DOCTYPE html><html></html>", 415, unsupported),
        Case("svg_after_whitespace", b"\n\n   <svg xmlns='http://www.w3.org/2000/svg'/>", 415,
             unsupported),
        # Polyglots: another format on the outside, a real image inside.
        Case("polyglot_html_then_png", b"<html><!-- " + png + b" --></html>", 415, unsupported),
        Case("polyglot_svg_embedding_png",
             b"<svg><image href='data:image/png;base64," + base64.b64encode(png) + b"'/></svg>",
             415, unsupported),
        Case("polyglot_postscript_then_jpeg", b"%!PS-Adobe-3.0\n" + jpeg, 415, unsupported),
        Case("polyglot_zip_then_png", b"PK\x03\x04" + b"\0" * 26 + png, 415, unsupported),
        Case("polyglot_gif_javascript", b"GIF89a/*\x00\x00\x00\x00*/=1;alert(1);", 422, invalid),
        # Truncated or corrupt files of the accepted families: 422 saying so.
        Case("png_signature_only", b"\x89PNG\r\n\x1a\n", 422, invalid),
        Case("png_bad_zlib", png_declaring(16, 16, b"\x78\x9c" + b"\xff" * 30), 422, invalid),
        Case("png_ztxt_bomb", png_with_chunk(png, b"zTXt", b"k\0\0" + text_bomb), 422, invalid),
        Case("png_iccp_bomb", png_with_chunk(png, b"iCCP", b"p\0\0" + text_bomb), 422, invalid),
        Case("jpeg_three_bytes", b"\xff\xd8\xff", 422, invalid),
        Case("jpeg_declares_zero_height", jpeg_declaring(100, 0), 422, invalid),
        Case("cmyk_jpeg_truncated", encoded("JPEG", mode="CMYK")[:300], 422, invalid),
        Case("gif_screen_only", gif[:13], 422, invalid),
        Case("gif_truncated", gif[: len(gif) // 2], 422, invalid),
        Case("bmp_pixels_missing", bmp[:80], 422, invalid),
        Case("webp_truncated", webp[: len(webp) // 2], 422, invalid),
        Case("webp_riff_size_lies", b"RIFF\xff\xff\xff\xffWEBP" + webp[12:], 422, invalid),
        Case("webp_header_without_bitstream", webp_black(100, 100)[:25], 422, invalid),
        # Declared sizes refused before a pixel is decoded.
        Case("png_declares_2^31_square", png_declaring(2**31 - 1, 2**31 - 1), 413, too_large),
        Case("png_declares_8193x100", png_declaring(8193, 300), 413, too_large),
        Case("gif_frame_beyond_screen", gif_frame_beyond_screen(60000, 60000), 413, too_large),
        Case("gif_frame_5000x5000", gif_frame_beyond_screen(5000, 5000), 413, too_large),
        Case("bmp_top_down_100x60000", bmp_declaring(100, -60000), 413, too_large),
        Case("bmp_declares_5000x5000", bmp_declaring(5000, 5000), 413, too_large),
        Case("webp_vp8x_declares_16000", webp_vp8x_declaring(16000, 16000), 413, too_large),
        Case("webp_black_16384x16384", webp_black(16384, 16384), 413, too_large),
        Case("webp_black_5000x5000", webp_black(5000, 5000), 413, too_large),
        Case("webp_black_8200x100", webp_black(8200, 100), 413, too_large),
        Case("webp_black_4100x4100", webp_black(4100, 4100), 413, too_large),
        Case("webp_black_3000x60_thin", webp_black(3000, 60), 422, invalid),
        Case("jpeg_declares_8000x7000", jpeg_declaring(8000, 7000), 413, too_large),
        Case("jpeg_progressive_cmyk_8192x6100", jpeg_declaring(8192, 6100, True, True), 413,
             too_large),
        Case("jpeg_progressive_8000x6000", jpeg_declaring(8000, 6000, True), 413, too_large),
    ]


def main(outdir: str) -> None:
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    for case in corpus():
        (out / f"{case.name}.bin").write_bytes(case.data)
    print(f"wrote {len(corpus())} files to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "badinputs")
