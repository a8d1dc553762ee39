"""Hostile text in, nothing live out: prompts and server strings in every HTML output and widget.

R-30: hostile prompts (markup, script breakers, template syntax, ``javascript:``, bidi
overrides, zero-width characters, NUL, emoji, the longest allowed prompt) reach the simulator
byte for byte, and hostile server strings (an error message, a failed job's reason) come back;
then every ``text/html`` the client produces for those jobs -- cards, the jobs table, the
panels' static fallbacks -- and every HTML-bearing widget trait is scanned for markup that
would run. R-31: no ``IPython.display`` object in the package is built from a non-literal
string (``HTML(s)`` reads a file or fetches a URL when ``s`` looks like one), and a prompt that
names a local file or a canary URL reads nothing and fetches nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from flow_widgets.simulator.server import RunningSimulator
from tests.reliability.harness import (
    VIDEO_ROUTE,
    CanaryHost,
    CheapMedia,
    SimControl,
    unsafe_markup,
    wait_all,
)

PACKAGE = Path(__file__).resolve().parents[2] / "flow_widgets"
MODEL = "veo-3.1-lite"

VECTORS = [
    '<fwxss-1 onerror=alert(1)><img src=x onerror="alert(1)">',
    "</script><script>alert(2)</script><fwxss-2>",
    "{{7*7}} ${7*7} <%= 7*7 %> {% raw %}",
    '<a href="javascript:alert(3)">click me</a><fwxss-3>',
    '"><svg/onload=alert(4)><fwxss-4 x="',
    "' onmouseover='alert(5)' data-x='",
    "right-to-left \u202egnp.exe override",
    "zero\u200bwidth\u200djoiner\ufeffbom",
    "nul\x00byte",
    "emoji 🦊🔥 and CJK 狐狸",
    "<style>body{background:url(javascript:alert(6))}</style><fwxss-6>" + "x" * 7900,
]
SERVER_MESSAGE = '<img src=x onerror=alert("srv")><fwxss-srv> refused'
FAILED_REASON = "<script>alert('failed')</script><fwxss-fail> generation failed"


def html_outputs(flow: Any, handles: list[Any]) -> dict[str, str]:
    """Every HTML the client makes for these jobs, by where it came from."""
    from flow_widgets.ui.cards import LiveCard, card_bundle
    from flow_widgets.ui.job_rows import row_from_handle
    from flow_widgets.ui.panel_html import credits_html, jobs_html
    from flow_widgets.ui.view import card_view_from_job

    outputs: dict[str, str] = {}
    for n, handle in enumerate(handles):
        outputs[f"card {n}"] = card_bundle([card_view_from_job(handle)])[0]["text/html"]
        live = LiveCard(handle, kind="video", publisher=lambda *args: None)
        outputs[f"live card {n}"] = live.bundle()[0]["text/html"]
        live.close()
    outputs["jobs table"] = jobs_html([row_from_handle(h) for h in handles])
    outputs["credits"] = credits_html(flow.credits)
    return outputs


def panel_outputs(flow: Any) -> tuple[dict[str, str], list[Any]]:
    """The panels' static fallbacks (what a saved notebook shows) and their widgets."""
    import flow_widgets

    quiet = {"publisher": lambda *args: None}
    outputs: dict[str, str] = {}
    panels = []
    for name in ("Jobs", "Credits", "Studio"):
        panel = getattr(flow_widgets, name)(flow, board_options=quiet)
        panels.append(panel)
        outputs[f"{name} panel"] = panel.fallback()[0]["text/html"]
    return outputs, panels


def widget_findings() -> tuple[int, list[str]]:
    """How many widgets live now, and unsafe markup in their HTML-bearing traits: the value of
    HTML widgets (written into the page as markup) and descriptions that opted into HTML.
    Other string traits (text values, tooltips, placeholders, option labels) render as text."""
    import ipywidgets
    from ipywidgets.widgets.widget import _instances

    findings: list[str] = []
    live = list(_instances.values())
    for widget in live:
        state = widget.get_state()
        name = type(widget).__name__
        if isinstance(widget, (ipywidgets.HTML, ipywidgets.HTMLMath)):
            findings += [f"{name}.value {f}" for f in unsafe_markup(str(state.get("value", "")))]
        if state.get("description_allow_html"):
            findings += [f"{name}.description {f}" for f in unsafe_markup(state["description"])]
    return len(live), findings


