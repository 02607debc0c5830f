"""Holding a CPU gate's slot from another thread, for tests of what waits for it."""

from __future__ import annotations

import threading

from app.core.gate import JobGate


def hold_slot(gate: JobGate) -> tuple[threading.Thread, threading.Event]:
    """A thread holding one slot of ``gate`` (every slot of a one-slot gate) until the
    returned event is set, or 30 s pass; returns once the slot is held."""
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert holding.wait(5)
    return holder, release
