"""What a channel responds to: a picture optimised to excite it, computed as a job.

``start`` queues (or joins) the ``channel-visualization`` job for one (stage, channel,
size, steps, seed); the job streams its picture as it improves (a preview PNG every
second and the objective in its progress) and keeps the finished picture in the job
store and on disk, where ``finished_picture`` serves it from. The numerics are
``models.featurevis``; torch is imported only inside the job.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from app.cnn import channel_cache
from app.cnn.channels_schemas import VisualizationRequest
from app.cnn.dataset import colour_covariance
from app.core.errors import Conflict, NotFound
from app.core.services import Services
from app.imaging.encode import encode
from app.jobs.record import Client, JobRecord
from app.jobs.system import JobContext, Kind
from models.stages import STAGE_IDS

KIND = "channel-visualization"
VERSION = 1  # of the algorithm: bump to leave every cached picture behind
PREVIEW_EVERY_S = 1.0  # a new intermediate picture at most this often
TIME_LIMIT_S = 120.0  # the most steps at the head take about 25 s on a quiet core


def channel_count(services: Services, stage: str) -> int:
    """Channels of ``stage`` (404 for anything but stem, stage1..stage7, head)."""
    if stage not in STAGE_IDS:
        raise NotFound(f"There is no stage called {stage[:40]!r}; the stages are "
                       f"{', '.join(STAGE_IDS)}.")
    row = next(r for r in services.require_model().stage_table() if r["id"] == stage)
    return int(row["out_shape"][0])


def check_channel(services: Services, stage: str, channel: int) -> None:
    count = channel_count(services, stage)
    if not 0 <= channel < count:
        raise NotFound(f"{stage} has channels 0-{count - 1}; there is no {channel}.")


def model_fingerprint(services: Services) -> str:
    """A short hash of some weights: pictures and indexes of one model are never served
    for another (tests run random-weight models)."""
    model = services.require_model().model
    h = hashlib.sha256(model.stem.conv.weight.detach().numpy().tobytes())
    h.update(model.head.bn.bias.detach().numpy().tobytes())
    return h.hexdigest()[:8]


def _name(services: Services, p: dict[str, Any]) -> str:
    return (f"vis{VERSION}-{model_fingerprint(services)}-{p['stage']}-{p['channel']}-"
            f"{p['size']}-{p['steps']}-{p['seed']}.png")


def picture_url(p: dict[str, Any]) -> str:
    return (f"/api/stages/{p['stage']}/channels/{p['channel']}/visualization"
            f"?size={p['size']}&steps={p['steps']}&seed={p['seed']}")


def preview_url(job_id: str) -> str:
    return f"/api/channels/visualizations/{job_id}/preview"


def _params(stage: str, channel: int, req: VisualizationRequest) -> dict[str, Any]:
    return {"stage": stage, "channel": channel, "size": req.size, "steps": req.steps,
            "seed": req.seed}


def start(services: Services, stage: str, channel: int, req: VisualizationRequest,
          client: Client) -> JobRecord:
    """Queue the optimisation, or join the job that did or does the same."""
    check_channel(services, stage, channel)
    params = _params(stage, channel, req)
    return services.jobs.submit(KIND, params, client=client,
                                key=f"channel-vis:{_name(services, params)}")


def finished_picture(services: Services, stage: str, channel: int,
                     req: VisualizationRequest) -> bytes:
    """The finished PNG: from this host's disk, else from the job that made it (409 while it
    runs, 404 when nobody asked for it or it is no longer kept)."""
    check_channel(services, stage, channel)
    params = _params(stage, channel, req)
    name = _name(services, params)
    data = channel_cache.read(services.settings, name)
    if data is not None:
        return data
    job = services.jobs.store.live(f"channel-vis:{name}")
    if job is None:
        raise NotFound("This picture has not been made yet (or is no longer kept): POST to "
                       "this URL's path with these settings to make it.")
    if job.status != "done":
        raise Conflict(f"The picture is still being optimised ({job.progress:.0%}); follow "
                       "its job.", job=f"/api/jobs/{job.id}", status=job.status)
    data = services.jobs.store.result(job.id, "picture")
    if data is None:
        raise NotFound("This picture is no longer kept; POST again to make it.")
    channel_cache.write(services.settings, name, data)  # this host keeps it from now on
    return data


def preview(services: Services, job_id: str) -> bytes:
    """The latest intermediate picture of a visualisation job (404 before the first)."""
    record = services.jobs.get(job_id)
    if record.kind != KIND:
        raise NotFound(f"Job {job_id[:40]!r} is not a channel visualisation.")
    data = services.jobs.store.result(job_id, "preview")
    if data is None:
        raise NotFound("No picture yet: the job has not started optimising.")
    return data


def run(ctx: JobContext, params: dict[str, Any]) -> str:
    """The job: optimise, streaming a preview every second, then keep the picture."""
    services = ctx.services
    name, url = _name(services, params), picture_url(params)
    kept = channel_cache.read(services.settings, name)
    if kept is not None:  # made here before, and the job that made it has expired
        ctx.save_result("preview", kept)
        ctx.save_result("picture", kept)
        return url
    from models.featurevis import Visualisation, colour_mixing

    mixing = colour_mixing(colour_covariance(services.settings.dataset_dir))
    vis = Visualisation(services.require_model().model, params["stage"], params["channel"],
                        params["size"], params["seed"], mixing)
    steps, shown_at, shown = params["steps"], float("-inf"), 0
    link = preview_url(ctx.id)
    for step, objective in vis.steps(steps):
        fresh = time.monotonic() - shown_at >= PREVIEW_EVERY_S
        if fresh:
            ctx.save_result("preview", encode(vis.picture(), "png"))
            shown_at, shown = time.monotonic(), step
        ctx.progress(step / steps, f"step {step} of {steps}", force=fresh,
                     objective=round(objective, 4), step=step, preview_step=shown,
                     preview=link)
    data = encode(vis.picture(), "png")
    ctx.save_result("preview", data)
    ctx.save_result("picture", data)
    ctx.progress(1.0, f"step {steps} of {steps}", force=True, preview_step=steps)
    channel_cache.write(services.settings, name, data)
    return url


KINDS = [Kind(KIND, run, TIME_LIMIT_S)]
