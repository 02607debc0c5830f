"""Decoding uploads: every accepted mode becomes (H, W, 3) uint8; hostile files are refused."""

from __future__ import annotations

import io
import random
import tracemalloc
from dataclasses import replace

import cv2
import numpy as np
import pytest
from PIL import Image, ImageFile

from app.core.errors import ImageTooLarge, InvalidImage, UnsupportedImageType
from app.core.settings import Settings
from app.imaging.decode import check_dimensions, decode_image, sniff_format
from tests.support.badinputs import (
    corpus,
    jpeg_declaring,
    png_declaring,
    webp_black,
    zero_bomb_png,
)

LIMITS = Settings().decode_limits  # the defaults an operator gets


def decode(data: bytes, limits=LIMITS) -> np.ndarray:
    return decode_image(data, limits)


def save(img: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


RGB = Image.fromarray(np.random.default_rng(1).integers(0, 256, (20, 30, 3), dtype=np.uint8))


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "BMP", "GIF"])
def test_accepted_formats_decode_to_rgb(fmt):
    out = decode(save(RGB, fmt))
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8
    assert sniff_format(save(RGB, fmt)) == fmt


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "1", "I;16", "CMYK"])
def test_modes_are_converted(mode):
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    img = RGB.convert(mode) if mode != "I;16" else Image.fromarray(
        np.arange(600, dtype=np.uint16).reshape(20, 30) * 100)
    out = decode(save(img, fmt))
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8


def test_sixteen_bit_is_scaled_not_clipped():
    arr = np.full((4, 4), 65535, np.uint16)
    arr[0, 0] = 0
    out = decode(save(Image.fromarray(arr), "PNG"))
    assert out[1, 1, 0] == 255 and out[0, 0, 0] == 0


def test_transparency_is_composited_over_white():
    img = Image.new("RGBA", (4, 4), (255, 0, 0, 0))
    assert decode(save(img, "PNG"))[0, 0].tolist() == [255, 255, 255]
    pal = Image.new("P", (4, 4), 0)
    pal.putpalette([10, 20, 30] * 256)
    assert decode(save(pal, "PNG", transparency=0))[0, 0].tolist() == [255, 255, 255]


def test_animated_gif_uses_the_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 0, 255)]]
    data = save(frames[0], "GIF", save_all=True, append_images=frames[1:])
    assert decode(data)[0, 0].tolist()[0] > 200


def test_exif_orientation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise when displayed
    data = save(RGB, "JPEG", exif=exif)
    assert decode(data).shape == (30, 20, 3)


def test_big_photos_shrink_to_the_working_side():
    big = Image.new("RGB", (3000, 1500), (9, 9, 9))
    assert decode(save(big, "JPEG")).shape == (512, 1024, 3)


def test_declared_size_is_checked_before_decoding():
    # 100000 x 100000 declared in a 100-byte file: refused from the header alone.
    with pytest.raises(ImageTooLarge):
        decode(png_declaring(100_000, 100_000))
    with pytest.raises(ImageTooLarge):
        decode(save(Image.new("L", (300, 300)), "PNG"), replace(LIMITS, max_pixels=50_000))
    with pytest.raises(InvalidImage):  # 40:1 aspect
        decode(save(Image.new("L", (400, 10)), "PNG"))


@pytest.mark.parametrize("case", [c for c in corpus() if c.status == 415],
                         ids=lambda c: c.name)
def test_refused_families(case):
    with pytest.raises(UnsupportedImageType):
        decode(case.data)


@pytest.mark.parametrize("case", [c for c in corpus() if c.code == "invalid_image"],
                         ids=lambda c: c.name)
def test_corrupt_files(case):
    with pytest.raises(InvalidImage) as err:
        decode(case.data)
    assert err.value.message


# --- Declared sizes, exact limits, and what "before decoding" means -------------------

@pytest.mark.parametrize("size,error", [
    ((1, 1), None), ((4096, 4096), None), ((8192, 256), None), ((256, 8192), None),
    ((4097, 4096), ImageTooLarge), ((8193, 300), ImageTooLarge), ((300, 8193), ImageTooLarge),
    ((8192, 255), InvalidImage), ((0, 5), InvalidImage), ((5, 0), InvalidImage),
    ((-1, 10), InvalidImage),
])
def test_dimension_limits_at_their_edges(size, error):
    if error is None:
        check_dimensions(*size, LIMITS)
    else:
        with pytest.raises(error) as exc:
            check_dimensions(*size, LIMITS)
        assert f"{size[0]}x{size[1]}" in exc.value.message


