"""Fixtures shared by every test: images made in memory, an app client, error checks."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from tests.support.photos import make_image

os.environ.setdefault("CONVLENS_LOAD_MODEL", "0")  # tests that need the CNN ask for it


def assert_error(response, status: int, code: str) -> dict:
    """The one error envelope, with the expected status and code and a readable message."""
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"error"}
    err = body["error"]
    assert err["status"] == status and err["code"] == code, err
    assert isinstance(err["message"], str) and len(err["message"]) > 10
    assert isinstance(err["details"], dict)
    return err


@pytest.fixture
def settings():
    from app.core.settings import Settings

    return replace(Settings.from_env(), load_model=False)


@pytest.fixture
def client(settings):
    from fastapi.testclient import TestClient

    from app.main import create_app

    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def image_id(client) -> str:
    """A 64x48 gradient uploaded to the client's app."""
    r = client.post("/api/images", files={"file": ("g.png", make_image(64, 48), "image/png")})
    assert r.status_code == 201
    return r.json()["id"]


@pytest.fixture(scope="session")
def random_model():
    """EfficientNet-Lite0 with seeded random weights: for tests of plumbing, not of numbers
    (those load the real weights and compare against Captum)."""
    import torch

    from models.efficientnet_lite0 import EfficientNetLite0
    from models.service import ModelService

    torch.manual_seed(0)
    model = EfficientNetLite0().eval()
    model.requires_grad_(False)
    return ModelService(model)
