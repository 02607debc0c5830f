"""The dependency rule: core, imaging and models know nothing of the web framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Imports every module of the three packages with fastapi and starlette made unimportable:
# one web import anywhere in them fails the run with its name.
PROBE = """
import importlib, pkgutil, sys
class NoWeb:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("fastapi", "starlette"):
            raise ImportError(f"{name} imported by a layer that must not know the web")
        return None
sys.meta_path.insert(0, NoWeb())
import app.core, app.imaging, models
names = []
for package in (app.core, app.imaging, models):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        names.append(info.name)
print(len(names), " ".join(sorted(names)))
"""


def test_core_imaging_and_models_import_no_web_framework():
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    count, names = done.stdout.split(" ", 1)
    # The probe really walked the packages (a silent empty walk would prove nothing).
    assert int(count) >= 15, names
    for expected in ("app.core.errors", "app.core.services", "app.imaging.decode",
                     "models.service", "models.stages"):
        assert expected in names.split()
