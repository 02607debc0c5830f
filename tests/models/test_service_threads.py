"""The network runs on a few threads of its own, whichever threads ask: each thread that has
run it keeps memory for itself, so the many request threads of a server must not."""

from __future__ import annotations

import threading

import numpy as np

from models.service import ModelService


def test_forwards_and_backwards_run_on_the_models_own_threads(random_model):
    service = ModelService(random_model.model, workers=2)
    ran_on: set[str] = set()
    forward_stages, forward_from = service.fast.forward_stages, service.fast.forward_from

    def recording(fn):
        def run(*args, **kwargs):
            ran_on.add(threading.current_thread().name)
            return fn(*args, **kwargs)
        return run

    service.fast.forward_stages = recording(forward_stages)
    service.fast.forward_from = recording(forward_from)
    rgb = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    callers = set()
    results = []

    def ask() -> None:
        callers.add(threading.current_thread().name)
        analysis = service.analyse(rgb)
        results.append((analysis, service.explain(analysis.activations, 3, "stage5")))

    threads = [threading.Thread(target=ask, name=f"request-{k}") for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len(callers) == 8
    assert ran_on and all(name.startswith("model") for name in ran_on)
    assert len(ran_on) <= 2
    first = results[0]
    for analysis, explanation in results[1:]:  # the same photo, the same answers
        np.testing.assert_array_equal(analysis.probs, first[0].probs)
        np.testing.assert_array_equal(explanation.cams["stage7"], first[1].cams["stage7"])
