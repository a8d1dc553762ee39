"""Fixtures for end-to-end tests: a real Jupyter server and Debian's Chromium via Playwright."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.jupyter import JupyterServer, Lab, launch_chromium


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium per test module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


@pytest.fixture
def lab_root(tmp_path: Path) -> Path:
    """An empty folder the Jupyter server is rooted at."""
    root = tmp_path / "nb"
    root.mkdir()
    return root


@pytest.fixture
def lab(lab_root: Path, chromium: Any) -> Iterator[Lab]:
    """JupyterLab on its default settings (widget state not saved), and a fresh browser page."""
    with JupyterServer(lab_root) as server:
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            yield Lab(page, server)
        finally:
            context.close()