def test_hostile_prompts_round_trip_and_nothing_renders_live(
    make_sim: Any, make_session: Any, figures: Any, cheap_media: CheapMedia
) -> None:
    sim = make_sim(max_concurrent_videos=20)
    control = SimControl(sim)
    flow = make_session(sim)
    handles = [flow.video(prompt, model=MODEL) for prompt in VECTORS]
    wait_all(handles, 60)
    control.arm(
        {"route": VIDEO_ROUTE, "action": "status", "status": 400, "message": SERVER_MESSAGE},
    )
    refused = flow.video("a refusal carrying markup", model=MODEL)
    refused.wait(30, raise_on_failure=False)
    control.disarm()
    control.arm({"route": VIDEO_ROUTE, "action": "fail_job", "error": FAILED_REASON})
    failed = flow.video("a failure carrying markup", model=MODEL)
    failed.wait(30, raise_on_failure=False)
    control.disarm()

    mismatched = [
        h.prompt for h in handles if control.job(h.jobid)["request"].get("prompt") != h.prompt
    ]
    everyone = [*handles, refused, failed]
    outputs = html_outputs(flow, everyone)
    panel_html, panels = panel_outputs(flow)
    outputs.update(panel_html)
    findings = {where: unsafe_markup(html) for where, html in outputs.items()}
    findings = {where: found for where, found in findings.items() if found}
    widget_count, in_widgets = widget_findings()
    figures.record(
        "R-30 hostile prompts and server text",
        f"{len(VECTORS)} hostile prompts, a 400 and a failed job with markup",
        posts=len(control.ledger().posts(VIDEO_ROUTE)),
        outputs=len(outputs),
        widgets_scanned=widget_count,
        unescaped=sum(len(f) for f in findings.values()) + len(in_widgets),
        mismatched_prompts=len(mismatched),
    )
    for panel in panels:
        panel.close()
    control.close()
    assert [h.status for h in handles] == ["completed"] * len(VECTORS)
    assert refused.status == "rejected" and "fwxss-srv" in (refused.error or "")
    assert failed.status == "failed" and "fwxss-fail" in (failed.error or "")
    assert mismatched == [], "prompts must reach the API byte for byte"
    assert findings == {}
    assert in_widgets == [] and widget_count > 0
    assert any("&lt;fwxss-1" in html for html in outputs.values()), "the vectors were shown"


# -- R-31 ---------------------------------------------------------------------------------------

DISPLAY_CLASSES = {"HTML", "Markdown", "Javascript", "SVG", "Latex", "JSON", "Image", "Video"}


def risky_display_calls(source: str) -> list[str]:
    """Calls of IPython display classes whose data argument is not a literal string."""
    tree = ast.parse(source)
    names: dict[str, str] = {}
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in (
            "IPython.display",
            "IPython.core.display",
        ):
            for alias in node.names:
                if alias.name in DISPLAY_CLASSES:
                    names[alias.asname or alias.name] = alias.name
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in ("IPython.display", "IPython.core.display"):
                    modules.add(alias.asname or alias.name)
    found: list[str] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        cls = None
        if isinstance(func, ast.Name) and func.id in names:
            cls = names[func.id]
        elif isinstance(func, ast.Attribute) and func.attr in DISPLAY_CLASSES:
            base = ast.unparse(func.value)
            if base in modules or base.endswith("display"):
                cls = func.attr
        if cls is None:
            continue
        data = node.args[0] if node.args else None
        for keyword in node.keywords:
            if keyword.arg in ("data", "filename", "url"):
                data = keyword.value
        literal = isinstance(data, ast.Constant) and isinstance(data.value, (str, bytes))
        if data is not None and not literal:
            found.append(f"line {node.lineno}: {ast.unparse(node)[:80]}")
    return found


def test_risky_display_call_finder_finds_what_it_must() -> None:
    sample = (
        "from IPython.display import HTML as H, Markdown\n"
        "import IPython.display as ipd\n"
        "H(user_text)\nMarkdown(data=s)\nipd.HTML(x)\nH('<b>fixed</b>')\n"
    )
    assert [f.split(":")[0] for f in risky_display_calls(sample)] == ["line 3", "line 4", "line 5"]


def test_no_display_object_is_built_from_untrusted_text(figures: Any) -> None:
    found = {
        str(path.relative_to(PACKAGE.parent)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if (hits := risky_display_calls(path.read_text(encoding="utf-8")))
    }
    figures.record(
        "R-31 IPython.display from text",
        "AST scan of the package for HTML/Markdown/Image/Video(non-literal)",
        files=len(list(PACKAGE.rglob("*.py"))),
        unescaped=sum(len(h) for h in found.values()),
    )
    assert found == {}


def test_prompts_naming_a_file_or_a_url_read_and_fetch_nothing(
    sim: RunningSimulator,
    make_session: Any,
    canary_host: CanaryHost,
    tmp_path: Path,
    figures: Any,
    cheap_media: CheapMedia,
) -> None:
    from IPython.core.interactiveshell import InteractiveShell

    secret = tmp_path / "local-secret.html"
    secret.write_text("<b>LOCAL-FILE-CONTENT</b>")
    flow = make_session(sim)
    prompts = [str(secret), f"{canary_host.url}/canary", f"{canary_host.url}/canary?via=prompt"]
    handles = [flow.video(p, model=MODEL) for p in prompts]
    wait_all(handles, 60)
    from flow_widgets.ui.cards import LiveCard

    shell = InteractiveShell.instance()
    formatted: list[str] = []
    for handle in handles:
        card = LiveCard(handle, kind="video", publisher=lambda *args: None)
        data, _ = shell.display_formatter.format(card)
        formatted += [str(v) for v in data.values()]
        card.close()
    text = "\n".join(formatted)
    figures.record(
        "R-31 prompts naming a file or URL",
        "prompt = a local HTML file path, a canary URL",
        canary_hits=len(canary_host.hits),
        file_content_shown=int("LOCAL-FILE-CONTENT" in text),
        outputs=len(formatted),
    )
    assert [h.status for h in handles] == ["completed"] * 3
    assert canary_host.hits == []
    assert "LOCAL-FILE-CONTENT" not in text and "CANARY-BODY" not in text
    assert str(secret) in text or "local-secret" in text  # the prompt itself is shown, as text