def test_limit_messages_tell_near_misses_apart():
    with pytest.raises(ImageTooLarge) as exc:
        check_dimensions(4100, 4100, LIMITS)
    assert "16.81" in exc.value.message and "16.78" in exc.value.message


@pytest.fixture
def no_pixel_decoding(monkeypatch):
    """Fail the test if any pixel data is decoded (only headers may be read)."""
    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{self.format} pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


@pytest.mark.parametrize("case", [c for c in corpus() if c.status == 413], ids=lambda c: c.name)
def test_declared_size_bombs_are_refused_from_the_header(case, no_pixel_decoding):
    tracemalloc.start()
    try:
        with pytest.raises(ImageTooLarge):
            decode(case.data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MiB allocated for a refused file"


def test_zero_bomb_png_is_tiny_on_disk_and_refused():
    data = zero_bomb_png()
    assert len(data) < 2 * 2**20  # a 20000x20000 picture (1.2 GB of RGB) in a small file
    with pytest.raises(ImageTooLarge) as exc:
        decode(data)
    assert exc.value.details["pixels"] == 400_000_000  # Pillow's own guard, our message
    assert "400 megapixels" in exc.value.message


def test_a_real_webp_at_the_pixel_limit_decodes_to_the_working_size():
    out = decode(webp_black(4096, 4096))
    assert out.shape == (1024, 1024, 3) and not out.any()
    with pytest.raises(ImageTooLarge):
        decode(webp_black(4097, 4096))


# --- Accepted modes and formats ------------------------------------------------------

@pytest.mark.parametrize("fmt,mode", [
    ("PNG", "LA"), ("PNG", "1"), ("WEBP", "RGBA"), ("WEBP", "L"), ("BMP", "P"), ("BMP", "L"),
    ("BMP", "1"), ("GIF", "L"), ("JPEG", "L"), ("PNG", "I;16"),
])
def test_more_format_and_mode_pairs(fmt, mode):
    img = RGB.convert("L").convert("I;16") if mode == "I;16" else RGB.convert(mode)
    out = decode(save(img, fmt))
    assert out.shape == (20, 30, 3) and out.dtype == np.uint8 and out.flags.c_contiguous


def test_gray_becomes_three_equal_channels():
    out = decode(save(RGB.convert("L"), "PNG"))
    assert (out[..., 0] == out[..., 1]).all() and (out[..., 1] == out[..., 2]).all()
    assert np.array_equal(out[..., 0], np.asarray(RGB.convert("L")))


def test_half_transparent_alpha_is_blended_with_white():
    la = Image.new("LA", (3, 3), (0, 128))
    value = decode(save(la, "PNG"))[0, 0, 0]
    assert 125 <= value <= 130


def test_gif_transparency_becomes_white():
    img = Image.new("P", (6, 6), 1)
    img.putpalette([0, 0, 0, 200, 10, 10] + [0] * 762)
    img.putpixel((0, 0), 0)
    out = decode(save(img, "GIF", transparency=0))
    assert out[0, 0].tolist() == [255, 255, 255] and out[3, 3].tolist() == [200, 10, 10]


def test_cmyk_jpeg_colours_survive():
    cmyk = Image.new("RGB", (16, 16), (200, 30, 30)).convert("CMYK")
    r, g, b = decode(save(cmyk, "JPEG", quality=95))[8, 8].tolist()
    assert r > 150 and g < 80 and b < 80


def test_animated_webp_and_apng_use_the_first_frame():
    frames = [Image.new("RGB", (8, 8), c) for c in [(255, 0, 0), (0, 0, 255)]]
    for fmt in ("WEBP", "PNG"):
        data = save(frames[0], fmt, save_all=True, append_images=frames[1:], lossless=True)
        r, _, b = decode(data)[4, 4].tolist()
        assert r > 200 and b < 50, fmt


# Orientation -> where the stored top-left pixel is shown (row, col as fractions of size).
@pytest.mark.parametrize("orientation,swapped,corner", [
    (1, False, (0, 0)), (2, False, (0, 1)), (3, False, (1, 1)), (4, False, (1, 0)),
    (5, True, (0, 0)), (6, True, (0, 1)), (7, True, (1, 1)), (8, True, (1, 0)),
])
def test_every_exif_orientation(orientation, swapped, corner):
    img = Image.new("RGB", (30, 20), (0, 0, 0))
    img.paste((255, 255, 255), (0, 0, 3, 3))  # a white mark at the stored top-left
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = decode(save(img, "PNG", exif=exif))
    assert out.shape == ((30, 20, 3) if swapped else (20, 30, 3))
    h, w = out.shape[:2]
    row, col = corner[0] * (h - 1), corner[1] * (w - 1)
    assert out[row, col].tolist() == [255, 255, 255]


def exif_of(**tags: object) -> Image.Exif:
    exif = Image.Exif()
    for name, value in tags.items():
        exif[{"orientation": 0x0112, "make": 0x010F}[name]] = value
    return exif


def test_broken_exif_does_not_break_the_photo():
    data = bytearray(save(RGB, "JPEG", exif=exif_of(orientation=6, make="Cam")))
    start = data.index(b"Exif\0\0")
    data[start + 10:start + 30] = b"\xff" * 20  # scramble the IFD offsets and counts
    try:
        out = decode(bytes(data))
    except InvalidImage:
        return
    assert out.ndim == 3 and out.shape[2] == 3


# --- Whatever the bytes, only a refusal the API names or a picture comes out ---------------------

def test_mutated_files_fail_only_with_decode_errors():
    rng = random.Random(1234)
    seeds = [save(RGB, f) for f in ("PNG", "JPEG", "WEBP", "BMP", "GIF")] + [
        save(RGB.convert("RGBA"), "PNG"), save(RGB.convert("CMYK"), "JPEG"),
        save(RGB, "JPEG", exif=exif_of(orientation=6)), save(RGB.convert("P"), "BMP")]
    for _ in range(1500):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            if rng.random() < 0.6:
                data[at] = rng.randrange(256)
            elif rng.random() < 0.5:
                data[at:at + 4] = rng.choice([b"\xff\xff\xff\xff", b"\0\0\0\0", b"\x7f\xff"])
            else:
                del data[at:at + rng.randint(1, 32)]
        try:
            out = decode(bytes(data))
        except (ImageTooLarge, UnsupportedImageType, InvalidImage) as exc:
            assert exc.message
        else:
            assert out.dtype == np.uint8 and out.ndim == 3 and out.shape[2] == 3
            assert max(out.shape[:2]) <= LIMITS.working_side


def test_a_phone_sized_jpeg_decodes_at_reduced_scale_where_a_png_is_refused():
    """A 24 MP photo (6000x4000) as a JPEG is accepted, decoded straight at reduced scale and
    brought to the working size with its content; the same pixel count as PNG is refused,
    and a JPEG past its own limit is refused from the header."""
    rng = np.random.default_rng(0)
    coarse = rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)
    big = Image.fromarray(coarse).resize((6000, 4000), Image.NEAREST)
    out = decode(save(big, "JPEG"))
    assert out.shape == (683, 1024, 3)
    # The same picture brought to the working size independently: only JPEG's loss and the
    # blocks' blurred edges apart (another picture differs by about 85 on average).
    expected = cv2.resize(coarse, (1024, 683), interpolation=cv2.INTER_NEAREST)
    assert np.abs(out.astype(int) - expected.astype(int)).mean() < 10
    with pytest.raises(ImageTooLarge) as exc:
        check_dimensions(6000, 4000, LIMITS, "PNG")
    assert "50.00 for a JPEG" in exc.value.message
    check_dimensions(6000, 4000, LIMITS, "JPEG")
    with pytest.raises(ImageTooLarge):
        check_dimensions(8000, 7000, LIMITS, "JPEG")


