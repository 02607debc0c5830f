"""Attribution maps beyond Grad-CAM, for one target on one 224x224 view.

- Grad-CAM++ (Chattopadhay et al. 2018) and Layer-CAM (Jiang et al. 2021): like Grad-CAM,
  from one stage's maps ``A`` and the gradient ``G`` of the target's score at them (one
  backward pass), weighted differently (``cam_maps``).
- Score-CAM (Wang et al. 2020), over the ``k`` channels whose maps vary most: each map,
  upsampled and scaled to [0, 1], masks the input; the target's probability on the masked
  input is the channel's weight (``scorecam``).
- Occlusion (Zeiler and Fergus 2014): a grey patch slid over the view; the drop in the
  target's probability at each position (``occlusion``).
- The input gradient (Simonyan et al. 2014): ``max_c |d score / d x_c|`` per pixel
  (``input_gradient``).

Every function takes the network to run (the service's channels-last copy, or a randomised
copy for the sanity check) and tensors local to the call: gradients come from
``torch.autograd.grad``, no hook is registered and no weight is written. Grey 127 is 0
after the model's normalisation ``(x - 127) / 128``, so "grey" below is a zero.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from models import labels
from models.efficientnet_lite0 import EfficientNetLite0
from models.preprocess import CROP
from models.saliency_methods import CAM_METHODS, MapSpec
from models.service import Target, target_score

BATCH = 8  # images per forward (batches of 1-16 measured 22-35 ms per image here, none
# clearly faster under load; 8 bounds the memory a batch takes)

Progress = Callable[[float], None]  # fraction done, 0-1


def target_probability(logits: torch.Tensor, target: Target) -> torch.Tensor:
    """``(N, 1000)`` logits -> ``(N,)``: the softmax probability of a class, or a group's
    summed probability (its classes are exclusive, so the sum is the group's)."""
    probs = torch.softmax(logits, dim=1)  # (N, 1000)
    if isinstance(target, str):
        return probs[:, labels.GROUPS[target]].sum(dim=1)
    return probs[:, target]


def probabilities(net: EfficientNetLite0, make: Callable[[int, int], torch.Tensor], n: int,
                  target: Target, progress: Progress | None = None) -> torch.Tensor:
    """The target's probability on ``n`` images, ``make(lo, hi)`` building images ``lo..hi-1``
    ``(hi - lo, 3, 224, 224)`` only when their batch runs (occlusion's 169 copies of the
    view would hold 100 MB at once)."""
    out = []
    with torch.inference_mode():
        for lo in range(0, n, BATCH):
            hi = min(lo + BATCH, n)
            batch = make(lo, hi).contiguous(memory_format=torch.channels_last)
            out.append(target_probability(net(batch), target))
            if progress is not None:
                progress(hi / n)
    return torch.cat(out)  # (n,)


def stage_gradient(net: EfficientNetLite0, stage: str, activation: torch.Tensor, target: Target
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """The maps ``A`` ``(C, h, w)`` of ``stage`` and the gradient of the target's score at them,
    resuming the network at the stage (the layers before it need no backward)."""
    a0 = activation.detach().clone()[None].contiguous(memory_format=torch.channels_last)
    a0.requires_grad_(True)  # (1, C, h, w); parameters are frozen, activations are not
    with torch.enable_grad():
        logits, _ = net.forward_from(stage, a0)
        (grad,) = torch.autograd.grad(target_score(logits, target), a0)
    return a0.detach()[0], grad[0]  # (C, h, w) each


def cam_maps(a: torch.Tensor, g: torch.Tensor) -> dict[str, np.ndarray]:
    """Grad-CAM, Grad-CAM++ and Layer-CAM ``(h, w)`` from maps ``a`` and gradients ``g``
    ``(C, h, w)``, each ReLU'd and unnormalised.

    Grad-CAM weighs channel ``c`` by the mean of ``g_c``. Grad-CAM++ weighs it by
    ``sum_ij alpha_ij ReLU(g_cij)`` with ``alpha = g^2 / (2 g^2 + sum_ab a_cab g^3)`` (the
    paper's closed form for an exponential score, 0 where the denominator is). Layer-CAM
    weighs every position by its own positive gradient: ``ReLU(sum_c ReLU(g_c) a_c)``.
    """
    with torch.no_grad():
        grad_cam = (g.mean(dim=(1, 2), keepdim=True) * a).sum(dim=0)  # (h, w)
        g2 = g * g
        denom = 2 * g2 + a.sum(dim=(1, 2), keepdim=True) * g2 * g  # (C, h, w)
        alpha = torch.where(denom != 0, g2 / torch.where(denom != 0, denom, 1.0), 0.0)
        weights = (alpha * torch.relu(g)).sum(dim=(1, 2), keepdim=True)  # (C, 1, 1)
        plus = (weights * a).sum(dim=0)
        layer = (torch.relu(g) * a).sum(dim=0)
        maps = {"gradcam": grad_cam, "gradcampp": plus, "layercam": layer}
        return {name: torch.relu(m).contiguous().numpy() for name, m in maps.items()}


def input_gradient(net: EfficientNetLite0, x: torch.Tensor, target: Target) -> np.ndarray:
    """``(224, 224)``: the largest absolute gradient of the target's score over R, G, B at
    each pixel of the view ``x`` ``(1, 3, 224, 224)``."""
    inp = x.detach().clone().contiguous(memory_format=torch.channels_last).requires_grad_(True)
    with torch.enable_grad():
        (grad,) = torch.autograd.grad(target_score(net(inp), target), inp)
    return grad.abs().amax(dim=1)[0].contiguous().numpy()  # (224, 224)


def occlusion_positions(patch: int, stride: int) -> int:
    """Patch positions along one side; the patch must tile the view exactly, so every pixel
    is covered and the last patch ends at the border."""
    if not 0 < stride <= patch <= CROP or (CROP - patch) % stride:
        raise ValueError(f"patch {patch} with stride {stride} does not tile {CROP} pixels")
    return (CROP - patch) // stride + 1


def occlusion(net: EfficientNetLite0, x: torch.Tensor, target: Target, patch: int,
              stride: int, progress: Progress | None = None) -> np.ndarray:
    """``(n, n)``: the drop in the target's probability with a grey ``patch`` x ``patch``
    square at row ``i * stride``, column ``j * stride`` of the view ``x`` (1, 3, 224, 224)."""
    n = occlusion_positions(patch, stride)

    def make(lo: int, hi: int) -> torch.Tensor:
        batch = x.expand(hi - lo, -1, -1, -1).clone()  # (B, 3, 224, 224)
        for b, k in enumerate(range(lo, hi)):
            top, left = (k // n) * stride, (k % n) * stride
            batch[b, :, top:top + patch, left:left + patch] = 0.0
        return batch

    whole = probabilities(net, lambda lo, hi: x, 1, target)  # (1,)
    occluded = probabilities(net, make, n * n, target, progress)  # (n * n,)
    return (whole - occluded).reshape(n, n).numpy()


def top_variance_channels(a: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` channels of ``a`` ``(C, h, w)`` whose maps vary most over space
    (ties by index)."""
    var = a.flatten(1).var(dim=1, unbiased=False)  # (C,)
    return torch.argsort(-var, stable=True)[:k]


def scorecam(net: EfficientNetLite0, x: torch.Tensor, activation: torch.Tensor,
             target: Target, k: int, progress: Progress | None = None) -> np.ndarray:
    """``(h, w)``: Score-CAM over the ``k`` highest-variance channels of a stage's maps
    ``activation`` ``(C, h, w)``. Each map, upsampled bilinearly to 224 and min-max scaled to
    [0, 1], multiplies the view (0 is grey); the target's probability on that input is the
    channel's weight, as in the authors' released code: ``ReLU(sum_c p_c A_c)``."""
    a = activation.detach().float()
    chosen = a[top_variance_channels(a, k)]  # (k, h, w)

    def make(lo: int, hi: int) -> torch.Tensor:
        up = F.interpolate(chosen[lo:hi, None], size=(CROP, CROP), mode="bilinear",
                           align_corners=False)  # (B, 1, 224, 224)
        low = up.amin(dim=(2, 3), keepdim=True)
        span = up.amax(dim=(2, 3), keepdim=True) - low
        mask = torch.where(span > 0, (up - low) / torch.where(span > 0, span, 1.0), 0.0)
        return x * mask  # (B, 3, 224, 224)

    weights = probabilities(net, make, chosen.shape[0], target, progress)  # (k,)
    return torch.relu((weights[:, None, None] * chosen).sum(dim=0)).numpy()


def compute(net: EfficientNetLite0, spec: MapSpec, x: torch.Tensor,
            activation: torch.Tensor | None, target: Target,
            progress: Progress | None = None) -> np.ndarray:
    """One map at its native resolution: the stage's grid for the CAM methods and Score-CAM,
    the occlusion grid for occlusion, 224x224 for the input gradient. ``activation`` is the
    stage's ``(C, h, w)`` maps for the view ``x`` (1, 3, 224, 224) on this ``net``."""
    if spec.method in CAM_METHODS:
        return cam_maps(*stage_gradient(net, spec.stage, activation, target))[spec.method]
    if spec.method == "scorecam":
        return scorecam(net, x, activation, target, spec.k, progress)
    if spec.method == "occlusion":
        return occlusion(net, x, target, spec.patch, spec.stride, progress)
    if spec.method == "gradient":
        return input_gradient(net, x, target)
    raise ValueError(f"unknown method {spec.method!r}")
