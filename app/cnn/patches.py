"""Where a channel fires hardest: top image patches over the bundled photos and the user's.

The bundled photos' per-channel maxima are computed once (the ``channel-index`` job, at
first use, in the background, with progress) and kept compactly: per stage an
``(n_photos, C)`` float16 maximum and uint16 position. A request ranks the photos by it,
then recomputes each candidate's map as the analysis computes it, so every reported
activation is exactly the analysis's value at that unit; the box is the unit's receptive
field in the 224x224 crop (``models.receptive``).

"User" photos are the stored images the request names (``image_id``): the photo on the
user's screen and, when the page passes them, their project's photos. Naming them keeps one
student's uploads out of another's results, and gives every process the same answer.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from app.cnn import channel_cache
from app.cnn.channels_schemas import TopPatch
from app.cnn.dataset import BundlePhoto, bundle_digest, load_bundle, read_photo
from app.cnn.service import analysis, stage_maps
from app.cnn.visualize import check_channel, model_fingerprint
from app.core.errors import Conflict
from app.core.services import Services
from app.images.service import StoredImage, lookup_image
from app.imaging.encode import encode, tile
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from models.preprocess import centre_crop
from models.receptive import unit_box
from models.stages import STAGE_IDS

INDEX_KIND = "channel-index"
INDEX_VERSION = 1
INDEX_BATCH = 8  # photos per forward while indexing
INDEX_TIME_LIMIT_S = 300.0  # about 6 s on a quiet core
RERANK_EXTRA = 4  # candidates beyond k, so float16 rounding never hides a true top patch
TILE, TILE_GAP = 72, 2
STAGE_ACTIVATED = {"stem", "head"}  # ConvBN + ReLU6: the analysis reports after the clip
DATASET_URL = "/api/channels/dataset"


@dataclass(frozen=True)
class BundleIndex:
    files: tuple[str, ...]
    maxima: dict[str, np.ndarray]  # stage -> (n, C) float16
    where: dict[str, np.ndarray]  # stage -> (n, C) uint16: flat position in the map

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, files=np.array(self.files),
                            **{f"max_{s}": v for s, v in self.maxima.items()},
                            **{f"at_{s}": v for s, v in self.where.items()})
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> BundleIndex:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return cls(tuple(str(f) for f in z["files"]),
                       {s: z[f"max_{s}"] for s in STAGE_IDS}, {s: z[f"at_{s}"] for s in STAGE_IDS})

    @property
    def nbytes(self) -> int:
        return sum(v.nbytes for v in (*self.maxima.values(), *self.where.values()))


def index_name(services: Services) -> str:
    digest = bundle_digest(services.settings.dataset_dir)
    return f"index{INDEX_VERSION}-{model_fingerprint(services)}-{digest}.npz"


def _job_key(name: str) -> str:
    return f"channel-index:{name}"


def stored_index(services: Services) -> BundleIndex | None:
    """The index if this process, this host's disk or the job store has it (no work)."""
    name = index_name(services)
    found = services.derived.get(("channel-index", name))
    if found is not None:
        return found
    data = channel_cache.read(services.settings, name)
    if data is None:
        job = services.jobs.store.live(_job_key(name))
        if job is not None and job.status == "done":
            data = services.jobs.store.result(job.id, "index")
            if data is not None:
                channel_cache.write(services.settings, name, data)
    if data is None:
        return None
    index = BundleIndex.from_bytes(data)
    services.derived.put(("channel-index", name), index)
    return index


def start_index(services: Services, client: Client) -> JobRecord:
    """Queue the indexing job (or join it; it ends at once when the index is kept already)."""
    name = index_name(services)
    return services.jobs.submit(INDEX_KIND, {"name": name}, client=client, key=_job_key(name))


def bundle_index(services: Services, client: Client) -> BundleIndex:
    """The index, or 409 ``conflict`` naming the job that is building it (started now if
    nobody had): the request never waits for it."""
    index = stored_index(services)
    if index is not None:
        return index
    job = start_index(services, client)
    raise Conflict(f"The bundled photos are being indexed ({job.progress:.0%}); this takes "
                   "a few seconds, once. Follow the job, then ask again.",
                   job=f"/api/jobs/{job.id}")


