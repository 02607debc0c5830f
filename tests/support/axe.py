"""axe-core in a Playwright page: the WCAG 2 A/AA violations of what the page shows now."""

from __future__ import annotations

from pathlib import Path

import pytest

AXE = (Path(__file__).resolve().parents[1] / "browser" / "axe" / "node_modules" / "axe-core"
       / "axe.min.js")


def violations(page) -> list[dict]:
    """Each violation's id, impact and first nodes (empty when there is none)."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it with npm (tests/browser/axe)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    return page.evaluate("""async () => {
        const only = { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } };
        const r = await axe.run(document, only);
        return r.violations.map((v) => ({ id: v.id, impact: v.impact,
          nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
    }""")
