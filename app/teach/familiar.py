"""How familiar a photo is to a trained classifier: its nearest training photos.

A classifier spreads 100% over the classes it knows, whatever it is shown, so a
kitten may be "panda, 100%". The frozen backbone's pooled features say more: a photo
whose cosine similarity to every training photo is lower than what is typical between
training photos of one class looks like none of them, and its answer is a guess.

Typical is measured when training: each training photo's similarity to its nearest
other photo of the same class (leave one out). The threshold is the 10th percentile
of those, so nine in ten training photos are at least that close to a classmate; the
novelty of a photo is the share of training photos closer to their nearest classmate
than it is to its nearest training photo (0 for a training photo itself, 1 below all).
"""

from __future__ import annotations

import io

import numpy as np

PART = "familiar"  # the project store part holding the index of the last training
NEAREST = 3
QUANTILE = 0.1
WARNING = "This looks like none of your training photos; the answer is a guess."


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)


def build_index(plain: np.ndarray, labels: np.ndarray, image_ids: list[str],
                class_ids: list[str]) -> bytes:
    """The training photos' plain-view features ``(N, 1280)``, their class ids and the
    leave-one-out within-class similarities, as one ``.npz``."""
    unit = _unit(plain.astype(np.float32))  # (N, 1280)
    sims = unit @ unit.T  # (N, N)
    np.fill_diagonal(sims, -np.inf)
    same = labels[:, None] == labels[None, :]
    nearest_classmate = np.where(same, sims, -np.inf).max(1)  # (N,); -inf: no classmate
    buf = io.BytesIO()
    np.savez(buf, unit=unit, image_ids=np.array(image_ids, dtype=str),
             class_ids=np.array([class_ids[k] for k in labels], dtype=str),
             reference=nearest_classmate[np.isfinite(nearest_classmate)].astype(np.float32))
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
