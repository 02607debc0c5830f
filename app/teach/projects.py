"""The rules of a project: class names, how many classes and photos, an imported classifier.

The projects themselves live in a ``ProjectStore`` (``app.teach.store``): in
this process, or in Redis for every worker. Every change here is one ``edit``
of the store, so it is all or nothing. Each photo keeps its frozen-backbone
features, so an image evicted from the image store never breaks training.
"""

from __future__ import annotations

import secrets
import unicodedata

import cv2
import numpy as np

from app.core.errors import Conflict, InvalidParameter, NotFound
from app.imaging.encode import encode
from app.teach.familiar import PART as FAMILIAR_PART
from app.teach.project import Photo, Project, ProjectClass
from app.teach.store import ProjectStore

MAX_CLASSES = 8
MAX_PHOTOS_PER_CLASS = 60


def clean_class_name(name: str, field: str = "name") -> str:
    """The name as shown: stripped; 422 if nothing visible is left or it hides characters
    (control, zero-width, direction overrides: Unicode category C)."""
    name = name.strip()
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise InvalidParameter(f"{field}: a class name may not contain control or invisible "
                               "characters", field=field)
    if not name:
        raise InvalidParameter(f"{field}: a class needs a name, not only spaces", field=field)
    return name


def _new_class(project: Project, name: str) -> ProjectClass:
    if len(project.classes) >= MAX_CLASSES:
        raise InvalidParameter(f"a project has at most {MAX_CLASSES} classes", field="name")
    if any(c.name.lower() == name.lower() for c in project.classes):
        raise Conflict(f"There is already a class called {name!r}.", field="name")
    cls = ProjectClass(secrets.token_hex(4), name)
    project.classes.append(cls)
    return cls


def add_class(store: ProjectStore, project_id: str, name: str) -> ProjectClass:
    name = clean_class_name(name)
    with store.edit(project_id) as project:
        return _new_class(project, name)


def install_classifier(store: ProjectStore, project_id: str, classifier: object,
                       names: list[str]) -> None:
    """Give an empty project a loaded classifier and its classes, all or nothing."""
    cleaned = [clean_class_name(n, field="file") for n in names]
    if len(cleaned) > MAX_CLASSES:
        raise InvalidParameter(f"this classifier has {len(cleaned)} classes; a project holds at "
                               f"most {MAX_CLASSES}", field="file")
    if len({n.lower() for n in cleaned}) < len(cleaned):
        raise InvalidParameter("this head file names a class twice", field="file")
    with store.edit(project_id) as project:
        if project.classes:
            raise InvalidParameter("import a classifier into a new, empty project", field="project")
        classes = [_new_class(project, n) for n in cleaned]
        project.classifier_classes = [{"id": c.id, "name": c.name} for c in classes]
        store.set_classifier(project_id, classifier, cleaned)
        store.put_part(project_id, FAMILIAR_PART, None)  # no training photos came with it


def trained_classifier(store: ProjectStore, project_id: str) -> tuple[object, list[dict]]:
    """The project's trained classifier and its classes, or 422 before training."""
    project = store.read(project_id)
    classifier = store.classifier(project_id) if project.classifier_classes else None
    if classifier is None:
        raise InvalidParameter("this project has no trained classifier yet: train it first",
                               field="project")
    return classifier, project.classifier_classes


def thumbnail(crop_u8: np.ndarray, side: int = 96) -> bytes:
    """A small JPEG of the crop the model saw, for the class list."""
    small = cv2.resize(crop_u8, (side, side), interpolation=cv2.INTER_AREA)
    return encode(small, "jpeg", quality=85)


def check_new_photo(project: Project, class_id: str, image_id: str, field: str = "file"
                    ) -> bool:
    """Whether ``image_id`` is new to class ``class_id`` (False: it is in it already); 404 for
    an unknown class, 409 naming the class when another holds it: a photo teaches one
    class. ``field`` is how the request sent the photo (``file`` or ``image_id``)."""
    cls = project.class_(class_id)
    for other in project.classes:
        if other is not cls and image_id in other.photos:
            raise Conflict(f"This photo is in the class {other.name!r} already; a photo can "
                           "teach one class only (remove it there first).", field=field,
                           class_id=other.id, class_name=other.name)
    return image_id not in cls.photos


def add_photo(store: ProjectStore, project_id: str, class_id: str, photo: Photo,
              field: str = "file") -> None:
    """Keep a photo's data and add it to a class (404 unknown class, 409 in another class,
    422 the class full; the same photo again changes nothing); ``field`` as above."""
    check_new_photo(store.read(project_id), class_id, photo.image_id, field)
    # The data first: a description never names a photo whose features are missing.
    store.put_photo(project_id, photo)
    with store.edit(project_id) as project:
        if not check_new_photo(project, class_id, photo.image_id, field):
            return
        cls = project.class_(class_id)
        if len(cls.photos) >= MAX_PHOTOS_PER_CLASS:
            _drop_unused(store, project, [photo.image_id])
            raise InvalidParameter(f"a class holds at most {MAX_PHOTOS_PER_CLASS} photos",
                                   field=field)
        cls.photos.append(photo.image_id)


def _drop_unused(store: ProjectStore, project: Project, image_ids: list[str]) -> None:
    """Forget the data of photos no class of ``project`` names any more."""
    store.drop_photos(project.id, [i for i in image_ids if i not in project.photo_ids()])


def remove_photo(store: ProjectStore, project_id: str, class_id: str, image_id: str) -> None:
    with store.edit(project_id) as project:
        cls = project.class_(class_id)
        if image_id not in cls.photos:
            raise NotFound(f"That class has no photo {image_id[:40]!r}.")
        cls.photos.remove(image_id)
        _drop_unused(store, project, [image_id])


def remove_class(store: ProjectStore, project_id: str, class_id: str) -> None:
    with store.edit(project_id) as project:
        cls = project.class_(class_id)
        project.classes.remove(cls)
        _drop_unused(store, project, cls.photos)


def find_photo(store: ProjectStore, project_id: str, image_id: str) -> Photo:
    """A photo of the project (404 if the project has none called ``image_id``)."""
    if image_id in store.read(project_id).photo_ids():
        found = store.photos(project_id, [image_id])[0]
        if found is not None:
            return found
    raise NotFound(f"This project has no photo {image_id[:40]!r}.")


def thumb(store: ProjectStore, project_id: str, image_id: str) -> bytes:
    """The thumbnail of a photo in the project (404 if it has none)."""
    return find_photo(store, project_id, image_id).thumb
