"""What benchmarks share: a real server with production malloc settings, percentiles."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from tests.support.servers import convlens_server

# DESIGN.md: these two glibc settings keep hot paths from re-faulting fresh pages
# (the Makefile and the Dockerfile set them for real servers too).
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": "33554432", "MALLOC_TRIM_THRESHOLD_": "1073741824",
              "MALLOC_ARENA_MAX": "2"}


@contextlib.contextmanager
def running_server(env: dict[str, str] | None = None, workers: int = 1) -> Iterator[str]:
    """A ConvLens server in a subprocess; yields its base URL."""
    with convlens_server({**MALLOC_ENV, **(env or {})}, workers=workers) as base:
        yield base


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]
