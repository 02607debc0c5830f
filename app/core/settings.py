"""Settings read once from ``CONVLENS_*`` environment variables.

Every limit an operator may want to tune lives here, with the default a
classroom on one small machine needs. The README's SECURITY section lists them.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class DecodeLimits:
    """What an upload may declare before a single pixel is decoded (``Settings.decode_limits``)."""

    max_pixels: int
    max_side: int
    max_aspect: float
    working_side: int  # the decoded image is downsized to this longest side
    max_jpeg_pixels: int  # a JPEG is decoded at 1/2 to 1/8 scale, so it may declare more

    def pixel_limit(self, fmt: str) -> int:
        """The most pixels a file of format ``fmt`` (``sniff_format``'s name) may declare."""
        return max(self.max_jpeg_pixels, self.max_pixels) if fmt == "JPEG" else self.max_pixels

    @property
    def max_coefficient_bytes(self) -> int:
        """What a progressive JPEG may need held whole to decode (libjpeg keeps every
        coefficient, at any scale): as much as a 4-channel one at ``max_pixels`` needs,
        the most accepted before JPEGs could declare more (128 MiB by default)."""
        return 8 * self.max_pixels


@dataclass(frozen=True)
class Settings:
    """Tunable limits and locations; see ``from_env`` for the variable names."""

    max_upload_bytes: int = 10 * 1024 * 1024
    max_pixels: int = 16_777_216  # 4096 x 4096: about 16.8 megapixels
    max_side: int = 8192
    max_aspect: float = 32.0
    working_side: int = 1024  # stored images are downsized to this longest side
    # A phone's 24 or 48 MP JPEG: libjpeg decodes a baseline one straight at 1/2-1/8 scale
    # (measured peak while decoding 48 MP: +15 MiB). A progressive one it holds whole as
    # coefficients, 2 bytes per pixel per channel (+152 MiB at 48 MP 4:2:0, about 400 MiB for
    # a flat 8192x6100 CMYK file of 783 KB: +397 MiB), so those are bounded by
    # DecodeLimits.max_coefficient_bytes. Pillow's own guard (64 MP) caps this setting.
    max_jpeg_pixels: int = 50_000_000
    image_cache_bytes: int = 256 * 1024 * 1024
    analysis_cache_bytes: int = 256 * 1024 * 1024
    # Cached results (and photos, beyond a quarter of their budget) unused this long are
    # dropped in a lull: half a minute, so a burst's memory is back within the minute.
    cache_idle_s: float = 30.0
    max_jobs: int = 4  # CPU-bound requests running at once
    max_queue: int = 64  # requests waiting for a job slot before 503 busy (a classroom)
    queue_timeout_s: float = 5.0
    torch_threads: int = 1
    opencv_threads: int = 1  # per call; requests run in parallel instead
    store_backend: str = "memory"  # "memory" or "redis"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_ttl_s: int = 24 * 3600
    load_model: bool = True
    # Jobs (app/jobs): queued in memory or in the store's Redis, like everything else.
    jobs_in_process: bool = True  # this web process runs jobs too (0: only `convlens worker`s)
    job_workers: int = 1  # jobs running at once per process that runs them
    max_jobs_queued: int = 16  # waiting jobs in all, before 503 busy
    max_jobs_per_client: int = 4  # queued or running jobs of one browser
    job_ttl_s: int = 3600  # how long a job's record and result are kept after its last change
    samples_dir: Path = ROOT / "static" / "samples"
    # Channels (app/cnn/channels_router.py): the bundled photos searched for top patches, and
    # where finished visualisations and the photos' per-channel maxima are kept on disk.
    dataset_dir: Path = ROOT / "static" / "dataset"
    channels_cache_dir: Path = Path(tempfile.gettempdir()) / "convlens-channels"

    @classmethod
    def from_env(cls) -> Settings:
        """Build settings from ``CONVLENS_<FIELD>`` variables, falling back to defaults."""
        values = {}
        for f in fields(cls):
            raw = os.environ.get(f"CONVLENS_{f.name.upper()}")
            if raw is None:
                continue
            default = getattr(cls, f.name)
            if isinstance(default, bool):
                values[f.name] = raw.strip().lower() in {"1", "true", "yes", "on"}
            elif isinstance(default, Path):
                values[f.name] = Path(raw)
            else:
                values[f.name] = type(default)(raw)
        return cls(**values)

    @property
    def decode_limits(self) -> DecodeLimits:
        """What an upload may declare before it is decoded (the five decode settings)."""
        return DecodeLimits(self.max_pixels, self.max_side, self.max_aspect, self.working_side,
                            self.max_jpeg_pixels)
