"""The CNN inspector's use cases: analyse a stored image once, then serve views of it.

One forward pass per image id (cached in the byte-bounded LRU); every stage,
channel, atlas and pooled view is cut from that cached analysis. Grad-CAM needs
gradients, so it runs one forward and backward per (image, target) and caches
the maps of every stage at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import cv2
import numpy as np

from app.deps import Services, StoredImage
from app.errors import InvalidParameter, ModelUnavailable, NotFound
from app.imaging.convolve import PoolSpec, pool2d
from app.imaging.encode import colormap, encode, tile

ATLAS_GAP = 1  # pixels between tiles


def model_service(services: Services):
    """The loaded ``models.probe.ModelService``, or 503 ``model_unavailable``."""
    if services.model is None:
        raise ModelUnavailable("The CNN is not loaded on this server (CONVLENS_LOAD_MODEL=0).")
    return services.model


def analysis(services: Services, image: StoredImage):
    """The cached forward pass of ``image`` (``models.probe.Analysis``)."""
    model = model_service(services)

    def run():
        with services.gate.slot():
            return model.analyse(image.rgb)

    return services.derived.get_or_compute(("analysis", image.id), run)


def predict(services: Services, image: StoredImage) -> dict:
    """Top-5 classes and coarse groups ("dog: 97%")."""
    a = analysis(services, image)
    return {"top": [{"index": int(i), "label": label, "prob": float(p)} for i, label, p in a.top5],
            "groups": {k: float(v) for k, v in a.groups.items()},
            "crop": f"/api/images/{image.id}/crop"}


def stage_maps(services: Services, image: StoredImage, layer: str) -> np.ndarray:
    """``(C, h, w)`` float32 activations of a stage, block or block part (404 if unknown).

    Block parts (``stage4.2.expand``) are not in the cached analysis: one block is
    re-run on its cached input (about a millisecond) and the result cached too."""
    a = analysis(services, image)
    maps = a.activations.get(layer)
    if maps is None and layer.count(".") == 2:
        block = layer.rsplit(".", 1)[0]
        model = model_service(services)
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


@dataclass(frozen=True)
class AtlasLayout:
    """Where each channel sits in the tiled image: tile ``k`` shows channel ``order[k]``."""

    cols: int
    rows: int
    tile_h: int
    tile_w: int
    order: list[int]

    def as_dict(self) -> dict:
        return {"cols": self.cols, "rows": self.rows, "tile": [self.tile_h, self.tile_w],
                "gap": ATLAS_GAP, "order": self.order}


def atlas_layout(maps: np.ndarray, order: str) -> AtlasLayout:
    """Channels in a near-square grid, by index or strongest mean activation first."""
    c, h, w = maps.shape
    cols = math.ceil(math.sqrt(c))
    if order == "strength":
        ranked = np.argsort(-channel_stats(maps)["mean"], kind="stable")
    else:
        ranked = np.arange(c)
    return AtlasLayout(cols, math.ceil(c / cols), h, w, [int(i) for i in ranked])


def stage_summary(services: Services, image: StoredImage, stage: str, order: str) -> dict:
    """Statistics of every channel of a stage and the layout of its atlas."""
    maps = stage_maps(services, image, stage)
    stats = channel_stats(maps)
    layout = atlas_layout(maps, order)
    return {
        "stage": stage, "shape": list(maps.shape),
        "strength": {"mean": float(maps.mean()), "active": float((maps > 0).mean())},
        "channels": [{"index": i, "mean": float(stats["mean"][i]), "max": float(stats["max"][i]),
                      "active": float(stats["active"][i])} for i in range(maps.shape[0])],
        "top": layout.order[:8] if order == "strength" else
        [int(i) for i in np.argsort(-stats["mean"], kind="stable")[:8]],
        "atlas": layout.as_dict(),
    }


def atlas_png(services: Services, image: StoredImage, stage: str, order: str) -> bytes:
    """All channels tiled in one PNG, each normalised to its own range (cached)."""
    def build() -> bytes:
        maps = stage_maps(services, image, stage)
        layout = atlas_layout(maps, order)
        canvas = tile([colormap(maps[ch], "viridis") for ch in layout.order], layout.cols,
                      ATLAS_GAP)
        return encode(canvas, "png")

    return services.derived.get_or_compute(("atlas", image.id, stage, order), build)


def channel_detail(services: Services, image: StoredImage, stage: str, channel: int) -> dict:
    """One channel's values with its 2x2 max- and average-pooled versions."""
    m = channel_map(services, image, stage, channel)
    detail = {"stage": stage, "channel": channel, "shape": list(m.shape),
              "values": m.tolist(), "gap": float(m.mean())}
    if min(m.shape) >= 2:
        detail["max_pool"] = pool2d(m, PoolSpec("max", 2, 2)).tolist()
        detail["avg_pool"] = pool2d(m, PoolSpec("avg", 2, 2)).tolist()
    return detail


def channel_png(services: Services, image: StoredImage, stage: str, channel: int) -> bytes:
    return encode(colormap(channel_map(services, image, stage, channel), "viridis"), "png")


def pooled_vector(services: Services, image: StoredImage) -> dict:
    """The global-average-pooled features the classifier reads, strongest first."""
    v = np.asarray(analysis(services, image).pooled, dtype=np.float32)
    top = np.argsort(-v, kind="stable")[:10]
    return {"length": int(v.size), "values": v.tolist(),
            "top": [{"index": int(i), "value": float(v[i])} for i in top]}


