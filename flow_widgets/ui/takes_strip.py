"""The takes strip under a card: every take of the cell, what changed, and which is the pick.

Why plain HTML: the strip is part of the card's output, so a reopened notebook shows every
cell's takes with no kernel (DESIGN decision 2). Each take is a poster that links to its file
(it opens anywhere), the words that changed from the previous take's prompt, and its model,
seed, cost and age. Where the output may run scripts (a trusted notebook), clicking a take
shows it in the card's main player instead, and says so to screen readers; the star — which
needs the kernel — is a button of the card's toolbar, and the strip only shows which take is
starred.

Accessibility: every poster is named by its take's prompt (never the file name), the strip is
a labelled list, focus rings are 2 px in the theme's brand colour, the status line is a polite
live region, and arrow keys stay with the strip (``data-lm-suppress-shortcuts``, set on the
focused take as a key is pressed), not with the notebook, in JupyterLab and Notebook 7.
Colours come from JupyterLab's ``--jp-*`` variables with fallbacks whose contrast is at
least 4.5:1 on white.
"""

from __future__ import annotations

import html
import itertools
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from flow_widgets.ui import compare
from flow_widgets.ui.family import DARK_TEXT, PRIMARY_FILL, STATUS_COLOURS
from flow_widgets.ui.panel_html import Take
from flow_widgets.ui.prompt_diff import WordChange, diff_html, diff_text
from flow_widgets.ui.view import MediaView

__all__ = ["TakeView", "format_age", "strip_html", "strip_text"]

_COUNTER = itertools.count(1)
_PROMPT_NAME_CHARS = 120

_STYLE = (
    "<style>"
    ".fw-takes{margin:6px 0 2px;font:13px/1.4 var(--jp-ui-font-family,system-ui,sans-serif);"
    "color:var(--jp-ui-font-color1,#1f2937);max-width:760px}"
    ".fw-takes h4{margin:0 0 4px;font-size:13px;font-weight:600}"
    ".fw-takes ol{display:flex;gap:8px;overflow-x:auto;list-style:none;margin:0;padding:2px}"
    ".fw-takes ol>.fw-take{flex:0 0 168px;border:1px solid var(--jp-border-color1,#9ca3af);"
    "border-radius:6px;padding:4px;background:var(--jp-layout-color1,#fff)}"
    ".fw-takes ol>.fw-take[aria-current=true]{border:2px solid var(--jp-brand-color1,#1565c0)}"
    ".fw-takes ol>.fw-take.fw-run-start:not(:first-child){margin-left:12px}"  # a run together
    ".fw-take-open{display:block;color:inherit;text-decoration:none}"
    ".fw-take-open img{display:block;width:100%;height:auto;border-radius:4px;"
    "background:#000;min-height:40px}"
    # JupyterLab's own output styles remove outlines on links: these win (2 px, >= 3:1)
    ".fw-takes .fw-take-open:focus-visible,.fw-takes .fw-take button:focus-visible{"
    "outline:2px solid var(--jp-brand-color1,#1565c0)!important;outline-offset:2px}"
    ".fw-take-head{font-weight:600}"
    # the star's text is the family's warning shade, light and dark (>= 4.5:1), not
    # JupyterLab's --jp-warn-color0 (#e65100 on white is 3.8:1)
    f".fw-take-star{{color:{STATUS_COLOURS['detached']}}}"
    f"body[data-jp-theme-light=false] .fw-take-star{{color:{DARK_TEXT['detached']}}}"
    ".fw-take-diff{overflow-wrap:anywhere}"
    ".fw-take-diff ins{background:var(--jp-success-color3,#d1fae5);color:#064e3b;"
    "text-decoration:none;padding:0 2px;border-radius:3px}"
    ".fw-take-diff del{background:var(--jp-error-color3,#fee2e2);color:#7f1d1d;"
    "padding:0 2px;border-radius:3px}"
    ".fw-take-facts{color:var(--jp-content-font-color2,#4b5563);font-size:12px}"
    ".fw-take-pick{margin-top:4px;font:inherit;font-size:12px;padding:1px 8px;cursor:pointer;"
    "color:var(--jp-ui-font-color1,#1f2937);background:var(--jp-layout-color2,#eef0f3);"
    "border:1px solid var(--jp-border-color1,#9ca3af);border-radius:4px}"
    # the family's fixed blue under white text, not the theme's brand colour (see PRIMARY_FILL)
    f".fw-take-pick[aria-pressed=true]{{background:{PRIMARY_FILL};color:#fff}}"
    ".fw-takes-compare .fw-compare{margin-top:8px}"
    ".fw-takes-compare input[type=range]{width:100%}"
    ".fw-takes-status{color:var(--jp-content-font-color2,#4b5563);font-size:12px;min-height:1em}"
    "</style>"
)

