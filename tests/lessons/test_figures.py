"""The figures the lessons' words quote, measured again on the samples and the model: each
test finds the phrase in the lesson's text and checks the measurement behind it (the job
curves' figures are in test_experiments.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from app.core.settings import Settings
from app.imaging.decode import decode_image
from app.lessons.catalogue import LESSONS
from models import labels
from models.efficientnet_lite0 import load_pretrained
from models.preprocess import centre_crop, resize_shorter, to_tensor
from models.receptive import effective_field, fields, unit_box
from models.translation import map_similarity, shifted_view, view_map

SOBEL_Y = np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float64)


@pytest.fixture(scope="module")
def model():
    torch.set_num_threads(1)
    return load_pretrained()


def sample(name: str) -> np.ndarray:
    settings = Settings.from_env()
    return decode_image((settings.samples_dir / name).read_bytes(), settings.decode_limits)


def words(lesson_id: str) -> str:
    return next(lesson.text for lesson in LESSONS if lesson.id == lesson_id)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    return float(a @ b / np.sqrt((a @ a) * (b @ b)))


def test_translation_figures_on_the_dog(model):
    """Three forwards to the stem and two to stage 4, on the dog's view moved sideways."""
    text = words("translation")
    dog = resize_shorter(sample("dog_german_shepherd.jpg"))

    def similarity(stage: str, shift: int) -> float:
        base = view_map(model, shifted_view(dog, 0, "x"), stage)  # (C, h, w)
        moved = view_map(model, shifted_view(dog, shift, "x"), stage)
        return map_similarity(moved, base, shift / fields()[stage].stride, "x")

    assert "follows a two-pixel shift sideways to a cosine above 0.999" in text
    assert similarity("stem", 2) > 0.999
    assert "a one-pixel shift only to 0.95" in text
    assert round(similarity("stem", 1), 2) == 0.95
    assert "(0.97 at stage 4, stride 16, for a 16-pixel shift)" in text
    assert fields()["stage4"].stride == 16
    assert round(similarity("stage4", 16), 2) == 0.97


def test_the_cats_one_pixel_flip_is_a_near_tie(model):
    text = words("translation")
    cat = resize_shorter(sample("cat_chelsea.png"))
    probs = {}
    for shift in (0, 1):  # 1: the view one pixel down
        with torch.inference_mode():
            logits = model(to_tensor(shifted_view(cat, shift, "y")))  # (1, 1000)
        probs[shift] = torch.softmax(logits, 1)[0].numpy()
    tiger, egyptian = labels.NAMES.index("tiger cat"), labels.NAMES.index("Egyptian cat")
    assert "turns its top class from tiger cat to Egyptian cat" in text
    assert probs[0].argmax() == tiger and probs[1].argmax() == egyptian
    assert "(39% against 35%, then 37% against 38%)" in text
    assert [round(100 * float(probs[s][c])) for s in (0, 1) for c in (tiger, egyptian)] \
        == [39, 35, 37, 38]


def test_the_stem_filter_closest_to_sobel_y_matches_its_negative(model):
    text = words("learned-filters")
    weights = model.stem.conv.weight.detach().numpy()  # (32, 3, 3, 3)
    assert "the 864 weights" in text and weights.size == 864
    cosines = np.array([cosine(w, SOBEL_Y) for w in weights.sum(1)])  # (32,)
    best = int(np.abs(cosines).argmax())
    assert "closest to Sobel y or its negative matches the negative" in text
    assert cosines[best] < 0
    assert "cosine similarity of 0.84" in text and round(-cosines[best], 2) == 0.84
    assert cosines.max() < 0.84  # Sobel y itself, signed, is matched less well


def test_field_sizes_and_the_effective_fields_central_share(model):
    text = words("hierarchy")
    f = fields()
    assert "A stem unit sees a 3x3 patch" in text and f["stem"].size == 3
    assert "19 pixels at stage 2, 147 at stage 4, 787 at stage 6" in text
    assert (f["stage2"].size, f["stage4"].size, f["stage6"].size) == (19, 147, 787)
    shares = []
    for name in ("cat_chelsea.png", "dog_german_shepherd.jpg"):
        crop = centre_crop(sample(name))
        for row, col in ((14, 14), (10, 10), (7, 20), (20, 7), (13, 14)):
            grad = effective_field(model, crop, "stage3", row, col)  # (224, 224)
            x0, y0, x1, y1 = unit_box("stage3", row, col)
            assert (x1 - x0 + 1, y1 - y0 + 1) == (67, 67)  # away from the borders
            # The central quarter: the middle half of the box's width and of its height.
            q0x, q0y = x0 + 67 // 4, y0 + 67 // 4
            middle = grad[q0y:q0y + 67 // 2 + 1, q0x:q0x + 67 // 2 + 1]
            shares.append(float(middle.sum() / grad.sum()))
    assert "holds 83-94% of it, over ten units" in text
    assert (round(100 * min(shares)), round(100 * max(shares))) == (83, 94), shares


def test_parameter_counts_and_map_shapes(model):
    sharing, maps, transfer = words("parameter-sharing"), words("dog-maps"), words("transfer")
    stem = sum(p.numel() for p in model.stem.parameters())
    assert "the stem has 928 parameters" in sharing and stem == 928
    dense = (224 * 224 * 3) * (32 * 112 * 112)  # one weight per input value and output value
    assert "would need about 60 billion" in sharing and round(dense / 1e9) == 60
    with torch.inference_mode():
        _, acts = model.forward_stages(torch.zeros(1, 3, 224, 224), parts=False)
    assert "32 maps of 112x112" in maps and acts["stem"].shape == (1, 32, 112, 112)
    assert "1280 maps of 7x7" in maps and acts["head"].shape == (1, 1280, 7, 7)
    assert "the 1280 pooled features" in transfer and model.classifier.in_features == 1280