def run_index(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job: one forward per photo (in batches), every stage's per-channel maxima kept."""
    import torch

    from models.preprocess import to_tensor

    services = ctx.services
    model = services.require_model()
    name = index_name(services)
    kept = channel_cache.read(services.settings, name)
    if kept is not None:
        ctx.save_result("index", kept)
        return DATASET_URL
    photos = load_bundle(services.settings.dataset_dir)
    n = len(photos)
    maxima: dict[str, list[np.ndarray]] = {s: [] for s in STAGE_IDS}
    where: dict[str, list[np.ndarray]] = {s: [] for s in STAGE_IDS}
    for start in range(0, n, INDEX_BATCH):
        batch = photos[start:start + INDEX_BATCH]
        x = torch.cat([to_tensor(centre_crop(read_photo(services, p))) for p in batch])
        with torch.inference_mode():
            _, acts = model.model.forward_stages(x, parts=False)  # (B, C, h, w) per id
        for s in STAGE_IDS:
            peak, at = acts[s].flatten(2).max(dim=2)  # (B, C) each
            maxima[s].append(peak.numpy().astype(np.float16))
            where[s].append(at.numpy().astype(np.uint16))
        done = start + len(batch)
        ctx.progress(done / n, f"photo {done} of {n}", photos=done)
    index = BundleIndex(tuple(p.file for p in photos),
                        {s: np.concatenate(v) for s, v in maxima.items()},
                        {s: np.concatenate(v) for s, v in where.items()})
    data = index.to_bytes()
    ctx.save_result("index", data)
    channel_cache.write(services.settings, name, data)
    return DATASET_URL


@dataclass(frozen=True)
class Found:
    patch: TopPatch
    crop: np.ndarray  # (224, 224, 3) uint8 of the source


def _bundled_peak(services: Services, photo: BundlePhoto, stage: str, channel: int
                  ) -> tuple[StoredImage, np.ndarray, float, int, int]:
    """The photo stored as an upload of it would be, its crop, and the channel's peak
    there, from a forward that stops at ``stage`` (the analysis's own operations, so its
    exact values); per photo and stage only the peaks are cached, not the maps."""
    rgb = read_photo(services, photo)
    image = StoredImage(services.images.put(rgb).id, rgb)
    crop = centre_crop(rgb)

    def peaks() -> tuple[np.ndarray, np.ndarray]:
        import torch

        from models.featurevis import stage_value
        from models.preprocess import to_tensor

        with services.gate.slot(), torch.inference_mode():
            v = stage_value(services.require_model().model, stage, to_tensor(crop))
            if stage in STAGE_ACTIVATED:
                v = torch.nn.functional.relu6(v)
            peak, at = v[0].flatten(1).max(dim=1)  # (C,) each
        side = v.shape[-1]
        return peak.numpy(), np.stack([at.numpy() // side, at.numpy() % side], axis=1)

    peak, at = services.derived.get_or_compute(("channel-peaks", image.id, stage), peaks)
    return image, crop, float(peak[channel]), int(at[channel, 0]), int(at[channel, 1])


def _patch(image_id: str, source: str, stage: str, value: float, row: int, col: int,
           photo: BundlePhoto | None) -> TopPatch:
    x0, y0, x1, y1 = unit_box(stage, row, col)
    return TopPatch(image_id=image_id, source=source, box={"x0": x0, "y0": y0, "x1": x1, "y1": y1},
                    activation=value, credit=photo.credit_line if photo else None,
                    subject=photo.subject if photo else None,
                    licence=photo.licence if photo else None, unit={"row": row, "col": col})


def top_patches(services: Services, stage: str, channel: int, k: int, image_ids: list[str],
                client: Client) -> list[Found]:
    """The ``k`` units where the channel fires most, over the bundle and the named photos,
    strongest first (ties: bundled photos in credits order, then the named ones)."""
    check_channel(services, stage, channel)
    index = bundle_index(services, client)
    photos = {p.file: p for p in load_bundle(services.settings.dataset_dir)}
    column = index.maxima[stage][:, channel].astype(np.float32)
    found: list[Found] = []
    for i in np.argsort(-column, kind="stable")[:k + RERANK_EXTRA]:
        photo = photos.get(index.files[i])
        if photo is None:
            continue
        image, crop, value, row, col = _bundled_peak(services, photo, stage, channel)
        found.append(Found(_patch(image.id, "bundled", stage, value, row, col, photo), crop))
    for image_id in dict.fromkeys(image_ids):
        if any(f.patch.image_id == image_id for f in found):
            continue  # a bundled photo the user opened: listed once, as bundled
        image = lookup_image(services, image_id)  # 404 image_not_found when it is gone
        m = stage_maps(services, image, stage)[channel]  # (h, w), the analysis's own
        row, col = np.unravel_index(int(np.argmax(m)), m.shape)
        found.append(Found(_patch(image.id, "user", stage, float(m[row, col]), int(row),
                                  int(col), None), analysis(services, image).crop))
    found.sort(key=lambda f: -f.patch.activation)  # stable: ties keep the order above
    return found[:k]


def patches_png(found: list[Found]) -> bytes:
    """The patches in one row, each its receptive field cut from the crop and scaled to
    ``TILE`` px, its shape kept (a field clipped at a border is narrower), nearest-neighbour
    when enlarged so a 3-pixel field shows its pixels."""
    tiles = []
    for f in found:
        b = f.patch.box
        region = f.crop[b.y0:b.y1 + 1, b.x0:b.x1 + 1]
        h, w = region.shape[:2]
        scale = TILE / max(h, w)
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(region, size, interpolation=cv2.INTER_NEAREST if scale > 1
                           else cv2.INTER_AREA)
        canvas = np.full((TILE, TILE, 3), 40, np.uint8)
        canvas[:size[1], :size[0]] = small
        tiles.append(canvas)
    if not tiles:
        tiles = [np.full((TILE, TILE, 3), 40, np.uint8)]
    return encode(tile(tiles, cols=len(tiles), gap=TILE_GAP), "png")


KINDS = [Kind(INDEX_KIND, run_index, INDEX_TIME_LIMIT_S)]
