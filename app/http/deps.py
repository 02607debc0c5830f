"""Dependency aliases every router shares: the app's ``Services``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.core.services import Services


async def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]
