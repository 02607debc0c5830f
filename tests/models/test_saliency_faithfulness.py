"""Deletion and insertion curves and the sanity check, against the protocol rebuilt in the test
on the reference network, and against SciPy's Spearman correlation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.stats import spearmanr

from models import faithfulness
from models import saliency as numerics


@pytest.fixture(scope="module")
def dog_cam(lite0, dog_view):
    _, a = dog_view
    return lite0.explain(a.activations, 235, "stage7").cams["stage7"]  # (7, 7)


@pytest.fixture(scope="module")
def dog_curves(lite0, dog_view, dog_cam):
    x, _ = dog_view
    return faithfulness.curves(lite0.fast, x, dog_cam, 235)


def reference_probability(lite0, image: torch.Tensor, target: int) -> float:
    with torch.no_grad():
        return float(torch.softmax(lite0.model(image), dim=1)[0, target])


def protocol_image(x, saliency, step, insertion):
    """Step ``step`` of the protocol written out: the map upsampled bilinearly (half-pixel
    centres), pixels ordered by value with ties by row-major index, floor(step * N / 20) of
    them set to grey (deletion) or the only ones shown on grey (insertion)."""
    up = F.interpolate(torch.from_numpy(saliency)[None, None].float(), size=(224, 224),
                       mode="bilinear", align_corners=False)[0, 0].numpy().ravel()
    index = np.arange(up.size)
    order = np.lexsort((index, -up))  # last key first: by value descending, then by index
    chosen = np.zeros(up.size, bool)
    chosen[order[:step * up.size // 20]] = True
    keep = chosen if insertion else ~chosen
    return x * torch.from_numpy(keep.reshape(224, 224).astype(np.float32))


def test_deletion_starts_at_the_photo_and_ends_at_grey(lite0, dog_view, dog_curves):
    x, a = dog_view
    c = dog_curves
    assert len(c.deletion) == len(c.insertion) == 21
    photo = reference_probability(lite0, x, 235)
    grey = reference_probability(lite0, torch.zeros_like(x), 235)  # 127 everywhere
    assert c.deletion[0] == pytest.approx(photo, abs=1e-5)
    assert c.deletion[0] == pytest.approx(float(a.probs[235]), abs=1e-5)
    assert c.deletion[-1] == pytest.approx(grey, abs=1e-6)
    assert c.insertion[0] == pytest.approx(grey, abs=1e-6)
    assert c.insertion[-1] == pytest.approx(photo, abs=1e-5)
    assert photo > 0.9 and grey < 0.01  # the two ends differ: the check above can fail


def test_the_area_is_the_mean_of_the_21_values(dog_curves):
    assert dog_curves.deletion_auc == pytest.approx(sum(dog_curves.deletion) / 21, rel=1e-12)
    assert dog_curves.insertion_auc == pytest.approx(sum(dog_curves.insertion) / 21, rel=1e-12)
    # Grad-CAM on the dog is far better than chance: deleting its top pixels hurts at once.
    assert dog_curves.deletion_auc < 0.5 < dog_curves.insertion_auc


@pytest.mark.parametrize("step", [1, 7, 13])
def test_a_middle_step_equals_the_protocol_rebuilt(lite0, dog_view, dog_cam, dog_curves, step):
    x, _ = dog_view
    cam = dog_cam
    deleted = reference_probability(lite0, protocol_image(x, cam, step, False), 235)
    inserted = reference_probability(lite0, protocol_image(x, cam, step, True), 235)
    assert dog_curves.deletion[step] == pytest.approx(deleted, abs=1e-5)
    assert dog_curves.insertion[step] == pytest.approx(inserted, abs=1e-5)


def test_ties_are_broken_by_pixel_index():
    ranks = faithfulness.pixel_ranks(np.zeros((7, 7), np.float32))
    assert torch.equal(ranks.ravel(), torch.arange(224 * 224))  # all tied: row-major order
    half = np.array([[0, 0], [1, 1]], np.float32)  # the bottom rows first, each by index
    up = F.interpolate(torch.from_numpy(half)[None, None], size=(224, 224), mode="bilinear",
                       align_corners=False)[0, 0].numpy().ravel()
    want = np.empty(up.size, int)
    want[np.lexsort((np.arange(up.size), -up))] = np.arange(up.size)
    assert np.array_equal(faithfulness.pixel_ranks(half).numpy().ravel(), want)
    assert faithfulness.step_counts() == [i * 50176 // 20 for i in range(21)]


def test_rank_correlation_matches_scipy_and_is_one_with_itself():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, (7, 7)).astype(np.float32)  # many ties
    b = a + rng.normal(0, 2, (7, 7)).astype(np.float32)
    assert faithfulness.rank_correlation(a, b) == pytest.approx(spearmanr(a.ravel(),
                                                                          b.ravel())[0])
    assert faithfulness.rank_correlation(b, b) == pytest.approx(1.0)
    assert faithfulness.rank_correlation(a, -a) == pytest.approx(-1.0)
    assert faithfulness.rank_correlation(np.zeros((7, 7)), b) is None  # no order to compare


def test_randomising_copies_and_changes_only_the_last_stages(lite0):
    before = {k: v.clone() for k, v in lite0.fast.state_dict().items()}
    twin = faithfulness.randomised_copy(lite0.fast)
    after = lite0.fast.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)  # the shared net untouched
    mine = twin.state_dict()
    assert not torch.equal(mine["classifier.weight"], before["classifier.weight"])
    assert not torch.equal(mine["stage6.1.expand.conv.weight"],
                           before["stage6.1.expand.conv.weight"])
    assert torch.equal(mine["stage5.1.expand.conv.weight"], before["stage5.1.expand.conv.weight"])
    assert torch.equal(mine["head.bn.running_mean"], before["head.bn.running_mean"])
    w = mine["head.conv.weight"]  # noise with the trained tensor's own scale
    assert w.std().item() == pytest.approx(before["head.conv.weight"].std().item(), rel=0.05)


def test_random_weights_under_trained_batch_norm_leave_the_trained_range(lite0, dog_view):
    """The randomised copy keeps batch norm's trained statistics, which do not fit its new
    weights: its activations are not in the trained network's range."""
    x, a = dog_view
    twin = faithfulness.randomised_copy(lite0.fast)
    with torch.inference_mode():
        _, acts = twin.forward_stages(x, parts=False)
    assert np.allclose(acts["stage5"][0].numpy(), a.activations["stage5"], atol=1e-4)
    trained, random = a.activations["stage6"].std(), acts["stage6"][0].std().item()
    assert random > 2 * trained, (trained, random)  # measured 8.5 -> 32.2 on the dog


