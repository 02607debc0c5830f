"""How many photos a new classifier needs: learning curves for two pairs of classes.

The photos are the bundled ones (``static/dataset``), picked by the folder they came from
in their source package (``CREDITS.tsv``'s ``original_path``): fishes against tools (the
``coarse`` pair: each class shares a look the network's features already separate) and
monuments of France against monuments of India (the ``fine`` pair, though it is not a
fine-grained distinction: each class is ten different buildings with no look in common),
the same number of photos per class in both pairs. Each photo is embedded once with its
training views; the curves are Teach's ``models.transfer.learning_curve``.
"""

from __future__ import annotations

import csv
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from app.cnn.visualize import model_fingerprint
from app.core.errors import AppError
from app.core.services import Services
from app.imaging.decode import decode_image
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.lessons.schemas import LearningCurves
from models.transfer import learning_curve, views

KIND = "lesson-how-many-images"
VERSION = 1  # of the computation: bump to leave results of an older one behind
TIME_LIMIT_S = 240.0
PER_CLASS = 10  # France has 10 photos: every class of both pairs gets this many
SIZES = [1, 2, 3, 4, 6, 8]  # photos per class trained on; the rest of the ten are held out
# name -> (title, {class: folder that ends its original_path})
PAIRS = {
    "coarse": ("fishes or tools", {"fishes": "categorization/resource/images/fishes",
                                   "tools": "categorization/resource/images/tools"}),
    "fine": ("a monument in France or in India",
             {"France": "explore_monuments/resource/france",
              "India": "explore_monuments/resource/india"}),
}
CREDITS = "CREDITS.tsv"


def result_url(job_id: str) -> str:
    return f"/api/lessons/how-many-images/{job_id}"


def start(services: Services, repeats: int, seed: int, client: Client) -> JobRecord:
    """Queue the curves' job, or join the one that does or did the same."""
    services.require_model()
    return services.jobs.submit(
        KIND, {"repeats": repeats, "seed": seed}, client=client,
        key=f"how-many:{VERSION}:{model_fingerprint(services)}:{repeats}:{seed}")


def finished(services: Services, job_id: str) -> LearningCurves:
    """The curves a finished job computed (409 while it runs, 404 for an unknown job)."""
    data = services.jobs.finished_result(job_id, KIND, "curves")
    return LearningCurves.model_validate_json(data)


def photos_of(directory: Path, folder: str) -> list[str]:
    """The first ``PER_CLASS`` bundled photos (in the credits' order) that came from
    ``folder`` of the source package."""
    with (directory / CREDITS).open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    files = [r["filename"] for r in rows if r["original_path"].rsplit("/", 1)[0]
             .endswith(folder) and (directory / r["filename"]).is_file()]
    if len(files) < PER_CLASS:
        raise AppError(f"The bundled photos hold {len(files)} from {folder}, fewer than "
                       f"the {PER_CLASS} this lesson needs.")
    return files[:PER_CLASS]


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job: embed the four classes' photos (with their training views), then a learning
    curve per pair."""
    services = ctx.services
    model = services.require_model()
    directory, limits = services.settings.dataset_dir, services.settings.decode_limits
    chosen = {name: {cls: photos_of(directory, folder) for cls, folder in classes.items()}
              for name, (_, classes) in PAIRS.items()}
    total = sum(len(files) for pair in chosen.values() for files in pair.values())
    feats: dict[str, list[np.ndarray]] = {}
    for pair in chosen.values():
        for files in pair.values():
            for file in files:
                ctx.progress(0.6 * len(feats) / total,
                             f"embedding photo {len(feats) + 1} of {total}")
                rgb = decode_image((directory / file).read_bytes(), limits)
                feats[file] = model.embed(views(rgb))  # (4, 1280): plain view first
    pairs = []
    for k, (name, (title, classes)) in enumerate(PAIRS.items()):
        files = [f for cls in classes for f in chosen[name][cls]]
        y = np.repeat(np.arange(len(classes)), PER_CLASS)

        def progress(done: float, k: int = k, name: str = name) -> None:
            ctx.progress(0.6 + 0.4 * (k + done) / len(PAIRS), f"the {name} pair's curve")

        points = learning_curve([feats[f] for f in files], y, len(classes), sizes=SIZES,
                                repeats=params["repeats"], seed=params["seed"],
                                progress=progress)
        pairs.append({"name": name, "title": title, "classes": list(classes),
                      "photos": {cls: [f"/static/dataset/{f}" for f in chosen[name][cls]]
                                 for cls in classes},
                      "points": [asdict(p) for p in points]})
    result = LearningCurves(pairs=pairs, per_class=PER_CLASS, chance=1 / 2,
                            repeats=params["repeats"], seed=params["seed"])
    ctx.save_result("curves", result.model_dump_json().encode())
    return result_url(ctx.id)


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
