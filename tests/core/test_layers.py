"""The dependency rule: core, imaging and models know nothing of the web framework."""

from __future__ import annotations

import ast
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


# What a feature package may import from the app (DESIGN.md's import rule): the shared
# layers, the stored photo, the job system, and for lessons (and teach) the CNN's services;
# lessons also reuse Teach's schemas (a learning curve's point is Teach's).
FEATURE_IMPORTS = {"lessons": {"core", "http", "imaging", "images", "jobs", "cnn", "teach",
                               "lessons"}}


def _app_imports(path: Path) -> set[str]:
    """The ``app.<package>`` names a module imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return {n.split(".")[1] for n in names if n.startswith("app.") and n.count(".") >= 1}


def test_lessons_import_only_the_shared_layers_and_the_cnn():
    for feature, allowed in FEATURE_IMPORTS.items():
        modules = sorted((ROOT / "app" / feature).glob("*.py"))
        assert len(modules) >= 5, modules  # the walk found the package
        for module in modules:
            used = _app_imports(module)
            assert used <= allowed, (module.name, sorted(used - allowed))
