"""The spurious-feature lesson's cure: retrain with a growing share of mixed backgrounds.

The scenes are drawn white discs and squares (``app.imaging.composite.scene``: plain
shapes, not real objects) pasted on two real photos, as in Teach's object-or-background
project: discs on the mountains photo, squares on the rocket photo (a rocket on its launch
pad against a dusk sky: the samples hold no photo of plain sky). How much mixing cures the
classifier depends on which few scenes are mixed, so the curve is repeated: a pool of
scenes is drawn and embedded once, then each repeat draws its own training and test scenes
from the pool and, for each mixed share, trains a new last layer (cheap: a linear layer on
cached features) on the same number of photos per class, that share of them with the shape
on the other class's background. Each is scored on the repeat's held-out scenes with the
training backgrounds and with the backgrounds swapped; the curve gives the mean, the worst
and the best repeat.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from app.cnn.visualize import model_fingerprint
from app.core.services import Services
from app.imaging.composite import scene
from app.imaging.decode import decode_image
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from app.lessons.schemas import SpuriousCurve, SpuriousPoint
from models.preprocess import centre_crop
from models.transfer import predict_probs, train_classifier

if TYPE_CHECKING:
    from torch import nn

KIND = "lesson-spurious"
VERSION = 2  # of the computation: bump to leave results of an older one behind
TIME_LIMIT_S = 240.0
BACKGROUNDS = {"mountains": "landscape_picos_de_europa.jpg", "rocket": "vehicle_rocket.jpg"}
TRAINED_ON = {"disc": "mountains", "square": "rocket"}
OTHER = {"disc": "rocket", "square": "mountains"}
SHAPES = list(TRAINED_ON)
# One photo of a class is 1/40 = 0.025: the steps around two to four mixed photos are
# where the repeats disagree most.
SHARES = (0.0, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5)
TRAIN_PER_CLASS, TEST_PER_CLASS = 40, 16
MOST_MIXED = round(max(SHARES) * TRAIN_PER_CLASS)
REPEATS = 10
# Scenes per shape embedded once: enough on each background for two repeats' draws without
# a shared scene, so the repeats' scene sets differ substantially.
POOL = {"own": 2 * (TRAIN_PER_CLASS + TEST_PER_CLASS), "other": 2 * (MOST_MIXED + TEST_PER_CLASS)}
# The pools' scene seeds, far apart so no two pools share a picture.
SEEDS = {"own": 0, "other": 50_000}
EPOCHS = 100
EMBED_BATCH = 16  # scenes per forward pass: bounded intermediate maps
SHAPES_TEXT = "drawn white discs and squares (plain shapes, not photos)"
TEXT = ("Discs were trained on the mountains photo and squares on the rocket photo; a mixed "
        "share puts that share of each shape's training photos on the other background. "
        f"Each point is the mean of {REPEATS} repeats, each with its own draw of training and "
        "test scenes and its own training seed; low and high are the worst and best repeat.")


def result_url(job_id: str) -> str:
    return f"/api/lessons/spurious/{job_id}"


def start(services: Services, client: Client) -> JobRecord:
    """Queue the curve's job, or join the one that does or did the same."""
    services.require_model()
    return services.jobs.submit(KIND, {}, client=client,
                                key=f"spurious:{VERSION}:{model_fingerprint(services)}")


def finished(services: Services, job_id: str) -> SpuriousCurve:
    """The curve a finished job computed (409 while it runs, 404 for an unknown job)."""
    return SpuriousCurve.model_validate_json(services.jobs.finished_result(job_id, KIND, "curve"))


def _pools(ctx: JobContext) -> dict[str, dict[str, np.ndarray]]:
    """``{"own" | "other": {shape: (n, 1280)}}``: the features of every pooled scene, each
    shape on its training background (own) or on the other one."""
    services = ctx.services
    model = services.require_model()
    folder, limits = services.settings.samples_dir, services.settings.decode_limits
    backgrounds = {k: decode_image((folder / f).read_bytes(), limits)
                   for k, f in BACKGROUNDS.items()}
    where = {"own": TRAINED_ON, "other": OTHER}
    total = len(SHAPES) * sum(POOL.values())
    done = 0
    pools: dict[str, dict[str, np.ndarray]] = {}
    for pool, n in POOL.items():
        pools[pool] = {}
        for shape in SHAPES:
            background = backgrounds[where[pool][shape]]
            feats = []
            for i in range(0, n, EMBED_BATCH):
                ctx.progress(0.7 * done / total, f"embedding scene {done + 1} of {total}")
                seeds = range(SEEDS[pool] + i, SEEDS[pool] + min(i + EMBED_BATCH, n))
                feats.append(model.embed([centre_crop(scene(background, shape, seed))
                                          for seed in seeds]))  # (batch, 1280)
                done += len(seeds)
            pools[pool][shape] = np.concatenate(feats)  # (n, 1280)
    return pools


