"""Debian's Chromium through Playwright for the media tests (never a downloaded browser)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tests.e2e.jupyter import launch_chromium

__all__ = ["VIDEO_STATE", "chromium_page"]

#: readyState, duration and error of every <video> on the page, once each can play.
VIDEO_STATE = """async () => {
  const videos = [...document.querySelectorAll('video')];
  return await Promise.all(videos.map(v => new Promise(resolve => {
    const done = () => resolve({ready: v.readyState, duration: v.duration, error: null});
    v.addEventListener('error', () => resolve({ready: v.readyState, duration: NaN,
                                                 error: String(v.error && v.error.code)}));
    if (v.readyState >= 3) { done(); return; }
    v.addEventListener('canplay', done);
    v.preload = 'auto'; v.muted = true; v.load(); v.play().catch(() => {});
  })));
}"""


def chromium_page() -> Iterator[Any]:
    """A fresh page in headless Chromium (a generator for a pytest fixture)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            yield browser.new_page()
        finally:
            browser.close()
