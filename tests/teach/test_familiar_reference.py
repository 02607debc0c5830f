"""The reference familiarity is measured against (``app/teach/familiar_reference.npz``):
recomputed here from the bundled photos with the packaged network, its floor checked
against its definition, and the fish-against-tools result measured again with a reference
that saw no fish and no tools (so the result does not hang on the project's subjects being
among the bundled photos)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from app.core.settings import Settings
from app.imaging.decode import decode_image
from app.teach import familiar, familiar_reference
from models.preprocess import centre_crop
from models.service import ModelService
from models.transfer import views
from tests.teach.conftest import SAMPLES

DATASET = SAMPLES.parent / "dataset"


@pytest.fixture(scope="module")
def bundle():
    """The packaged network, a decoder, and the plain-view features of every bundled photo
    with its subject and folder."""
    model = ModelService.load()
    limits = Settings.from_env().decode_limits

    def decode(data: bytes) -> np.ndarray:
        return decode_image(data, limits)

    with (DATASET / "CREDITS.tsv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    plain = np.concatenate([model.embed([centre_crop(decode((DATASET / r["filename"])
                                                           .read_bytes()))]) for r in rows])
    subjects = [familiar_reference.subject_of(r["original_path"]) for r in rows]
    folders = [r["original_path"].rsplit("/", 1)[0] for r in rows]
    return model, decode, plain.astype(np.float64), subjects, folders, rows


def test_the_shipped_reference_is_what_the_bundled_photos_give(bundle):
    model, decode, plain, subjects, _, _ = bundle
    shipped = np.load(familiar.REFERENCE_FILE)
    again = familiar_reference.compute(DATASET, model.embed, decode)
    assert int(shipped["photos"]) == len(plain) == 200
    assert float(shipped["quantile"]) == familiar_reference.QUANTILE
    assert np.allclose(again["mean"], shipped["mean"], atol=1e-4)
    assert np.allclose(again["mean"], plain.mean(0), atol=1e-4)
    assert np.allclose(again["floor"], shipped["floor"], atol=1e-3)
    floor = shipped["floor"]
    assert np.all(np.diff(floor[1:]) >= 0)  # a larger class: a stranger's nearest is closer
    assert 0.0 < floor[12] < 0.3


def test_centring_puts_unrelated_photos_near_zero(bundle):
    """The measured claim behind centring: photos of different subjects have a plain cosine
    of about 0.2 (the features are never negative), about 0 centred."""
    _, _, plain, subjects, _, _ = bundle
    labels = np.array(subjects)
    different = labels[:, None] != labels[None, :]

    def cosines(x: np.ndarray) -> np.ndarray:
        unit = x / np.linalg.norm(x, axis=1, keepdims=True)
        return (unit @ unit.T)[different]

    assert plain.min() >= 0
    assert 0.15 < cosines(plain).mean() < 0.25
    assert abs(cosines(plain - plain.mean(0)).mean()) < 0.05


def test_the_floor_matches_its_definition_on_a_small_set():
    """Six photos of three subjects. Against a class larger than a photo's four strangers the
    floor is the 95th percentile over photos of each one's highest similarity to a stranger;
    against a class of one, the 95th percentile over (photo, stranger) pairs. Here both are
    the highest similarity of two photos of different subjects: one photo in six, and two of
    the 24 ordered pairs, are more than 5% of the draws. Two photos of the same subject look
    alike (0.8 apart, the rest 2), which must not count."""
    rng = np.random.default_rng(3)
    plain = rng.normal(0, 1, (6, 8)) + 2
    plain[1] = plain[0] + rng.normal(0, 0.1, 8)
    subjects = ["a", "a", "b", "b", "c", "c"]
    floor = familiar_reference.floors(plain, subjects, plain.mean(0))
    unit = (plain - plain.mean(0)) / np.linalg.norm(plain - plain.mean(0), axis=1, keepdims=True)
    sims = unit @ unit.T
    strangers = np.array(subjects)[:, None] != np.array(subjects)[None, :]
    assert floor[60] == pytest.approx(sims[strangers].max())
    assert floor[1] == pytest.approx(sims[strangers].max())
    assert sims[0, 1] > sims[strangers].max()  # the likeness within a subject is left out
    assert floor[0] == -1 and np.all(np.diff(floor[1:]) >= 0)


def test_fish_against_tools_without_fish_or_tools_in_the_reference(bundle):
    """Measured: with a reference of the 150 bundled photos that are neither sea life nor
    tools, 8 of the 9 samples are warned about (9 with the shipped reference) and 19 of the
    20 held-out fish and tools are familiar (16)."""
    model, decode, plain, subjects, folders, rows = bundle
    keep = [i for i, s in enumerate(subjects) if s not in ("sea life", "tools")]
    mean = plain[keep].mean(0)
    reference = familiar.Reference(
        mean.astype(np.float32),
        familiar_reference.floors(plain[keep], [subjects[i] for i in keep], mean))
    fish = [i for i, f in enumerate(folders) if f.endswith("images/fishes")]
    tools = [i for i, f in enumerate(folders) if f.endswith("images/tools")]
    train = fish[:12] + tools[:12]
    feats = np.stack([model.embed(views(decode((DATASET / rows[i]["filename"]).read_bytes())))
                      for i in train])  # (24, 4, 1280)
    index = familiar.build_index(feats, np.repeat([0, 1], 12), [str(i) for i in train],
                                 ["fish", "tool"], reference)
    samples = [model.embed([centre_crop(decode(p.read_bytes()))])[0]
               for p in sorted(SAMPLES.glob("*.*g"))]
    warned = sum(not familiar.judge(index, x, set())["familiar"] for x in samples)
    familiar_held = sum(familiar.judge(index, plain[i], set())["familiar"]
                        for i in fish[12:] + tools[12:])
    assert (len(samples), len(fish[12:] + tools[12:])) == (9, 20)
    assert warned >= 6
    assert familiar_held >= 17
