"""The architecture as numbers, measured from the model itself (nothing typed in).

For each stage: input and output shape at 224x224, cumulative stride, receptive
field, parameters, multiply-adds, and what a dense layer mapping the same input
to the same output would cost: the parameter-sharing lesson in one column.
"""

from __future__ import annotations

import torch
from torch import nn

from models.efficientnet_lite0 import EfficientNetLite0
from models.stages import BLOCK_PARTS, STAGE_IDS

_ROWS = [*STAGE_IDS, "classifier"]


def _owner(name: str) -> str:
    """The stage a module belongs to: ``stage4.1.depthwise.conv`` -> ``stage4``."""
    return name.split(".")[0]


def build_stage_table(model: EfficientNetLite0, side: int = 224) -> list[dict]:
    """One row per stage (plus the classifier), from one traced forward pass."""
    convs: list[tuple[str, nn.Module, tuple, tuple]] = []  # execution order

    def record(name: str):
        def hook(module: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
            convs.append((name, module, tuple(inputs[0].shape), tuple(output.shape)))
        return hook

    # Hooks live only inside this call, on a model nobody else is using yet.
    handles = [m.register_forward_hook(record(n)) for n, m in model.named_modules()
               if isinstance(m, nn.Conv2d | nn.Linear)]
    try:
        with torch.inference_mode():
            model(torch.zeros(1, 3, side, side))
    finally:
        for h in handles:
            h.remove()

    rows = {r: {"id": r, "params": 0, "macs": 0, "in_shape": None, "out_shape": None,
                "kernels": []} for r in _ROWS}
    for name, module in model.named_modules():
        if _owner(name) in rows and not list(module.children()):
            rows[_owner(name)]["params"] += sum(p.numel() for p in module.parameters())

    rf, jump = 1, 1
    for name, module, shape_in, shape_out in convs:
        row = rows[_owner(name)]
        row["in_shape"] = row["in_shape"] or list(shape_in[1:])
        row["out_shape"] = list(shape_out[1:])
        if isinstance(module, nn.Linear):
            row["macs"] += module.in_features * module.out_features
            continue
        k, s = module.kernel_size[0], module.stride[0]
        out_c, out_h, out_w = shape_out[1:]
        row["macs"] += out_h * out_w * out_c * (module.in_channels // module.groups) * k * k
        rf += (k - 1) * jump  # each layer widens the view by (k - 1) input steps
        jump *= s
        row["receptive_field"], row["stride"] = rf, jump
        if k > 1 and k not in row["kernels"]:
            row["kernels"].append(k)

    table = []
    for r in _ROWS:
        row = rows[r]
        n_in = _prod(row["in_shape"])
        n_out = _prod(row["out_shape"])
        row["dense_params"] = n_in * n_out + n_out  # weights + biases of a dense layer
        row["blocks"] = [
            {"id": f"{r}.{j}", "parts": [p for p in BLOCK_PARTS if getattr(b, p) is not None]}
            for j, b in getattr(model, r).items()] if r.startswith("stage") else []
        if r == "classifier":
            row["stride"], row["receptive_field"] = rows["head"]["stride"], side
            row["in_shape"] = [model.classifier.in_features]  # after global average pooling
            row["dense_params"] = row["params"]
        table.append(row)
    return table


def _prod(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
