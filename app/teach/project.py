"""What a transfer-learning project is: classes of photos, the trained classifier's
classes, a run.

Plain data, shared by the stores (``app.teach.store``) and the rules that change
it (``app.teach.projects``, ``app.teach.training``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from app.core.errors import NotFound


def missing(project_id: str) -> NotFound:
    """The 404 of a project no store holds."""
    return NotFound(f"There is no project {project_id[:40]!r} (it may have expired: "
                    "projects are kept for a while after their last use).")


@dataclass
class Photo:
    image_id: str
    views: np.ndarray  # (4, 1280) float32: plain, mirrored, tighter, tighter mirrored
    thumb: bytes  # small JPEG for the class list
    # JPEG of the plain and the tighter crops at the small network's 150x150, stacked
    # (300x150; 448x224 for photos added before): the pixels the from-scratch network and
    # the views strip need once the image store has evicted the upload (None for photos
    # added before they were kept).
    crops: bytes | None = None

    @property
    def nbytes(self) -> int:
        """What the photo holds in memory."""
        return self.views.nbytes + len(self.thumb) + len(self.crops or b"")


@dataclass
class ProjectClass:
    id: str
    name: str
    photos: list[str] = field(default_factory=list)  # image ids, in the order added


@dataclass
class Run:
    id: str
    epochs: int
    augment: bool
    seed: int
    status: str = "queued"  # queued, running, done, failed
    progress: float = 0.0
    losses: list[float] = field(default_factory=list)
    accuracy: float | None = None
    confusion: list[list[int]] = field(default_factory=list)
    classes: list[dict] = field(default_factory=list)  # [{id, name}] in classifier order
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float | None = None
    extra: dict = field(default_factory=dict)
    job_id: str | None = None  # the job training it (its status is the truth)
    calibration: dict | None = None  # reliability of the held-out confidences (folds only)

    @property
    def active(self) -> bool:
        return self.status in ("queued", "running")

    def as_dict(self) -> dict:
        return asdict(self)  # deep copies: safe while the trainer goes on


@dataclass
class Project:
    id: str
    classes: list[ProjectClass] = field(default_factory=list)
    classifier_classes: list[dict] = field(default_factory=list)  # [{id, name}] of the classifier
    run: Run | None = None
    scratch_job: str | None = None  # the latest from-scratch training's job
    export_job: str | None = None  # the latest ONNX export's job (its failure is told once)

    def class_(self, class_id: str) -> ProjectClass:
        for cls in self.classes:
            if cls.id == class_id:
                return cls
        raise NotFound(f"Project {self.id} has no class {class_id[:40]!r}.")

    def photo_ids(self) -> set[str]:
        return {image_id for cls in self.classes for image_id in cls.photos}
