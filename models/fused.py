"""Faster copies of the network for the forward passes; the frozen original stays the
reference the stage table, the module paths and the tests read.

- ``channels_last_copy``: the same weights in channels-last order, which lets oneDNN's
  depthwise and 1x1 kernels run without layout conversions (measured on this 2-core box:
  forward_stages 22.0 -> 18.6 ms median, interleaved runs). Its maps equal the reference's
  within float32 rounding: the analysis and Grad-CAM run on it.
- ``fused_copy``: channels-last with every batch norm folded into its conv (``W g / sqrt(v +
  eps)`` and bias ``b - m g / sqrt(v + eps)``: one op instead of two; 18.6 -> 16.4 ms). Its
  outputs equal the reference within 1e-4, but the maps of early stages move by ~1e-5,
  which Grad-CAM's comparison with Captum at stage3 does not tolerate (maps of ~0.01):
  it serves only what needs features, not maps: the embeddings Teach trains on.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from models.efficientnet_lite0 import ConvBN, EfficientNetLite0, SameConv


def channels_last_copy(model: EfficientNetLite0) -> EfficientNetLite0:
    """A frozen, eval-mode copy of ``model`` in channels-last memory order."""
    fast = copy.deepcopy(model).eval()
    fast.requires_grad_(False)
    return fast.to(memory_format=torch.channels_last)


def fused_copy(model: EfficientNetLite0) -> EfficientNetLite0:
    """A frozen, eval-mode, channels-last copy of ``model`` with every batch norm folded."""
    fast = copy.deepcopy(model)
    for module in list(fast.modules()):
        if isinstance(module, ConvBN):
            _fold(module)
    return channels_last_copy(fast)


def _fold(block: ConvBN) -> None:
    conv, bn = block.conv, block.bn
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)  # (C_out,)
    fused = SameConv(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                     groups=conv.groups, bias=True)
    with torch.no_grad():
        fused.weight.copy_(conv.weight * scale[:, None, None, None])
        fused.bias.copy_(bn.bias - bn.running_mean * scale)
    block.conv = fused
    block.bn = nn.Identity()
