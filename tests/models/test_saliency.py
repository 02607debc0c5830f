"""Attribution maps against oracles on the real model: Grad-CAM++ and Layer-CAM as the papers
write them (through a plain full forward of the reference network), occlusion and the input
gradient against Captum, Score-CAM against a one-channel-at-a-time reference."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from captum.attr import Occlusion, Saliency
from PIL import Image

from models import labels
from models import saliency as numerics
from models.preprocess import to_model_input
from models.saliency_methods import MapSpec
from models.service import ModelService, target_score

SAMPLES = Path(__file__).resolve().parents[2] / "static" / "samples"


@pytest.fixture(scope="module")
def service() -> ModelService:
    return ModelService.load(threads=1)


@pytest.fixture(scope="module")
def dog(service):
    rgb = np.asarray(Image.open(SAMPLES / "dog_german_shepherd.jpg").convert("RGB"))
    _, x = to_model_input(rgb)  # (1, 3, 224, 224)
    return x, service.analyse(rgb)


def reference_maps_and_gradients(service, x, stage, target):
    """A_k and dY/dA_k of one stage from a plain full forward of the reference network (no
    resume, no channels-last copy), in float64 NumPy."""
    inp = x.clone().requires_grad_(True)  # parameters are frozen: the graph starts here
    logits, acts = service.model.forward_stages(inp, parts=False)
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
def test_gradcam_pp_and_layercam_follow_the_papers(service, dog, stage, target):
    x, a = dog
    ref_a, ref_g = reference_maps_and_gradients(service, x, stage, target)
    ours = numerics.cam_maps(*numerics.stage_gradient(
        service.fast, stage, torch.from_numpy(a.activations[stage]), target))
    for method, reference in [("gradcampp", reference_gradcam_pp(ref_a, ref_g)),
                              ("layercam", reference_layercam(ref_a, ref_g))]:
        got = ours[method]
        assert got.shape == reference.shape == a.activations[stage].shape[1:]
        assert reference.max() > 0, (method, stage)  # a real map, not two zero maps
        assert correlation(got, reference) >= 0.98, (method, stage, target)
        # Grad-CAM++'s alpha divides by 2 g^2 + sum(A) g^3, which comes near zero: float32
        # rounding of the gradients moves the map by up to 0.4% of its peak (dog, stage3).
        np.testing.assert_allclose(got, reference, rtol=0, atol=1e-2 * reference.max())


def test_gradcam_from_one_backward_equals_the_service(service, dog):
    x, a = dog
    spec = MapSpec("gradcam", "stage6")
    ours = numerics.compute(service.fast, spec, x, torch.from_numpy(a.activations["stage6"]), 235)
    theirs = service.explain(a.activations, 235, "stage6").cams["stage6"]
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-6)


def probability_of(service, target):
    def forward(inp: torch.Tensor) -> torch.Tensor:  # (N, 3, 224, 224) -> (N,)
        probs = torch.softmax(service.model(inp), dim=1)
        return probs[:, labels.GROUPS[target]].sum(1) if isinstance(target, str) else \
            probs[:, target]
    return forward


def spread_like_captum(grid, patch, stride):
    """Each pixel: the mean of the drops of the windows that cover it."""
    total, count = np.zeros((224, 224)), np.zeros((224, 224))
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            total[i * stride:i * stride + patch, j * stride:j * stride + patch] += grid[i, j]
            count[i * stride:i * stride + patch, j * stride:j * stride + patch] += 1
    assert count.min() >= 1  # the allowed sizes tile the view
    return total / count


@pytest.mark.parametrize("patch,stride,target", [(56, 28, 235), (56, 56, "dog")])
def test_occlusion_equals_captum(service, dog, patch, stride, target):
    x, _ = dog
    grid = numerics.occlusion(service.fast, x, target, patch, stride)
    n = (224 - patch) // stride + 1
    assert grid.shape == (n, n)
    captum = Occlusion(probability_of(service, target)).attribute(
        x, sliding_window_shapes=(3, patch, patch), strides=(3, stride, stride), baselines=0.0,
        perturbations_per_eval=8)[0]  # (3, 224, 224), the same in every channel
    np.testing.assert_allclose(spread_like_captum(grid, patch, stride),
                               captum[0].detach().numpy(), rtol=0, atol=2e-5)
    assert grid.max() > 0.01  # covering part of the dog costs probability somewhere


def test_input_gradient_equals_captum_saliency(service, dog):
    x, _ = dog
    ours = numerics.input_gradient(service.fast, x, 235)

    class Logit(torch.nn.Module):
        def forward(self, inp):
            return service.model(inp)

    theirs = Saliency(Logit()).attribute(x.clone().requires_grad_(True), target=235,
                                         abs=True)[0]  # (3, 224, 224)
    want = theirs.amax(dim=0).detach().numpy()
    assert ours.shape == (224, 224)
    np.testing.assert_allclose(ours, want, rtol=1e-3, atol=1e-4 * float(want.max()))


def test_scorecam_equals_one_masked_forward_per_channel(service, dog):
    """Wang et al. 2020 as their released code does it, one channel at a time on the reference
    network: the map (upsampled by OpenCV, scaled to [0, 1]) masks the photo, the class's
    softmax probability weighs the channel."""
    x, a = dog
    maps = a.activations["stage7"].astype(np.float64)  # (320, 7, 7)
    k = 6
    chosen = np.argsort(-maps.reshape(len(maps), -1).var(axis=1), kind="stable")[:k]
    total = np.zeros(maps.shape[1:])
    for c in chosen:
        up = cv2.resize(maps[c].astype(np.float32), (224, 224), interpolation=cv2.INTER_LINEAR)
        mask = (up - up.min()) / (up.max() - up.min())
        with torch.no_grad():
            p = torch.softmax(service.model(x * torch.from_numpy(mask)), dim=1)[0, 235]
        total += float(p) * maps[c]
    want = np.maximum(total, 0)
    ours = numerics.scorecam(service.fast, x, torch.from_numpy(a.activations["stage7"]), 235, k)
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


def test_occlusion_refuses_sizes_that_do_not_tile_the_view():
    assert numerics.occlusion_positions(56, 14) == 13
    with pytest.raises(ValueError):
        numerics.occlusion_positions(32, 20)  # (224 - 32) / 20 leaves 12 pixels uncovered
    with pytest.raises(ValueError):
        numerics.occlusion_positions(16, 32)  # a stride past the patch leaves gaps
