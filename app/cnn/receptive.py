"""Where one unit of a stage looks: its theoretical receptive field, carried back to the
photo, and its effective field (the gradient of the unit with respect to the crop's pixels).

The box is arithmetic (``models.receptive``); the effective field is one backward pass from
the unit, on the image's cached crop, answered at once and cached per unit.
"""

from __future__ import annotations

from typing import Literal

import cv2
import numpy as np

from app.cnn.receptive_schemas import Picture, ReceptiveField
from app.cnn.service import analysis
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import StoredImage
from app.imaging.encode import colormap, encode, encode_npy
from models.receptive import PhotoGeometry, effective_field, fields, unit_box
from models.stages import STAGE_IDS

FieldAs = Literal["json", "image", "npy"]
BOX_COLOUR = (255, 255, 255)
HEAT_OPACITY = 0.85


def check_stage(stage: str) -> None:
    """404 unless ``stage`` is one of the network's stages (blocks are not offered)."""
    if stage not in STAGE_IDS:
        raise NotFound(f"There is no stage {stage[:40]!r} here; the stages are "
                       f"{', '.join(STAGE_IDS)}.", stages=STAGE_IDS)


def check_unit(stage: str, x: int, y: int) -> None:
    """404 for an unknown stage, 422 for a unit outside its map."""
    check_stage(stage)
    side = fields()[stage].side
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < side:
            raise InvalidParameter(f"{name}: {stage}'s map is {side}x{side}, so {name} is "
                                   f"0-{side - 1}, not {value}", field=name, map_side=side)


def check_channel(services: Services, image: StoredImage, stage: str, channel: int | None
                  ) -> None:
    """404 for a channel the stage does not have (the analysis says how many it has)."""
    if channel is None:
        return
    count = analysis(services, image).activations[stage].shape[0]
    if not 0 <= channel < count:
        raise NotFound(f"{stage} has channels 0-{count - 1}; there is no {channel}.")


def answer(services: Services, image: StoredImage, stage: str, x: int, y: int,
           channel: int | None, as_: FieldAs) -> ReceptiveField | Picture:
    """What the route answers: the boxes (``json``), or the effective field as a picture
    over the crop (``image``) or raw (``npy``)."""
    if as_ == "json":
        return describe(services, image, stage, x, y, channel)
    grad = effective(services, image, stage, x, y, channel)
    if as_ == "npy":
        return Picture(encode_npy(grad), "npy", f"effective-field-{stage}-{x}-{y}")
    return Picture(effective_png(services, image, stage, x, y, grad), "png",
                   f"effective-field-{stage}-{x}-{y}")


def describe(services: Services, image: StoredImage, stage: str, x: int, y: int,
             channel: int | None = None) -> ReceptiveField:
    """The unit's theoretical field in the crop and in the photo. Arithmetic alone, unless a
    channel is named: then the model says whether the stage has it."""
    check_unit(stage, x, y)
    check_channel(services, image, stage, channel)
    f = fields()[stage]
    geometry = PhotoGeometry.of(*image.rgb.shape[:2])
    crop_box = unit_box(stage, y, x)
    x0, y0, x1, y1 = geometry.to_photo(crop_box)
    effective_url = (f"/api/images/{image.id}/stages/{stage}/receptive-field?x={x}&y={y}"
                     + (f"&channel={channel}" if channel is not None else "") + "&as=image")
    return ReceptiveField(
        stage=stage, x=x, y=y, channel=channel, map_side=f.side, stride=f.stride,
        field_size=f.size, x0=x0, y0=y0, x1=x1, y1=y1, crop_box=_box(crop_box),
        seen=_box(geometry.seen()),
        photo={"width": geometry.width, "height": geometry.height},
        scale=(geometry.sx + geometry.sy) / 2, effective=effective_url)


def _box(b: tuple[int, int, int, int]) -> dict[str, int]:
    return dict(zip(("x0", "y0", "x1", "y1"), b, strict=True))


def effective(services: Services, image: StoredImage, stage: str, x: int, y: int,
              channel: int | None) -> np.ndarray:
    """``(224, 224) float32`` gradient magnitude of the unit (all channels summed, or one)."""
    check_unit(stage, x, y)
    model = services.require_model()
    check_channel(services, image, stage, channel)
    crop = analysis(services, image).crop

    def run() -> np.ndarray:
        with services.gate.slot():
            return effective_field(model.model, crop, stage, y, x, channel)

    return services.derived.get_or_compute(("effective-field", image.id, stage, x, y, channel),
                                           run)


def effective_png(services: Services, image: StoredImage, stage: str, x: int, y: int,
                  grad: np.ndarray) -> bytes:
    """The effective field ``grad`` as heat over the crop, with the theoretical box drawn
    around it. The heat is the square root of the magnitude over its peak: the gradient
    falls off so fast from the centre that a linear scale shows a dot and hides the rest."""
    crop = analysis(services, image).crop
    level = np.sqrt(grad / max(float(grad.max()), 1e-12))  # (224, 224) in [0, 1]
    heat = colormap(level, "inferno", lo=0.0, hi=1.0).astype(np.float32)
    alpha = (HEAT_OPACITY * level)[:, :, None]  # where the unit looks, the heat covers the crop
    picture = (crop * (1 - alpha) + heat * alpha).round().astype(np.uint8)
    x0, y0, x1, y1 = unit_box(stage, y, x)
    cv2.rectangle(picture, (x0, y0), (x1, y1), BOX_COLOUR, 1)
    return encode(picture, "png")
