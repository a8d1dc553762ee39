"""WCAG 2.1's contrast ratio, for the tests that check colours on the markup itself (the browser
tests ask axe-core instead)."""

from __future__ import annotations

__all__ = ["DARK_GROUNDS", "LIGHT_GROUNDS", "contrast"]

#: What text sits on in JupyterLab's light theme: white, and the striped table rows.
LIGHT_GROUNDS = ("#ffffff", "#f3f4f6")
#: The dark theme's ``--jp-layout-color0`` to ``2``.
DARK_GROUNDS = ("#111111", "#212121", "#424242")


def _luminance(colour: str) -> float:
    """Relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """The contrast ratio of two ``#rrggbb`` colours (1 to 21; AA text needs 4.5)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
