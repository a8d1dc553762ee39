"""Takes side by side: ``fw.show(a, b)`` — a grid that fits its output, with the prompt diff.

Why: comparing takes is how prompt craft is taught and how a pick is made, so it deserves one
component rather than a helper in every notebook. The output is plain HTML (a CSS grid that
fits whatever width the notebook gives it: two columns at 1280 px, more when there is room),
saved with the notebook and readable with no kernel. Each title is the take's prompt with the
words that differ from the other takes highlighted, so the class sees *what changed* before it
sees what it did. Where scripts run (a trusted output), the videos play, pause and seek
together and a *play together* button appears, and two images get a wipe (a named slider);
without scripts every video still plays on its own and images stand side by side. Every
string is escaped; media links are relative, as in the cards.

The takes strip under a card compares two takes with this same component (its figures, grid
and script), so the card and ``fw.show`` cannot drift apart.

Example:
    >>> import flow_widgets as fw              # doctest: +SKIP
    >>> fw.show(vague, specific)               # doctest: +SKIP
    >>> fw.show("flow_media/a.mp4", "flow_media/b.mp4", labels=["a", "b"])  # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import html
import itertools
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, cast

from flow_widgets.errors import ValidationError
from flow_widgets.ui.gallery import MEDIA_SUFFIXES, _prompt_from_name, takes_from_jobs
from flow_widgets.ui.html import _safe_src
from flow_widgets.ui.panel_html import Take
from flow_widgets.ui.view import MediaView, relative_src

if TYPE_CHECKING:
    from flow_widgets.runtime.jobs import JobHandle

__all__ = [
    "COMPARE_LIB",
    "STYLE",
    "Comparison",
    "attach_script",
    "figure_html",
    "grid_open",
    "prompt_diff",
    "show",
]

_COUNTER = itertools.count(1)
_MIN_COLUMN_PX = 360
_MEDIA_STYLE = "display:block;width:100%;height:auto;border-radius:6px;background:#000"
_MARK_STYLE = "background:#fde68a;color:#111;padding:0 2px;border-radius:3px"

_STYLE = (
    "<style>"
    ".fw-compare{display:grid;gap:14px;margin:6px 0;font:15px/1.4 system-ui,sans-serif;"
    f"grid-template-columns:repeat(auto-fit,minmax(min(100%,{_MIN_COLUMN_PX}px),1fr))}}"
    ".fw-compare figure{margin:0;min-width:0}"
    ".fw-compare video,.fw-compare img{display:block;width:100%;height:auto;border-radius:6px;"
    "background:#000}"
    ".fw-compare figcaption{margin-top:4px}"
    ".fw-compare .fw-take-label{font-weight:600}"
    ".fw-compare .fw-take-prompt{overflow-wrap:anywhere}"
    ".fw-compare mark.fw-diff{background:#fde68a;color:#111;padding:0 2px;border-radius:3px}"
    # the theme's secondary text (a fixed #555 is 2.5:1 on the dark theme)
    ".fw-compare .fw-take-facts{color:var(--jp-content-font-color2,#4b5563);font-size:13px}"
    ".fw-compare-bar{grid-column:1/-1;display:flex;gap:8px;align-items:center}"
    ".fw-compare-bar button{font:inherit;padding:3px 12px;cursor:pointer}"
    "</style>"
)

# The comparison's behaviour where scripts run, one library for every comparison -- ``fw.show``
# and the takes strip's side by side (which builds its grid with this module's
# :func:`figure_html` and runs this same code), so a fix lands in both. ``attach(root)``:
# * videos play, pause and seek together. Each change made here is noted on the video it is
#   made to, so the event it causes is recognised as an echo and not repeated back (notes
#   expire after a second, in case a browser merges two seeks into one event); a "play
#   together" button starts them all at one time;
# * two images (and no video) get a wipe: the second lies over the first, clipped at a named
#   slider's position.
# ``mark(prompt, indices)`` marks the words at ``indices`` of a caption's prompt, as
# :func:`prompt_diff` does in Python. Each script keeps its own copy (no page-wide global that
# an older output could have defined first).
COMPARE_LIB = r"""var fwCompare=(function(){var MARK=__MARK__;
function expect(o,type){o.__fw=o.__fw||{};var e=o.__fw[type];var now=Date.now();
o.__fw[type]={n:(e&&e.until>now?e.n:0)+1,until:now+1000};}
function echo(v,type){var e=v.__fw&&v.__fw[type];if(e&&e.n>0&&e.until>Date.now()){e.n-=1;
return true;}return false;}
function seek(o,t){if(Math.abs(o.currentTime-t)>0.05){expect(o,'seeked');o.currentTime=t;}}
function play(o){if(!o.paused)return;expect(o,'play');var p=o.play();
if(p&&p.catch)p.catch(function(){if(o.__fw&&o.__fw.play)o.__fw.play.n=0;});}
function pause(o){if(o.paused)return;expect(o,'pause');o.pause();}
function sync(root,vids){function others(v,f){vids.forEach(function(o){if(o!==v)f(o);});}
vids.forEach(function(v){
v.addEventListener('play',function(){if(echo(v,'play'))return;
others(v,function(o){seek(o,v.currentTime);play(o);});});
v.addEventListener('pause',function(){if(echo(v,'pause'))return;others(v,pause);});
v.addEventListener('seeked',function(){if(echo(v,'seeked'))return;
others(v,function(o){seek(o,v.currentTime);});});
});
vids[0].addEventListener('timeupdate',function(){var lead=vids[0];
if(lead.paused||lead.seeking)return;others(lead,function(o){
if(!o.seeking&&Math.abs(o.currentTime-lead.currentTime)>0.25){expect(o,'seeked');
o.currentTime=lead.currentTime;}});});
var bar=document.createElement('div');bar.className='fw-compare-bar';
var button=document.createElement('button');button.type='button';
button.className='fw-compare-play';button.textContent='\u25b6 Play together';
button.title='Play all videos of this comparison together';
button.addEventListener('click',function(){
if(vids.some(function(o){return !o.paused;})){vids.forEach(pause);
button.textContent='\u25b6 Play together';return;}
var t=vids[0].ended?0:vids[0].currentTime;
vids.forEach(function(o){seek(o,t);play(o);});button.textContent='\u23f8 Pause both';});
vids.forEach(function(o){['play','pause'].forEach(function(type){
o.addEventListener(type,function(){button.textContent=vids.some(function(x){return !x.paused;})
?'\u23f8 Pause both':'\u25b6 Play together';});});});
bar.appendChild(button);root.insertBefore(bar,root.firstChild);}
function wipe(root,label){var figs=root.querySelectorAll('figure');
var top=figs[1].querySelector('img');var slider=document.createElement('input');
slider.type='range';slider.min='0';slider.max='100';slider.value='50';
slider.className='fw-compare-wipe';slider.setAttribute('aria-label',label);
root.classList.add('fw-wipe');root.style.gridTemplateColumns='1fr';
Array.prototype.forEach.call(figs,function(f){f.style.gridArea='1/1';});
function cut(){top.style.clipPath='inset(0 0 0 '+slider.value+'%)';}
slider.addEventListener('input',cut);cut();root.parentNode.insertBefore(slider,root.nextSibling);}
function attach(root,label){if(!root||root.dataset.fwSync)return;root.dataset.fwSync='1';
var vids=Array.prototype.slice.call(root.querySelectorAll('video'));
if(vids.length>1)sync(root,vids);
else if(!vids.length&&root.querySelectorAll('figure img').length===2&&
root.dataset.fwWipe)wipe(root,label||'wipe between the two images');}
function mark(el,indices){if(!el)return;var words=el.textContent.split(/\s+/).filter(Boolean);
el.textContent='';words.forEach(function(w,k){if(k)el.appendChild(document.createTextNode(' '));
if(indices.indexOf(k)<0){el.appendChild(document.createTextNode(w));return;}
var m=document.createElement('mark');m.className='fw-diff';m.setAttribute('style',MARK);
m.textContent=w;el.appendChild(m);});}
return {attach:attach,mark:mark};})();
""".replace("__MARK__", json.dumps(_MARK_STYLE))

#: The comparison's look, for every output that holds one (the takes strip too).
STYLE = _STYLE


def attach_script(element_id: str, label: str = "") -> str:
    """The script that gives the comparison ``element_id`` its synced playback (or wipe)."""
    call = f"fwCompare.attach(document.getElementById({_js(element_id)}),{_js(label)});"
    return f"<script>(function(){{{COMPARE_LIB}{call}}})();</script>"


def _js(value: str) -> str:
    """A JavaScript string literal that cannot end its ``<script>``."""
    return json.dumps(value).replace("<", "\\u003c")


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _words(prompt: str) -> list[str]:
    return prompt.split()


def _norm(word: str) -> str:
    return re.sub(r"[^\w']+", "", word.lower())


def prompt_diff(prompts: Sequence[str]) -> list[list[tuple[str, bool]]]:
    """For each prompt, its words and whether each differs from at least one other prompt.

    Words are compared without case or punctuation, in order (a word diff, as in code review).

    >>> [[w for w, changed in words if changed] for words in prompt_diff(
    ...     ["a dog running", "a golden dog running at dawn"])]
    [[], ['golden', 'at', 'dawn']]
    """
    tokens = [_words(p) for p in prompts]
    normed = [[_norm(w) for w in words] for words in tokens]
    result: list[list[tuple[str, bool]]] = []
    for index, words in enumerate(tokens):
        changed = [False] * len(words)
        for other, other_norm in enumerate(normed):
            if other == index:
                continue
            matcher = difflib.SequenceMatcher(a=normed[index], b=other_norm, autojunk=False)
            kept = [False] * len(words)
            for block in matcher.get_matching_blocks():
                for offset in range(block.size):
                    kept[block.a + offset] = True
            changed = [c or not k for c, k in zip(changed, kept, strict=True)]
        result.append(list(zip(words, changed, strict=True)))
    return result


def _diff_html(words: list[tuple[str, bool]]) -> str:
    parts: list[str] = []
    for word, changed in words:
        parts.append(
            f'<mark class="fw-diff" style="{_MARK_STYLE}">{_e(word)}</mark>'
            if changed
            else _e(word)
        )
    return " ".join(parts)


# ----------------------------------------------------------------------------- inputs


def _take_from_path(path: Path) -> Take:
    kind = MEDIA_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValidationError(
            f"fw.show cannot show {path.name!r}; pass a video or image file (.mp4, .png, .jpg"
            ", .webp, .gif), a job or a gallery take.",
            field="takes",
        )
    if not path.is_file():
        raise ValidationError(
            f"fw.show found no file at {os.fspath(path)!r}; check the path (it is relative to"
            " the notebook's folder).",
            field="takes",
        )
    view = MediaView(
        kind=kind, src=relative_src(path), file_name=path.name, size_bytes=path.stat().st_size
    )
    return Take(key=path.name, media=view, prompt=_prompt_from_name(path.stem))


def _flatten(items: Iterable[object]) -> list[Take]:
    takes: list[Take] = []
    for item in items:
        if isinstance(item, Take):
            takes.append(item)
        elif isinstance(item, MediaView):
            takes.append(Take(key=item.src or str(id(item)), media=item))
        elif isinstance(item, (str, os.PathLike)):
            takes.append(_take_from_path(Path(item)))
        elif hasattr(item, "media") and hasattr(item, "prompt"):
            found = takes_from_jobs([cast("JobHandle", item)])  # anything shaped like a job
            if not found:
                status = getattr(item, "status", "running")
                takes.append(
                    Take(
                        key=str(id(item)),
                        media=MediaView(kind="pending", src="", label=str(status)),
                        model=getattr(item, "model", None),
                        prompt=str(getattr(item, "prompt", None) or ""),
                    )
                )
            takes.extend(found)
        elif hasattr(item, "takes") and callable(
            item.takes
        ):  # a Gallery: its starred takes, else all
            everything = list(item.takes())
            takes.extend([t for t in everything if t.starred] or everything)
        elif hasattr(item, "jobs"):
            takes.extend(_flatten(item.jobs))
        elif isinstance(item, (list, tuple)):
            takes.extend(_flatten(item))
        else:
            raise ValidationError(
                f"fw.show cannot show a {type(item).__name__}; pass jobs (what a cell's --out "
                "holds), file paths or gallery takes.",
                field="takes",
            )
    return takes


# ----------------------------------------------------------------------------- output


def _media_html(take: Take, index: int, title: str) -> str:
    media = take.media
    src = _safe_src(media.src) if media.src else None
    if media.kind == "pending" or not src:
        state = media.label or "not finished"
        return (
            '<div style="aspect-ratio:16/9;display:grid;place-items:center;background:#f3f4f6;'
            f'border-radius:6px;color:#555">{_e(state)}: run this cell again when it is done'
            "</div>"
        )
    if media.kind == "video":
        poster = f' poster="{_e(media.poster)}"' if media.poster else ""
        muted = " muted" if index else ""
        return (
            f'<video src="{_e(src)}"{poster} controls loop playsinline preload="auto"{muted}'
            f' aria-label="{_e(title)}" style="{_MEDIA_STYLE}"></video>'
        )
    return f'<img src="{_e(src)}" alt="{_e(title)}" loading="lazy" style="{_MEDIA_STYLE}">'


def figure_html(take: Take, index: int, words: list[tuple[str, bool]], *, label: str = "") -> str:
    """One take of a comparison: its player (named by the label and prompt), and a caption of
    the label, the prompt with its differing words marked, and model and seed.

    ``index`` 0 keeps its sound; the others are muted (they play along). The takes strip builds
    its side by side from these figures too.
    """
    prompt_name = " ".join(take.prompt.split())
    title = f"{label}: {prompt_name}" if label and prompt_name else label or prompt_name
    title = title or take.media.file_name
    facts = [f for f in (take.model, f"seed {take.seed}" if take.seed is not None else "") if f]
    if take.seed is None and take.media.seed is not None:
        facts.append(f"seed {take.media.seed}")
    head = f'<div class="fw-take-label">{_e(label)}</div>' if label else ""
    prompt = f'<div class="fw-take-prompt" dir="auto">{_diff_html(words)}</div>' if words else ""
    facts_html = f'<div class="fw-take-facts">{_e(" · ".join(facts))}</div>' if facts else ""
    return (
        f'<figure class="fw-take" data-fw-src="{_e(take.media.src)}"'
        ' style="margin:0;min-width:0">'
        f"{_media_html(take, index, title)}"
        f"<figcaption>{head}{prompt}{facts_html}</figcaption></figure>"
    )


def grid_open(element_id: str, columns: int | None, *, wipe: bool = False) -> str:
    """The opening tag of a comparison's grid (``columns`` fixed, or fitted to the output).

    The grid's style is inline too: a saved notebook opened untrusted drops ``<style>`` blocks,
    not attributes. ``wipe``: where scripts run, two images are laid over each other with a
    slider between them.
    """
    template = (
        f"repeat({columns},minmax(0,1fr))"
        if columns
        else f"repeat(auto-fit,minmax(min(100%,{_MIN_COLUMN_PX}px),1fr))"
    )
    grid = f' style="display:grid;gap:14px;grid-template-columns:{template}"'
    flag = ' data-fw-wipe="1"' if wipe else ""
    return f'<div class="fw-compare" id="{_e(element_id)}"{grid}{flag}>'


class Comparison:
    """What :func:`show` returns: displays itself as the grid (and as text without HTML)."""

    def __init__(
        self,
        takes: Sequence[Take],
        *,
        columns: int | None = None,
        labels: Sequence[str] | None = None,
        sync: bool = True,
        wipe: bool | None = None,
    ) -> None:
        if columns is not None and (not isinstance(columns, int) or columns < 1):
            raise ValidationError(
                f"columns must be a whole number of 1 or more, not {columns!r}.", field="columns"
            )
        if labels is not None and len(labels) != len(takes):
            raise ValidationError(
                f"labels has {len(labels)} entries for {len(takes)} takes; give one label per "
                "take.",
                field="labels",
            )
        self.takes = list(takes)
        self.columns = columns
        self.labels = [str(label) for label in labels] if labels is not None else None
        self.sync = sync
        self.wipe = wipe
        self.element_id = f"fw-compare-{os.getpid()}-{next(_COUNTER)}"

    def _figure(self, index: int, take: Take, words: list[tuple[str, bool]]) -> str:
        label = self.labels[index] if self.labels else ""
        return figure_html(take, index, words, label=label)

    def html(self) -> str:
        """The whole output: style, grid and (with ``sync``) the small playback script."""
        if not self.takes:
            return '<div class="fw-compare-empty">Nothing to compare yet.</div>'
        diffs = prompt_diff([take.prompt for take in self.takes])
        figures = "".join(
            self._figure(index, take, words)
            for index, (take, words) in enumerate(zip(self.takes, diffs, strict=True))
        )
        videos = sum(1 for take in self.takes if take.media.kind == "video" and take.media.src)
        stills = sum(1 for take in self.takes if take.media.kind == "image" and take.media.src)
        wipe = self.wipe if self.wipe is not None else (stills == 2 == len(self.takes))
        script = ""
        if (self.sync and videos > 1) or (wipe and stills == 2 == len(self.takes)):
            script = attach_script(self.element_id)
        collapse = _collapse_css(self.takes)
        grid = grid_open(self.element_id, self.columns, wipe=wipe)
        return f"{_STYLE}{collapse}{grid}{figures}</div>{script}"

    def text(self) -> str:
        """One line per take: label or prompt, model, seed and file."""
        lines = []
        for index, take in enumerate(self.takes):
            label = self.labels[index] if self.labels else ""
            parts = [p for p in (label, take.caption) if p]
            lines.append(f"{index + 1}. " + " · ".join(parts))
        return "\n".join(lines) or "Nothing to compare yet."

    def _repr_mimebundle_(self, **_: object) -> dict[str, str]:
        return {"text/html": self.html(), "text/plain": self.text()}

    def __repr__(self) -> str:
        return self.text()


def _collapse_css(takes: Sequence[Take]) -> str:
    """In presenter mode, hide these files in the job cards above, so each plays only once."""
    from flow_widgets.ui.presenter import presenting

    if not presenting():
        return ""
    selectors = []
    for take in takes:
        src = take.media.src
        if take.media.kind in ("video", "image", "gif") and src:
            quoted = src.replace("\\", "\\\\").replace('"', '\\"')
            tag = "video" if take.media.kind == "video" else "img"
            # JupyterLab rewrites a relative src to /files/<path>?<token>; match both forms.
            inner = f'{tag}[src="{quoted}"],{tag}[src$="/{quoted}"],{tag}[src*="/{quoted}?"]'
            selectors.append(f".fw-card figure:has({inner})")
    if not selectors:
        return ""
    rule = ",".join(selectors) + "{display:none!important}"
    return "<style>" + rule.replace("<", "\\3c ") + "</style>"


def show(
    *takes: object,
    columns: int | None = None,
    labels: Sequence[str] | None = None,
    sync: bool = True,
    wipe: bool | None = None,
) -> Comparison:
    """Show takes side by side, titled by their prompts with the differing words highlighted.

    Args:
        takes: jobs (what ``--out`` names hold, a batch, a list of jobs), media file paths,
            gallery takes, or a whole ``fw.Gallery`` (its starred takes, else all), in the order
            to show them.
        columns: a fixed number of columns; by default the grid fits its container (two
            columns at 1280 px wide, more when there is room).
        labels: one heading per take shown above its prompt ("vague", "specific").
        sync: play, pause and seek videos together where the output may run scripts.
        wipe: lay two images over each other with a slider between them (where the output may
            run scripts); by default, whenever exactly two images are shown.

    Returns:
        A :class:`Comparison`; as the last line of a cell it displays itself.
    """
    found = _flatten(takes)
    return Comparison(found, columns=columns, labels=labels, sync=sync, wipe=wipe)
