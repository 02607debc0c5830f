"""Teach the CNN new classes: the use cases behind ``/api/projects`` (no HTTP here).

Photos become frozen-backbone features once; predictions and Grad-CAM reuse the
cached analysis of the image (the same forward pass the CNN tab uses) with
the project's classifier in place of the ImageNet classifier.
"""

from __future__ import annotations

import numpy as np

from app.cnn.heatmap import check_cam_stage
from app.cnn.service import analysis
from app.core.errors import ImageTooLarge, InvalidParameter, NotFound, RequestTooLarge
from app.core.services import Services
from app.images.service import StoredImage
from app.imaging.decode import decode_image
from app.jobs.record import Client, JobRecord
from app.teach.export import onnx_or_job, torchscript
from app.teach.familiar import PART as FAMILIAR_PART
from app.teach.familiar import judge
from app.teach.pixels import pack_crops
from app.teach.project import Photo
from app.teach.projects import (
    add_photo,
    check_new_photo,
    install_classifier,
    thumbnail,
    trained_classifier,
)
from app.teach.schemas import ClassProbs


def photo_of(services: Services, image: StoredImage) -> Photo:
    """Embed a stored image's views (plain + augmentations) in one batch."""
    from models.transfer import views

    model = services.require_model()
    crops = views(image.rgb)
    with services.gate.slot():
        feats = model.embed(crops)  # (4, 1280)
    return Photo(image.id, feats, thumbnail(crops[0]), pack_crops(crops))


def add_image(services: Services, project_id: str, class_id: str, image: StoredImage,
              field: str = "file") -> None:
    """Embed and add a photo: refused (404 unknown class, 409 in another class) before the
    forward pass is spent, and again when added (``add_photo``); errors name ``field``, the
    way the photo was sent (``file`` or ``image_id``)."""
    check_new_photo(services.projects.read(project_id), class_id, image.id, field)
    add_photo(services.projects, project_id, class_id, photo_of(services, image), field)


def predict(services: Services, project_id: str, image: StoredImage) -> ClassProbs:
    """The new classifier's class probabilities for a stored image (its cached analysis,
    shared with the CNN tab and Grad-CAM)."""
    trained = trained_classifier(services.projects, project_id)
    return _answer(services, project_id, trained, analysis(services, image).pooled)


def predict_file(services: Services, project_id: str, data: bytes) -> ClassProbs:
    """The same answer for an uploaded photo that is neither stored nor cached: decoded by
    the one decoder and embedded, for live camera frames (a frame's cached analysis is
    5.7 MB; at 8 frames a second they would turn the shared cache over every few seconds)."""
    from models.preprocess import centre_crop

    trained = trained_classifier(services.projects, project_id)  # 422 before decoding
    limit = services.settings.max_upload_bytes
    if len(data) > limit:
        raise ImageTooLarge(f"The file is {len(data):,} bytes; at most {limit:,} "
                            f"({limit / 2**20:g} MiB) are accepted.", max_bytes=limit)
    model = services.require_model()
    with services.gate.slot():
        crop = centre_crop(decode_image(data, services.settings.decode_limits))
        pooled = model.embed([crop])[0]  # (1280,): as the training photos were embedded
    return _answer(services, project_id, trained, pooled)


def _answer(services: Services, project_id: str, trained: tuple[object, list[dict]],
            pooled: np.ndarray) -> ClassProbs:
    """Probabilities, most likely first, and how familiar the photo is, from its pooled
    features ``(1280,)``."""
    from models.transfer import predict_probs

    classifier, classes = trained
    probs = predict_probs(classifier, pooled[None])[0]
    order = np.argsort(-probs, kind="stable")
    familiarity = judge(services.projects.part(project_id, FAMILIAR_PART), pooled,
                        services.projects.read(project_id).photo_ids())
    return ClassProbs(probs=[{"class_id": classes[i]["id"], "name": classes[i]["name"],
                              "prob": float(probs[i])} for i in order], **familiarity)


def gradcam(services: Services, project_id: str, image: StoredImage, class_id: str,
            stage: str) -> np.ndarray:
    """Grad-CAM through the project's classifier (not cached: classifiers change when retrained)."""
    check_cam_stage(stage)
    classifier, classes = trained_classifier(services.projects, project_id)
    index = next((i for i, c in enumerate(classes) if c["id"] == class_id), None)
    if index is None:
        raise NotFound(f"The trained classifier has no class {class_id[:40]!r}.")
    a = analysis(services, image)
    model = services.require_model()
    with services.gate.slot():
        return model.explain(a.activations, index, stage, classifier=classifier).cams[stage]


def export(services: Services, project_id: str, fmt: str, client: Client
           ) -> bytes | memoryview | JobRecord:
    """The trained classifier as a file: ``head``, ``torchscript`` (built once per
    classifier), or ``onnx`` once its job made it (until then the job making it)."""
    from models import export as files

    if fmt == "onnx":
        return onnx_or_job(services, project_id, client)
    if fmt == "torchscript":
        return torchscript(services, project_id)
    classifier, classes = trained_classifier(services.projects, project_id)
    return files.save_classifier(classifier, [c["name"] for c in classes])


CLASSIFIER_FILE_MAX_BYTES = 1 << 20  # a classifier of 8 classes is about 45 KB


def import_classifier(services: Services, project_id: str, data: bytes) -> None:
    """Load a saved classifier into a project with no classes yet; its classes come with it."""
    from models import export as files

    if len(data) > CLASSIFIER_FILE_MAX_BYTES:
        raise RequestTooLarge("A head file is at most 1 MiB; this is not one ConvLens saved.",
                              max_bytes=CLASSIFIER_FILE_MAX_BYTES)
    try:
        classifier, names = files.load_classifier(data)
    except files.BadClassifierFile as exc:
        raise InvalidParameter(f"{exc}: load a head file saved with 'Download the head'",
                               field="file") from None
    install_classifier(services.projects, project_id, classifier, names)
