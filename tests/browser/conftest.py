"""A real server and Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.servers import convlens_server

SHOTS = Path("/tmp/convlens-shots")
# How long a page waits for anything (a job, a picture, an element). Generous on purpose: a
# test waits as long as a loaded 2-core machine may need and no longer than the thing takes,
# so only a failure costs the wait; speed is measured by `make bench`, never here.
WAIT_MS = 240_000
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def base_url():
    with convlens_server({"CONVLENS_LOAD_MODEL": "1"}) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(executable).exists():
        pytest.fail("Debian's chromium is not installed; `make test` installs it with apt-get")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def new_context(browser, **options):
    """A browser context whose pages wait up to ``WAIT_MS`` by default."""
    context = browser.new_context(**options)
    context.set_default_timeout(WAIT_MS)
    return context


@pytest.fixture
def page(browser, base_url):
    context = new_context(browser, viewport={"width": 1400, "height": 1000},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.base = base_url
    page.js_errors = errors
    SHOTS.mkdir(exist_ok=True)
    yield page
    context.close()
    assert errors == [], errors
