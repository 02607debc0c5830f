"""A small on-disk cache for what the channels feature computes once and keeps: finished
visualisations and the bundled photos' per-channel maxima (``Settings.channels_cache_dir``).

The job store holds the same bytes for a while (shared by every host through Redis); this
keeps them on each host for good. Nothing here is ever downloaded, and a directory that
cannot be written only costs recomputation (logged once per name), never a failed request.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from pathlib import Path

from app.core.settings import Settings

log = logging.getLogger("convlens.channels")

_SAFE = re.compile(r"^[A-Za-z0-9._-]{1,120}$")


def _path(settings: Settings, name: str) -> Path:
    if not _SAFE.match(name):  # names are built by this feature, never taken from a request
        raise ValueError(f"unsafe cache name {name!r}")
    return settings.channels_cache_dir / name


def read(settings: Settings, name: str) -> bytes | None:
    try:
        return _path(settings, name).read_bytes()
    except OSError:
        return None


def write(settings: Settings, name: str, data: bytes) -> None:
    """Write atomically (a reader never sees half a file), or log why not."""
    path = _path(settings, name)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("could not keep %s in %s: %s", name, settings.channels_cache_dir, exc)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)  # no half-written leftovers
