"""What unrelated photos look like to the frozen backbone, measured once on the 200 bundled
photos (``static/dataset``) and shipped as ``familiar_reference.npz`` beside this module.

Two things come out, both used by ``app.teach.familiar``:

- ``mean``: the average pooled features ``(1280,)`` of the bundled photos' plain centre
  crops. The pooled features come after ReLU6 and averaging, so they are never negative and
  ANY two photos have a cosine of about 0.2; subtracting this mean first puts two unrelated
  photos near 0 (measured: -0.03 on average between photos of different subjects, 0.20
  before).
- ``floor``: for a project of ``n`` training photos (``floor[n]``, ``n`` = 1..480, every
  class full), the similarity that 19 in 20 photos of an unrelated subject stay below when
  compared with the nearest of ``n`` photos of other subjects (after centring): a photo is
  judged by its nearest training photo of any class, so every photo counts. Simulated: a
  bundled photo against ``n`` bundled photos drawn at random from the other subjects,
  ``DRAWS`` times, with a fixed seed (past the strangers a subject has, all of them). The
  more photos, the likelier one of them resembles any stranger, so the floor grows with
  ``n`` (0.13 for 3 photos, 0.22 for 12, 0.26 for 24, 0.30 for 60). The drawn photos mix
  subjects, so this over-states what classes of single subjects reach: the floor is on the
  strict side.

Subjects come from the folder each photo came from in its source package (``CREDITS.tsv``'s
``original_path``), merged where two folders hold the same kind of subject (monuments of
France and of India are both buildings; fish and underwater scenes are both sea life).

Run ``python -m app.teach.familiar_reference`` to write the file again (about a minute:
one forward pass per photo); ``tests/teach/test_familiar_reference.py`` recomputes it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.teach.familiar import REFERENCE_FILE
from app.teach.projects import MAX_CLASSES, MAX_PHOTOS_PER_CLASS

QUANTILE = 0.95  # of unrelated photos that stay below the floor
DRAWS = 20_000
MAX_PHOTOS = MAX_CLASSES * MAX_PHOTOS_PER_CLASS  # the most training photos a project has
SEED = 0
# A folder of the source package (the part of original_path after "activities/") -> subject.
SUBJECTS = {
    "categorization/resource/images/fishes": "sea life",
    "clickgame": "sea life",
    "categorization/resource/images/monuments": "buildings",
    "explore_monuments": "buildings",
    "details": "buildings",
    "categorization/resource/images/others": "household things",
    "categorization/resource/images/renewable": "energy",
    "categorization/resource/images/tools": "tools",
    "erase": "animals",
    "explore_farm_animals": "animals",
    "explore_world_animals": "animals",
    "explore_world_music": "music",
    "solar_system": "space",
}


def subject_of(original_path: str) -> str:
    """The subject of a bundled photo from where it came from in its source package."""
    folder = original_path.split("/activities/", 1)[1]
    for prefix, subject in SUBJECTS.items():
        if folder.startswith(prefix + "/"):
            return subject
    raise ValueError(f"no subject for {original_path}")


def bundled(directory: Path) -> list[tuple[Path, str]]:
    """Every bundled photo (in the credits' order) with its subject."""
    with (directory / "CREDITS.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(directory / r["filename"], subject_of(r["original_path"])) for r in rows]


def floors(plain: np.ndarray, subjects: list[str], mean: np.ndarray) -> np.ndarray:
    """``floor[n]`` for ``n`` = 0..``MAX_PHOTOS`` (``floor[0]`` unused, -1) from the bundled
    photos' plain-view features ``(P, 1280)`` and their subjects (see the module's
    docstring); more training photos than a subject's strangers are compared with all of
    them."""
    centred = plain - mean  # (P, 1280)
    unit = centred / np.linalg.norm(centred, axis=1, keepdims=True)
    sims = unit @ unit.T  # (P, P)
    labels = np.array(subjects)
    rng = np.random.default_rng(SEED)
    # Each draw: one stranger, its other-subject photos in a random order; the running
    # maximum over that order is the nearest of the first n, for every n at once (so the
    # floor never shrinks as n grows, which separate draws per n did by sampling noise).
    best = np.empty((DRAWS, MAX_PHOTOS))
    for d in range(DRAWS):
        stranger = int(rng.integers(len(labels)))
        others = rng.permutation(np.flatnonzero(labels != labels[stranger]))
        running = np.maximum.accumulate(sims[stranger, others[:MAX_PHOTOS]])
        best[d] = np.pad(running, (0, MAX_PHOTOS - len(running)), mode="edge")
    out = np.full(MAX_PHOTOS + 1, -1.0, dtype=np.float32)
    out[1:] = np.quantile(best, QUANTILE, axis=0)
    return out


def compute(directory: Path, embed: Callable[[list[np.ndarray]], np.ndarray],
            decode: Callable[[bytes], np.ndarray]) -> dict[str, np.ndarray]:
    """The reference from the bundled photos: ``embed`` maps 224x224 crops to pooled
    features ``(N, 1280)``, ``decode`` a file's bytes to ``(H, W, 3) uint8``."""
    from models.preprocess import centre_crop

    photos = bundled(directory)
    plain = np.concatenate([embed([centre_crop(decode(path.read_bytes()))])
                            for path, _ in photos]).astype(np.float64)  # (P, 1280)
    mean = plain.mean(0)  # (1280,)
    return {"mean": mean.astype(np.float32),
            "floor": floors(plain, [s for _, s in photos], mean),
            "photos": np.array(len(photos)), "quantile": np.array(QUANTILE)}


def save(reference: dict[str, np.ndarray], path: Path = REFERENCE_FILE) -> None:
    """Write ``reference`` (``compute``'s parts) as the ``.npz`` familiarity reads."""
    buf = io.BytesIO()
    np.savez(buf, **reference)
    path.write_bytes(buf.getvalue())


def main() -> None:
    """Write ``familiar_reference.npz`` from the bundled photos with the packaged network."""
    from app.core.settings import Settings
    from app.imaging.decode import decode_image
    from models.service import ModelService

    settings = Settings.from_env()
    model = ModelService.load()
    save(compute(settings.dataset_dir, model.embed,
                 lambda data: decode_image(data, settings.decode_limits)))


if __name__ == "__main__":
    main()
