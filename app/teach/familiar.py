"""How familiar a photo is to a trained classifier: its nearest training photos.

A classifier spreads 100% over the classes it knows, whatever it is shown, so a
kitten may be "panda, 100%". The frozen backbone's pooled features say more: a photo
whose cosine similarity to every training photo is lower than what is typical within
the classes looks like none of them, and its answer is a guess.

Typical is measured when training. Each training photo with classmates gets the lower
of two similarities, both standing in for a new photo of its class:

- to its k-th most similar classmate (k = 5, or fewer in a smaller class): how far
  apart photos of the class are. Not the nearest one: the frames of a webcam burst are
  near-copies of each other, and their nearest classmate made every class look as tight
  as one frame (a threshold of 0.98, and half of the new frames of a trained class
  warned about);
- to its own zoomed view (the tighter crop training uses): how far re-framing the same
  subject moves the features, which even a burst of identical frames shows.

The threshold is the 5th percentile of those (19 in 20 training photos are at least that
close to their class); the novelty of a photo is the share of training photos whose
typical similarity is higher than this photo's similarity to its nearest training photo
(0 for a training photo itself, 1 below all).
"""

from __future__ import annotations

import io

import numpy as np

PART = "familiar"  # the project store part holding the index of the last training
NEAREST = 3
KTH_CLASSMATE = 5
QUANTILE = 0.05
WARNING = "This looks like none of your training photos; the answer is a guess."


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def typical(views: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each training photo's typical similarity to its class (see the module's docstring),
    for the photos with at least one classmate: ``(M,)``. ``views``: ``(N, 4, 1280)`` in
    ``models.transfer.views``' order, ``labels`` ``(N,)``."""
    from models.transfer import PLAIN, ZOOMED

    plain, zoomed = _unit(views[:, PLAIN]), _unit(views[:, ZOOMED])  # (N, 1280) each
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
                class_ids: list[str]) -> bytes:
    """The training photos' plain-view features, their class ids and their typical
    similarities, as one ``.npz``. ``views``: ``(N, 4, 1280)`` features of each photo's
    views."""
    from models.transfer import PLAIN

    buf = io.BytesIO()
    np.savez(buf, unit=_unit(views[:, PLAIN].astype(np.float32)),
             image_ids=np.array(image_ids, dtype=str),
             class_ids=np.array([class_ids[k] for k in labels], dtype=str),
             reference=typical(views.astype(np.float32), labels).astype(np.float32))
    return buf.getvalue()


def judge(index: bytes | None, pooled: np.ndarray, present: set[str]) -> dict:
    """Novelty, familiarity, the nearest training photos (of those still in the project,
    ``present``) and the warning, for one photo's pooled features ``(1280,)``: the
    extra fields of ``app.teach.schemas.ClassProbs``. Empty without an index."""
    if index is None:
        return {}
    with np.load(io.BytesIO(index), allow_pickle=False) as parts:
        unit, ids, classes, reference = (parts["unit"], parts["image_ids"], parts["class_ids"],
                                         parts["reference"])
    sims = unit @ _unit(pooled.astype(np.float32))  # (N,)
    order = np.argsort(-sims, kind="stable")
    nearest = [{"image_id": str(ids[i]), "class_id": str(classes[i]),
                "similarity": float(sims[i])} for i in order if ids[i] in present][:NEAREST]
    best = float(sims[order[0]])
    if reference.size == 0:  # no class has two photos: nothing says what is typical
        return {"similarity": best, "nearest": nearest}
    threshold = float(np.quantile(reference, QUANTILE))
    familiar = best >= threshold
    return {"similarity": best, "threshold": threshold, "nearest": nearest,
            "novelty": float(np.mean(reference > best)), "familiar": familiar,
            "warning": None if familiar else WARNING}
