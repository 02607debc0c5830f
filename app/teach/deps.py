"""Path parameters Teach's routers share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

Id = Annotated[str, Path(max_length=40)]  # a project, class, photo or job id
