"""Fixtures the saliency tests share: the real model, and the dog sample as it sees it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.preprocess import to_model_input
from models.service import Analysis, ModelService

SAMPLES = Path(__file__).resolve().parents[2] / "static" / "samples"


@pytest.fixture(scope="session")
def lite0() -> ModelService:
    """EfficientNet-Lite0 with its trained weights, one torch thread (as the server runs)."""
    return ModelService.load(threads=1)


@pytest.fixture(scope="session")
def dog_view(lite0):
    """The German shepherd sample: the model's input ``(1, 3, 224, 224)`` and its analysis."""
    rgb = np.asarray(Image.open(SAMPLES / "dog_german_shepherd.jpg").convert("RGB"))
    _, x = to_model_input(rgb)
    analysis: Analysis = lite0.analyse(rgb)
    return x, analysis