# Links are read from each take's own ``<a href>``, which the frontend has already resolved (a
# relative URL set from a script would resolve against the page, not the notebook's folder).
# The click is taken in the capture phase, before JupyterLab's own handler on the link (which
# would open the file in a new tab).
# Where scripts run: a click (or Enter) on a take shows it in the card's main player, arrow keys
# move between takes, and the change is announced. A *compare* toggle appears on each take;
# one pressed compares it with the take in the main player (one click), two pressed compare
# each other: they stand side by side under the strip with the words that differ
# marked: videos play, pause and seek together; two images get a wipe (a named slider). That
# side by side is ``fw.show``'s component (:mod:`flow_widgets.ui.compare`): each take carries
# its side built by ``compare.figure_html`` (``data-figure``) and the indices of its words
# that differ from every other take's prompt (``data-changed``, ``compare.prompt_diff``); the
# grid is ``compare.grid_open``'s, and ``compare.COMPARE_LIB`` syncs, wipes and marks.
# The takes being compared are remembered per cell for the page's life, so a redrawn card (a
# star, a new take) keeps its comparison. Without scripts the link opens the file and no
# toggle is shown (no control that cannot work). JupyterLab rewrites a link's relative href to
# the file's download URL a moment after the output is drawn; a take picked before that gets the
# page's own URL, so a player whose source fails is given the link's href again once it changes
# (`heal`).
# The strip's own keys (arrows, Enter, Space, unmodified) stay with it in JupyterLab and
# Notebook 7 alike: Lumino matches the notebook's shortcuts on the focused element itself
# (`... :focus`) before it walks up to the section's ``data-lm-suppress-shortcuts``, and in
# Notebook 7 its listener captures, so stopping the key at the link comes too late. As in
# ``key_guard``, a capturing listener on ``window`` (which runs before Lumino's, whichever
# phase that uses) marks the key's target just before Lumino sees it, and unmarks it for any
# other key, so the notebook's bindings for those still apply (Ctrl+Enter on a take runs the
# cell). A static attribute on the links would keep every key from the notebook.
_SCRIPT = """<script>(function(){%(lib)s
var root=document.getElementById(%(id)s);if(!root||root.dataset.fwReady)return;
root.dataset.fwReady='1';var out=root.closest('.jp-OutputArea-output')||root.parentNode;
var status=root.querySelector('.fw-takes-status');var side=root.querySelector('.fw-takes-compare');
var items=Array.prototype.slice.call(root.querySelectorAll('.fw-take'));
var links=Array.prototype.slice.call(root.querySelectorAll('.fw-take-open'));
function say(t){if(status)status.textContent=t;}
function url(li){var a=li.querySelector('a.fw-take-open');return a?a.href:li.dataset.src;}
function heal(el,li){var tries=0;function again(){var u=url(li);
if(u&&u!==el.src){el.src=u;if(el.load)el.load();}else if(tries++<40)setTimeout(again,250);}
el.addEventListener('error',function(){tries=0;setTimeout(again,250);});}
function show(li){var card=out.querySelector('.fw-card');
if(!card)return;var kind=li.dataset.kind,src=url(li);
var player=card.querySelector(kind==='video'?'video':'img');if(!player||!src)return;
player.src=src;heal(player,li);if(kind==='video'){player.poster=li.dataset.poster||'';player.load();}
player.setAttribute(kind==='video'?'aria-label':'alt',li.dataset.prompt||'');
items.forEach(function(o){o.setAttribute('aria-current',o===li?'true':'false');});
say('Showing '+(li.dataset.name||''));}
root.addEventListener('click',function(ev){var a=ev.target.closest('.fw-take-open');
if(!a||!root.contains(a))return;ev.preventDefault();ev.stopPropagation();
show(a.closest('.fw-take'));},true);
links.forEach(function(a,i){
a.addEventListener('keydown',function(ev){var j=i;if(ev.key==='ArrowRight')j=i+1;
else if(ev.key==='ArrowLeft')j=i-1;else return;ev.preventDefault();ev.stopPropagation();
if(links[j])links[j].focus();});});
var KEYS={ArrowLeft:1,ArrowRight:1,Enter:1,' ':1};
function guard(ev){if(!root.isConnected){window.removeEventListener('keydown',guard,true);return;}
var t=ev.target;if(!(t instanceof Element)||!root.contains(t))return;
if(KEYS[ev.key]&&!(ev.ctrlKey||ev.metaKey||ev.altKey||ev.shiftKey))
t.setAttribute('data-lm-suppress-shortcuts','true');
else t.removeAttribute('data-lm-suppress-shortcuts');}
window.addEventListener('keydown',guard,true);
function figure(li,other,k){var t=document.createElement('template');
t.innerHTML=li.dataset.figure||'';var fig=t.content.firstElementChild;if(!fig)return null;
var el=fig.querySelector('video,img');if(el){el.src=url(li);heal(el,li);
if(el.tagName==='VIDEO'){el.poster=li.dataset.poster||'';el.muted=k>0;}}
var changed={};try{changed=JSON.parse(li.dataset.changed||'{}');}catch(e){}
fwCompare.mark(fig.querySelector('.fw-take-prompt'),changed[other.dataset.number]||[]);
return fig;}
function compare(a,b){side.textContent='';
var both=a.dataset.kind!=='video'&&b.dataset.kind!=='video';
var t=document.createElement('template');t.innerHTML=root.dataset.grid||'';
var grid=t.content.firstElementChild;grid.id=root.id+'-pair';
if(both)grid.dataset.fwWipe='1';else delete grid.dataset.fwWipe;
[[a,b],[b,a]].forEach(function(p,k){var f=figure(p[0],p[1],k);if(f)grid.appendChild(f);});
side.appendChild(grid);
fwCompare.attach(grid,'wipe between take '+a.dataset.number+' and take '+b.dataset.number);
say('Comparing take '+a.dataset.number+' and take '+b.dataset.number);}
var kept=window.__fwTakesChosen=window.__fwTakesChosen||{};var cell=root.dataset.cell||'';
var chosen=[];function update(quiet){items.forEach(function(o){
var b=o.querySelector('.fw-take-pick');
if(b)b.setAttribute('aria-pressed',chosen.indexOf(o)>=0?'true':'false');});
if(cell)kept[cell]=chosen.map(function(o){return o.dataset.number;});
var shown=items.filter(function(o){return o.getAttribute('aria-current')==='true';})[0];
if(chosen.length===2)compare(chosen[0],chosen[1]);
else if(chosen.length===1&&shown&&shown!==chosen[0]&&shown.dataset.src)compare(shown,chosen[0]);
else{side.textContent='';if(!quiet)say(chosen.length?'Pick one more take to compare':'');}}
items.forEach(function(li){if(!li.dataset.src)return;
var t=document.createElement('button');t.type='button';t.className='fw-take-pick';
t.textContent='compare';t.setAttribute('aria-pressed','false');
t.setAttribute('aria-label','compare take '+li.dataset.number);
t.addEventListener('click',function(){var k=chosen.indexOf(li);if(k>=0){chosen.splice(k,1);}
else{chosen.push(li);if(chosen.length>2)chosen.shift();}update(false);});
li.appendChild(t);});
(kept[cell]||[]).forEach(function(n){var li=items.filter(function(o){
return o.dataset.number===n&&o.dataset.src;})[0];if(li)chosen.push(li);});
if(chosen.length)update(true);
})();</script>"""


