"""Dependency aliases every router shares: the app's ``Services``, who is asking, and
the refusal of a ``null`` body."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from app.core.errors import invalid
from app.core.services import Services
from app.jobs.record import Client


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


async def client_id(request: Request, x_convlens_client: Annotated[
        str | None, Header(max_length=64, description="the browser's own random id: job "
                                                      "bounds count per client")] = None
                    ) -> Client:
    """Who is asking, for the job bounds: the page's own id (``X-ConvLens-Client``: a
    classroom behind one NAT is many clients), else the peer address; and the peer address
    always, because a header is the client's to choose (a wider bound counts per address)."""
    address = request.client.host if request.client else "unknown"
    if x_convlens_client and x_convlens_client.isascii() and x_convlens_client.isalnum():
        return Client(f"c:{x_convlens_client}", address)
    return Client(f"ip:{address}", address)


ClientDep = Annotated[Client, Depends(client_id)]


async def refuse_null_body(request: Request) -> None:
    """For a POST whose body is optional (none, or a JSON object): FastAPI reads JSON
    ``null`` as no body at all, so refuse it here (422), as any other non-object is."""
    if (await request.body()).strip() == b"null":
        raise invalid("body", "send no body or a JSON object such as {}, not null")


NoNullBody = Depends(refuse_null_body)  # in a route's ``dependencies``
