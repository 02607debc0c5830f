"""Static files whose URLs carry a content hash, so browsers may cache them forever."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send


@cache
def _digest(path: Path, mtime_ns: int) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:10]


class Assets:
    """Hash-versioned URLs for files under ``static/`` and the import map of ES modules."""

    def __init__(self, root: Path, prefix: str = "/static") -> None:
        self.root = root
        self.prefix = prefix

    def url(self, relative: str) -> str:
        """``/static/<relative>?v=<hash>``; the hash follows the file's content."""
        path = self.root / relative
        return f"{self.prefix}/{relative}?v={_digest(path, path.stat().st_mtime_ns)}"

    def import_map(self) -> dict[str, dict[str, str]]:
        """Map every module's plain URL to its versioned one, so relative ES-module imports
        also fetch the current file while staying cacheable."""
        js = self.root / "js"
        return {"imports": {
            f"{self.prefix}/{p.relative_to(self.root).as_posix()}":
                self.url(p.relative_to(self.root).as_posix())
            for p in sorted(js.rglob("*.js"))}}


class VersionedStaticFiles(StaticFiles):
    """StaticFiles that marks hash-versioned requests immutable."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        versioned = b"v=" in scope.get("query_string", b"")

        async def send_with_cache(message: dict) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                value = b"public, max-age=31536000, immutable" if versioned else b"no-cache"
                message["headers"] = [*message.get("headers", []), (b"cache-control", value)]
            await send(message)

        await super().__call__(scope, receive, send_with_cache)
