"""Which ipywidgets this kernel has, and a plain refusal for parts that need version 8.

Why: Colab's runtime ships ipywidgets 7.7.1 and must not be upgraded under a running kernel, so
the magics, cards, toolbars and the smaller panels work on ipywidgets 7 as well as 8. The Studio
is built from ipywidgets 8 controls (tags input, the newer file upload) and says so in one
sentence instead of failing somewhere inside its construction.
"""

from __future__ import annotations

from flow_widgets.errors import ConfigError

__all__ = ["IPYWIDGETS_MAJOR", "require_ipywidgets_8"]


def _major() -> int:
    import ipywidgets

    try:
        return int(str(ipywidgets.__version__).split(".", 1)[0])
    except ValueError:  # pragma: no cover - a development build with an odd version string
        return 8


IPYWIDGETS_MAJOR = _major()


def require_ipywidgets_8(what: str) -> None:
    """Refuse, in one sentence, to build ``what`` on ipywidgets 7."""
    if IPYWIDGETS_MAJOR >= 8:
        return
    import ipywidgets

    raise ConfigError(
        f"{what} needs ipywidgets 8 or newer; this kernel has ipywidgets "
        f'{ipywidgets.__version__} (Colab\'s default). Run  %pip install -U "ipywidgets>=8"  '
        "and restart the kernel, or use the %%flow_video and %%flow_image magics, which work "
        "with ipywidgets 7."
    )
