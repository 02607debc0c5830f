"""Feature visualisation: optimise a picture until one channel fires as hard as it can.

Activation maximisation (Erhan et al. 2009; Olah, Mordvintsev and Schubert, "Feature
Visualization", Distill 2017), with the regularisers that make the result readable:

- the picture lives in a decorrelated space: a Fourier spectrum scaled by ``1 / f`` (so
  coarse and fine structure learn at similar rates and pixel noise cannot win), its three
  planes mixed by the square root of real photos' RGB covariance (so steps follow natural
  colour directions), squashed into [0, 1] by a sigmoid;
- every step sees it jittered, rescaled and slightly rotated (one random affine warp), so
  the picture must excite the channel robustly, not through one pixel-exact pattern.

The forward stops at the target stage (nothing after it is computed) and reads the value
BEFORE its ReLU6: the clipped output has zero gradient wherever it is 0 or 6, which stalls
many channels at zero from a grey start (measured at the head).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from models.efficientnet_lite0 import ConvBN, EfficientNetLite0
from models.preprocess import RESIZE_TO

WINDOW = 128  # the side of every step's forward (its cost is the step's cost)


def stage_value(model: EfficientNetLite0, stage: str, x: torch.Tensor) -> torch.Tensor:
    """``(N, C, h, w)``: the value at ``stage`` before any ReLU6, running only up to it.

    For ``stem`` and ``head`` (conv -> BN -> ReLU6) that is the batch-normalised conv; a
    stage's output ends in its last block's ``project`` conv, which has no activation, so it
    is the output itself (with the residual, when the block has one)."""
    for name, module in model.named_stages():
        if name == stage:
            if isinstance(module, ConvBN):
                return module.bn(module.conv(x))
            return module(x)
        x = module(x)
    raise KeyError(stage)


def colour_mixing(covariance: np.ndarray) -> torch.Tensor:
    """``(3, 3)``: the symmetric square root of an RGB covariance, scaled so that its
    longest column has length 1; applied to independent planes, it gives them the
    photos' colour correlations."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=np.float64))
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0, None))) @ vectors.T
    root /= np.linalg.norm(root, axis=0).max()
    return torch.from_numpy(root.astype(np.float32))


@dataclass(frozen=True)
class Regularisers:
    """How each step warps the picture, and how the optimiser moves."""

    jitter: float = 0.06  # random shift, as a fraction of the side
    scales: tuple[float, float] = (0.85, 1.15)  # random zoom range
    degrees: float = 8.0  # random rotation, either way
    lr: float = 0.05  # Adam on the spectrum
    decay: float = 1.0  # spectrum scale 1 / f ** decay
    init_sd: float = 0.01