@pytest.mark.parametrize("size,progressive,cmyk,refused", [
    ((6000, 4000), True, False, False),   # a phone's 24 MP progressive photo: 69 MiB
    ((8000, 6000), False, True, False),   # baseline: decoded at reduced scale, nothing held
    ((8000, 6000), True, False, True),    # 48 MP progressive 4:2:0: 137 MiB
    ((8192, 6100), True, True, True),     # flat CMYK: 381 MiB from a small file
    ((4096, 4096), True, True, False),    # the most a progressive JPEG held before: 128 MiB
])
def test_a_progressive_jpeg_is_bounded_by_what_libjpeg_must_hold(size, progressive, cmyk,
                                                                refused, no_pixel_decoding):
    """From the header alone: refused with the sizes, or let through to be decoded (here the
    scan data is missing, so it fails as invalid_image only once decoding starts)."""
    data = jpeg_declaring(*size, progressive=progressive, cmyk=cmyk)
    if refused:
        with pytest.raises(ImageTooLarge) as exc:
            decode(data)
        assert "progressive JPEG" in exc.value.message and "baseline" in exc.value.message
        assert exc.value.details["needs_bytes"] > exc.value.details["max_bytes"] == 128 * 2**20
    else:
        with pytest.raises(AssertionError, match="pixels were decoded"):
            decode(data)
