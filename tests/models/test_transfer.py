"""Transfer learning without the backbone: folds, cross-validation, head files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch

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
    parts = transfer.folds(y, seed=3)
    assert len(parts) == 5  # at most 5, and the smaller class (7) allows 5
    joined = np.concatenate(parts)
    assert sorted(joined.tolist()) == list(range(len(y)))
    for part in parts:
        assert set(y[part]) == {0, 1}
    assert transfer.folds(np.array([0, 0, 1]), seed=0) == []  # one photo of class 1


def test_cross_validation_reports_progress_and_separates_clusters():
    feats, y = clusters(per_class=6)
    heard: list[float] = []
    accuracy, confusion = transfer.cross_validate(feats, y, 2, epochs=10, seed=0,
                                                  augment=True, progress=heard.append)
    assert accuracy == 1.0 and np.trace(confusion) == len(y)
    assert len(heard) == 5 * 10  # every epoch of every fold
    assert all(b > a for a, b in zip(heard, heard[1:], strict=False))
    assert heard[-1] == pytest.approx(1.0)


def test_a_head_file_round_trips_and_a_code_running_pickle_is_refused(tmp_path: Path):
    head = transfer.train_classifier(*transfer.stack(*clusters(3), np.arange(6), False), 2,
                               epochs=3).classifier
    again, names = transfer.load_classifier(transfer.save_classifier(head, ["cat", "dog"]))
    assert names == ["cat", "dog"]
    assert torch.equal(again.weight, head.weight) and torch.equal(again.bias, head.bias)

    marker = tmp_path / "ran"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (marker,))

    buf = io.BytesIO()
    torch.save({"format": transfer.CLASSIFIER_FORMAT, "classes": ["a", "b"], "x": Exploit()}, buf)
    with pytest.raises(transfer.BadClassifierFile):
        transfer.load_classifier(buf.getvalue())
    assert not marker.exists()
    torch.load(io.BytesIO(buf.getvalue()), weights_only=False)  # the file really is an exploit
    assert marker.exists()