def test_a_map_at_pixel_resolution_ranks_the_pixels_by_itself():
    """Occlusion's map is measured spread to 224x224: the protocol's upsampling of it is the
    identity, so its ranks are its own values' order."""
    grid = np.random.default_rng(5).random((13, 13)).astype(np.float32)
    pixels = numerics.occlusion_pixels(grid, 32, 16)  # (224, 224), many equal values
    want = np.empty(pixels.size, int)
    want[np.lexsort((np.arange(pixels.size), -pixels.ravel()))] = np.arange(pixels.size)
    assert np.array_equal(faithfulness.pixel_ranks(pixels).numpy().ravel(), want)


def test_gradcam_changes_when_the_model_is_randomised(lite0, dog_view, dog_cam):
    x, a = dog_view
    cam = dog_cam
    twin = faithfulness.randomised_copy(lite0.fast)
    with torch.inference_mode():
        _, acts = twin.forward_stages(x, parts=False)
    random = numerics.cam_maps(*numerics.stage_gradient(twin, "stage7", acts["stage7"][0].clone(),
                                                        235))["gradcam"]
    same = numerics.cam_maps(*numerics.stage_gradient(
        lite0.fast, "stage7", torch.from_numpy(a.activations["stage7"]), 235))["gradcam"]
    assert faithfulness.rank_correlation(cam, same) == pytest.approx(1.0)
    rho = faithfulness.rank_correlation(cam, random)
    assert rho is not None and rho < 0.5, rho  # measured 0.12 on the dog
