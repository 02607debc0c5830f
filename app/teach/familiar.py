"""How familiar a photo is to a trained classifier: its nearest training photos.

A classifier spreads 100% over the classes it knows, whatever it is shown, so a
kitten may be "panda, 100%". The frozen backbone's pooled features say more: a photo
whose similarity to every training photo is no higher than what is typical within the
classes, or than what photos of unrelated subjects reach, looks like none of them, and its
answer is a guess.

Similarity is the cosine of the pooled features after subtracting the average features of
the 200 bundled photos (``app.teach.familiar_reference``). The features are never negative
(they come after ReLU6 and averaging), so without that any two photos have a cosine of
about 0.2, and a project of varied classes (12 different fish against 12 different tools)
measured its own classes down to that level: 7 of 8 unrelated sample photos counted as
familiar. Centred, two photos of unrelated subjects score about 0.

The threshold is the higher of two figures, both measured when training:

- what is typical within the classes: each training photo with classmates gets the lower
  of its similarity to its k-th most similar classmate (k = 5, or its least similar one in
  a smaller class: the frames of a webcam burst are near-copies, and their NEAREST
  classmate made every class look as tight as one frame) and to its own zoomed view (how
  far re-framing the same subject moves the features); the 5th percentile of those
  (19 in 20 training photos are at least that close to their class);
- what unrelated photos reach: the similarity 19 in 20 bundled photos stay below against
  the nearest of as many photos of other subjects as the project has training photos (a
  photo is judged by its nearest training photo of any class, so all of them count:
  ``familiar_reference.floor``, 0.26 for 24 photos); without it a class as varied as
  "fish" set its typical similarity as low as a stranger's.

The novelty of a photo is the share of training photos whose typical similarity is higher
than this photo's similarity to its nearest training photo (0 for a training photo itself),
and 1 below the unrelated photos' floor.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

PART = "familiar"  # the project store part holding the index of the last training
NEAREST = 3
KTH_CLASSMATE = 5
QUANTILE = 0.05
WARNING = "This looks like none of your training photos; the answer is a guess."
# Written by ``python -m app.teach.familiar_reference`` (which imports this module, not the
# other way round: it needs the projects' class size, and projects need this module).
REFERENCE_FILE = Path(__file__).with_name("familiar_reference.npz")


@dataclass(frozen=True)
class Reference:
    """What unrelated photos look like: the features' ``mean`` ``(D,)`` subtracted before
    every cosine, and ``floor[n]`` the similarity unrelated photos stay below against the
    nearest of ``n`` training photos (the last entry serves more)."""

    mean: np.ndarray
    floor: np.ndarray


@cache
def bundled_reference() -> Reference:
    """The reference measured on the bundled photos (``REFERENCE_FILE``)."""
    with np.load(REFERENCE_FILE, allow_pickle=False) as parts:
        return Reference(parts["mean"].astype(np.float32), parts["floor"].astype(np.float32))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def typical(views: np.ndarray, labels: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """Each training photo's typical similarity to its class (see the module's docstring),
    for the photos with at least one classmate: ``(M,)``. ``views``: ``(N, 4, D)`` in
    ``models.transfer.views``' order, ``labels`` ``(N,)``, ``mean`` ``(D,)`` subtracted
    first."""
    from models.transfer import PLAIN, ZOOMED

    plain, zoomed = _unit(views[:, PLAIN] - mean), _unit(views[:, ZOOMED] - mean)  # (N, D) each
    sims = plain @ plain.T  # (N, N)
    np.fill_diagonal(sims, -np.inf)
    same = labels[:, None] == labels[None, :]
    ranked = -np.sort(-np.where(same, sims, -np.inf), axis=1)  # (N, N): classmates first
    mates = same.sum(1) - 1  # (N,)
    has = mates > 0
    kth = ranked[np.arange(len(labels)), np.clip(np.minimum(KTH_CLASSMATE, mates) - 1, 0, None)]
    reframed = np.einsum("nf,nf->n", plain, zoomed)  # (N,)
    return np.minimum(kth, reframed)[has]


def build_index(views: np.ndarray, labels: np.ndarray, image_ids: list[str],
                class_ids: list[str], reference: Reference | None = None) -> bytes:
    """The training photos' centred plain-view features, their class ids, their typical
    similarities, the mean subtracted and the floor for this many photos, as one ``.npz``.
    ``views``: ``(N, 4, D)`` features of each photo's views; ``reference`` defaults to the
    bundled photos' (``D`` = 1280)."""
    from models.transfer import PLAIN

    ref = reference or bundled_reference()
    views = views.astype(np.float32)
    buf = io.BytesIO()
    np.savez(buf, unit=_unit(views[:, PLAIN] - ref.mean),
             image_ids=np.array(image_ids, dtype=str),
             class_ids=np.array([class_ids[k] for k in labels], dtype=str),
             reference=typical(views, labels, ref.mean).astype(np.float32),
             centre=ref.mean, floor=ref.floor[min(len(labels), len(ref.floor) - 1)])
    return buf.getvalue()


def judge(index: bytes | None, pooled: np.ndarray, present: set[str]) -> dict:
    """Novelty, familiarity, the nearest training photos (of those still in the project,
    ``present``) and the warning, for one photo's pooled features ``(D,)``: the extra
    fields of ``app.teach.schemas.ClassProbs``. Empty without an index."""
    if index is None:
        return {}
    with np.load(io.BytesIO(index), allow_pickle=False) as parts:
        unit, ids, classes, reference = (parts["unit"], parts["image_ids"], parts["class_ids"],
                                         parts["reference"])
        # An index built before centring (kept by a project store) is judged as it was.
        centre = parts["centre"] if "centre" in parts else np.zeros(unit.shape[1], np.float32)
        unrelated = float(parts["floor"]) if "floor" in parts else -np.inf
    sims = unit @ _unit(pooled.astype(np.float32) - centre)  # (N,)
    order = np.argsort(-sims, kind="stable")
    nearest = [{"image_id": str(ids[i]), "class_id": str(classes[i]),
                "similarity": float(sims[i])} for i in order if ids[i] in present][:NEAREST]
    best = float(sims[order[0]])
    if reference.size == 0:  # no class has two photos: nothing says what is typical
        return {"similarity": best, "nearest": nearest}
    typical_sim = float(np.quantile(reference, QUANTILE))
    threshold = max(typical_sim, unrelated)
    familiar = best >= threshold
    novelty = 1.0 if best < unrelated else float(np.mean(reference > best))
    return {"similarity": best, "threshold": threshold, "typical": typical_sim,
            "unrelated": unrelated if np.isfinite(unrelated) else None, "nearest": nearest,
            "novelty": novelty, "familiar": familiar, "warning": None if familiar else WARNING}
