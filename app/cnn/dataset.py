"""The bundled photo set the top image patches are searched in, with its credits.

200 photographs (public domain, CC0 and CC-BY only) from Debian's ``gcompris-qt-data``
3.1-2, resized to a longest side of 256 px, in ``static/dataset/`` beside their credits
file ``CREDITS.tsv`` (one row per photo: file, where it came from, subject, licence,
credit, source package and version, source URL, the changes made). The credits file is
the one source of truth: a photo without a row is never used, and the page shows them all.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from app.core.services import Services
from app.imaging.decode import decode_image

CREDITS_FILE = "CREDITS.tsv"


@dataclass(frozen=True)
class BundlePhoto:
    file: str
    subject: str
    licence: str
    credit: str
    source_url: str
    source: str  # the Debian package and version it was taken from
    changes: str

    @property
    def credit_line(self) -> str:
        """Author and licence, and that it was resized (the CC-BY terms ask for all three)."""
        return f"{self.credit} ({self.licence}; resized)"


@cache
def load_bundle(directory: Path) -> tuple[BundlePhoto, ...]:
    """The photos the credits file lists and the directory holds, in the file's order."""
    path = directory / CREDITS_FILE
    if not path.is_file():
        return ()
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return tuple(
        BundlePhoto(file=r["filename"], subject=r["subject"], licence=r["licence"],
                    credit=r["credit"], source_url=r["source_url"],
                    source=f"{r['source_package']} {r['source_version']}", changes=r["notes"])
        for r in rows if (directory / r["filename"]).is_file())


@cache
def bundle_digest(directory: Path) -> str:
    """A hash of the credits and every photo's bytes: a changed bundle is indexed anew."""
    h = hashlib.sha256()
    for photo in load_bundle(directory):
        h.update(photo.file.encode())
        h.update(hashlib.sha256((directory / photo.file).read_bytes()).digest())
    return h.hexdigest()[:16]


def read_photo(services: Services, photo: BundlePhoto) -> np.ndarray:
    """``(H, W, 3) uint8``: the photo decoded exactly as an upload of it would be."""
    data = (services.settings.dataset_dir / photo.file).read_bytes()
    return decode_image(data, services.settings.decode_limits)


def store_photo(services: Services, photo: BundlePhoto) -> str:
    """Put the photo in the image store (as an upload of it would) and return its id, so
    every image route (crop, stages, channels) works on it."""
    return services.images.put(read_photo(services, photo)).id


@cache
def colour_covariance(directory: Path) -> np.ndarray:
    """``(3, 3)``: the covariance of the bundled photos' RGB values (0-1), which the
    feature visualisation's colour decorrelation is built from (measured, not typed in)."""
    from PIL import Image

    sums, outer, count = np.zeros(3), np.zeros((3, 3)), 0
    for photo in load_bundle(directory):
        with Image.open(directory / photo.file) as im:
            px = np.asarray(im.convert("RGB"), dtype=np.float64).reshape(-1, 3) / 255.0
        sums += px.sum(axis=0)
        outer += px.T @ px
        count += len(px)
    if count == 0:
        return np.eye(3) * 0.08  # no bundle: independent colours of a typical spread
    mean = sums / count
    return outer / count - np.outer(mean, mean)
