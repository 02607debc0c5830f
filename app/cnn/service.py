"""The CNN tab's use cases: analyse a stored image once, then serve views of it.

One forward pass per image id (cached in the byte-bounded LRU); every stage,
channel, atlas and pooled view is cut from that cached analysis. Where the
model looks (Grad-CAM, channel attribution) is ``app.cnn.heatmap``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import cv2
import numpy as np

from app.cnn.schemas import (
    AtlasLayout,
    ChannelDetail,
    ClassSearch,
    ModelDescription,
    PooledVector,
    Prediction,
    StageStrengths,
    StageSummary,
    StemFilters,
)
from app.core.errors import NotFound
from app.core.services import Services
from app.images.service import StoredImage
from app.imaging.convolve import PoolSpec, pool2d
from app.imaging.encode import colormap, encode, tile
from models import labels
from models.stages import STAGE_IDS

if TYPE_CHECKING:  # torch is imported only where the model is loaded
    from models.service import Analysis

ATLAS_GAP = 1  # pixels between tiles


def analysis(services: Services, image: StoredImage) -> Analysis:
    """The cached forward pass of ``image``."""
    model = services.require_model()

    def run():
        with services.gate.slot():
            return model.analyse(image.rgb)

    return services.derived.get_or_compute(("analysis", image.id), run)


def predict(services: Services, image: StoredImage) -> Prediction:
    """Top-5 classes and coarse groups ("dog: 97%")."""
    a = analysis(services, image)
    best = a.top5[0][0]
    return Prediction(
        top=[{"index": int(i), "label": label, "prob": float(p)} for i, label, p in a.top5],
        groups={k: float(v) for k, v in a.groups.items()},
        top_group=next((g for g, members in labels.GROUPS.items() if best in members), None),
        crop=f"/api/images/{image.id}/crop")


def stage_maps(services: Services, image: StoredImage, layer: str) -> np.ndarray:
    """``(C, h, w)`` float32 activations of a stage, block or block part (404 if unknown).

    Block parts (``stage4.2.expand``) are not in the cached analysis: one block is
    re-run on its cached input (about a millisecond) and the result cached too."""
    a = analysis(services, image)
    maps = a.activations.get(layer)
    if maps is None and layer.count(".") == 2:
        block = layer.rsplit(".", 1)[0]
        model = services.require_model()
        if block in model.block_ids():
            parts = services.derived.get_or_compute(
                ("parts", image.id, block), lambda: model.block_parts(a.activations, block))
            maps = parts.get(layer)
    if maps is None:
        raise NotFound(f"There is no stage or block called {layer[:40]!r}; "
                       "GET /api/model lists them.")
    return maps


def channel_map(services: Services, image: StoredImage, stage: str, channel: int) -> np.ndarray:
    """``(h, w)`` activation of one channel (404 when out of range)."""
    maps = stage_maps(services, image, stage)
    if not 0 <= channel < maps.shape[0]:
        raise NotFound(f"{stage} has channels 0-{maps.shape[0] - 1}; there is no {channel}.")
    return maps[channel]


def channel_stats(maps: np.ndarray) -> dict[str, np.ndarray]:
    """Per-channel mean, max and fraction of positions above zero."""
    flat = maps.reshape(maps.shape[0], -1)
    return {"mean": flat.mean(axis=1), "max": flat.max(axis=1),
            "active": (flat > 0).mean(axis=1)}


def atlas_layout(maps: np.ndarray, order: str) -> AtlasLayout:
    """Channels in a near-square grid, by index or strongest mean activation first."""
    c, h, w = maps.shape
    cols = math.ceil(math.sqrt(c))
    if order == "strength":
        ranked = np.argsort(-channel_stats(maps)["mean"], kind="stable")
    else:
        ranked = np.arange(c)
    return AtlasLayout(cols=cols, rows=math.ceil(c / cols), tile=[h, w], gap=ATLAS_GAP,
                       order=[int(i) for i in ranked])


def stage_summary(services: Services, image: StoredImage, stage: str, order: str
                  ) -> StageSummary:
    """Statistics of every channel of a stage and the layout of its atlas."""
    maps = stage_maps(services, image, stage)
    stats = channel_stats(maps)
    layout = atlas_layout(maps, order)
    return StageSummary(
        stage=stage, shape=list(maps.shape),
        strength={"mean": float(maps.mean()), "active": float((maps > 0).mean())},
        channels=[{"index": i, "mean": float(stats["mean"][i]), "max": float(stats["max"][i]),
                   "active": float(stats["active"][i])} for i in range(maps.shape[0])],
        top=layout.order[:8] if order == "strength" else
        [int(i) for i in np.argsort(-stats["mean"], kind="stable")[:8]],
        atlas=layout)


def atlas_png(services: Services, image: StoredImage, stage: str, order: str) -> bytes:
    """All channels tiled in one PNG, each normalised to its own range (cached)."""
    def build() -> bytes:
        maps = stage_maps(services, image, stage)
        layout = atlas_layout(maps, order)
        canvas = tile([colormap(maps[ch], "viridis") for ch in layout.order], layout.cols,
                      layout.gap)
        return encode(canvas, "png")

    return services.derived.get_or_compute(("atlas", image.id, stage, order), build)


def channel_detail(services: Services, image: StoredImage, stage: str, channel: int
                   ) -> ChannelDetail:
    """One channel's values with its 2x2 max- and average-pooled versions."""
    m = channel_map(services, image, stage, channel)
    pooled = min(m.shape) >= 2
    return ChannelDetail(
        stage=stage, channel=channel, shape=list(m.shape), values=m.tolist(), gap=float(m.mean()),
        max_pool=pool2d(m, PoolSpec("max", 2, 2)).tolist() if pooled else None,
        avg_pool=pool2d(m, PoolSpec("avg", 2, 2)).tolist() if pooled else None)


