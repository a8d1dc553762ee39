"""On ipywidgets 7 (Colab's), the Studio refuses in one sentence; on 8 it builds.

The lowest-versions CI run has ipywidgets 7.7.1 and checks the refusal for real; the normal run
checks that the same guard lets version 8 through.
"""

from __future__ import annotations

import ipywidgets
import pytest

from flow_widgets.errors import ConfigError
from flow_widgets.runtime.session import FlowSession
from flow_widgets.ui import _widgets_version


def test_the_studio_on_ipywidgets_7_is_one_sentence_naming_the_fix(flow: FlowSession) -> None:
    from flow_widgets.ui.studio import Studio

    if _widgets_version.IPYWIDGETS_MAJOR >= 8:
        Studio(flow).close()
        return
    with pytest.raises(ConfigError) as refused:
        Studio(flow)
    message = str(refused.value)
    assert "\n" not in message
    assert f"ipywidgets {ipywidgets.__version__}" in message
    assert '%pip install -U "ipywidgets>=8"' in message


def test_the_guard_refuses_version_7(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_widgets_version, "IPYWIDGETS_MAJOR", 7)
    with pytest.raises(ConfigError, match="needs ipywidgets 8"):
        _widgets_version.require_ipywidgets_8("The Studio")
