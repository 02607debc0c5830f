"""The attribution methods and their settings, with no torch import (the web layer reads them).

Each limit and choice is written here once: the numerics (``models.saliency``,
``models.faithfulness``), the API's validation and the page's menus read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Progress = Callable[[float], None]  # a slow computation reports the fraction done, 0-1

CAM_METHODS = ("gradcam", "gradcampp", "layercam")  # one backward pass at a stage
METHODS = (*CAM_METHODS, "scorecam", "occlusion", "gradient")
SLOW_METHODS = ("scorecam", "occlusion")  # many forwards each: computed as jobs
STAGED_METHODS = (*CAM_METHODS, "scorecam")  # maps of a stage; the others see the pixels

NAMES = {
    "gradcam": "Grad-CAM", "gradcampp": "Grad-CAM++", "layercam": "Layer-CAM",
    "scorecam": "Score-CAM", "occlusion": "Occlusion", "gradient": "Input gradient",
}
SUMMARIES = {
    "gradcam": "the stage's maps weighted by their mean gradient",
    "gradcampp": "maps weighted by their positive gradients, each scaled by a closed-form "
                 "second-order term (derived for maps that are never negative)",
    "layercam": "every position weighted by its own positive gradient",
    "scorecam": "each high-variance map used as a mask, weighted by the class's softmax "
                "probability on the masked photo, as in Wang et al.'s paper and code "
                "(pytorch-grad-cam softmaxes the logits across the masks); no gradients",
    "occlusion": "the drop in the class's probability when a grey square covers each place",
    "gradient": "how much each pixel's value changes the class's score (largest over R, G, B)",
}

# Occlusion in the model's 224-pixel view: the patch side and the strides it may slide by.
# Every pair tiles 224 exactly ((224 - patch) divisible by stride), so every pixel is covered,
# and costs at most 196 forwards (16 px every 8 would be 729).
OCCLUSION_STRIDES: dict[int, tuple[int, ...]] = {16: (16,), 32: (16, 32), 56: (14, 28, 56)}
PATCH_DEFAULT, STRIDE_DEFAULT = 32, 16

# Score-CAM masks with the k highest-variance channels: one forward per channel.
K_CHOICES = (8, 16, 32, 64, 128)
K_DEFAULT = 32
K_MAX = K_CHOICES[-1]

STEPS = 20  # deletion and insertion: 5% of the pixels per step, 21 points from 0 to 100%

# Each map's deletion and insertion areas are judged against random maps of its own
# resolution (``models.saliency_random``): seeds 0..RANDOM_MAPS-1. A map beats them when its
# area is more than BEATS_RANDOM_SD of their standard deviations better than their mean, and
# at least BEATS_RANDOM_MIN better (so a spread of zero does not turn rounding into a verdict).
RANDOM_MAPS = 8
BEATS_RANDOM_SD = 2.0
BEATS_RANDOM_MIN = 0.01

# The sanity check's verdict: a map whose rank correlation with the randomised model's map is
# SANITY_THRESHOLD or more barely changed (a "large" correlation by Cohen's convention, 0.5:
# the two orders share a quarter of their rank variance or more). Below it, negative values
# included, the map changed with the weights.
SANITY_THRESHOLD = 0.5

# Randomised by the sanity check: the network's top, where the class evidence is assembled,
# all four at once. Adebayo et al. 2018 randomise cumulatively from the logits down and
# measure after each step (their cascading test); this is one point of that cascade.
RANDOMISED = ("stage6", "stage7", "head", "classifier")


@dataclass(frozen=True)
class MapSpec:
    """Which map: the method, the stage its maps come from (CAM methods and Score-CAM), and
    Score-CAM's ``k`` or occlusion's ``patch`` and ``stride`` (224-pixel units)."""

    method: str
    stage: str = ""
    k: int = K_DEFAULT
    patch: int = PATCH_DEFAULT
    stride: int = STRIDE_DEFAULT

    def canonical(self) -> MapSpec:
        """The same map with the settings its method ignores at their defaults, so equal
        maps get equal cache keys and URLs."""
        return MapSpec(self.method,
                       self.stage if self.method in STAGED_METHODS else "",
                       self.k if self.method == "scorecam" else K_DEFAULT,
                       self.patch if self.method == "occlusion" else PATCH_DEFAULT,
                       self.stride if self.method == "occlusion" else STRIDE_DEFAULT)
