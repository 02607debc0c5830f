"""``StoredImageDep``: the image a route's ``{image_id}`` names (404 ``image_not_found``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.concurrency import run_in_threadpool

from app.http.deps import ServicesDep
from app.images.service import StoredImage, lookup_image


async def stored_image(image_id: str, services: ServicesDep) -> StoredImage:
    """Resolve ``{image_id}`` from the path. Async so the common case (the image is in
    this process) costs no threadpool hop; only a remote (Redis) lookup goes to a thread."""
    rgb = services.images.peek(image_id)
    if rgb is not None:
        return StoredImage(image_id, rgb)
    return await run_in_threadpool(lookup_image, services, image_id)


StoredImageDep = Annotated[StoredImage, Depends(stored_image)]
