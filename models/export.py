"""The trained classifier as files: a small head file (the new last layer and its class
names), and backbone + classifier as one TorchScript or one ONNX file."""

from __future__ import annotations

import copy
import io
import json
import warnings

import torch
from torch import nn

from models.preprocess import CROP
from models.transfer import FEATURES

CLASSIFIER_FORMAT = "convlens-head/1"  # unchanged, so files saved before still load
INPUT_DOC = ("float32 (N, 3, 224, 224): RGB, shorter side 256, centre crop 224, "
             "(x - 127) / 128")


def save_classifier(classifier: nn.Linear, classes: list[str]) -> bytes:
    """A small file (about 10 KB per class): the classifier's state dict and the class names."""
    buf = io.BytesIO()
    torch.save({"format": CLASSIFIER_FORMAT, "classes": classes,
                "state_dict": {k: v.clone() for k, v in classifier.state_dict().items()}}, buf)
    return buf.getvalue()


class BadClassifierFile(ValueError):
    """An uploaded classifier file that is not one ``save_classifier`` wrote."""


def load_classifier(data: bytes) -> tuple[nn.Linear, list[str]]:
    """Inverse of ``save_classifier``; refuses anything else (``weights_only`` loading,
    checked keys)."""
    try:
        blob = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a non-checkpoint
        raise BadClassifierFile("this is not a ConvLens head file") from exc
    if not isinstance(blob, dict) or blob.get("format") != CLASSIFIER_FORMAT:
        raise BadClassifierFile("this is not a ConvLens head file")
    classes = blob.get("classes")
    state = blob.get("state_dict", {})
    if (not isinstance(classes, list) or not 2 <= len(classes) <= 32
            or not all(isinstance(c, str) and 0 < len(c) <= 40 for c in classes)):
        raise BadClassifierFile("the head file's class names are missing or invalid")
    if not isinstance(state, dict) or not all(
            isinstance(v, torch.Tensor) and v.dtype == torch.float32 for v in state.values()):
        raise BadClassifierFile("the head file's weights must be float32 tensors")
    classifier = nn.Linear(FEATURES, len(classes))
    try:
        classifier.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError) as exc:
        raise BadClassifierFile("the head file's weights do not fit 1280 features") from exc
    if not all(torch.isfinite(v).all() for v in classifier.state_dict().values()):
        raise BadClassifierFile("the head file holds non-finite weights")
    classifier.requires_grad_(False)
    return classifier, classes


class ExportedModel(nn.Module):
    """Backbone + new classifier, for export: ``(N, 3, 224, 224)`` preprocessed -> probabilities."""

    def __init__(self, backbone: nn.Module, classifier: nn.Linear) -> None:
        super().__init__()
        self.backbone = backbone
        self.classifier = classifier

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.classifier(self.backbone.embed(x)), dim=1)  # (N, classes)


def export_torchscript(backbone: nn.Module, classifier: nn.Linear, classes: list[str]) -> bytes:
    """One TorchScript file usable from plain Python (``torch.jit.load``); the class names
    ride along as the extra file ``classes.json``; the input is documented in it too."""
    model = ExportedModel(backbone, classifier).eval()
    with torch.no_grad(), warnings.catch_warnings():
        # The trace freezes the 'same' padding computed for 224x224, which is the
        # documented input size; the tracer's warning about it is expected.
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model, torch.zeros(1, 3, CROP, CROP), check_trace=False)
    meta = {"classes": classes, "input": INPUT_DOC, "output": "class probabilities (N, classes)"}
    buf = io.BytesIO()
    torch.jit.save(traced, buf, _extra_files={"classes.json": json.dumps(meta)})
    return buf.getvalue()


def export_onnx(backbone: nn.Module, classifier: nn.Linear, classes: list[str]) -> bytes:
    """One ONNX file of backbone + classifier: input ``input`` float32 ``(N, 3, 224, 224)``
    preprocessed, output ``probs`` ``(N, classes)``; the class names and the input's
    preprocessing ride in the model's metadata (``classes``, ``input``).

    Uses torch.onnx's ``torch.export``-based exporter (``dynamo=True``, onnxscript), the
    supported path in torch 2.13; it needs no network and takes 10-20 s on one core. It
    works on a copy, so the shared network is never traced in place."""
    import onnx

    model = ExportedModel(copy.deepcopy(backbone), copy.deepcopy(classifier)).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation chatter from torch.export internals
        program = torch.onnx.export(
            model, (torch.zeros(1, 3, CROP, CROP),), dynamo=True, verbose=False, optimize=True,
            input_names=["input"], output_names=["probs"],
            dynamic_shapes=({0: torch.export.Dim("batch", max=256)},))
    proto = program.model_proto
    onnx.helper.set_model_props(proto, {"classes": json.dumps(classes), "input": INPUT_DOC})
    return proto.SerializeToString()