def parse_target(raw: str) -> int | str:
    """A class index 0-999, a group such as ``dog``, or a class name that names one class
    (``tabby``, ``German shepherd``); 422 otherwise, with candidates when it is ambiguous."""
    from models import labels

    text = raw.strip().lower()
    allowed = (f"class must be 0-{len(labels.NAMES) - 1}, a class name, or a group "
               f"({', '.join(labels.GROUPS)})")
    if re.fullmatch(r"-?[0-9]+", text):  # ASCII digits: str.isdigit() also takes "²"
        index = int(text)
        if not 0 <= index < len(labels.NAMES):
            raise InvalidParameter(f"{allowed}, not {index}", field="class")
        return index
    if text in labels.GROUPS:
        return text
    hits = labels.find(text) if text else []
    if len(hits) == 1:
        return hits[0]
    if hits:
        named = ", ".join(f"{labels.NAMES[i]} (#{i})" for i in hits[:4])
        raise InvalidParameter(f"{raw.strip()[:40]!r} fits {len(hits)} classes, e.g. {named}: "
                               "type more of the name, or the number", field="class",
                               candidates=hits[:20])
    raise InvalidParameter(f"{allowed}; no class is called {raw.strip()[:40]!r}", field="class")


def check_cam_stage(stage: str) -> None:
    """404 unless Grad-CAM can be computed at ``stage`` (a stage id, not a block)."""
    from models.efficientnet_lite0 import STAGE_IDS

    if stage not in STAGE_IDS:
        raise NotFound(f"Grad-CAM is available for {', '.join(STAGE_IDS)}; not {stage[:40]!r}.")


def explanation(services: Services, image: StoredImage, target: int | str, stage: str):
    """Grad-CAM and channel scores at ``stage`` and later stages (``models.probe.Explanation``),
    resumed from the cached forward pass and cached per (image, target, stage)."""
    from models.efficientnet_lite0 import STAGE_IDS

    check_cam_stage(stage)
    model, a = model_service(services), analysis(services, image)
    # An explanation started at an earlier stage already holds this one.
    for earlier in STAGE_IDS[:STAGE_IDS.index(stage)]:
        cached = services.derived.get(("explain", image.id, target, earlier))
        if cached is not None:
            return cached

    def run():
        with services.gate.slot():
            return model.explain(a.activations, target, stage)

    return services.derived.get_or_compute(("explain", image.id, target, stage), run)


def gradcam(services: Services, image: StoredImage, target: int | str, stage: str) -> np.ndarray:
    """The raw ReLU'd Grad-CAM ``(h, w)`` of one stage."""
    return explanation(services, image, target, stage).cams[stage]


def heatmap_png(cam: np.ndarray, crop: np.ndarray | None, opacity: float) -> bytes:
    """The map upsampled to the crop, coloured, optionally blended over it."""
    size = (224, 224) if crop is None else (crop.shape[1], crop.shape[0])
    up = cv2.resize(cam, size, interpolation=cv2.INTER_LINEAR)
    colour = colormap(up, "jet", lo=0.0, hi=max(float(up.max()), 1e-12))
    if crop is None:
        return encode(colour, "png")
    blend = cv2.addWeighted(crop, 1.0 - opacity, colour, opacity, 0)
    return encode(blend, "png")


def describe(services: Services) -> dict:
    """What ``GET /api/model`` shows: name, size, input, and the stage table."""
    model = model_service(services)
    return {"name": "EfficientNet-Lite0", "dataset": "ImageNet-1k",
            "parameters": model.parameter_count, "input": [3, 224, 224],
            "preprocessing": "RGB, shorter side 256, centre crop 224, (x - 127) / 128",
            "stages": model.stage_table()}


def search_classes(query: str, limit: int = 20) -> dict:
    """Class names matching ``query`` (and matching groups), for the Grad-CAM picker."""
    from models import labels

    q = query.strip().lower()
    return {"groups": [g for g in labels.GROUPS if q in g],
            "classes": [{"index": i, "label": name} for i, name in labels.search(q)[:limit]]}


def stem_filters(services: Services) -> dict:
    """The first layer's 32 learned 3x3 RGB kernels, ``(32, 3, 3, 3)``."""
    w = model_service(services).stem_filters()
    return {"shape": list(w.shape), "layout": "out, in (R, G, B), height, width",
            "filters": w.tolist()}


def stem_filters_png(services: Services, scale: int = 16) -> bytes:
    """Each filter as a 3x3 RGB tile (zero is mid-grey), 8 per row, enlarged."""
    w = model_service(services).stem_filters()  # (32, 3, 3, 3)
    peak = float(np.abs(w).max()) or 1.0
    tiles = np.clip(w / peak * 127.5 + 127.5, 0, 255).astype(np.uint8)  # (32, 3, 3, 3)
    tiles = tiles.transpose(0, 2, 3, 1)  # (32, 3, 3, RGB)
    big = [cv2.resize(t, (3 * scale, 3 * scale), interpolation=cv2.INTER_NEAREST) for t in tiles]
    return encode(tile(big, cols=8, gap=2, background=255), "png")


def stage_strengths(services: Services, image: StoredImage) -> dict:
    """Mean activation and fraction active for every stage, with its strongest channels."""
    from models.efficientnet_lite0 import STAGE_IDS

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
    return {"stages": out}


def resolve_target(services: Services, image: StoredImage, raw: str) -> int | str:
    """``top`` means the image's top-1 class; otherwise see ``parse_target``."""
    if raw.strip().lower() == "top":
        return int(analysis(services, image).top5[0][0])
    return parse_target(raw)


def attribution(services: Services, image: StoredImage, target: int | str, stage: str) -> dict:
    """Channels of ``stage`` ranked by gradient x activation for ``target``."""
    scores = explanation(services, image, target, stage).channel_scores[stage]
    top = np.argsort(-scores, kind="stable")[:10]
    return {"stage": stage, "target": target,
            "channels": [{"index": int(i), "score": float(scores[i])} for i in top]}
