"""Static files: URLs carry a hash of the content, and the import map points at them."""

from __future__ import annotations

import hashlib
import json
import re

from app.core.settings import ROOT


def _hash(relative: str) -> str:
    return hashlib.sha256((ROOT / "static" / relative).read_bytes()).hexdigest()[:10]


def test_the_page_links_assets_by_their_content_hash(client):
    html = client.get("/").text
    css = re.search(r'href="(/static/css/app.css\?v=([0-9a-f]+))"', html)
    assert css and css.group(2) == _hash("css/app.css")
    entry = re.search(r'src="/static/js/main.js\?v=([0-9a-f]+)"', html)
    assert entry and entry.group(1) == _hash("js/main.js")


def test_the_import_map_names_every_module_with_its_hash(client):
    html = client.get("/").text
    found = re.search(r'<script type="importmap">(.*?)</script>', html, re.S)
    imports = json.loads(found.group(1))["imports"]
    modules = sorted(p.relative_to(ROOT / "static").as_posix()
                     for p in (ROOT / "static" / "js").rglob("*.js"))
    assert sorted(k.removeprefix("/static/") for k in imports) == modules
    for plain, versioned in imports.items():
        relative = plain.removeprefix("/static/")
        assert versioned == f"{plain}?v={_hash(relative)}"


def test_versioned_files_are_cached_for_good_and_plain_ones_revalidated(client):
    versioned = client.get(f"/static/js/api.js?v={_hash('js/api.js')}")
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    plain = client.get("/static/js/api.js")
    assert plain.headers["cache-control"] == "no-cache"


def test_the_page_config_carries_the_playground_bounds_once(client):
    from app.imaging import convolve

    html = client.get("/").text
    config = json.loads(re.search(r'<script type="application/json" id="convlens-config">'
                                  r"(.*?)</script>", html, re.S).group(1))
    bounds = config["playground"]["bounds"]
    assert bounds["stride"] == list(convolve.STRIDE_RANGE)
    assert bounds["padding"] == list(convolve.PADDING_RANGE)
    assert bounds["kernel_side"] == [1, convolve.KERNEL_MAX_SIDE]
    borders = [c["value"] for c in config["playground"]["choices"]["border"]]
    assert sorted(borders) == sorted(convolve.CV_BORDER)
    # The rendered controls use the same numbers.
    assert f'max="{convolve.STRIDE_RANGE[1]}" value="1" data-field="stride"' in html
