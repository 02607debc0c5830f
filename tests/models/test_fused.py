"""The faster copies compute what the reference network computes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.efficientnet_lite0 import load_pretrained
from models.fused import channels_last_copy, fused_copy
from models.preprocess import to_model_input
from tests.support.photos import make_image


@pytest.fixture(scope="module")
def reference():
    return load_pretrained()


def _inputs() -> torch.Tensor:
    import io

    from PIL import Image

    photo = np.asarray(Image.open(io.BytesIO(make_image(300, 260, pattern="noise"))).convert("RGB"))
    _, x = to_model_input(photo)
    return torch.cat([x, torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))])


def test_folded_batch_norm_keeps_logits_and_features_within_1e_4(reference):
    x = _inputs()
    fused = fused_copy(reference)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    with torch.inference_mode():
        want_logits, want = reference.forward_stages(x, parts=False)
        got_logits, got = fused.forward_stages(x.contiguous(memory_format=torch.channels_last),
                                               parts=False)
    np.testing.assert_allclose(got_logits.numpy(), want_logits.numpy(), rtol=0, atol=1e-4)
    np.testing.assert_allclose(got["pool"].numpy(), want["pool"].numpy(), rtol=0, atol=1e-4)


def test_channels_last_keeps_every_map(reference):
    x = _inputs()
    with torch.inference_mode():
        _, want = reference.forward_stages(x, parts=False)
        _, got = channels_last_copy(reference).forward_stages(
            x.contiguous(memory_format=torch.channels_last), parts=False)
    for name, value in want.items():
        scale = max(1.0, float(value.abs().max()))
        np.testing.assert_allclose(got[name].contiguous().numpy(), value.numpy(), rtol=0,
                                   atol=1e-5 * scale, err_msg=name)


def test_the_reference_is_untouched(reference):
    before = reference.stem.bn.running_mean.clone()
    fused_copy(reference)
    assert isinstance(reference.stem.bn, torch.nn.BatchNorm2d)
    assert torch.equal(reference.stem.bn.running_mean, before)
