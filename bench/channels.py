"""What a channel looks for: feature visualisation time per stage at the default settings
(128 px, 256 steps, one thread) and the bundled photos' one-time precompute, in-process."""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from app.cnn import patches
from app.cnn.channels_schemas import SIZE_DEFAULT, STEPS_DEFAULT
from app.cnn.dataset import colour_covariance
from app.core.settings import Settings
from app.main import build_services
from models.featurevis import WINDOW, Visualisation, colour_mixing, model_input, stage_value
from models.service import ModelService
from models.stages import STAGE_IDS

TARGET_S = 15.0  # the issue's: any stage, default settings, one core


class _Ctx:
    """Enough of a job's context to run the index job outside a worker."""

    def __init__(self, services) -> None:
        self.services, self.id = services, "bench"

    def progress(self, *args, **kwargs) -> None:
        pass

    def save_result(self, name: str, data: bytes) -> None:
        pass


def _floor_s(model, stage: str, steps: int) -> float:
    """The bare gradients: ``steps`` forward + backward passes of a fixed 128 px input, with
    no parameterisation, warp or optimiser (what no implementation can go below)."""
    x = model_input(torch.rand(1, 3, WINDOW, WINDOW)).requires_grad_()
    t0 = time.perf_counter()
    for _ in range(steps):
        with torch.enable_grad():
            value = stage_value(model, stage, x.contiguous(memory_format=torch.channels_last))
            torch.autograd.grad(value[:, 0].mean(), [x])
    return time.perf_counter() - t0


def main() -> None:
    service = ModelService.load(threads=1)
    model = service.model
    settings = Settings()
    mixing = colour_mixing(colour_covariance(settings.dataset_dir))
    print(f"feature visualisation, channel 0, {SIZE_DEFAULT} px, {STEPS_DEFAULT} steps, "
          f"1 thread (target {TARGET_S:g} s at every stage)")
    for stage in STAGE_IDS:
        vis = Visualisation(model, stage, 0, SIZE_DEFAULT, 0, mixing)
        t0 = time.perf_counter()
        for _ in vis.steps(STEPS_DEFAULT):
            pass
        vis.picture()
        took = time.perf_counter() - t0
        floor = _floor_s(model, stage, STEPS_DEFAULT)
        print(f"  {stage:7} {took:6.2f} s   target {TARGET_S:5.1f} s   floor {floor:6.2f} s "
              "(bare forward+backward)")
    with tempfile.TemporaryDirectory() as tmp:
        services = build_services(replace(settings, channels_cache_dir=Path(tmp)))
        services.model = service
        n = 200
        t0 = time.perf_counter()
        patches.run_index(_Ctx(services), {})
        took = time.perf_counter() - t0
        x = torch.zeros(patches.INDEX_BATCH, 3, 224, 224)
        t0 = time.perf_counter()
        with torch.inference_mode():
            for _ in range(int(np.ceil(n / patches.INDEX_BATCH))):
                model.forward_stages(x, parts=False)
        floor = time.perf_counter() - t0
        print(f"bundled photos' per-channel maxima ({n} photos, every stage), once")
        print(f"  precompute {took:6.2f} s   target   30.0 s   floor {floor:6.2f} s "
              "(the forwards alone)")


if __name__ == "__main__":
    main()
