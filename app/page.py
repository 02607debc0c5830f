"""The page: Jinja2 templates filled with what the front end needs to start.

It sits beside ``app.main``, not in ``app.http``: the page shows every feature, so it
knows them all, while the HTTP plumbing knows none.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.cnn.dataset import load_bundle
from app.core.settings import ROOT
from app.http.deps import ServicesDep
from app.images.samples import load_samples
from app.imaging.decode import ACCEPTED
from app.playground.options import playground_options
from models.stages import DEFAULT_CAM_STAGE, STAGE_IDS

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=ROOT / "templates")


@router.get("/", response_class=HTMLResponse)
def index(request: Request, services: ServicesDep) -> HTMLResponse:
    """The one page: upload, kernel playground and CNN inspector share the current photo."""
    samples = load_samples(services.settings.samples_dir)
    options = playground_options()
    return templates.TemplateResponse(request, "index.html", {
        "samples": samples,
        "dataset": load_bundle(services.settings.dataset_dir),  # their credits are shown
        "assets": request.app.state.assets,
        "model_ready": services.model is not None,
        "options": options,
        "accepted_types": list(ACCEPTED.values()),
        # What the scripts read instead of repeating it (static/js/config.js).
        "config": {"playground": options, "stages": STAGE_IDS,
                   "accepted_types": list(ACCEPTED.values()),
                   "cam_stage": DEFAULT_CAM_STAGE},
    })