@dataclass(frozen=True)
class TakeView:
    """One take as the strip shows it.

    Attributes:
        number: the take's number within its cell (1, 2, 3 …).
        prompt: the take's whole prompt (names its poster for screen readers).
        changes: its words against the previous take's prompt (empty for the first take).
        kind: ``"video"`` or ``"image"``.
        src: the take's file as a relative URL (``""`` while it has none).
        poster: a still of the take (a data URL or relative URL), if any.
        current: the take this run of the cell shows in the main player.
    """

    number: int
    prompt: str
    changes: tuple[WordChange, ...] = field(default_factory=tuple)
    kind: str = "video"
    model: str | None = None
    seed: int | None = None
    cost: int | None = None
    created: float = 0.0
    src: str = ""
    poster: str | None = None
    starred: bool = False
    current: bool = False
    state: str | None = None
    label: str = ""  # its place in a grid run ("seed 7"), shown after the number
    run: str = ""  # the images of one grid run share it ("": a take of its own)

    @property
    def name(self) -> str:
        """What a screen reader calls the take: its number and (the start of) its prompt."""
        prompt = " ".join(self.prompt.split())
        if len(prompt) > _PROMPT_NAME_CHARS:
            prompt = prompt[: _PROMPT_NAME_CHARS - 1] + "…"
        return f"take {self.number}: {prompt}"


