"""Calibration and familiarity, against references written from their definitions."""

from __future__ import annotations

import numpy as np
import pytest

from app.teach import calibration, familiar


def reference_ece(probs: np.ndarray, y: np.ndarray, bins: int) -> float:
    """Guo et al. (2017): bins (m-1)/M < confidence <= m/M, the count-weighted mean of
    |accuracy - confidence|."""
    conf, right = probs.max(1), probs.argmax(1) == y
    total = 0.0
    for m in range(1, bins + 1):
        inside = (conf > (m - 1) / bins) & (conf <= m / bins)
        if inside.any():
            total += inside.sum() / len(y) * abs(right[inside].mean() - conf[inside].mean())
    return total


def test_expected_calibration_error_matches_its_definition():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (200, 3))
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = rng.integers(0, 3, 200)
    got = calibration.reliability(probs, y)
    assert got["ece"] == pytest.approx(reference_ece(probs, y, calibration.BINS), abs=1e-9)
    assert sum(b["count"] for b in got["bins"]) == got["held_out"] == 200
    assert got["accuracy"] == pytest.approx(np.mean(probs.argmax(1) == y))
    assert got["mean_confidence"] == pytest.approx(probs.max(1).mean())
    assert all(b["low"] < b["confidence"] <= b["high"] for b in got["bins"])


def test_a_confidence_on_a_bin_edge_falls_in_the_bin_below_as_guo_et_al():
    """Bins are (low, high]: 0.6 and 0.8 belong to the bins ending there, 1.0 to the last."""
    probs = np.array([[0.6, 0.4, 0.0], [0.4, 0.3, 0.3], [0.8, 0.2, 0.0], [0.2, 0.8, 0.0],
                      [1.0, 0.0, 0.0]])
    y = np.array([0, 1, 0, 0, 0])
    got = calibration.reliability(probs, y)
    assert [(b["low"], b["high"], b["count"]) for b in got["bins"]] == [
        (0.2, 0.4, 1), (0.4, 0.6, 1), (0.6, 0.8, 2), (0.8, 1.0, 1)]
    assert got["ece"] == pytest.approx(reference_ece(probs, y, calibration.BINS), abs=1e-12)
    assert all(b["low"] < b["confidence"] <= b["high"] for b in got["bins"])


def test_an_overconfident_classifier_has_a_large_error_and_the_note_counts_its_mistakes():
    probs = np.tile([[0.99, 0.01]], (10, 1))  # always 99% sure of class 0
    y = np.array([0] * 6 + [1] * 4)  # right 6 times in 10
    got = calibration.reliability(probs, y)
    assert got["ece"] == pytest.approx(0.99 - 0.6)
    assert "10 held-out photos, 10 got an answer of 90% or more, and 6 of those" in got["note"]
    assert "does not mean the photo shows any of them" in got["note"]


def reference_judgement(views: np.ndarray, labels: np.ndarray, photo: np.ndarray,
                        reference: familiar.Reference) -> tuple[float, float, float]:
    """Similarity to the nearest training photo, the threshold and the novelty, by loops:
    cosines are taken after subtracting the reference mean; each photo with classmates is
    typically as close to its class as the lower of its similarity to its 5th most similar
    classmate (or its least similar, in a class of fewer than 6) and to its own zoomed view;
    the threshold is the higher of the 5th percentile of those and the reference floor for
    as many photos as were trained on; novelty is 1 below that floor."""
    def cos(a, b):
        a, b = a - reference.mean, b - reference.mean
        return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))

    plain, zoomed = views[:, 0], views[:, 2]
    typical = []
    for i in range(len(plain)):
        mates = sorted((cos(plain[i], plain[j]) for j in range(len(plain))
                        if j != i and labels[j] == labels[i]), reverse=True)
        if mates:
            typical.append(min(mates[min(5, len(mates)) - 1], cos(plain[i], zoomed[i])))
    sims = [cos(photo, t) for t in plain]
    floor = float(reference.floor[min(len(plain), len(reference.floor) - 1)])
    best = max(sims)
    threshold = max(float(np.percentile(typical, 5)), floor)
    novelty = 1.0 if best < floor else float(np.mean(np.array(typical) > best))
    return best, threshold, novelty


