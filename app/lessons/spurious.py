"""The spurious-feature lesson's cure: retrain with a growing share of mixed backgrounds.

The scenes are drawn white discs and squares (``app.imaging.composite.scene``: plain
shapes, not real objects) pasted on two real photos, as in Teach's object-or-background
project: discs on mountains, squares under the sky. Every scene is drawn and embedded
once; then for each mixed share a new last layer is trained on the same number of photos
per class, that share of them with the shape on the other class's background, and scored
on held-out scenes with the training backgrounds and with the backgrounds swapped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app.cnn.visualize import model_fingerprint
from app.core.services import Services
from app.imaging.composite import scene
from app.imaging.decode import decode_image
from app.jobs.record import JobRecord
from app.jobs.system import JobContext, Kind
from app.lessons.schemas import SpuriousCurve
from models.preprocess import centre_crop

KIND = "lesson-spurious"
VERSION = 1  # of the computation: bump to leave results of an older one behind
TIME_LIMIT_S = 240.0
BACKGROUNDS = {"mountains": "landscape_picos_de_europa.jpg", "sky": "vehicle_rocket.jpg"}
TRAINED_ON = {"disc": "mountains", "square": "sky"}
OTHER = {"disc": "sky", "square": "mountains"}
# One photo of a class is 1/40 = 0.025: measured, the swapped accuracy rises from 0 to about
# 0.2-0.6 with one mixed photo per class and to 0.97-1.0 with two.
SHARES = (0.0, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5)
TRAIN_PER_CLASS, TEST_PER_CLASS = 40, 16
MOST_MIXED = round(max(SHARES) * TRAIN_PER_CLASS)
EPOCHS = 100
EMBED_BATCH = 16  # scenes per forward pass: bounded intermediate maps
# Seeds of each set of scenes, far apart so no two sets share a picture.
SEEDS = {"train": 0, "train_other": 10_000, "test": 20_000, "test_swapped": 30_000}
TEXT = ("Discs were trained on mountains and squares under the sky; a mixed share puts that "
        "share of each shape's training photos on the other background.")


def result_url(job_id: str) -> str:
    return f"/api/lessons/spurious/{job_id}"


def start(services: Services, client: str) -> JobRecord:
    """Queue the curve's job, or join the one that does or did the same."""
    services.require_model()
    return services.jobs.submit(KIND, {}, client=client,
                                key=f"spurious:{VERSION}:{model_fingerprint(services)}")


def finished(services: Services, job_id: str) -> SpuriousCurve:
    """The curve a finished job computed (409 while it runs, 404 for an unknown job)."""
    return SpuriousCurve.model_validate_json(services.jobs.finished_result(job_id, KIND, "curve"))


def _scenes(backgrounds: dict[str, np.ndarray], where: dict[str, str], start: int, n: int
            ) -> dict[str, list[np.ndarray]]:
    """``n`` 224x224 views per shape, each on the background ``where`` names."""
    return {shape: [centre_crop(scene(backgrounds[place], shape, start + i)) for i in range(n)]
            for shape, place in where.items()}


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job: draw and embed every scene once, then one short training per share."""
    from models.transfer import predict_probs, train_classifier

    services = ctx.services
    model = services.require_model()
    folder, limits = services.settings.samples_dir, services.settings.decode_limits
    backgrounds = {k: decode_image((folder / f).read_bytes(), limits)
                   for k, f in BACKGROUNDS.items()}
    sets = {"train": _scenes(backgrounds, TRAINED_ON, SEEDS["train"], TRAIN_PER_CLASS),
            "train_other": _scenes(backgrounds, OTHER, SEEDS["train_other"], MOST_MIXED),
            "test": _scenes(backgrounds, TRAINED_ON, SEEDS["test"], TEST_PER_CLASS),
            "test_swapped": _scenes(backgrounds, OTHER, SEEDS["test_swapped"], TEST_PER_CLASS)}
    shapes = list(TRAINED_ON)
    crops = [c for views in sets.values() for shape in shapes for c in views[shape]]
    feats = []
    for i in range(0, len(crops), EMBED_BATCH):
        ctx.progress(0.8 * i / len(crops), f"embedding scene {i + 1} of {len(crops)}")
        feats.append(model.embed(crops[i:i + EMBED_BATCH]))
    embedded = np.concatenate(feats)  # (scenes, 1280), in the order of ``crops``
    features: dict[str, dict[str, np.ndarray]] = {}
    at = 0
    for name, views in sets.items():
        features[name] = {}
        for shape in shapes:
            features[name][shape] = embedded[at:at + len(views[shape])]
            at += len(views[shape])

    def accuracy(classifier: Any, name: str) -> float:
        x = np.concatenate([features[name][s] for s in shapes])
        y = np.repeat(np.arange(len(shapes)), TEST_PER_CLASS)
        return float((predict_probs(classifier, x).argmax(1) == y).mean())

    curve = []
    for k, share in enumerate(SHARES):
        ctx.progress(0.8 + 0.2 * k / len(SHARES), f"training with a mixed share of {share:g}")
        mixed = round(share * TRAIN_PER_CLASS)
        x = np.concatenate([np.concatenate([features["train"][s][:TRAIN_PER_CLASS - mixed],
                                            features["train_other"][s][:mixed]])
                            for s in shapes])
        y = np.repeat(np.arange(len(shapes)), TRAIN_PER_CLASS)
        classifier = train_classifier(x, y, len(shapes), EPOCHS, seed=0).classifier
        curve.append({"mixed_share": share, "mixed_photos": mixed,
                      "accuracy_training_backgrounds": accuracy(classifier, "test"),
                      "accuracy_swapped_backgrounds": accuracy(classifier, "test_swapped")})
    result = SpuriousCurve(curve=curve, train_per_class=TRAIN_PER_CLASS,
                           test_per_class=TEST_PER_CLASS,
                           shapes="drawn white discs and squares (plain shapes, not photos)",
                           backgrounds=TRAINED_ON, text=TEXT)
    ctx.save_result("curve", result.model_dump_json().encode())
    return result_url(ctx.id)


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
