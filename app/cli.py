"""``convlens``: serve the app with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn


def main(argv: list[str] | None = None) -> None:
    """Parse ``--host/--port/--workers/--access-log`` and serve ``app.main:create_app``."""
    parser = argparse.ArgumentParser(prog="convlens", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--access-log", action="store_true",
                        help="log every request (off by default: a reverse proxy usually "
                             "does it, and it costs measurable throughput here)")
    args = parser.parse_args(argv)
    uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info", access_log=args.access_log)


if __name__ == "__main__":
    main()
