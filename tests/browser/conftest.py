"""A real server and Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.servers import convlens_server

SHOTS = Path("/tmp/convlens-shots")
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


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000},
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
