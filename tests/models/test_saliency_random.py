"""The random baseline of deletion and insertion: seeded random maps at each method's own
resolution, measured by the protocol as the test writes it out, and the verdict against them
(a map built to be uninformative does not beat them; Grad-CAM on the dog does)."""

from __future__ import annotations

from statistics import fmean, stdev

import numpy as np
import pytest
import torch

from models import saliency as numerics
from models.faithfulness import changed, rank_correlation
from models.saliency_methods import RANDOM_MAPS, SANITY_THRESHOLD, MapSpec
from models.saliency_random import RandomGrid, beats_random, grid_for, random_baseline
from tests.models.test_saliency_faithfulness import protocol_image, reference_probability
from tests.support.occlusion import spread_over_squares


def uniform(shape: tuple[int, int], seed: int) -> np.ndarray:
    """The definition: independent uniform values from NumPy's default generator."""
    return np.random.default_rng(seed).random(shape).astype(np.float32)


@pytest.fixture(scope="module")
def dog_maps(lite0, dog_view):
    """Real maps of the dog for class 235 at their native resolutions."""
    x, a = dog_view
    specs = [MapSpec("gradcam", "stage7"), MapSpec("layercam", "stage3"),
             MapSpec("occlusion", patch=56, stride=28), MapSpec("gradient")]
    return {spec: numerics.compute(lite0.fast, spec, x, torch.from_numpy(
        a.activations[spec.stage]) if spec.stage else None, 235) for spec in specs}


def test_random_maps_are_seeded_and_at_the_methods_own_resolution(dog_maps):
    shapes = {"gradcam": (7, 7), "layercam": (28, 28), "occlusion": (7, 7),
              "gradient": (224, 224)}
    for spec, found in dog_maps.items():
        assert found.shape == shapes[spec.method]
        grid = grid_for(spec, found)
        for seed in (0, 1, RANDOM_MAPS - 1):
            want = uniform(shapes[spec.method], seed)
            if spec.method == "occlusion":  # spread over its 56 px squares every 28 px
                want = spread_over_squares(want, 56, 28)
            got = grid.map(seed)
            assert got.shape == want.shape
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
        assert not np.array_equal(grid.map(0), grid.map(1))  # the seed matters
    labels = {spec.method: grid_for(spec, found).label for spec, found in dog_maps.items()}
    assert labels == {"gradcam": "7\u00d77 grid", "layercam": "28\u00d728 grid",
                      "occlusion": "7\u00d77 occlusion grid (56 px squares every 28 px)",
                      "gradient": "224\u00d7224 pixels"}


def test_the_baseline_is_the_protocol_on_those_maps(lite0, dog_view):
    """Two random 7x7 maps' curves against the protocol written out on the reference
    network; the mean curve and the areas' mean and spread from them."""
    x, _ = dog_view
    base = random_baseline(lite0.fast, x, RandomGrid(7, 7), 235, n=2)
    reference = []
    for seed in range(2):
        m = uniform((7, 7), seed)
        deletion = [reference_probability(lite0, protocol_image(x, m, s, False), 235)
                    for s in range(21)]
        insertion = [reference_probability(lite0, protocol_image(x, m, s, True), 235)
                     for s in range(21)]
        np.testing.assert_allclose(base.runs[seed].deletion, deletion, rtol=0, atol=1e-5)
        np.testing.assert_allclose(base.runs[seed].insertion, insertion, rtol=0, atol=1e-5)
        reference.append((deletion, insertion))
    np.testing.assert_allclose(base.deletion, np.mean([d for d, _ in reference], axis=0),
                               rtol=0, atol=1e-5)
    areas = [fmean(i) for _, i in reference]
    assert base.insertion_aucs == pytest.approx(areas, abs=1e-5)
    assert base.insertion_auc == pytest.approx(fmean(areas), abs=1e-5)
    assert abs(base.deletion_aucs[0] - base.deletion_aucs[1]) > 0.01  # two different maps


def test_beating_random_takes_two_standard_deviations_and_at_least_a_hundredth():
    aucs = [0.5, 0.6, 0.7]  # mean 0.6, sample standard deviation 0.1
    assert stdev(aucs) == pytest.approx(0.1)
    assert beats_random(0.39, aucs, lower_is_better=True)
    assert not beats_random(0.41, aucs, lower_is_better=True)
    assert beats_random(0.81, aucs, lower_is_better=False)
    assert not beats_random(0.79, aucs, lower_is_better=False)
    assert not beats_random(0.81, aucs, lower_is_better=True)  # the wrong side
    flat = [0.6, 0.6, 0.6]  # no spread: the least margin still holds
    assert not beats_random(0.595, flat, lower_is_better=True)
    assert beats_random(0.585, flat, lower_is_better=True)


@pytest.fixture(scope="module")
def dog_baseline(lite0, dog_view):
    """The dog's random 7x7 maps, as the faithfulness job measures them for stage7."""
    x, _ = dog_view
    return random_baseline(lite0.fast, x, RandomGrid(7, 7), 235)


def verdicts(lite0, x, m, base) -> tuple[bool, bool]:
    from models.faithfulness import curves

    c = curves(lite0.fast, x, m, 235)
    return (beats_random(c.deletion_auc, base.deletion_aucs, lower_is_better=True),
            beats_random(c.insertion_auc, base.insertion_aucs, lower_is_better=False))


def test_uninformative_maps_do_not_beat_random_and_grad_cam_does(lite0, dog_view, dog_maps,
                                                                 dog_baseline):
    x, _ = dog_view
    assert len(dog_baseline.runs) == RANDOM_MAPS
    cam = next(m for s, m in dog_maps.items() if s.method == "gradcam")  # (7, 7)
    assert verdicts(lite0, x, cam, dog_baseline)[0]  # the verdict can be won
    uninformative = {
        "reversed Grad-CAM": cam.max() - cam,  # least important first
        "all zero (reading order)": np.zeros((7, 7), np.float32),
        **{f"random seed {s}": uniform((7, 7), s) for s in (100, 101, 102, 103)},
    }
    for name, m in uninformative.items():
        assert verdicts(lite0, x, m, dog_baseline) == (False, False), name


def test_score_cam_at_stage7_on_the_dog_is_no_better_than_random(lite0, dog_view,
                                                                  dog_baseline):
    """The case a new user met: Score-CAM with 32 channels at stage7 points at the sky above
    the dog (deletion 0.598, insertion 0.568 on the page); against random 7x7 maps that is
    no verdict on either curve."""
    x, a = dog_view
    m = numerics.scorecam(lite0.fast, x, torch.from_numpy(a.activations["stage7"]), 235, 32)
    assert verdicts(lite0, x, m, dog_baseline) == (False, False)


def test_the_sanity_verdict_draws_its_line_at_the_threshold():
    assert SANITY_THRESHOLD == 0.5
    assert changed(None) is None  # no order to compare: no verdict
    assert changed(0.12) is True and changed(0.49) is True
    assert changed(-0.37) is True  # the opposite order is a change too
    assert changed(0.5) is False and changed(0.9) is False
    rng = np.random.default_rng(0)
    a = rng.random((7, 7))
    assert changed(rank_correlation(a, a + 0.01 * rng.random((7, 7)))) is False  # barely moved
    assert changed(rank_correlation(a, rng.random((7, 7)))) is True  # a new map
