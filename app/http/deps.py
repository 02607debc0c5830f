"""Dependency aliases every router shares: the app's ``Services``, who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from app.core.services import Services


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def client_id(request: Request, x_convlens_client: Annotated[
        str | None, Header(max_length=64, description="the browser's own random id: job "
                                                      "bounds count per client")] = None) -> str:
    """Who is asking, for the per-client job bound: the page's own id (``X-ConvLens-Client``:
    a classroom behind one NAT is many clients), else the peer address."""
    if x_convlens_client and x_convlens_client.isascii() and x_convlens_client.isalnum():
        return f"c:{x_convlens_client}"
    return f"ip:{request.client.host if request.client else 'unknown'}"


ClientDep = Annotated[str, Depends(client_id)]