def channel_png(services: Services, image: StoredImage, stage: str, channel: int) -> bytes:
    return encode(colormap(channel_map(services, image, stage, channel), "viridis"), "png")


def pooled_vector(services: Services, image: StoredImage) -> PooledVector:
    """The global-average-pooled features the classifier reads, strongest first."""
    v = np.asarray(analysis(services, image).pooled, dtype=np.float32)
    top = np.argsort(-v, kind="stable")[:10]
    return PooledVector(length=int(v.size), values=v.tolist(),
                        top=[{"index": int(i), "value": float(v[i])} for i in top])


def describe(services: Services) -> ModelDescription:
    """What ``GET /api/model`` shows: name, size, input, and the stage table."""
    model = services.require_model()
    return ModelDescription(
        name="EfficientNet-Lite0", dataset="ImageNet-1k", parameters=model.parameter_count,
        input=[3, 224, 224],
        preprocessing="RGB, shorter side 256, centre crop 224, (x - 127) / 128",
        stages=model.stage_table())


def search_classes(query: str, limit: int = 20) -> ClassSearch:
    """Class names matching ``query`` (and matching groups), for the Grad-CAM picker."""
    q = query.strip().lower()
    return ClassSearch(
        groups=[g for g in labels.GROUPS if q in g],
        classes=[{"index": i, "label": name} for i, name in labels.search(q)[:limit]])


def stem_filters(services: Services) -> StemFilters:
    """The first layer's 32 learned 3x3 RGB kernels, ``(32, 3, 3, 3)``."""
    w = services.require_model().stem_filters()
    return StemFilters(shape=list(w.shape), layout="out, in (R, G, B), height, width",
                       filters=w.tolist())


def stem_filters_png(services: Services, scale: int = 16) -> bytes:
    """Each filter as a 3x3 RGB tile (zero is mid-grey), 8 per row, enlarged."""
    w = services.require_model().stem_filters()  # (32, 3, 3, 3)
    peak = float(np.abs(w).max()) or 1.0
    tiles = np.clip(w / peak * 127.5 + 127.5, 0, 255).astype(np.uint8)  # (32, 3, 3, 3)
    tiles = tiles.transpose(0, 2, 3, 1)  # (32, 3, 3, RGB)
    big = [cv2.resize(t, (3 * scale, 3 * scale), interpolation=cv2.INTER_NEAREST) for t in tiles]
    return encode(tile(big, cols=8, gap=2, background=255), "png")


def stage_strengths(services: Services, image: StoredImage) -> StageStrengths:
    """Mean activation and fraction active for every stage, with its strongest channels."""
    a = analysis(services, image)
    out = []
    for stage in STAGE_IDS:
        maps = a.activations[stage]
        stats = channel_stats(maps)
        top = np.argsort(-stats["mean"], kind="stable")[:5]
        out.append({"stage": stage, "shape": list(maps.shape), "mean": float(maps.mean()),
                    "active": float((maps > 0).mean()),
                    "top_channels": [{"index": int(i), "mean": float(stats["mean"][i])}
                                     for i in top]})
    return StageStrengths(stages=out)
