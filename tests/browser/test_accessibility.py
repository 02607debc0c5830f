"""axe-core (from npm, injected into the page) finds no WCAG 2 A/AA violation on any tab."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.mark.parametrize("tab", ["playground", "cnn", "teach"])
def test_axe_finds_nothing_on_the_tab(page, tab):
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it with npm (tests/browser/axe)")
    page.goto(page.base + f"/#tab={tab}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = page.evaluate("""async () => {
        const only = { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } };
        const r = await axe.run(document, only);
        return r.violations.map((v) => ({ id: v.id, impact: v.impact,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    }""")
    assert found == [], found
