"""Transfer learning without the backbone: folds, cross-validation, head files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch

from models import export as files
from models import transfer


def clusters(per_class: int, n_classes: int = 2, seed: int = 0
             ) -> tuple[list[np.ndarray], np.ndarray]:
    """Photos as 4 views of a 1280-d point near their class centre."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1, (n_classes, transfer.FEATURES))
    y = np.repeat(np.arange(n_classes), per_class)
    feats = [(centres[c] + rng.normal(0, 0.3, (4, transfer.FEATURES))).astype(np.float32)
             for c in y]
    return feats, y


def test_folds_are_stratified_disjoint_and_cover_every_photo():
    y = np.array([0] * 7 + [1] * 12)
    parts = transfer.folds(y, 2, seed=3)
    assert len(parts) == 5  # at most 5, and the smaller class (7) allows 5
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(len(y)))
    for part in parts:
        assert set(y[part]) == {0, 1}
    assert transfer.folds(np.array([0, 0, 1]), 2, seed=0) == []  # one photo of class 1
    # A class with no photo left at all (every one expired) is not silently dropped.
    assert transfer.folds(np.array([0, 0, 1, 1]), 3, seed=0) == []


def test_cross_validation_reports_progress_and_separates_clusters():
    feats, y = clusters(per_class=6)
    heard: list[float] = []
    probs = transfer.held_out_probs(feats, y, 2, epochs=10, seed=0, augment=True,
                                    progress=heard.append)
    assert (probs.argmax(1) == y).all() and np.allclose(probs.sum(1), 1, atol=1e-5)
    assert len(heard) == 5 * 10  # every epoch of every fold
    assert all(b > a for a, b in zip(heard, heard[1:], strict=False))
    assert heard[-1] == pytest.approx(1.0)


def test_a_head_file_round_trips_and_a_code_running_pickle_is_refused(tmp_path: Path):
    head = transfer.train_classifier(*transfer.stack(*clusters(3), np.arange(6), False), 2,
                               epochs=3).classifier
    again, names = files.load_classifier(files.save_classifier(head, ["cat", "dog"]))
    assert names == ["cat", "dog"]
    assert torch.equal(again.weight, head.weight) and torch.equal(again.bias, head.bias)

    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    buf = io.BytesIO()
    torch.save({"format": files.CLASSIFIER_FORMAT, "classes": ["a", "b"], "x": Exploit()}, buf)
    with pytest.raises(files.BadClassifierFile):
        files.load_classifier(buf.getvalue())
    assert not marker.exists()
    torch.load(io.BytesIO(buf.getvalue()), weights_only=False)  # the file really is an exploit
    assert marker.exists()


def test_curve_sizes_double_and_keep_one_photo_of_each_class_held_out():
    assert transfer.curve_sizes(np.repeat([0, 1], 25), 2) == [1, 2, 4, 8, 16, 24]
    assert transfer.curve_sizes(np.array([0] * 9 + [1] * 5), 2) == [1, 2, 4]
    assert transfer.curve_sizes(np.repeat([0, 1], 2), 2) == [1]
    assert transfer.curve_sizes(np.array([0, 0, 1]), 2) == []
    assert transfer.curve_sizes(np.array([0, 0, 1, 1]), 3) == []  # class 2 has no photo


def test_learning_curve_reaches_perfect_accuracy_on_separable_clusters():
    feats, y = clusters(per_class=9)
    heard: list[float] = []
    points = transfer.learning_curve(feats, y, 2, repeats=3, seed=1, epochs=20,
                                     progress=heard.append)
    assert [p.per_class for p in points] == [1, 2, 4, 8]
    assert points[-1].accuracy == 1.0 and points[-1].spread == 0.0
    assert all(p.low <= p.accuracy <= p.high for p in points)
    assert len(heard) == 3 * 4 and heard == sorted(heard) and heard[-1] == 1.0


def test_learning_curve_never_trains_on_the_photos_it_judges():
    """Random labels on random points: a linear classifier fits any 16 training photos
    perfectly, so only photos it never saw (nor their augmented views) score near chance;
    a leak of held-out photos into training would push the accuracy towards 1."""
    rng = np.random.default_rng(5)
    y = np.repeat([0, 1], 20)
    feats = [(p + rng.normal(0, 0.1, (4, transfer.FEATURES))).astype(np.float32)
             for p in rng.normal(0, 1, (len(y), transfer.FEATURES))]
    (point,) = transfer.learning_curve(feats, y, 2, sizes=[8], repeats=5, seed=0, epochs=30)
    assert 0.3 <= point.accuracy <= 0.7  # 5 x 24 held-out photos; chance is 0.5
    train = np.arange(8)
    x, t = transfer.stack(feats, y, np.concatenate([train, train + 20]), True)
    fitted = transfer.train_classifier(x, t, 2, epochs=30).classifier
    assert (transfer.predict_probs(fitted, x).argmax(1) == t).all()  # it does fit its own


def test_learning_curve_is_deterministic_for_a_seed_and_refuses_impossible_sizes():
    feats, y = clusters(per_class=5, seed=2)
    one = transfer.learning_curve(feats, y, 2, repeats=2, seed=4, epochs=5)
    assert one == transfer.learning_curve(feats, y, 2, repeats=2, seed=4, epochs=5)
    (single,) = transfer.learning_curve(feats, y, 2, sizes=[2], repeats=1, epochs=5)
    assert single.spread == 0.0 and single.low == single.high == single.accuracy
    with pytest.raises(ValueError, match="1..4"):
        transfer.learning_curve(feats, y, 2, sizes=[5], repeats=1)
    with pytest.raises(ValueError, match="repeat"):
        transfer.learning_curve(feats, y, 2, repeats=0)
