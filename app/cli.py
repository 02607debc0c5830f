"""``convlens``: serve the app with uvicorn, or ``convlens worker``: run jobs for it.

    convlens [serve] [--host H] [--port P] [--workers N]
    convlens worker [--threads N]        (needs CONVLENS_STORE_BACKEND=redis)
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="convlens", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command")
    serve = commands.add_parser("serve", help="serve the web app (the default)")
    worker = commands.add_parser("worker", help="run jobs from the shared Redis queue")
    for p in (parser, serve):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
        p.add_argument("--access-log", action="store_true",
                       help="log every request (off by default: a reverse proxy usually "
                            "does it, and it costs measurable throughput here)")
    worker.add_argument("--threads", type=int, default=None,
                        help="jobs at once (default CONVLENS_JOB_WORKERS)")
    args = parser.parse_args(argv)
    if args.command == "worker":
        run_worker(args.threads)
    else:
        import uvicorn

        from app.http.limits import MAX_JSON_BYTES

        # WebSocket messages (the playground's live edits) are JSON bodies like any other:
        # the app answers one past MAX_JSON_BYTES with the 413 envelope, uvicorn closes the
        # connection on anything far larger. No per-message deflate: the frames are JPEG or
        # PNG already (measured: zlib took 1.9 ms over a 86 KB live frame to save 0.1%).
        uvicorn.run("app.main:create_app", factory=True, host=args.host, port=args.port,
                    workers=args.workers, log_level="info", access_log=args.access_log,
                    ws_max_size=2 * MAX_JSON_BYTES, ws_per_message_deflate=False)


def run_worker(threads: int | None = None) -> None:
    """Run jobs until SIGTERM or SIGINT: the stores, the job system and the model are built
    once for the process, as a web process builds them."""
    from app.core.settings import Settings
    from app.jobs.workers import JobWorkers
    from app.main import build_services, load_model

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("huey").setLevel(logging.WARNING)  # not a line per task
    settings = Settings.from_env()
    if settings.store_backend != "redis":
        raise SystemExit("convlens worker takes jobs from Redis: set CONVLENS_STORE_BACKEND=redis "
                         "and CONVLENS_REDIS_URL (with the memory backend, the web process "
                         "runs its own jobs)")
    services = build_services(settings)
    load_model(services)
    workers = JobWorkers(services.jobs, threads or settings.job_workers)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    workers.start()
    logging.getLogger("convlens.jobs").info("worker ready: %d job thread(s)", workers.count)
    stop.wait()
    workers.stop()


if __name__ == "__main__":
    main()
