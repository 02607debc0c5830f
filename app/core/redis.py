"""The one way ConvLens talks to Redis: a client per URL, and one mapping of its errors.

Images, projects and jobs may all live in Redis; whichever of them fails, the
client is told the same thing (503 ``store_unavailable``, or 503 ``busy`` when
a lock could not be had in time) and never sees a driver's exception.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from app.core.errors import Busy, StoreUnavailable

TIMEOUT_S = 2.0  # connect and socket timeout: a stalled Redis must not hang a request


@cache
def client(url: str) -> Any:
    """A ``redis.Redis`` for ``url``, shared by every store of this process (it pools
    connections and is thread-safe). Imported on first use: memory-only setups never need it."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S)


@contextmanager
def reachable(what: str) -> Iterator[None]:
    """Run Redis calls, turning its failures into the API's errors; ``what`` names the store
    in the message ("image store", "project store")."""
    import redis

    try:
        yield
    except redis.exceptions.LockError:
        raise Busy(f"The {what} is being changed by another request; retry.") from None
    except redis.RedisError as exc:
        raise StoreUnavailable(f"The shared {what} is unreachable; try again shortly.",
                               reason=type(exc).__name__) from None