def no_reference(dim: int) -> familiar.Reference:
    """Plain cosines and no floor: the rule as it was before centring."""
    return familiar.Reference(np.zeros(dim, np.float32), np.full(2, -np.inf, np.float32))


def photos_of(centres: np.ndarray, labels: np.ndarray, spread: float, reframe: float,
              rng: np.random.Generator) -> np.ndarray:
    """Features ``(N, 4, D)`` of photos near their class centre; the mirrored views close to
    the plain one, the zoomed ones ``reframe`` away."""
    plain = np.stack([centres[k] + rng.normal(0, spread, centres.shape[1]) for k in labels])
    near = plain + rng.normal(0, 0.05, plain.shape)
    tight = plain + rng.normal(0, reframe, plain.shape)
    return np.stack([plain, near, tight, tight + rng.normal(0, 0.05, plain.shape)], axis=1)


@pytest.mark.parametrize("floor", [(-np.inf,), (-1,) + (0.9,) * 11 + (0.8, 0.5)])
def test_familiarity_matches_its_definition_and_never_compares_a_photo_with_itself(floor):
    """With a centre far from zero and a floor per number of training photos (the project's
    12 get their own entry, 0.8, not the class sizes' 0.9), and with no floor at all."""
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 1, (2, 64)) + 3
    reference = familiar.Reference(np.full(64, 3.0, np.float32), np.array(floor, np.float32))
    labels = np.array([0] * 8 + [1] * 3 + [1])
    views = photos_of(centres, labels, 0.5, 0.3, rng)
    ids = [f"img{i}" for i in range(len(labels))]
    index = familiar.build_index(views, labels, ids, ["a", "b"], reference)
    within = float(np.percentile(familiar.typical(views, labels, reference.mean), 5))
    outcomes, floor_decided = set(), 0
    for photo in (views[3, 0], centres[1] + rng.normal(0, 0.5, 64),
                  centres[0] + rng.normal(0, 0.5, 64), centres[0] + rng.normal(0, 1.2, 64),
                  rng.normal(3, 1, 64)):
        got = familiar.judge(index, photo, set(ids))
        best, threshold, novelty = reference_judgement(views, labels, photo, reference)
        assert got["similarity"] == pytest.approx(best, abs=1e-5)
        assert got["threshold"] == pytest.approx(threshold, abs=1e-5)
        assert got["novelty"] == pytest.approx(novelty)
        assert got["familiar"] == (best >= threshold)
        assert (got["warning"] is None) == got["familiar"]
        assert got["typical"] == pytest.approx(within, abs=1e-5)
        assert got["threshold"] == max(got["typical"], got["unrelated"] or -np.inf)
        outcomes.add(got["familiar"])
        floor_decided += within <= best < threshold
    assert outcomes == {True, False}
    assert floor_decided == (1 if len(floor) > 1 else 0)
    own = familiar.judge(index, views[3, 0], set(ids))
    assert own["novelty"] == 0.0 and own["nearest"][0]["image_id"] == "img3"
    stranger = familiar.judge(index, rng.normal(3, 1, 64), set(ids))
    assert stranger["familiar"] is False and stranger["warning"] == familiar.WARNING
    assert stranger["novelty"] == 1.0


def test_centring_changes_which_photos_look_alike():
    """Features that share a large common part (as the backbone's never-negative ones do)
    look alike to a plain cosine; the reference mean removes that part first."""
    rng = np.random.default_rng(5)
    common = np.full(32, 4.0)
    train = np.stack([common + rng.normal(0, 1, 32) for _ in range(4)])
    views = np.repeat(train[:, None], 4, axis=1)
    stranger = common + rng.normal(0, 1, 32)
    plain = familiar.judge(familiar.build_index(views, np.array([0, 0, 1, 1]), list("pqrs"),
                                                ["a", "b"], no_reference(32)), stranger, set())
    centred = familiar.judge(familiar.build_index(
        views, np.array([0, 0, 1, 1]), list("pqrs"), ["a", "b"],
        familiar.Reference(common.astype(np.float32), np.full(2, -np.inf, np.float32))),
        stranger, set())
    assert plain["similarity"] > 0.9 and abs(centred["similarity"]) < 0.7


