"""Transfer learning on the CPU: frozen EfficientNet-Lite0 features, a new linear classifier.

The backbone never changes; each photo is embedded once (plus a few augmented
views) into the 1280-d pooled vector, and only a ``Linear(1280, n_classes)``
is trained on those vectors. That is why it takes seconds, not hours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from models.preprocess import RESIZE_TO, centre_crop

FEATURES = 1280
MAX_FOLDS = 5
PLAIN, ZOOMED = 0, 2  # where the plain and the tighter crop sit among ``views_of``'s four


def views_of(plain_u8: np.ndarray, tight_u8: np.ndarray) -> list[np.ndarray]:
    """The four views of a photo from its plain and its tighter crop ``(S, S, 3)``, in the
    one order every caller uses: plain, mirrored, zoomed, zoomed mirrored."""
    return [plain_u8, np.ascontiguousarray(plain_u8[:, ::-1]),
            tight_u8, np.ascontiguousarray(tight_u8[:, ::-1])]


def views(rgb_u8: np.ndarray) -> list[np.ndarray]:
    """The 224x224 crops a photo contributes: the plain centre crop first, then
    augmentations (mirror, a tighter crop, and its mirror) used when training with
    augmentation."""
    tight = centre_crop(rgb_u8, RESIZE_TO * 5 // 4)  # zoomed in: sees 80% of the plain crop
    return views_of(centre_crop(rgb_u8), tight)


@dataclass(frozen=True)
class TrainResult:
    classifier: nn.Linear
    losses: list[float]


def train_classifier(x: np.ndarray, y: np.ndarray, n_classes: int, epochs: int = 100,
                     seed: int = 0, progress: Callable[[int, float], None] | None = None
                     ) -> TrainResult:
    """Full-batch Adam on features ``x (N, 1280)`` and labels ``y (N,)``; deterministic
    for a seed (one thread, seeded initialisation, no shuffling)."""
    gen = torch.Generator().manual_seed(seed)
    classifier = nn.Linear(FEATURES, n_classes)
    with torch.no_grad():
        classifier.weight.copy_(torch.randn(n_classes, FEATURES, generator=gen) * 0.01)
        classifier.bias.zero_()
    xs = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    ys = torch.from_numpy(np.asarray(y, dtype=np.int64))
    opt = torch.optim.Adam(classifier.parameters(), lr=0.01, weight_decay=1e-4)
    losses = []
    with torch.enable_grad():
        for epoch in range(epochs):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(classifier(xs), ys)
            loss.backward()
            opt.step()
            losses.append(float(loss.detach()))
            if progress:
                progress(epoch + 1, losses[-1])
    classifier.requires_grad_(False)
    return TrainResult(classifier, losses)


def predict_probs(classifier: nn.Linear, x: np.ndarray) -> np.ndarray:
    """Class probabilities ``(N, n_classes)`` for features ``(N, 1280)``."""
    with torch.inference_mode():
        return torch.softmax(classifier(torch.from_numpy(np.asarray(x, np.float32))), 1).numpy()


def folds(y: np.ndarray, n_classes: int, seed: int) -> list[np.ndarray]:
    """Stratified folds (as many as the smallest class allows, at most ``MAX_FOLDS``): each is the
    index array of one held-out part. Empty when one of the ``n_classes`` has fewer than 2
    photos (none at all included)."""
    counts = np.bincount(y, minlength=n_classes)
    k = int(min(MAX_FOLDS, counts.min())) if counts.size and counts.min() >= 2 else 0
    if k < 2:
        return []
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in range(k)]
    for cls in range(counts.size):
        members = rng.permutation(np.flatnonzero(y == cls))
        for i, m in enumerate(members):
            parts[i % k].append(int(m))
    return [np.array(sorted(p)) for p in parts]


def held_out_probs(feats: list[np.ndarray], y: np.ndarray, n_classes: int, epochs: int,
                   seed: int, augment: bool, progress: Callable[[float], None] | None = None
                   ) -> np.ndarray | None:
    """Every photo's class probabilities ``(N, n_classes)`` from the classifier of the fold
    that held it out (None without folds). ``feats[i]`` holds photo i's views; held-out
    photos are judged on their plain view only, and a photo's augmented views never leak
    into the fold that tests it. ``progress`` hears the fraction of the folds' epochs done
    so far (0-1)."""
    parts = folds(y, n_classes, seed)
    if not parts:
        return None
    probs = np.zeros((len(y), n_classes), np.float32)
    for k, held in enumerate(parts):
        train = np.setdiff1d(np.arange(len(y)), held)
        x, t = stack(feats, y, train, augment)

        def epoch_done(epoch: int, _loss: float, k: int = k) -> None:
            if progress:
                progress((k + epoch / epochs) / len(parts))

        classifier = train_classifier(x, t, n_classes, epochs, seed, epoch_done).classifier
        probs[held] = predict_probs(classifier, np.stack([feats[i][0] for i in held]))
    return probs


def confusion_matrix(y: np.ndarray, guess: np.ndarray, n_classes: int) -> np.ndarray:
    """Counts ``(n_classes, n_classes)``: rows the true class, columns the guess."""
    confusion = np.zeros((n_classes, n_classes), dtype=int)
    np.add.at(confusion, (y, guess), 1)
    return confusion


@dataclass(frozen=True)
class CurvePoint:
    """Held-out accuracy when training on ``per_class`` photos of each class."""

    per_class: int
    accuracy: float  # mean over repeats of the class-balanced held-out accuracy
    spread: float  # standard deviation over repeats
    low: float  # the worst repeat
    high: float  # the best repeat


def curve_sizes(y: np.ndarray, n_classes: int) -> list[int]:
    """Photos per class a learning curve can train on: 1, 2, 4, ... and the most that still
    leaves one held-out photo in every class. Empty when some class has fewer than 2."""
    counts = np.bincount(y, minlength=n_classes)
    most = int(counts.min()) - 1 if counts.size else 0
    sizes = [1 << i for i in range(most.bit_length()) if 1 << i < most]
    return sizes + [most] if most >= 1 else []


def learning_curve(feats: list[np.ndarray], y: np.ndarray, n_classes: int,
                   sizes: list[int] | None = None, repeats: int = 5, seed: int = 0,
                   epochs: int = 100, augment: bool = True,
                   progress: Callable[[float], None] | None = None,
                   on_point: Callable[[CurvePoint], None] | None = None) -> list[CurvePoint]:
    """Accuracy on held-out photos against photos per class, from cached features.

    For each repeat and size, ``size`` photos of every class are drawn at random to train
    on (all their views when ``augment``) and every other photo is held out and judged on
    its plain view, so a held-out photo never contributes to training. Accuracy is the mean
    over classes of the share of its held-out photos put in the class (chance is
    ``1 / n_classes`` however unequal the counts). Pure and deterministic for a seed.
    ``sizes`` default to ``curve_sizes``; ``progress`` hears the fraction done (0-1) and
    ``on_point`` each point as soon as all its repeats are done (smallest size first).
    """
    if repeats < 1:
        raise ValueError("a learning curve needs at least one repeat")
    sizes = curve_sizes(y, n_classes) if sizes is None else sorted(set(sizes))
    most = curve_sizes(y, n_classes)[-1:] or [0]
    if any(not 1 <= s <= most[0] for s in sizes):
        raise ValueError(f"photos per class must be within 1..{most[0]} to keep one held-out "
                         f"photo per class; got {sizes}")
    members = [np.flatnonzero(y == c) for c in range(n_classes)]
    # One shuffle of each class per repeat, shared by every size: a repeat's larger
    # training sets contain its smaller ones, as when a user adds photos.
    orders = [[rng.permutation(m) for m in members]
              for rng in (np.random.default_rng([seed, r]) for r in range(repeats))]
    points = []
    for j, size in enumerate(sizes):
        scores = np.zeros(repeats)
        for r, order in enumerate(orders):
            x, t = stack(feats, y, np.concatenate([o[:size] for o in order]), augment)
            classifier = train_classifier(x, t, n_classes, epochs, seed + r).classifier
            recalls = []
            for o in order:
                held = o[size:]
                guess = predict_probs(classifier, np.stack([feats[i][0] for i in held])).argmax(1)
                recalls.append(float(np.mean(guess == y[held])))
            scores[r] = np.mean(recalls)
            if progress:
                progress((j * repeats + r + 1) / (len(sizes) * repeats))
        points.append(CurvePoint(size, float(scores.mean()), float(scores.std()),
                                 float(scores.min()), float(scores.max())))
        if on_point:
            on_point(points[-1])
    return points


def stack(feats: list[np.ndarray], y: np.ndarray, index: np.ndarray, augment: bool
          ) -> tuple[np.ndarray, np.ndarray]:
    """Training rows for the photos in ``index``: every view if augmenting, else the plain one."""
    rows, labels = [], []
    for i in index:
        chosen = feats[i] if augment else feats[i][:1]
        rows.append(chosen)
        labels += [y[i]] * len(chosen)
    return np.concatenate(rows), np.array(labels)
