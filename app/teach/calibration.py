"""How far to trust a confidence: reliability of the held-out answers of the folds.

Each photo is judged once by the classifier of the fold that held it out; its
confidence is the largest probability. Bins of confidence (0-0.2, ..., 0.8-1.0, each
including its upper edge) compare the mean confidence with the share of right answers,
and the expected calibration error is their count-weighted mean gap (Guo et al., 2017).
Few photos make every one of these numbers rough; the note says so with the count.
"""

from __future__ import annotations

import numpy as np

BINS = 5  # wide bins: a project has tens of held-out photos, not thousands
SURE = 0.9  # the confidences the note reports on


def reliability(probs: np.ndarray, y: np.ndarray) -> dict:
    """Calibration of held-out probabilities ``(N, classes)`` against labels ``(N,)``: the
    fields of ``app.teach.schemas.Calibration``."""
    confidence = probs.max(1)
    right = probs.argmax(1) == y
    edges = np.arange(BINS + 1) / BINS  # 3 / 5 is the float 0.6, as a confidence of 0.6 is
    # Bin b holds (edges[b], edges[b + 1]], as in Guo et al.: a confidence on an edge goes down.
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, BINS - 1)
    bins, gap = [], 0.0
    for b in range(BINS):
        members = which == b
        if not members.any():
            continue
        conf, acc = float(confidence[members].mean()), float(right[members].mean())
        bins.append({"low": float(edges[b]), "high": float(edges[b + 1]),
                     "count": int(members.sum()), "confidence": conf, "accuracy": acc})
        gap += members.sum() * abs(conf - acc)
    return {"ece": float(gap / len(y)), "held_out": int(len(y)),
            "mean_confidence": float(confidence.mean()), "accuracy": float(right.mean()),
            "bins": bins, "note": _note(confidence, right)}


def _note(confidence: np.ndarray, right: np.ndarray) -> str:
    sure = confidence >= SURE
    measured = (f"Of the {len(right)} held-out photos, {int(sure.sum())} got an answer of "
                f"{SURE:.0%} or more, and {int(right[sure].sum())} of those were right. "
                if sure.any() else
                f"None of the {len(right)} held-out photos got an answer of {SURE:.0%} or more. ")
    return (measured + "A confidence of 100% means the classifier is sure which of YOUR "
            "classes fits best; it does not mean the photo shows any of them (a photo of "
            "something else still gets 100% for some class: see how familiar it looks), nor "
            f"that it is never wrong: {len(right)} photos measure it only roughly.")
