"""Attribution maps beyond Grad-CAM, for one target on one 224x224 view.

- Grad-CAM++ (Chattopadhay et al. 2018) and Layer-CAM (Jiang et al. 2021): like Grad-CAM,
  from one stage's maps ``A`` and the gradient ``G`` of the target's score at them (one
  backward pass), weighted differently (``cam_maps``). Grad-CAM++'s closed form assumes
  maps that are never negative; ``alpha_range`` measures how far a stage breaks it.
- Score-CAM (Wang et al. 2020), over the ``k`` channels whose maps vary most: each map,
  upsampled and scaled to [0, 1], masks the input; the target's probability on the masked
  input is the channel's weight (``scorecam``).
- Occlusion (Zeiler and Fergus 2014): a grey patch slid over the view; the drop in the
  target's probability at each position (``occlusion``), spread to pixels as Captum does
  (``occlusion_pixels``).
- The input gradient (Simonyan et al. 2014): ``max_c |d score / d x_c|`` per pixel
  (``input_gradient``).

Every function takes the network to run (the service's channels-last copy, or a randomised
copy for the sanity check) and tensors local to the call: gradients come from
``torch.autograd.grad``, no hook is registered and no weight is written. Grey 127 is 0
after the model's normalisation ``(x - 127) / 128``, so "grey" below is a zero.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models import labels
from models.efficientnet_lite0 import EfficientNetLite0
from models.preprocess import CROP
from models.saliency_methods import CAM_METHODS, MapSpec, Progress
from models.service import Target, target_score

BATCH = 8  # images per forward (batches of 1-16 measured 22-35 ms per image here, none
# clearly faster under load; 8 bounds the memory a batch takes)


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


def gradcampp_alpha(a: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """Grad-CAM++'s ``alpha = g^2 / (2 g^2 + sum_ab a_cab g^3)`` ``(C, h, w)``, the paper's
    closed form for an exponential score (0 where the denominator is). Where ``g != 0`` it is
    ``1 / (2 + S_c g)`` with ``S_c`` the channel's sum: in [0, 1/2] for a positive gradient
    when the maps are never negative (after a ReLU), unbounded when ``S_c < 0``."""
    g2 = g * g
    denom = 2 * g2 + a.sum(dim=(1, 2), keepdim=True) * g2 * g  # (C, h, w)
    return torch.where(denom != 0, g2 / torch.where(denom != 0, denom, 1.0), 0.0)


@dataclass(frozen=True)
class AlphaRange:
    """How far one stage's maps break Grad-CAM++'s assumption, for one photo and target."""

    signed: bool  # the maps take negative values (no ReLU after the stage's last layer)
    positions: int  # (channel, position) pairs with a positive gradient: the ones that weigh
    outside: int  # of those, how many have an alpha outside [0, 1/2]
    largest: float  # the largest |alpha| among them

    @property
    def share(self) -> float:
        return self.outside / self.positions if self.positions else 0.0


def alpha_range(a: torch.Tensor, g: torch.Tensor) -> AlphaRange:
    """``AlphaRange`` of maps ``a`` and gradients ``g`` ``(C, h, w)``. For ``g > 0``, alpha
    ``1 / (2 + S_c g)`` leaves [0, 1/2] exactly when the channel's sum ``S_c`` is negative, so
    that sign is what is counted (alpha itself may differ from 1/2 by less than float32
    resolves); the largest |alpha| says how far it goes."""
    with torch.no_grad():
        sums = a.double().sum(dim=(1, 2), keepdim=True)  # (C, 1, 1)
        positive = g > 0  # (C, h, w): only positive gradients weigh a channel
        outside = (sums < 0) & positive
        alpha = (1 / (2 + sums * g.double()))[positive]  # (n,)
        return AlphaRange(signed=bool((a < 0).any()), positions=int(positive.sum()),
                          outside=int(outside.sum()),
                          largest=float(alpha.abs().max()) if alpha.numel() else 0.0)


def cam_maps(a: torch.Tensor, g: torch.Tensor) -> dict[str, np.ndarray]:
    """Grad-CAM, Grad-CAM++ and Layer-CAM ``(h, w)`` from maps ``a`` and gradients ``g``
    ``(C, h, w)``, each ReLU'd and unnormalised.

    Grad-CAM weighs channel ``c`` by the mean of ``g_c``. Grad-CAM++ weighs it by
    ``sum_ij alpha_ij ReLU(g_cij)`` with ``alpha`` from ``gradcampp_alpha``. Layer-CAM
    weighs every position by its own positive gradient: ``ReLU(sum_c ReLU(g_c) a_c)``.
    """
    with torch.no_grad():
        grad_cam = (g.mean(dim=(1, 2), keepdim=True) * a).sum(dim=0)  # (h, w)
        alpha = gradcampp_alpha(a, g)  # (C, h, w)
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


def occlusion_pixels(grid: np.ndarray, patch: int, stride: int) -> np.ndarray:
    """``(224, 224)``: the occlusion grid ``(n, n)`` spread to pixels as Captum's ``Occlusion``
    does, each pixel the mean drop of the patches that covered it. (Upsampling the grid
    bilinearly would put a cell's centre up to 7 pixels from its patch's centre for a 32-pixel
    patch every 16, 12 for 56 every 28, 19 for 56 every 14.)"""
    n = occlusion_positions(patch, stride)
    total = np.zeros((CROP, CROP), np.float64)
    count = np.zeros((CROP, CROP), np.int64)
    for i in range(n):
        for j in range(n):
            window = np.s_[i * stride:i * stride + patch, j * stride:j * stride + patch]
            total[window] += grid[i, j]
            count[window] += 1
    return (total / count).astype(np.float32)  # every pixel is covered: the sizes tile


def top_variance_channels(a: torch.Tensor, k: int) -> torch.Tensor:
    """Indices of the ``k`` channels of ``a`` ``(C, h, w)`` whose maps vary most over space
    (ties by index)."""
    var = a.flatten(1).var(dim=1, unbiased=False)  # (C,)
    return torch.argsort(-var, stable=True)[:k]


def scorecam(net: EfficientNetLite0, x: torch.Tensor, activation: torch.Tensor,
             target: Target, k: int, progress: Progress | None = None) -> np.ndarray:
    """``(h, w)``: Score-CAM over the ``k`` highest-variance channels of a stage's maps
    ``activation`` ``(C, h, w)``. Each map, upsampled bilinearly to 224 and min-max scaled to
    [0, 1], multiplies the view (0 is grey); the target's softmax probability on that input
    is the channel's weight, as in Wang et al.'s paper and released code:
    ``ReLU(sum_c p_c A_c)``. (pytorch-grad-cam instead softmaxes the target's logits across
    the ``k`` masked inputs; on the dog at stage7 the two maps correlate 0.21.)"""
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
