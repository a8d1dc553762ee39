"""IPython magics: ``%%flow_video``, ``%%flow_image`` and ``%flow SUBCOMMAND``.

What a notebook user types. The magics are thin: parse the options, interpolate the prompt,
build a validated request, hand it to the process-wide session, show a live card. Rules live in
the request objects (``api/requests``), spending rules in the session, rendering in ``ui/``.

* ``%load_ext flow_widgets`` registers the magics and prints one line naming the backend; it
  starts nothing (no session, no thread, no network) until the first magic runs.
* Bad input — an unknown option, an impossible combination, a missing file, a prompt naming an
  undefined variable, a cost over the budget — is one ``UsageError`` line: no traceback, nothing
  sent, no credits touched.
* Interactive cells return at once and their cards update in place. Headless runs (nbclient,
  nbconvert, papermill; see :mod:`flow_widgets.magics._mode`) and ``--wait`` block until the
  jobs end, and a failed job raises so "Run All" pipelines stop.
* The argument line is never expanded by IPython (``@no_var_expand``): ``{x}`` and ``$x`` mean
  what the magic says they mean, and only in the prompt.
* Defaults come from ``%config FlowMagics.<trait>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Bool, Enum, Float, Int, Unicode, observe

from flow_widgets.magics._args import image_parser, subcommand_parser, video_parser

if TYPE_CHECKING:  # pragma: no cover
    from collections.abc import Mapping

    from IPython.core.interactiveshell import InteractiveShell

    from flow_widgets.ui._handlers import Change

__all__ = ["FlowMagics", "backend_banner", "load", "unload"]


def backend_banner(env: Mapping[str, str] | None = None) -> str:
    """One line naming the backend a session would use — without starting one."""
    from flow_widgets.api.ids import mask_email
    from flow_widgets.runtime.settings import Settings

    settings = Settings.resolve(env=env)
    if settings.simulated:
        return (
            "flow_widgets: no USEAPI_TOKEN set, so the embedded simulator answers — no credits "
            "are spent. (%flow login or USEAPI_TOKEN switches to the real API.)"
        )
    account = f"account {mask_email(settings.email)}" if settings.email else "your linked accounts"
    return (
        f"flow_widgets: real Google Flow API (useapi.net) on {account}; token from "
        f"{settings.token_source}. Generations spend credits."
    )


@magics_class
class FlowMagics(Magics):
    """``%%flow_video``, ``%%flow_image`` and ``%flow``; configurable with ``%config``.

    Example:
        >>> %config FlowMagics.model = "veo-3.1-lite"        # doctest: +SKIP
        >>> %%flow_video --aspect portrait --wait             # doctest: +SKIP
        ... a red fox crossing a snowy field at dusk
    """

    model = Unicode(None, allow_none=True, help="Default video model.").tag(config=True)
    aspect = Unicode(None, allow_none=True, help="Default video aspect ratio.").tag(config=True)
    duration = Int(None, allow_none=True, help="Default video duration (s).").tag(config=True)
    count = Int(None, allow_none=True, help="Default videos per request.").tag(config=True)
    image_model = Unicode(None, allow_none=True, help="Default image model.").tag(config=True)
    image_aspect = Unicode(None, allow_none=True, help="Default image aspect.").tag(config=True)
    image_count = Int(None, allow_none=True, help="Default images per request.").tag(config=True)
    media_folder = Unicode(
        None, allow_none=True, help="Where media are saved (default flow_media/)."
    ).tag(config=True)
    wait = Bool(False, help="Block every cell until its jobs end (like --wait).").tag(config=True)
    reuse = Bool(True, help="Re-running an unchanged cell re-attaches to the take it bought.").tag(
        config=True
    )
    block = Bool(
        None, allow_none=True, help="Force blocking (True) or not (False); None decides."
    ).tag(config=True)
    toolbar = Bool(
        None, allow_none=True, help="Show action buttons under cards; None: when interactive."
    ).tag(config=True)
    interpolate = Bool(True, help="Expand {name} in prompts (--no-interp per cell).").tag(
        config=True
    )
    strict = Bool(
        False,
        help="Refuse requests that break a reported (third-party or inferred) rule instead of "
        "sending them with a one-line note.",
    ).tag(config=True)
    timeout = Float(3600.0, help="Longest a blocking cell waits for its jobs (s).").tag(config=True)
    media = Enum(
        ["auto", "files", "embed", "serve"],
        None,
        allow_none=True,
        help="How results are shown: auto, files, embed or serve (see %flow config).",
    ).tag(config=True)

    @observe("media")
    def _media_changed(self, change: Change) -> None:
        from flow_widgets.runtime.media_mode import set_media_mode

        set_media_mode(change["new"], "%config FlowMagics.media")

    @no_var_expand
    @cell_magic
    def flow_video(self, line: str, cell: str) -> None:
        """Generate videos; the cell body is the prompt. ``%%flow_video --help`` lists options."""
        from flow_widgets.magics._cells import run_video

        run_video(self, line, cell)

    @no_var_expand
    @cell_magic
    def flow_image(self, line: str, cell: str) -> None:
        """Generate images; the cell body is the prompt. ``%%flow_image --help`` lists options."""
        from flow_widgets.magics._cells import run_image

        run_image(self, line, cell)

    @no_var_expand
    @line_magic
    def flow(self, line: str) -> object:
        """Everything else: ``%flow help`` lists the subcommands."""
        from flow_widgets.magics._subcommands import run_subcommand

        return run_subcommand(self, line)


# The --help text doubles as each magic's docstring (what `%%flow_video?` shows).
FlowMagics.flow_video.__doc__ = video_parser().format_help()
FlowMagics.flow_image.__doc__ = image_parser().format_help()
FlowMagics.flow.__doc__ = (
    (FlowMagics.flow.__doc__ or "") + "\n\n" + subcommand_parser("help").format_help()
)

_LOADED: dict[int, FlowMagics] = {}


def _configurables(ipython: InteractiveShell) -> list[object]:
    """The shell's configurables (IPython annotates the list as holding shells; it holds any
    configurable, such as these magics)."""
    return cast("list[object]", ipython.configurables)


def load(ipython: InteractiveShell) -> None:
    """Register the magics on ``ipython`` and print which backend is active (starts nothing)."""
    if id(ipython) in _LOADED:
        return
    magics = FlowMagics(shell=ipython)
    ipython.register_magics(magics)
    if magics not in _configurables(ipython):
        _configurables(ipython).append(magics)
    _LOADED[id(ipython)] = magics
    from flow_widgets.magics._takes import install_cell_id_hook

    install_cell_id_hook(ipython)  # which cell each run is, for the cell's takes
    print(backend_banner())  # noqa: T201 - the one line %load_ext promises


def unload(ipython: InteractiveShell) -> None:
    """Stop following jobs, close the session if one was started, and remove the magics."""
    magics = _LOADED.pop(id(ipython), None)
    if magics is None:
        return
    from flow_widgets.magics._cells import close_all_cards
    from flow_widgets.magics._session import close_session
    from flow_widgets.magics._takes import uninstall_cell_id_hook

    uninstall_cell_id_hook(ipython)
    close_all_cards()
    close_session()
    from flow_widgets.runtime.media_server import stop_media_servers

    stop_media_servers()
    registry = ipython.magics_manager.magics
    for kind, names in (("cell", ("flow_video", "flow_image")), ("line", ("flow",))):
        for name in names:
            registry[kind].pop(name, None)
    if magics in _configurables(ipython):
        _configurables(ipython).remove(magics)
