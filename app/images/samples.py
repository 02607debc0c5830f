"""The built-in sample photos and their credits, read from ``static/samples/CREDITS.md``.

The credits file is the single source of truth: it ships beside the photos
(as their licences require) and the app shows what it says.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app.images.schemas import SampleInfo


def _cells(line: str) -> list[str]:
    return [c.strip().replace("`", "") for c in line.strip().strip("|").split("|")]


@cache
def load_samples(directory: Path) -> tuple[SampleInfo, ...]:
    """Parse the credits table; only rows whose photo exists on disk are offered."""
    lines = (directory / "CREDITS.md").read_text(encoding="utf-8").splitlines()
    header: list[str] | None = None
    samples = []
    for line in lines:
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if header is None:
            header = [c.lower() for c in cells]
            continue
        if set(line) <= set("|-: "):
            continue  # the separator row
        row = dict(zip(header, cells, strict=False))
        file = row.get("file", "")
        if not (directory / file).is_file():
            continue
        samples.append(SampleInfo(
            id=Path(file).stem, file=file, title=row.get("subject", file),
            licence=row.get("licence", ""), credit=row.get("credit", ""),
            source=row.get("source package", ""), changes=row.get("changes", "")))
    return tuple(samples)


def find_sample(directory: Path, sample_id: str) -> SampleInfo | None:
    """The sample with this id, or None."""
    return next((s for s in load_samples(directory) if s.id == sample_id), None)
