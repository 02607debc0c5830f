"""The spurious-feature lesson: a project whose photos confound the object with its background.

Discs are always on mountains and squares always under the sky; trained on
those, a classifier is scored on test photos with the same and with swapped
backgrounds, and shows that it learned the background.
"""

from __future__ import annotations

import numpy as np

from app.core.errors import Busy
from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.imaging.composite import scene
from app.imaging.decode import decode_image
from app.teach.projects import add_class
from app.teach.service import add_image, predict
from app.teach.training import start_run

# The spurious-feature lesson: discs always on mountains, squares always under the sky.
DEMO_BACKGROUNDS = {"mountains": "landscape_picos_de_europa.jpg", "sky": "vehicle_rocket.jpg"}
DEMO_TRAIN, DEMO_TEST = 12, 6


def build_demo(services: Services) -> tuple[str, str]:
    """A project whose training photos confound shape with background, trained at once;
    when the run ends it is scored on test photos with the same and with swapped backgrounds.
    Returns the project id and the run id."""
    services.training.check_room()  # say "busy" before seconds of drawing and embedding
    samples = services.settings.samples_dir
    limits = services.settings.decode_limits
    bg = {k: decode_image((samples / f).read_bytes(), limits) for k, f in DEMO_BACKGROUNDS.items()}
    project_id = services.projects.create().id
    pairing = {"disc": "mountains", "square": "sky"}
    swapped = {"disc": "sky", "square": "mountains"}
    ids = {}
    for shape, where in pairing.items():
        cls = add_class(services.projects, project_id, shape)
        ids[shape] = cls.id
        for seed in range(DEMO_TRAIN):
            record = services.images.put(scene(bg[where], shape, seed))
            add_image(services, project_id, cls.id, lookup_image(services, record.id))
    tests = []
    for setting, backgrounds in (("same", pairing), ("swapped", swapped)):
        for shape, where in backgrounds.items():
            for seed in range(1000, 1000 + DEMO_TEST):
                record = services.images.put(scene(bg[where], shape, seed))
                tests.append({"image_id": record.id, "truth": shape, "background": where,
                              "setting": setting})

    def score(pid: str, run) -> None:
        results = {"same": [], "swapped": []}
        examples = []
        for t in tests:
            image = services.images.get(t["image_id"])
            if image is None:
                continue  # evicted meanwhile: score what is left
            best = predict(services, pid, StoredImage(t["image_id"], image)).probs[0]
            results[t["setting"]].append(best.name == t["truth"])
            examples.append({**t, "predicted": best.name, "prob": best.prob})
        run.extra = {
            "lesson": "Training discs were always on mountains and squares always under the "
                      "sky. Swap the backgrounds and see what the classifier really learned.",
            "same_background_accuracy": float(np.mean(results["same"])),
            "swapped_background_accuracy": float(np.mean(results["swapped"])),
            "examples": examples, "classes": ids}

    try:
        run = start_run(services.projects, services.training, project_id, epochs=100,
                        augment=True, seed=0, on_done=score)
    except Busy:
        services.projects.discard(project_id)  # an untrained lesson teaches nothing
        raise
    return project_id, run.id
