"""Every figure a benchmark measures, printed with its target and the floor beside it.

A figure is printed as it is measured, and ``python -m bench`` ends with one table
of them all (the README's performance table is pasted from it). Nothing is asserted:
a target missed is reported, not failed.
"""

from __future__ import annotations

import os
import platform
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    what: str
    value: float
    unit: str
    target: str = ""  # e.g. "<= 3 ms"; empty when the figure is for information
    floor: str = ""  # what the same work costs with plain calls, measured in the same run
    met: bool | None = None


FIGURES: list[Figure] = []


def figure(what: str, value: float, unit: str, target: float | None = None,
           better: str = "lower", floor: str = "") -> Figure:
    """Record and print one figure; ``target`` with ``better`` ("lower"/"higher") says
    whether it is met."""
    met = None if target is None else (value <= target if better == "lower" else value >= target)
    sign = "<=" if better == "lower" else ">="
    f = Figure(what, value, unit, f"{sign} {target:g} {unit}" if target is not None else "",
               floor, met)
    FIGURES.append(f)
    mark = "" if met is None else ("  met" if met else "  NOT MET")
    print(f"  {what:64} {value:9.2f} {unit:6} {f.target:>14}{mark}"
          + (f"   floor {floor}" if floor else ""))
    return f


def table() -> str:
    """All figures as a Markdown table, with the machine and the date."""
    lines = [f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()}: {os.cpu_count()} cores, "
             f"Python {platform.python_version()}, load average "
             f"{' / '.join(f'{x:.2f}' for x in os.getloadavg())} when the table was printed.", "",
             "| What | Figure | Target | Floor (same work, plain calls) |", "|---|---|---|---|"]
    for f in FIGURES:
        verdict = "" if f.met is None else (" (met)" if f.met else " (**not met**)")
        lines.append(f"| {f.what} | {f.value:.2f} {f.unit} | {f.target}{verdict} | {f.floor} |")
    return "\n".join(lines)