def format_age(created: float, now: float | None = None) -> str:
    """How long ago, in the words a person uses.

    >>> format_age(100.0, 130.0), format_age(0.0, 600.0), format_age(0.0, 7300.0)
    ('just now', '10 min ago', '2 h ago')
    """
    seconds = max(0.0, (time.time() if now is None else now) - created)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400 * 2:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} days ago"


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _safe(src: str | None) -> str | None:
    if not src:
        return None
    from flow_widgets.ui.html import _safe_src

    return _safe_src(src)


def _facts(take: TakeView, now: float | None) -> str:
    parts = [take.model or "", f"seed {take.seed}" if take.seed is not None else ""]
    if take.cost is not None:
        parts.append("free" if take.cost == 0 else f"{take.cost} credits")
    parts.append(format_age(take.created, now))
    if take.state and take.state not in ("completed", "accepted", "running", "submitting"):
        parts.append(take.state)
    return " · ".join(p for p in parts if p)


def _figure(take: TakeView) -> str:
    """The take as one side of a comparison, built by :func:`compare.figure_html` (the same
    figure ``fw.show`` draws); the strip's script marks its changed words for each pair."""
    media = MediaView(
        kind=take.kind, src=_safe(take.src) or "", poster=_safe(take.poster), seed=take.seed
    )
    view = Take(key=str(take.number), media=media, model=take.model, prompt=take.prompt)
    words = [(word, False) for word in take.prompt.split()]
    return compare.figure_html(view, 0, words, label=f"#{take.number}")


def _changed(take: TakeView, takes: Sequence[TakeView]) -> str:
    """For each other take, the indices of this take's words that differ from its prompt
    (:func:`compare.prompt_diff`, as ``fw.show`` marks them), as JSON."""
    pairs: dict[str, list[int]] = {}
    for other in takes:
        if other.number != take.number and other.src:
            words = compare.prompt_diff([take.prompt, other.prompt])[0]
            pairs[str(other.number)] = [i for i, (_, changed) in enumerate(words) if changed]
    return json.dumps(pairs, separators=(",", ":"))


