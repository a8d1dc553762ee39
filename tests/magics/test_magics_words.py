"""Words people use: usage errors name the flags (the API's field in parentheses), and
``%flow credits`` shows counts with separators, right-aligned."""

from __future__ import annotations

import re

import pytest
from IPython.core.error import UsageError

from tests.magics.conftest import Shell


def test_a_usage_error_names_the_flag_and_the_api_field(shell: Shell) -> None:
    from flow_widgets.api.ids import make_media_id

    shell.ip.user_ns["last"] = make_media_id(1, "ultra.demo@gmail.com", "image", "door")
    with pytest.raises(UsageError) as caught:
        shell.ip.run_cell_magic("flow_video", "-m veo-3.1-lite --end last --dry-run", "a door")
    message = str(caught.value)
    assert "--end (endImage) needs a --start (startImage)" in message, message


def test_flow_credits_shows_numbers_with_separators_right_aligned(shell: Shell) -> None:
    shell.cell("%flow credits")
    text = shell.text()
    assert re.search(r"ul\*+@gmail\.com .* 25,000\b", text), text
    html = shell.html()
    assert "text-align:right" in html and ">25,000<" in html