def repeat_accuracies(pools: dict[str, dict[str, np.ndarray]], repeat: int
                      ) -> list[tuple[float, float]]:
    """One repeat: its own draw of scenes from the pools (seeded by ``repeat``) and, for
    each share of ``SHARES``, the accuracy on held-out scenes with the training backgrounds
    and with the backgrounds swapped."""
    rng = np.random.default_rng(repeat)
    train, mixed, test, swapped = {}, {}, {}, {}
    for shape in SHAPES:
        own = pools["own"][shape][rng.permutation(POOL["own"])]  # (n_own, 1280)
        other = pools["other"][shape][rng.permutation(POOL["other"])]  # (n_other, 1280)
        train[shape], test[shape] = own[:TRAIN_PER_CLASS], own[TRAIN_PER_CLASS:][:TEST_PER_CLASS]
        mixed[shape], swapped[shape] = other[:MOST_MIXED], other[MOST_MIXED:][:TEST_PER_CLASS]
    y_train = np.repeat(np.arange(len(SHAPES)), TRAIN_PER_CLASS)
    y_test = np.repeat(np.arange(len(SHAPES)), TEST_PER_CLASS)

    def accuracy(classifier: nn.Linear, scenes: dict[str, np.ndarray]) -> float:
        x = np.concatenate([scenes[s] for s in SHAPES])  # (2 * TEST_PER_CLASS, 1280)
        return float((predict_probs(classifier, x).argmax(1) == y_test).mean())

    out = []
    for share in SHARES:
        k = round(share * TRAIN_PER_CLASS)
        x = np.concatenate([np.concatenate([train[s][:TRAIN_PER_CLASS - k], mixed[s][:k]])
                            for s in SHAPES])  # (2 * TRAIN_PER_CLASS, 1280)
        classifier = train_classifier(x, y_train, len(SHAPES), EPOCHS, seed=repeat).classifier
        out.append((accuracy(classifier, test), accuracy(classifier, swapped)))
    return out


def summarise(runs: list[list[tuple[float, float]]]) -> list[SpuriousPoint]:
    """Per share: the mean, worst and best repeat on each kind of test scene."""
    a = np.asarray(runs)  # (repeats, shares, 2): training backgrounds, swapped
    return [SpuriousPoint(
        mixed_share=share, mixed_photos=round(share * TRAIN_PER_CLASS),
        accuracy_training_backgrounds=float(a[:, i, 0].mean()),
        training_low=float(a[:, i, 0].min()), training_high=float(a[:, i, 0].max()),
        accuracy_swapped_backgrounds=float(a[:, i, 1].mean()),
        swapped_low=float(a[:, i, 1].min()), swapped_high=float(a[:, i, 1].max()))
        for i, share in enumerate(SHARES)]


def run(ctx: JobContext, params: dict[str, object]) -> str:
    """The job: draw and embed the pooled scenes once, then every repeat's trainings."""
    pools = _pools(ctx)
    runs = []
    for r in range(REPEATS):
        ctx.progress(0.7 + 0.3 * r / REPEATS, f"training: repeat {r + 1} of {REPEATS}")
        runs.append(repeat_accuracies(pools, r))
    result = SpuriousCurve(curve=summarise(runs), train_per_class=TRAIN_PER_CLASS,
                           test_per_class=TEST_PER_CLASS, repeats=REPEATS,
                           pooled_scenes={k: len(SHAPES) * n for k, n in POOL.items()},
                           shapes=SHAPES_TEXT, backgrounds=TRAINED_ON, text=TEXT)
    ctx.save_result("curve", result.model_dump_json().encode())
    return result_url(ctx.id)


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
