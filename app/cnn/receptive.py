"""Where one unit of a stage looks: its theoretical receptive field, carried back to the
photo, and its effective field (the gradient of the unit with respect to the crop's pixels).

The box is arithmetic (``models.receptive``); the effective field is one backward pass from
the unit, on the image's cached crop, answered at once and cached per unit.
"""

from __future__ import annotations

import cv2
import numpy as np

from app.cnn.service import analysis
from app.core.errors import InvalidParameter, NotFound
from app.core.services import Services
from app.images.service import StoredImage
from app.imaging.encode import colormap, encode
from models.receptive import PhotoGeometry, fields, unit_box
from models.stages import STAGE_IDS

BOX_COLOUR = (255, 255, 255)
HEAT_OPACITY = 0.85


def check_unit(stage: str, x: int, y: int) -> None:
    """404 for an unknown stage, 422 for a unit outside its map."""
    if stage not in STAGE_IDS:
        raise NotFound(f"Receptive fields are given for {', '.join(STAGE_IDS)}; "
                       f"not {stage[:40]!r}.")
    side = fields()[stage].side
    for name, value in (("x", x), ("y", y)):
        if not 0 <= value < side:
            raise InvalidParameter(f"{name}: {stage}'s map is {side}x{side}, so {name} is "
                                   f"0-{side - 1}, not {value}", field=name, map_side=side)


def describe(image: StoredImage, stage: str, x: int, y: int) -> dict:
    """The unit's theoretical field in the crop and in the photo (``ReceptiveField``)."""
    check_unit(stage, x, y)
    f = fields()[stage]
    geometry = PhotoGeometry.of(*image.rgb.shape[:2])
    crop_box = unit_box(stage, y, x)
    x0, y0, x1, y1 = geometry.to_photo(crop_box)
    return {
        "stage": stage, "x": x, "y": y, "map_side": f.side, "stride": f.stride,
        "field_size": f.size, "x0": x0, "y0": y0, "x1": x1, "y1": y1,
        "crop_box": _box(crop_box), "seen": _box(geometry.seen()),
        "photo": {"width": geometry.width, "height": geometry.height},
        "scale": (geometry.sx + geometry.sy) / 2,
        "effective": f"/api/images/{image.id}/stages/{stage}/receptive-field?x={x}&y={y}"
                     "&as=image"}


def _box(b: tuple[int, int, int, int]) -> dict[str, int]:
    return dict(zip(("x0", "y0", "x1", "y1"), b, strict=True))


def effective(services: Services, image: StoredImage, stage: str, x: int, y: int,
              channel: int | None) -> np.ndarray:
    """``(224, 224) float32`` gradient magnitude of the unit (all channels summed, or one)."""
    from models.receptive import effective_field  # torch only where the work is

    check_unit(stage, x, y)
    model = services.require_model()
    a = analysis(services, image)
    count = a.activations[stage].shape[0]
    if channel is not None and not 0 <= channel < count:
        raise NotFound(f"{stage} has channels 0-{count - 1}; there is no {channel}.")

    def run() -> np.ndarray:
        with services.gate.slot():
            return effective_field(model.model, a.crop, stage, y, x, channel)

    return services.derived.get_or_compute(("effective-field", image.id, stage, x, y, channel),
                                           run)


def effective_png(services: Services, image: StoredImage, stage: str, x: int, y: int,
                  channel: int | None) -> bytes:
    """The effective field as heat over the crop, with the theoretical box drawn around it.
    The heat is the square root of the magnitude over its peak: the gradient falls off so
    fast from the centre that a linear scale shows a dot and hides the rest of the field."""
    grad = effective(services, image, stage, x, y, channel)
    crop = analysis(services, image).crop
    level = np.sqrt(grad / max(float(grad.max()), 1e-12))  # (224, 224) in [0, 1]
    heat = colormap(level, "inferno", lo=0.0, hi=1.0).astype(np.float32)
    alpha = (HEAT_OPACITY * level)[:, :, None]  # where the unit looks, the heat covers the crop
    picture = (crop * (1 - alpha) + heat * alpha).round().astype(np.uint8)
    x0, y0, x1, y1 = unit_box(stage, y, x)
    cv2.rectangle(picture, (x0, y0), (x1, y1), BOX_COLOUR, 1)
    return encode(picture, "png")
