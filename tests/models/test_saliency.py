"""Attribution maps against oracles on the real model: Grad-CAM++ and Layer-CAM as the papers
write them (through a plain full forward of the reference network), occlusion and the input
gradient against Captum, Score-CAM against a one-channel-at-a-time reference."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from captum.attr import Occlusion, Saliency

from models import labels
from models import saliency as numerics
from models.saliency_methods import K_DEFAULT, PATCH_DEFAULT, STRIDE_DEFAULT, MapSpec
from models.service import target_score


def reference_maps_and_gradients(lite0, x, stage, target):
    """A_k and dY/dA_k of one stage from a plain full forward of the reference network (no
    resume, no channels-last copy), in float64 NumPy."""
    inp = x.clone().requires_grad_(True)  # parameters are frozen: the graph starts here
    logits, acts = lite0.model.forward_stages(inp, parts=False)
    (grad,) = torch.autograd.grad(target_score(logits, target), acts[stage])
    return acts[stage][0].detach().double().numpy(), grad[0].double().numpy()


def reference_gradcam_pp(a, g):
    """Chattopadhay et al. 2018, eq. 19 with the exponential score: per channel k,
    alpha_ij = g_ij^2 / (2 g_ij^2 + sum_ab A_ab g_ij^3), w_k = sum_ij alpha_ij relu(g_ij)."""
    total = np.zeros(a.shape[1:])
    for a_k, g_k in zip(a, g, strict=True):
        denom = 2 * g_k ** 2 + a_k.sum() * g_k ** 3
        alpha = np.divide(g_k ** 2, denom, out=np.zeros_like(g_k), where=denom != 0)
        total += (alpha * np.maximum(g_k, 0)).sum() * a_k
    return np.maximum(total, 0)


def reference_layercam(a, g):
    """Jiang et al. 2021, eq. 5-6: M = ReLU(sum_k relu(g_k) * A_k), position by position."""
    return np.maximum((np.maximum(g, 0) * a).sum(axis=0), 0)


def correlation(a, b) -> float:
    return float(np.corrcoef(np.ravel(a), np.ravel(b))[0, 1])


@pytest.mark.parametrize("stage", ["stage3", "stage5", "stage7", "head"])
@pytest.mark.parametrize("target", [235, "dog"])
def test_gradcam_pp_and_layercam_follow_the_papers(lite0, dog_view, stage, target):
    x, a = dog_view
    ref_a, ref_g = reference_maps_and_gradients(lite0, x, stage, target)
    ours = numerics.cam_maps(*numerics.stage_gradient(
        lite0.fast, stage, torch.from_numpy(a.activations[stage]), target))
    for method, reference in [("gradcampp", reference_gradcam_pp(ref_a, ref_g)),
                              ("layercam", reference_layercam(ref_a, ref_g))]:
        got = ours[method]
        assert got.shape == reference.shape == a.activations[stage].shape[1:]
        assert reference.max() > 0, (method, stage)  # a real map, not two zero maps
        assert correlation(got, reference) >= 0.98, (method, stage, target)
        # Grad-CAM++'s alpha is 1 / (2 + sum(A) g): at a signed stage sum(A) g comes near -2
        # (|2 + sum(A) g| down to 2.4e-4 at stage3 for the dog group), so alpha is
        # ill-conditioned there, and the small differences between the two forwards'
        # gradients (channels-last and resumed vs plain) move the map by up to 0.41% of its
        # peak (the dog group, stage3; 0.02% for class 235).
        np.testing.assert_allclose(got, reference, rtol=0, atol=1e-2 * reference.max())


def reference_alpha_range(a, g):
    """Chattopadhay et al.'s alpha at each (channel, position) with a positive gradient, in
    float64: how many there are, how many fall outside [0, 1/2], the largest |alpha|."""
    alphas = np.concatenate([1 / (2 + a_k.sum() * g_k[g_k > 0]) for a_k, g_k in zip(a, g,
                                                                                     strict=True)])
    return alphas.size, int(((alphas < 0) | (alphas > 0.5)).sum()), float(np.abs(alphas).max())


@pytest.mark.parametrize("stage,signed", [("stem", False), ("stage3", True), ("head", False)])
def test_grad_cam_pp_alpha_leaves_its_range_only_where_the_maps_are_signed(lite0, dog_view,
                                                                           stage, signed):
    x, a = dog_view
    ref_a, ref_g = reference_maps_and_gradients(lite0, x, stage, 235)
    got = numerics.alpha_range(*numerics.stage_gradient(
        lite0.fast, stage, torch.from_numpy(a.activations[stage]), 235))
    positions, outside, largest = reference_alpha_range(ref_a, ref_g)
    assert got.signed == signed == bool((ref_a < 0).any())
    assert got.positions == pytest.approx(positions, rel=1e-3)
    if signed:  # the reviewer measured 7098 of 15615 (45%), up to 1770, at stage3
        assert 0.3 < outside / positions < 0.6
        assert got.share == pytest.approx(outside / positions, abs=0.01)
        assert got.largest == pytest.approx(largest, rel=0.05)
    else:  # ReLU6 maps: 1 / (2 + sum(A) g) is in (0, 1/2] for every positive gradient
        assert outside == got.outside == 0
        assert got.largest <= 0.5


def test_gradcam_from_one_backward_equals_the_service(lite0, dog_view):
    x, a = dog_view
    spec = MapSpec("gradcam", "stage6")
    ours = numerics.compute(lite0.fast, spec, x, torch.from_numpy(a.activations["stage6"]), 235)
    theirs = lite0.explain(a.activations, 235, "stage6").cams["stage6"]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def probability_of(lite0, target):
    def forward(inp: torch.Tensor) -> torch.Tensor:  # (N, 3, 224, 224) -> (N,)
        probs = torch.softmax(lite0.model(inp), dim=1)
        return probs[:, labels.GROUPS[target]].sum(1) if isinstance(target, str) else \
            probs[:, target]
    return forward


@pytest.mark.parametrize("patch,stride,target", [(56, 28, 235), (56, 56, "dog")])
def test_occlusion_equals_captum_pixel_by_pixel(lite0, dog_view, patch, stride, target):
    """The grid is the drop at each patch position; spread to pixels it is Captum's
    ``Occlusion`` output itself (each pixel the mean drop of the windows covering it)."""
    x, _ = dog_view
    grid = numerics.occlusion(lite0.fast, x, target, patch, stride)
    n = (224 - patch) // stride + 1
    assert grid.shape == (n, n)
    captum = Occlusion(probability_of(lite0, target)).attribute(
        x, sliding_window_shapes=(3, patch, patch), strides=(3, stride, stride), baselines=0.0,
        perturbations_per_eval=8)[0]  # (3, 224, 224), the same in every channel
    pixels = numerics.occlusion_pixels(grid, patch, stride)
    assert pixels.shape == (224, 224)
    np.testing.assert_allclose(pixels, captum[0].detach().numpy(), rtol=0, atol=2e-5)
    assert grid.max() > 0.01  # covering part of the dog costs probability somewhere
    if stride < patch:  # bilinear upsampling of the grid would misplace the cells
        up = torch.nn.functional.interpolate(torch.from_numpy(grid)[None, None], size=(224, 224),
                                             mode="bilinear", align_corners=False)[0, 0]
        assert np.abs(up.numpy() - captum[0].numpy()).max() > 0.1 * grid.max()


def test_one_occluded_cell_colours_exactly_the_pixels_its_patch_covered():
    grid = np.zeros((13, 13), np.float32)  # a 32-pixel patch every 16 pixels
    grid[0, 0] = 1.0
    pixels = numerics.occlusion_pixels(grid, 32, 16)
    assert np.all(pixels[:16, :16] == 1.0)  # covered by that patch alone
    assert np.all(pixels[16:32, :16] == 0.5) and np.all(pixels[16:32, 16:32] == 0.25)
    assert np.all(pixels[32:] == 0) and np.all(pixels[:, 32:] == 0)


def test_input_gradient_equals_captum_saliency(lite0, dog_view):
    x, _ = dog_view
    ours = numerics.input_gradient(lite0.fast, x, 235)

    class Logit(torch.nn.Module):
        def forward(self, inp):
            return lite0.model(inp)

    theirs = Saliency(Logit()).attribute(x.clone().requires_grad_(True), target=235,
                                         abs=True)[0]  # (3, 224, 224)
    want = theirs.amax(dim=0).detach().numpy()
    assert ours.shape == (224, 224)
    np.testing.assert_allclose(ours, want, rtol=1e-3, atol=1e-4 * float(want.max()))


def test_scorecam_equals_one_masked_forward_per_channel(lite0, dog_view):
    """Wang et al. 2020 as their released code does it, one channel at a time on the reference
    network: the map (upsampled by OpenCV, scaled to [0, 1]) masks the photo, the class's
    softmax probability weighs the channel."""
    x, a = dog_view
    maps = a.activations["stage7"].astype(np.float64)  # (320, 7, 7)
    k = 6
    chosen = np.argsort(-maps.reshape(len(maps), -1).var(axis=1), kind="stable")[:k]
    total = np.zeros(maps.shape[1:])
    for c in chosen:
        up = cv2.resize(maps[c].astype(np.float32), (224, 224), interpolation=cv2.INTER_LINEAR)
        mask = (up - up.min()) / (up.max() - up.min())
        with torch.no_grad():
            p = torch.softmax(lite0.model(x * torch.from_numpy(mask)), dim=1)[0, 235]
        total += float(p) * maps[c]
    want = np.maximum(total, 0)
    ours = numerics.scorecam(lite0.fast, x, torch.from_numpy(a.activations["stage7"]), 235, k)
    assert want.max() > 0
    np.testing.assert_allclose(ours, want, rtol=0, atol=1e-4 * want.max())


def test_group_probability_is_the_sum_of_its_classes():
    logits = torch.randn(3, 1000)
    probs = torch.softmax(logits, dim=1)
    got = numerics.target_probability(logits, "cat")
    want = probs[:, 281:286].sum(dim=1)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    np.testing.assert_allclose(numerics.target_probability(logits, 7).numpy(),
                               probs[:, 7].numpy())


def test_canonical_specs_forget_the_settings_their_method_ignores():
    """Equal maps, equal specs: the cache keys and job keys are built from canonical specs."""
    occlusion = MapSpec("occlusion", "stage3", 8, 56, 28).canonical()
    assert occlusion == MapSpec("occlusion", "", K_DEFAULT, 56, 28)
    assert MapSpec("gradient", "head", 64, 16, 16).canonical() == MapSpec("gradient")
    assert MapSpec("scorecam", "stage6", 8, 56, 28).canonical() == MapSpec("scorecam", "stage6", 8)
    spec = MapSpec("gradcampp", "stage3", 8, 56, 56).canonical()
    assert (spec.stage, spec.k, spec.patch, spec.stride) == ("stage3", K_DEFAULT, PATCH_DEFAULT,
                                                             STRIDE_DEFAULT)
    assert MapSpec("scorecam", "stage6", 8) != MapSpec("scorecam", "stage6", 16)


def test_occlusion_refuses_sizes_that_do_not_tile_the_view():
    assert numerics.occlusion_positions(56, 14) == 13
    with pytest.raises(ValueError):
        numerics.occlusion_positions(32, 20)  # (224 - 32) / 20 leaves 12 pixels uncovered
    with pytest.raises(ValueError):
        numerics.occlusion_positions(16, 32)  # a stride past the patch leaves gaps
