"""The CNN against oracles: its own architecture facts, Captum's Grad-CAM, real photos."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
import torch
from captum.attr import LayerGradCam, LayerGradientXActivation
from PIL import Image

from models import labels
from models.efficientnet_lite0 import WeightsMismatch, load_pretrained
from models.preprocess import to_model_input
from models.service import ModelService, target_score
from models.stages import STAGE_IDS

SAMPLES = Path(__file__).resolve().parents[2] / "static" / "samples"


@pytest.fixture(scope="module")
def service() -> ModelService:
    return ModelService.load(threads=1)


def photo(name: str) -> np.ndarray:
    return np.asarray(Image.open(SAMPLES / name).convert("RGB"))


@pytest.fixture(scope="module")
def dog(service):
    rgb = photo("dog_german_shepherd.jpg")
    return rgb, service.analyse(rgb)


def test_parameter_count_and_frozen(service):
    assert service.parameter_count == 4_652_008
    assert not any(p.requires_grad for p in service.model.parameters())
    assert not service.model.training


def test_stage_shapes_at_224(dog):
    _, a = dog
    shapes = {s: a.activations[s].shape for s in STAGE_IDS}
    assert shapes == {
        "stem": (32, 112, 112), "stage1": (16, 112, 112), "stage2": (24, 56, 56),
        "stage3": (40, 28, 28), "stage4": (80, 14, 14), "stage5": (112, 14, 14),
        "stage6": (192, 7, 7), "stage7": (320, 7, 7), "head": (1280, 7, 7)}
    assert a.activations["stage4.2"].shape == (80, 14, 14)
    assert a.pooled.shape == (1280,)
    np.testing.assert_allclose(a.pooled, a.activations["head"].mean(axis=(1, 2)), atol=1e-5)


def test_block_parts_equal_a_full_forward(service, dog):
    rgb, a = dog
    _, x = to_model_input(rgb)
    with torch.inference_mode():
        _, full = service.model.forward_stages(x, parts=True)
    for block in ["stage1.1", "stage3.1", "stage4.2", "stage7.1"]:
        parts = service.block_parts(a.activations, block)
        for name, value in parts.items():
            np.testing.assert_allclose(value, full[name][0].numpy(), atol=1e-5)
    parts = service.block_parts(a.activations, "stage3.1")
    assert parts["stage3.1.expand"].shape == (144, 56, 56)
    assert parts["stage3.1.depthwise"].shape == (144, 28, 28)  # stride 2 in the depthwise
    assert "stage1.1.expand" not in service.block_parts(a.activations, "stage1.1")


def test_dog_is_a_german_shepherd(dog):
    _, a = dog
    assert a.top5[0][0] == 235 and a.top5[0][1] == "German shepherd"
    assert a.groups["dog"] > 0.9
    assert a.crop.shape == (224, 224, 3) and a.crop.dtype == np.uint8
    assert abs(float(a.probs.sum()) - 1) < 1e-4


def test_cat_is_a_cat(service):
    a = service.analyse(photo("cat_chelsea.png"))
    assert a.top5[0][0] in labels.GROUPS["cat"]
    assert a.groups["cat"] > 0.5 and a.groups["dog"] < 0.1


def test_stage_table_is_measured(service):
    table = {row["id"]: row for row in service.stage_table()}
    assert table["stem"]["receptive_field"] == 3 and table["stem"]["stride"] == 2
    assert table["stage1"]["receptive_field"] == 7  # + (3 - 1) * 2
    assert table["head"]["stride"] == 32
    assert sum(row["params"] for row in table.values()) == service.parameter_count
    # The stem's 864 weights + BN, versus a dense layer over the same 224x224x3 input.
    assert table["stem"]["params"] == 32 * 3 * 3 * 3 + 2 * 32
    assert table["stem"]["dense_params"] > 10**10
    assert [b["id"] for b in table["stage2"]["blocks"]] == ["stage2.1", "stage2.2"]
    assert table["stage1"]["blocks"][0]["parts"] == ["depthwise", "project"]  # no expansion


def test_wrong_weights_file_is_refused(tmp_path):
    bad = tmp_path / "w.pth"
    bad.write_bytes(b"not the weights")
    with pytest.raises(WeightsMismatch):
        load_pretrained(bad)


@pytest.mark.parametrize("stage", ["stem", "stage3", "stage4", "stage7", "head"])
@pytest.mark.parametrize("target", [235, "dog", 14])  # 14: a class whose stem map is not 0
def test_gradcam_equals_captum(service, dog, stage, target):
    rgb, a = dog
    ours = service.explain(a.activations, target, stage).cams[stage]
    model = service.model
    _, x = to_model_input(rgb)

    class Score(torch.nn.Module):  # Captum needs an output to pick a target from
        def forward(self, inp):
            return target_score(model(inp), target).reshape(1, 1)

    wrapped = Score()
    layer = getattr(model, stage)
    theirs = LayerGradCam(wrapped, layer).attribute(x, target=0, relu_attributions=True)
    theirs = theirs[0, 0].detach().numpy()
    assert ours.shape == theirs.shape
    # Within 1e-4 absolutely, and within 1e-4 of the map's own peak (early maps are tiny).
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-4 * min(1.0, float(theirs.max())))
    if stage in ("stage7", "head"):  # earlier, the ReLU may leave only zeros
        assert ours.max() > 0
    if stage == "stem" and target == 14:  # the case where the stem map is not trivial
        assert (ours > 0).mean() > 0.5


def test_gradcam_sits_on_the_dog(service, dog):
    _, a = dog
    cam = service.explain(a.activations, 235, "stage7").cams["stage7"]
    # In the 7x7 crop grid the dog's body spans rows 2-4; grass fills the top-left
    # corner and the bottom row (looked at: /api/images/{id}/gradcam on this sample).
    body = cam[2:5, 1:6].mean()
    assert body > 2 * cam[:2, :3].mean() and body > 2 * cam[6].mean()


@pytest.mark.parametrize("stage", ["stage5", "stage7", "head"])
def test_channel_scores_are_gradient_times_activation(service, dog, stage):
    """Against Captum's LayerGradientXActivation, summed over each channel's positions."""
    rgb, a = dog
    ours = service.explain(a.activations, 235, "stage5").channel_scores[stage]
    _, x = to_model_input(rgb)
    attr = LayerGradientXActivation(service.model, getattr(service.model, stage))
    theirs = attr.attribute(x, target=235)[0].sum(dim=(1, 2)).detach().numpy()  # (C,)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=0,
                               atol=1e-4 * max(1e-3, float(np.abs(theirs).max())))
    assert np.abs(ours).max() > 0


def test_stem_filters(service):
    w = service.stem_filters()
    assert w.shape == (32, 3, 3, 3) and w.dtype == np.float32
    w[0] = 0  # a copy: the model is untouched
    assert service.model.stem.conv.weight.abs().sum() > 0


def test_concurrent_analyses_never_mix(service):
    names = ["dog_german_shepherd.jpg", "cat_chelsea.png", "bird_scarlet_macaw.jpg",
             "object_coffee.png"]
    photos = [photo(n) for n in names]
    solo = [service.analyse(p) for p in photos]
    cams = [service.explain(s.activations, s.top5[0][0], "stage6").cams["stage6"] for s in solo]
    failures = []

    def worker(k: int) -> None:
        for round_ in range(6):
            i = (k + round_) % len(photos)
            got = service.analyse(photos[i])
            cam = service.explain(got.activations, solo[i].top5[0][0], "stage6").cams["stage6"]
            if got.top5[0][0] != solo[i].top5[0][0] or not np.allclose(
                    got.activations["stage5"], solo[i].activations["stage5"], atol=1e-5) \
                    or not np.allclose(cam, cams[i], atol=1e-5):
                failures.append((k, round_, names[i]))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []


def test_labels_search_and_groups():
    assert labels.NAMES[235] == "German shepherd"
    assert len(labels.GROUPS["dog"]) == 118
    assert 235 in [i for i, _ in labels.search("shepherd")]  # "German shepherd" contains it
    hits = [name.lower() for _, name in labels.search("cat")]
    assert hits[0].startswith("cat") and "tabby" in hits  # prefix matches first, then synonyms
    assert hits.index("tabby") > max(i for i, h in enumerate(hits) if h.startswith("cat"))
    assert labels.find("german shepherd") == [235] and labels.find("alsatian") == [235]
    assert len(labels.find("terrier")) > 10 and labels.find("unicorn") == []
    probs = np.zeros(1000, np.float32)
    probs[[151, 268]] = 0.5
    assert labels.group_probs(probs)["dog"] == pytest.approx(1.0)
