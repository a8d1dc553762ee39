"""axe-core in the browser tests: one way to install it, inject it and read what it says.

axe-core comes from the npm registry, installed on first use into ``~/.cache/flow_widgets/axe``
(never into the repository); with no npm and no cached copy the caller skips and says so.

Two traps make an axe run pass while checking nothing, and this module closes both:

* JupyterLab's ``<body>`` is 0 px tall (its shell is positioned), and axe counts an element
  clipped by an ``overflow:hidden`` ancestor of height 0 as off screen, so ``color-contrast``
  checks no text of the notebook at all. :func:`audit` gives the body its height back first
  (nothing visible moves).
* A rule that finds no node to check reports no violation. :func:`audit` therefore asserts that
  ``color-contrast`` checked at least ``min_contrast`` nodes in the part it was given.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AXE_HOME = Path.home() / ".cache" / "flow_widgets" / "axe"
AXE = AXE_HOME / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.1 level A and AA, the level issue 19 promises
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# JupyterLab's body is 0 px tall: without this, axe sees every output as off screen.
BODY_FIX = "() => { document.body.style.minHeight = '100vh'; }"

_RUN = """async ([cellIndex, part, tags]) => {
    const cell = document.querySelectorAll('.jp-Notebook .jp-CodeCell')[cellIndex];
    if (!cell) return {missing: `no code cell ${cellIndex}`};
    const out = cell.querySelector(part);
    if (!out) return {missing: `no ${part} in code cell ${cellIndex}`};
    const r = await axe.run(out, {runOnly: {type: 'tag', values: tags}});
    const contrast = r.passes.find(v => v.id === 'color-contrast');
    const unsure = r.incomplete.find(v => v.id === 'color-contrast');
    return {
        checked: contrast ? contrast.nodes.length : 0,
        unsure: unsure ? unsure.nodes.map(n => n.html.slice(0, 120)) : [],
        violations: r.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => ({html: n.html.slice(0, 200),
                                      why: (n.failureSummary || '').replace(/\\s+/g, ' ')}))})),
    };
}"""


def axe_script() -> Path | None:
    """axe-core's browser build, installed from npm into the user's cache on first use."""
    if not AXE.exists() and shutil.which("npm"):
        AXE_HOME.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(AXE_HOME), "axe-core@4"],
            check=False,
            capture_output=True,
            timeout=300,
        )
    return AXE if AXE.exists() else None


def require_axe() -> Path:
    """axe-core's script, or skip the test saying why."""
    script = axe_script()
    if script is None:
        pytest.skip("axe-core is not installed and npm could not install it")
    return script


def inject(page: Any) -> None:
    """Load axe into the page once (a second copy would only waste time)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(require_axe()))


@dataclass
class Audit:
    """What axe said about one part of the notebook."""

    where: str
    checked: int
    violations: list[dict[str, Any]] = field(default_factory=list)
    unsure: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The violations as lines a person can act on: rule, impact, node, axe's reason."""
        lines = [f"{self.where}: {len(self.violations)} axe violation(s)"]
        for rule in self.violations:
            lines.append(f"  {rule['id']} ({rule['impact']}): {rule['help']}")
            for node in rule["nodes"]:
                lines.append(f"    {node['html']}")
                if node["why"]:
                    lines.append(f"      -> {node['why']}")
        return "\n".join(lines)


def audit(page: Any, cell: int, part: str = ".jp-OutputArea", *, where: str = "") -> Audit:
    """Run axe (WCAG 2.1 A/AA) on ``part`` of the notebook's code cell number ``cell``."""
    inject(page)
    page.evaluate(BODY_FIX)
    page.locator(".jp-Notebook .jp-CodeCell").nth(cell).scroll_into_view_if_needed()
    result = page.evaluate(_RUN, [cell, part, TAGS])
    label = where or f"cell {cell}"
    assert "missing" not in result, f"{label}: {result.get('missing')}"
    return Audit(label, result["checked"], result["violations"], result["unsure"])


def assert_accessible(
    page: Any, parts: dict[str, tuple[int, str]], *, theme: str, min_contrast: int
) -> dict[str, int]:
    """No axe violation in any of ``parts`` (name -> (cell, selector)), and the contrast rule
    checked at least ``min_contrast`` nodes in each (a check that sees nothing cannot fail).
    Returns how many nodes the contrast rule checked per part, for the test's own asserts."""
    audits = [
        audit(page, cell, part, where=f"{theme} {name}") for name, (cell, part) in parts.items()
    ]
    failing = [a.describe() for a in audits if a.violations]
    assert not failing, "\n".join(failing)
    checked = {a.where: a.checked for a in audits}
    print(f"AXE color-contrast nodes checked: {checked}")
    unsure = {a.where: len(a.unsure) for a in audits if a.unsure}
    print(
        f"AXE color-contrast nodes axe could not decide (stock <select>s, text on media): {unsure}"
    )
    blind = {a.where: (a.checked, a.unsure[:3]) for a in audits if a.checked < min_contrast}
    assert not blind, (
        f"color-contrast checked fewer than {min_contrast} nodes (checked, first unsure): {blind}"
    )
    assert page.evaluate("() => document.querySelectorAll('[title=\"null\"]').length") == 0
    return checked