def _take_html(
    take: TakeView, now: float | None, takes: Sequence[TakeView] = (), run_start: bool = False
) -> str:
    src = _safe(take.src)
    poster = _safe(take.poster) or (src if take.kind == "image" else None)
    name = _e(take.name)
    if poster:
        picture = f'<img src="{_e(poster)}" alt="{name}" loading="lazy">'
    else:
        picture = f'<span class="fw-take-facts">{"no file yet" if not src else name}</span>'
    if src:
        opener = (
            f'<a class="fw-take-open" href="{_e(src)}" target="_blank" rel="noopener"'
            f' aria-label="show {name}">{picture}</a>'
        )
    else:
        opener = f'<div class="fw-take-open">{picture}</div>'
    star = ' <span class="fw-take-star" aria-label="starred as the pick">★ pick</span>'
    label = f" · {_e(take.label)}" if take.label else ""
    head = f'<div class="fw-take-head">#{take.number}{label}{star if take.starred else ""}</div>'
    words = (diff_html(list(take.changes)) or "(same prompt)") if take.changes else "first take"
    diff = f'<div class="fw-take-diff" dir="auto">{words}</div>'
    facts = f'<div class="fw-take-facts">{_e(_facts(take, now))}</div>'
    data = (
        f' data-kind="{_e(take.kind)}" data-src="{_e(src or "")}"'
        f' data-poster="{_e(_safe(take.poster) or "")}" data-name="{name}"'
        f' data-number="{take.number}" data-prompt="{_e(take.prompt)}" data-run="{_e(take.run)}"'
    )
    if src:
        data += f' data-figure="{_e(_figure(take))}" data-changed="{_e(_changed(take, takes))}"'
    current = "true" if take.current else "false"
    classes = "fw-take fw-run-start" if run_start else "fw-take"
    return f'<li class="{classes}" aria-current="{current}"{data}>{opener}{head}{diff}{facts}</li>'


def strip_html(
    takes: Sequence[TakeView], *, now: float | None = None, source: str = "", cell: str = ""
) -> str:
    """The strip for a cell's takes (oldest first); ``""`` for a cell with only one take.

    Args:
        takes: the cell's takes, oldest first.
        now: the time ages are measured from (tests pass a fixed one).
        source: how the cell was recognised (``cell id``, ``--out``, ``name``, ``lineage``),
            shown small.
        cell: the cell's key: a redrawn strip of the same cell keeps what was being compared.
    """
    if len(takes) < 2:
        return ""
    element_id = f"fw-takes-{int(time.time() * 1000):x}-{next(_COUNTER)}"
    how = f" · matched by {_e(source)}" if source and source != "cell id" else ""
    starts = [i > 0 and t.run != takes[i - 1].run and bool(t.run or takes[i - 1].run)
              for i, t in enumerate(takes)]  # fmt: skip
    items = "".join(_take_html(t, now, takes, s) for t, s in zip(takes, starts, strict=True))
    grid = compare.grid_open(f"{element_id}-pair", 2) + "</div>"
    return (
        f'{_STYLE}{compare.STYLE}<section class="fw-takes" id="{element_id}"'
        ' aria-label="Takes of this cell"'
        f' data-lm-suppress-shortcuts="true" data-cell="{_e(cell)}" data-grid="{_e(grid)}">'
        f"<h4>Takes of this cell ({len(takes)}){how}</h4>"
        f'<ol aria-label="takes, oldest first">{items}</ol>'
        '<div class="fw-takes-status" role="status" aria-live="polite"></div>'
        '<div class="fw-takes-compare"></div>'
        f"</section>{_SCRIPT % {'id': repr(element_id), 'lib': compare.COMPARE_LIB}}"
    )


def strip_text(takes: Sequence[TakeView], *, now: float | None = None) -> str:
    """The strip as plain text (the ``text/plain`` of the card, and ``%flow takes``)."""
    lines = []
    for take in takes:
        star = (f" · {take.label}" if take.label else "") + (" ★" if take.starred else "")
        changed = diff_text(list(take.changes)) if take.changes else "first take"
        lines.append(f"#{take.number}{star}  {changed or '(same prompt)'}  [{_facts(take, now)}]")
    return "\n".join(lines)
