"""Turning uploaded or bundled bytes into stored images, and finding them again by id.

Decode once, store by content: every later call names the id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.core.errors import ImageNotFound, ImageTooLarge, NotFound
from app.core.services import Services
from app.images.samples import find_sample
from app.images.schemas import ImageInfo
from app.imaging.decode import decode_image


@dataclass(frozen=True)
class StoredImage:
    """An image the client named by id: ``rgb`` is ``(H, W, 3) uint8``, read-only."""

    id: str
    rgb: np.ndarray


def lookup_image(services: Services, image_id: str) -> StoredImage:
    """The stored image called ``image_id``, or 404 ``image_not_found`` (may do I/O)."""
    rgb = services.images.get(image_id)
    if rgb is None:
        raise ImageNotFound(
            "This image is no longer stored (it may have been evicted); upload it again.",
            image_id=image_id[:64])
    return StoredImage(image_id, rgb)


def ingest(services: Services, data: bytes) -> ImageInfo:
    """Check, decode and store an upload; the returned id names it from now on."""
    limit = services.settings.max_upload_bytes
    if len(data) > limit:
        raise ImageTooLarge(f"The file is {len(data):,} bytes; at most {limit:,} "
                            f"({limit / 2**20:g} MiB) are accepted.", max_bytes=limit)
    with services.gate.slot():
        rgb = decode_image(data, services.settings.decode_limits)
    return services.images.put(rgb)


def ingest_sample(services: Services, sample_id: str) -> ImageInfo:
    """Store a bundled sample exactly as if it had been uploaded."""
    sample = find_sample(services.settings.samples_dir, sample_id)
    if sample is None:
        raise NotFound(f"There is no sample called {sample_id[:64]!r}; "
                       "GET /api/samples lists them.")
    return ingest(services, (services.settings.samples_dir / sample.file).read_bytes())
