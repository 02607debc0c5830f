"""Run every benchmark in turn: ``python -m bench`` (or ``make bench``)."""

from __future__ import annotations

import importlib
import sys

from bench import report

SUITES = ["bench.playground", "bench.cnn", "bench.load", "bench.browser", "bench.memory",
          "bench.teach", "bench.jobs", "bench.channels", "bench.saliency"]


def main(names: list[str]) -> None:
    for name in names or SUITES:
        print(f"== {name}")
        importlib.import_module(name).main()
    print("\n" + report.table())


if __name__ == "__main__":
    main([f"bench.{n}" for n in sys.argv[1:]])