class FourierPicture:
    """A ``size`` x ``size`` RGB picture parameterised by a scaled, colour-mixed spectrum."""

    def __init__(self, size: int, mixing: torch.Tensor, generator: torch.Generator,
                 reg: Regularisers) -> None:
        fy = torch.fft.fftfreq(size)[:, None]  # (S, 1) cycles per pixel
        fx = torch.fft.rfftfreq(size)[None, :]  # (1, S/2 + 1)
        f = torch.sqrt(fx**2 + fy**2).clamp(min=1.0 / size)
        self.scale = (1.0 / f**reg.decay)[None]  # (1, S, S/2 + 1): 1 / f, DC capped at S
        self.scale = self.scale / self.scale.max()
        self.size = size
        self.mixing = mixing
        shape = (3, size, size // 2 + 1, 2)  # real and imaginary parts
        self.spectrum = (torch.randn(shape, generator=generator) * reg.init_sd).requires_grad_()

    def rgb(self) -> torch.Tensor:
        """``(1, 3, S, S)`` in (0, 1)."""
        spec = torch.view_as_complex(self.spectrum) * self.scale  # (3, S, S/2 + 1)
        planes = torch.fft.irfft2(spec, s=(self.size, self.size), norm="ortho")  # (3, S, S)
        # ``ortho`` keeps a unit spectrum at unit pixel variance; the scale's peak is 1 at
        # DC, so the planes start near zero and the sigmoid near mid-grey.
        mixed = torch.einsum("ck,khw->chw", self.mixing, planes * self.size / 4)
        return torch.sigmoid(mixed)[None]

    def to_uint8(self) -> np.ndarray:
        """``(S, S, 3) uint8`` RGB: the picture as a PNG will hold it."""
        with torch.no_grad():
            rgb = self.rgb()[0].permute(1, 2, 0)  # (S, S, 3)
        return np.ascontiguousarray((rgb * 255).round().clamp(0, 255).to(torch.uint8).numpy())


def random_warp(x: torch.Tensor, window: int, zoom: float, reg: Regularisers,
                generator: torch.Generator) -> torch.Tensor:
    """A ``window`` x ``window`` view of ``(1, 3, S, S)`` enlarged ``zoom`` times (times a
    random factor), slightly rotated, at a random place; edges mirrored; differentiable."""
    u = torch.rand(4, generator=generator) * 2 - 1  # (4,) in [-1, 1)
    lo, hi = reg.scales
    zoom = zoom * (lo + (hi - lo) * (u[0] + 1) / 2)
    half = window / (zoom * x.shape[-1])  # half the view's width in grid units ([-1, 1])
    angle = math.radians(reg.degrees) * u[1]
    cos, sin = torch.cos(angle) * half, torch.sin(angle) * half
    # Anywhere in the picture, a little beyond its edges (jitter) included.
    shift = u[2:] * ((1 - half).clamp(min=0) + 2 * reg.jitter)
    theta = torch.stack([torch.stack([cos, -sin, shift[0]]),
                         torch.stack([sin, cos, shift[1]])])[None]  # (1, 2, 3)
    grid = F.affine_grid(theta, [1, 3, window, window], align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection",
                         align_corners=False)


def model_input(rgb01: torch.Tensor) -> torch.Tensor:
    """(0, 1) RGB -> the model's own scaling ``(x - 127) / 128`` of 0-255 pixels."""
    return (rgb01 * 255.0 - 127.0) / 128.0


class Visualisation:
    """Activation maximisation of one channel: ``steps()`` runs the optimisation, yielding
    ``(step, objective)`` after each step, where the objective is the channel's mean
    pre-ReLU6 value on that step's view of the picture; ``picture()`` is the current result.
    Reproducible: the same ``seed`` draws the same start and the same views."""

    def __init__(self, model: EfficientNetLite0, stage: str, channel: int, size: int,
                 seed: int, mixing: torch.Tensor, reg: Regularisers | None = None,
                 window: int = WINDOW) -> None:
        self.model, self.stage, self.channel = model, stage, channel
        # The analysis shows the model any photo with its shorter side at 256 px: a 128 px
        # picture is seen enlarged 2x. Each step shows it enlarged as much, so the picture
        # excites the channel when it is uploaded (the prototype without this lost 60-80%
        # of its activation at stages 4 to head when analysed).
        self.window, self.zoom = window, RESIZE_TO / size
        self.reg = reg or Regularisers()
        self.generator = torch.Generator().manual_seed(seed)
        self.image = FourierPicture(size, mixing, self.generator, self.reg)
        self.optimiser = torch.optim.Adam([self.image.spectrum], lr=self.reg.lr)

    def objective(self, rgb01: torch.Tensor) -> torch.Tensor:
        x = model_input(rgb01).contiguous(memory_format=torch.channels_last)
        return stage_value(self.model, self.stage, x)[:, self.channel].mean()

    def steps(self, count: int) -> Iterator[tuple[int, float]]:
        for step in range(1, count + 1):
            with torch.enable_grad():
                warped = random_warp(self.image.rgb(), self.window, self.zoom, self.reg,
                                     self.generator)
                value = self.objective(warped)
                (grad,) = torch.autograd.grad(-value, [self.image.spectrum])
            self.image.spectrum.grad = grad
            self.optimiser.step()
            yield step, float(value.detach())

    def picture(self) -> np.ndarray:
        return self.image.to_uint8()
