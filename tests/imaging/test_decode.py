"""Decoding uploads: every accepted mode becomes (H, W, 3) uint8; hostile files are refused."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from app.imaging.decode import (
    CorruptImage,
    DecodeLimits,
    ImageTooLarge,
    UnsupportedFormat,
    decode_image,
    sniff_format,
)
from tests.badinputs import corpus, png_declaring


def save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


RGB = Image.fromarray(np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF"])
def test_accepted_formats_decode_to_rgb(fmt):
    out = decode_image(save(RGB, fmt))
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    assert sniff_format(save(RGB, fmt)) == fmt


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1", "I;16", "CMYK"])
def test_modes_are_converted(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    img = RGB.convert(mode) if mode != "I;16" else Image.fromarray(
        np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    out = decode_image(save(img, fmt))
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8


def test_sixteen_bit_is_scaled_not_clipped():
    arr = np.full((4, 4), 65535, np.uint16)
    arr[0, 0] = 0
    out = decode_image(save(Image.fromarray(arr), "PNG"))
    assert out[1, 1, 0] == 255 and out[0, 0, 0] == 0


def test_transparency_is_composited_over_white():
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert decode_image(save(img, "PNG"))[0, 0].tolist() == [255, 255, 255]
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([10, 20, 30] * 256)
    assert decode_image(save(pal, "PNG", transparency=0))[0, 0].tolist() == [255, 255, 255]


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 0, 255)]]
    data = save(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert decode_image(data)[0, 0].tolist()[0] > 200


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    data = save(RGB, "JPEG", exif=exif)
    assert decode_image(data).shape == (30, 20, 3)


def test_big_photos_shrink_to_the_working_side():
    big = Image.new("RGB", (3000, 1500), (9, 9, 9))
    assert decode_image(save(big, "JPEG")).shape == (512, 1024, 3)


def test_declared_size_is_checked_before_decoding():
    # 100000 x 100000 declared in a 100-byte file: refused from the header alone.
    with pytest.raises(ImageTooLarge):
        decode_image(png_declaring(100_000, 100_000))
    with pytest.raises(ImageTooLarge):
        decode_image(save(Image.new("L", (300, 300)), "PNG"), DecodeLimits(max_pixels=50_000))
    with pytest.raises(CorruptImage):  # 40:1 aspect
        decode_image(save(Image.new("L", (400, 10)), "PNG"))


@pytest.mark.parametrize("case", [c for c in corpus() if c.status == 415],
                         ids=lambda c: c.name)
def test_refused_families(case):
    with pytest.raises(UnsupportedFormat):
        decode_image(case.data)


@pytest.mark.parametrize("case", [c for c in corpus() if c.code == "invalid_image"],
                         ids=lambda c: c.name)
def test_corrupt_files(case):
    with pytest.raises(CorruptImage) as err:
        decode_image(case.data)
    assert err.value.message