def test_an_index_kept_from_before_centring_is_judged_as_it_was():
    """A project store may hold an index built before the mean and floor were kept in it."""
    import io

    rng = np.random.default_rng(6)
    views = photos_of(rng.normal(0, 1, (2, 16)), np.array([0, 0, 0, 1, 1, 1]), 0.3, 0.2, rng)
    labels = np.array([0, 0, 0, 1, 1, 1])
    index = familiar.build_index(views, labels, list("abcdef"), ["x", "y"], no_reference(16))
    with np.load(io.BytesIO(index)) as parts:
        old = {k: parts[k] for k in ("unit", "image_ids", "class_ids", "reference")}
    buf = io.BytesIO()
    np.savez(buf, **old)
    photo = views[0, 0] + rng.normal(0, 0.3, 16)
    assert familiar.judge(buf.getvalue(), photo, set()) == familiar.judge(index, photo, set())


def test_a_burst_of_near_copies_does_not_make_its_class_look_tight():
    """Ten webcam frames of one scene per class are near-copies of each other: their
    nearest classmate is almost themselves. A new shot of the same scene, framed a little
    differently, must still be familiar, as far as re-framing moves the features."""
    rng = np.random.default_rng(4)
    scenes = rng.normal(0, 1, (2, 256))
    labels = np.repeat([0, 1], 10)
    burst = photos_of(scenes, labels, 0.02, 0.5, rng)  # frames 0.02 apart, zoom 0.5 away
    index = familiar.build_index(burst, labels, [f"f{i}" for i in range(20)], ["a", "b"],
                                 no_reference(256))
    fresh = [familiar.judge(index, scenes[k] + rng.normal(0, 0.4, 256), set())
             for k in np.repeat([0, 1], 20)]
    assert sum(not f["familiar"] for f in fresh) <= 4  # at most 10% of 40 warned
    nearest_classmate = np.quantile([max(
        float(burst[i, 0] @ burst[j, 0] / np.linalg.norm(burst[i, 0]) / np.linalg.norm(burst[j, 0]))
        for j in range(20) if j != i and labels[j] == labels[i]) for i in range(20)], 0.1)
    assert all(f["similarity"] < nearest_classmate for f in fresh)  # what the old rule warned
    strangers = [familiar.judge(index, rng.normal(0, 1, 256), set()) for _ in range(10)]
    assert not any(s["familiar"] for s in strangers)


def test_nearest_lists_only_photos_still_in_the_project_and_an_imported_head_says_nothing():
    rng = np.random.default_rng(2)
    views = rng.normal(0, 1, (4, 4, 16))
    train = views[:, 0]
    index = familiar.build_index(views, np.array([0, 0, 1, 1]), ["p", "q", "r", "s"], ["a", "b"],
                                 no_reference(16))
    got = familiar.judge(index, train[0], {"r", "s"})
    closer_first = ["r", "s"] if (train[2] @ train[0] / np.linalg.norm(train[2])
                                  > train[3] @ train[0] / np.linalg.norm(train[3])) else ["s", "r"]
    assert [n["image_id"] for n in got["nearest"]] == closer_first
    assert got["similarity"] == pytest.approx(1.0)  # the removed photo still counts as trained on
    assert [n["class_id"] for n in got["nearest"]] == ["b", "b"]
    assert familiar.judge(None, train[0], {"p"}) == {}
    one_each = familiar.build_index(views[:2], np.array([0, 1]), ["p", "q"], ["a", "b"],
                                    no_reference(16))
    alone = familiar.judge(one_each, train[0], {"p", "q"})
    assert "familiar" not in alone and alone["similarity"] == pytest.approx(1.0)
