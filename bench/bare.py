"""The request path's floor: a bare FastAPI app answering a POST with a ready 512x512 JPEG.

Run by the playground benchmark as ``python -m uvicorn bench.bare:app``; what ConvLens adds
per edit on top of this is its own work and routing.
"""

from __future__ import annotations

import cv2
import numpy as np
from fastapi import FastAPI, Request, Response

from tests.support.photos import noisy_gradient

app = FastAPI()
_JPEG = noisy_gradient(512, 0)
_ = cv2, np  # the same imports as the app, so start-up and memory compare


@app.post("/edit")
async def edit(request: Request) -> Response:
    await request.body()
    return Response(_JPEG, media_type="image/jpeg")
