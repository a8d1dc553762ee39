"""The Studio's "will be sent" strip in a real JupyterLab: each reference's remove button is
found by its accessible name, reached with the keyboard, and takes out exactly that reference
from what the tab will send."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.jupyter import Lab, write_notebook

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

SETUP = """%load_ext flow_widgets
import flow_widgets as fw
flow = fw.session()
flow.refresh_accounts()"""
STUDIO = """studio = fw.Studio(kind="ingredients")
studio.prompt.value = "a fox and a lantern"
studio.references.set(("ref-one", "ref-two"))
studio"""
SENT = 'print("SENT", list(studio.form().reference_images))'


def test_a_remove_button_is_named_reached_by_keyboard_and_removes_that_reference(
    lab: Lab, lab_root: Path
) -> None:
    write_notebook(lab_root / "thumbs.ipynb", SETUP, STUDIO, SENT)
    page = lab.page
    lab.open("thumbs.ipynb")
    lab.run_all()
    try:
        strip = page.locator(".fw-studio-thumbs")
        strip.wait_for(timeout=60_000)
        names = strip.get_by_role("button").all_inner_texts()
        assert [n.strip() for n in names] == ["remove reference 1", "remove reference 2"]
        second = page.get_by_role("button", name="remove reference 2", exact=True)
        second.focus()
        page.keyboard.press("Enter")
        second.wait_for(state="detached", timeout=30_000)
        lab.screenshot("studio-will-be-sent")
        assert "SENT ['ref-one']" in lab.run_cell(2)
    except Exception:
        lab.screenshot("studio-thumbs-failure")
        raise
