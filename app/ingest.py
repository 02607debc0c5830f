"""Turning uploaded or bundled bytes into stored images: decode once, store by content."""

from __future__ import annotations

from app.deps import Services
from app.errors import ImageTooLarge, NotFound
from app.imaging.decode import decode_image
from app.samples import find_sample
from app.store import ImageRecord


def ingest(services: Services, data: bytes) -> ImageRecord:
    """Check, decode and store an upload; the returned id names it from now on."""
    limit = services.settings.max_upload_bytes
    if len(data) > limit:
        raise ImageTooLarge(f"The file is {len(data):,} bytes; at most {limit:,} "
                            f"({limit / 2**20:g} MiB) are accepted.", max_bytes=limit)
    with services.gate.slot():
        rgb = decode_image(data, services.limits)
    return services.store.put(rgb)


def ingest_sample(services: Services, sample_id: str) -> ImageRecord:
    """Store a bundled sample exactly as if it had been uploaded."""
    sample = find_sample(services.settings.samples_dir, sample_id)
    if sample is None:
        raise NotFound(f"There is no sample called {sample_id[:64]!r}; "
                       "GET /api/samples lists them.")
    return ingest(services, (services.settings.samples_dir / sample.file).read_bytes())
