"""Memory under abuse: 50 clients at once uploading 2000x1500 photos and analysing them.

Each client, three rounds: upload a new 2000x1500 JPEG, a 15x15 RGB convolution, a
prediction, a stem Grad-CAM and the stem atlas. Prints the server's resident memory idle,
at its peak, and one minute after the last request (the janitor's lull and trim), with the
targets beside them. Bounded: 50 clients x 3 rounds x 5 requests.
"""

from __future__ import annotations

import json
import threading
import time

import numpy as np

from bench.report import figure
from bench.server import Client, multipart, rss_mib, running_server, server_pid
from tests.support.photos import encoded

CLIENTS, ROUNDS = 50, 3
KERNEL = [[1 / 225] * 15] * 15


def _photos() -> list[bytes]:
    rng = np.random.default_rng(0)
    x = np.linspace(0, 255, 2000, dtype=np.float32)
    y = np.linspace(0, 255, 1500, dtype=np.float32)
    base = (x[None, :, None] + y[:, None, None]) / 2 + rng.normal(0, 25, (1500, 2000, 3))
    base = np.clip(base, 0, 255).astype(np.uint8)
    out = []
    for k in range(CLIENTS * ROUNDS):  # every upload is a new image id
        base[0, :k + 1] = 255 - base[0, :k + 1]
        out.append(encoded(base, "JPEG", quality=88))
    return out


def _client(base: str, photos: list[bytes], errors: list[str]) -> None:
    c = Client(base)
    try:
        for data in photos:
            status, _, answer = c.request("POST", "/api/images", *multipart(data))
            if status != 201:
                errors.append(f"{status} upload")
                continue
            image_id = json.loads(answer)["id"]
            for method, path, body in (
                    ("POST", f"/api/images/{image_id}/convolve",
                     json.dumps({"kernel": KERNEL, "channels": "rgb"}).encode()),
                    ("POST", f"/api/images/{image_id}/predict", None),
                    ("GET", f"/api/images/{image_id}/gradcam?stage=stem", None),
                    ("GET", f"/api/images/{image_id}/stages/stem/atlas", None)):
                status, _, _ = c.request(method, path, body)
                if status != 200:
                    errors.append(f"{status} {path.split('/')[-1][:20]}")
    except Exception as exc:
        errors.append(type(exc).__name__)
    finally:
        c.close()


def main() -> None:
    photos = _photos()
    print(f"{CLIENTS} clients at once x {ROUNDS} rounds: a new 2000x1500 JPEG each round, "
          "then a 15x15 RGB convolution, a prediction, a stem Grad-CAM, the stem atlas")
    with running_server(env={"CONVLENS_LOAD_MODEL": "1"}) as base:
        pid = server_pid(base)
        warm = Client(base)  # idle means: started, and the model has run once
        image_id = warm.upload("/api/images", photos[0])["id"]
        warm.request("POST", f"/api/images/{image_id}/predict")
        warm.close()
        time.sleep(2)
        idle = rss_mib(pid)
        peak = [idle]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], rss_mib(pid))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        errors: list[str] = []
        t0 = time.perf_counter()
        clients = [threading.Thread(target=_client, args=(
            base, photos[k * ROUNDS:(k + 1) * ROUNDS], errors)) for k in range(CLIENTS)]
        for t in clients:
            t.start()
        for t in clients:
            t.join(600)
        took = time.perf_counter() - t0
        done.set()
        watcher.join()
        busy = sum(e.startswith("503") for e in errors)
        print(f"  {CLIENTS * ROUNDS * 5} requests in {took:.1f} s; {len(errors)} not 200 "
              f"({busy} were 503 busy, the admission limit at work): {sorted(set(errors))[:6]}")
        time.sleep(60)
        after = rss_mib(pid)
    figure("memory: idle RSS (started, one analysis)", idle, "MiB")
    figure("memory: peak RSS under the abuse run", peak[0], "MiB", 1500)
    figure("memory: RSS a minute after it ended, above idle", after - idle, "MiB", 250)


if __name__ == "__main__":
    main()
