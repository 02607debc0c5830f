"""The HTML pages: Jinja2 templates filled with what the front end needs to start."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.core.settings import ROOT
from app.http.deps import ServicesDep
from app.images.samples import load_samples

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=ROOT / "templates")


@router.get("/", response_class=HTMLResponse)
def index(request: Request, services: ServicesDep) -> HTMLResponse:
    """The one page: upload, kernel playground and CNN inspector share the current photo."""
    samples = load_samples(services.settings.samples_dir)
    return templates.TemplateResponse(request, "index.html", {
        "samples": samples,
        "assets": request.app.state.assets,
        "model_ready": services.model is not None,
    })
