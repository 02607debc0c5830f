"""The stable ids of the network's stages, with no torch import (the web layer needs them).

``stem``, ``stage1``..``stage7``, ``head``: what the API, the UI and the links
call the places one can look inside EfficientNet-Lite0. Blocks inside a stage
are ``stage4.2`` (the second block of stage 4, counted from 1, in module paths
too), and their parts ``stage4.2.expand``, ``stage4.2.depthwise``, ``stage4.2.project``.
"""

from __future__ import annotations

# (repeats, kernel, stride, expand ratio, output channels) per stage
STAGE_CONFIG = [
    (1, 3, 1, 1, 16),
    (2, 3, 2, 6, 24),
    (2, 5, 2, 6, 40),
    (3, 3, 2, 6, 80),
    (3, 5, 1, 6, 112),
    (4, 5, 2, 6, 192),
    (1, 3, 1, 6, 320),
]
STAGE_IDS = ["stem", *[f"stage{i}" for i in range(1, len(STAGE_CONFIG) + 1)], "head"]
BLOCK_PARTS = ("expand", "depthwise", "project")

# Grad-CAM's default: the last stage before the 1x1 head conv, where maps are most
# class-specific (earlier stages are often all zero after the ReLU).
DEFAULT_CAM_STAGE = "stage7"
