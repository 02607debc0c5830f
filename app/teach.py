"""Teach the CNN new classes: the use cases behind ``/api/projects`` (no HTTP here).

Photos become frozen-backbone features once; predictions and Grad-CAM reuse the
cached analysis of the image (the same forward pass the inspector uses) with
the project's head in place of the ImageNet classifier.
"""

from __future__ import annotations

import numpy as np

from app import inspector
from app.deps import Services, StoredImage, lookup_image
from app.errors import Busy, InvalidParameter, NotFound, RequestTooLarge
from app.project_store import Photo
from app.projects import add_class, add_photo, install_head, start_run, thumbnail


def photo_of(services: Services, image: StoredImage) -> Photo:
    """Embed a stored image's views (plain + augmentations) in one batch."""
    from models.transfer import views

    model = inspector.model_service(services)
    crops = views(image.rgb)
    with services.gate.slot():
        feats = model.embed(crops)  # (4, 1280)
    return Photo(image.id, feats, thumbnail(crops[0]))


def add_image(services: Services, project_id: str, class_id: str, image: StoredImage) -> None:
    """Embed and add a photo; ``add_photo`` 404s an unknown class (the HTTP route checks it
    before it reads the upload, so no forward pass is spent on one)."""
    add_photo(services.projects, project_id, class_id, photo_of(services, image))


def _head(services: Services, project_id: str) -> tuple[object, list[dict]]:
    """The project's trained head and its classes, or 422 before training."""
    project = services.projects.read(project_id)
    head = services.projects.head(project_id) if project.head_classes else None
    if head is None:
        raise InvalidParameter("this project has no trained head yet: train it first",
                               field="project")
    return head, project.head_classes


def predict(services: Services, project_id: str, image: StoredImage) -> dict:
    """The new head's class probabilities for an image."""
    from models.transfer import predict_probs

    head, classes = _head(services, project_id)
    pooled = inspector.analysis(services, image).pooled  # (1280,)
    probs = predict_probs(head, pooled[None])[0]
    order = np.argsort(-probs, kind="stable")
    return {"probs": [{"class_id": classes[i]["id"], "name": classes[i]["name"],
                       "prob": float(probs[i])} for i in order]}


def gradcam(services: Services, project_id: str, image: StoredImage, class_id: str,
            stage: str) -> np.ndarray:
    """Grad-CAM through the project's head (not cached: heads change when retrained)."""
    inspector.check_cam_stage(stage)
    head, classes = _head(services, project_id)
    index = next((i for i, c in enumerate(classes) if c["id"] == class_id), None)
    if index is None:
        raise NotFound(f"The trained head has no class {class_id[:40]!r}.")
    a = inspector.analysis(services, image)
    model = inspector.model_service(services)
    with services.gate.slot():
        return model.explain(a.activations, index, stage, classifier=head).cams[stage]


def export(services: Services, project_id: str, fmt: str) -> bytes:
    from models import transfer

    head, classes = _head(services, project_id)
    names = [c["name"] for c in classes]
    if fmt == "head":
        return transfer.save_head(head, names)
    model = inspector.model_service(services)
    with services.gate.slot():
        return transfer.export_torchscript(model.model, head, names)


HEAD_FILE_MAX_BYTES = 1 << 20  # a head of 8 classes is about 45 KB


def import_head(services: Services, project_id: str, data: bytes) -> None:
    """Load a saved head into a project with no classes yet; its classes come with it."""
    from models import transfer

    if len(data) > HEAD_FILE_MAX_BYTES:
        raise RequestTooLarge("A head file is at most 1 MiB; this is not one ConvLens saved.",
                              max_bytes=HEAD_FILE_MAX_BYTES)
    try:
        head, names = transfer.load_head(data)
    except transfer.BadHeadFile as exc:
        raise InvalidParameter(f"{exc}: load a head saved with 'Download the head' (GET "
                               "/api/projects/{id}/export?format=head)", field="file") from None
    install_head(services.projects, project_id, head, names)


# The spurious-feature lesson: discs always on mountains, squares always under the sky.
DEMO_BACKGROUNDS = {"mountains": "landscape_picos_de_europa.jpg", "sky": "vehicle_rocket.jpg"}
DEMO_TRAIN, DEMO_TEST = 12, 6


def build_demo(services: Services) -> tuple[str, str]:
    """A project whose training photos confound shape with background, trained at once;
    when the run ends it is scored on test photos with the same and with swapped backgrounds.
    Returns the project id and the run id."""
    from app.imaging.composite import scene
    from app.imaging.decode import decode_image

    services.training.check_room()  # say "busy" before seconds of drawing and embedding
    samples = services.settings.samples_dir
    bg = {k: decode_image((samples / f).read_bytes()) for k, f in DEMO_BACKGROUNDS.items()}
    project_id = services.projects.create().id
    pairing = {"disc": "mountains", "square": "sky"}
    swapped = {"disc": "sky", "square": "mountains"}
    ids = {}
    for shape, where in pairing.items():
        cls = add_class(services.projects, project_id, shape)
        ids[shape] = cls.id
        for seed in range(DEMO_TRAIN):
            record = services.store.put(scene(bg[where], shape, seed))
            add_image(services, project_id, cls.id, lookup_image(services, record.id))
    tests = []
    for setting, backgrounds in (("same", pairing), ("swapped", swapped)):
        for shape, where in backgrounds.items():
            for seed in range(1000, 1000 + DEMO_TEST):
                record = services.store.put(scene(bg[where], shape, seed))
                tests.append({"image_id": record.id, "truth": shape, "background": where,
                              "setting": setting})

    def score(pid: str, run) -> None:
        results = {"same": [], "swapped": []}
        examples = []
        for t in tests:
            image = services.store.get(t["image_id"])
            if image is None:
                continue  # evicted meanwhile: score what is left
            best = predict(services, pid, StoredImage(t["image_id"], image))["probs"][0]
            results[t["setting"]].append(best["name"] == t["truth"])
            examples.append({**t, "predicted": best["name"], "prob": best["prob"]})
        run.extra = {
            "lesson": "Training discs were always on mountains and squares always under the "
                      "sky. Swap the backgrounds and see what the head really learned.",
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
