"""Where the media mode comes from: ``%config FlowMagics.media``, ``fw.session(media=…)``,
``FLOW_MEDIA_MODE``, and plain words for a wrong value before anything starts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from flow_widgets.errors import ValidationError
from flow_widgets.runtime import media_mode


@pytest.fixture
def ip() -> Iterator[InteractiveShell]:
    shell = InteractiveShell.instance()
    shell.run_cell("%load_ext flow_widgets", store_history=False)
    try:
        yield shell
    finally:
        shell.run_cell("%unload_ext flow_widgets", store_history=False)
        media_mode.reset_media_mode()
        # %config writes into the process-wide shell's config even when the value is refused;
        # later tests in this process load the magics from the same config.
        shell.config.FlowMagics.pop("media", None)


def test_config_trait_sets_the_mode_and_refuses_a_wrong_one(
    ip: InteractiveShell, caplog: pytest.LogCaptureFixture
) -> None:
    ip.run_cell('%config FlowMagics.media = "serve"', store_history=False)
    choice = media_mode.media_choice(env={"FLOW_MEDIA_MODE": "embed"})
    assert (choice.mode, choice.source) == ("serve", "%config FlowMagics.media")
    assert "serve" in choice.describe() and "%config FlowMagics.media" in choice.describe()
    ip.run_cell('%config FlowMagics.media = "inline"', store_history=False)
    assert "'inline'" in caplog.text and "'auto', 'files', 'embed', 'serve'" in caplog.text
    assert media_mode.media_choice(env={}).mode == "serve"  # the wrong value changed nothing


def test_session_option_is_checked_before_anything_starts() -> None:
    from flow_widgets.runtime.session import FlowSession

    with pytest.raises(ValidationError, match=r"fw.session\(media=…\) must be one of"):
        FlowSession(media="everywhere", engine=object())  # type: ignore[arg-type]


def test_environment_variable_is_read_and_a_wrong_one_is_named() -> None:
    choice = media_mode.media_choice(env={"FLOW_MEDIA_MODE": " Embed "})
    assert (choice.asked, choice.source, choice.mode) == ("embed", "FLOW_MEDIA_MODE", "embed")
    wrong = media_mode.media_choice(env={"FLOW_MEDIA_MODE": "stream"})  # cards must still show
    assert wrong.asked == "auto" and "FLOW_MEDIA_MODE='stream' is not a mode" in wrong.describe()
    assert media_mode.media_choice(env={}).describe().startswith("files")
