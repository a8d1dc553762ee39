"""The poster as an output of its own, for renderers that sanitize the card away.

Why a second output: a sanitizing renderer (nbconvert with ``sanitize_html=True``, which is
what nbviewer-like services run; GitHub's renderer) escapes ``<video>`` and ``<img>`` in a
``text/html`` output, so the poster inside the card never shows there; it keeps ``image/jpeg``
outputs as they are. Putting the JPEG in the card's own bundle does not help: nbconvert and
JupyterLab choose one entry per output by nearly the same order, ``text/html`` before any
image, so the card's HTML would still be the one chosen. So a video card is followed by one
more output: a placeholder while the job runs (an empty ``<span>``, invisible everywhere),
then the JPEG of its poster (several videos on one card: their posters side by side).

Live frontends would then show the frame twice (the card's ``<video poster>`` and the image
under it). The card's HTML carries a style rule that hides exactly that output — an image
output whose data ends as the poster's does; the same still inside an HTML output (the card's
takes strip) is left alone — and the placeholder. The rule acts
wherever the card's HTML is trusted: a live JupyterLab/Notebook 7 session, a notebook reopened
where it was saved, nbconvert's unsanitized HTML. Where the card is sanitized the rule is
stripped with it, and the image shows: that is the point in nbviewer; in an *untrusted*
notebook opened in JupyterLab it is one extra still under the card, not an error.

VS Code draws every output in one page whose markup for images is not ours to match, and
Colab gives every output its own frame where a style cannot reach: there the second output
would show twice, so it is not sent; nor in terminal IPython, which shows text only
(:func:`poster_output_wanted`).
"""

from __future__ import annotations

import base64
import functools
import io
from collections.abc import Sequence

from flow_widgets.runtime.media_mode import detect_frontend
from flow_widgets.ui._board import Bundle, Metadata
from flow_widgets.ui.view import CardView

__all__ = [
    "SLOT_CLASS",
    "poster_b64",
    "poster_bundle",
    "poster_hide_rule",
    "poster_output_wanted",
]

_JPEG_PREFIX = "data:image/jpeg;base64,"
#: The placeholder's class (shown while the job runs; hidden by the card's rule).
SLOT_CLASS = "fw-poster-slot"
#: How many base64 characters end the selector: past the JPEG's fixed end marker, into the
#: compressed picture, so two posters never share it.
_TAIL = 40


def poster_output_wanted(namespace: dict[str, object] | None = None, shell: object = None) -> bool:
    """Whether cards here get the separate poster output: in a kernel (a terminal shows text
    only, where it would be one more line), and not in VS Code nor Colab."""
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if getattr(shell, "kernel", None) is None:
        return False
    return detect_frontend(namespace) == "jupyter"


def _posters(views: Sequence[CardView]) -> tuple[str, ...]:
    return tuple(
        media.poster[len(_JPEG_PREFIX) :]
        for view in views
        for media in view.media
        if media.kind == "video" and media.poster and media.poster.startswith(_JPEG_PREFIX)
    )


@functools.lru_cache(maxsize=64)
def _side_by_side(posters: tuple[str, ...]) -> str:
    """One JPEG of several posters in a row (a grid card, a card with follow-ups)."""
    from PIL import Image

    from flow_widgets.runtime.posters import POSTER_QUALITY

    pictures = [Image.open(io.BytesIO(base64.b64decode(p))).convert("RGB") for p in posters]
    gap = 4
    width = sum(p.width for p in pictures) + gap * (len(pictures) - 1)
    strip = Image.new("RGB", (width, max(p.height for p in pictures)), (255, 255, 255))
    x = 0
    for picture in pictures:
        strip.paste(picture, (x, 0))
        x += picture.width + gap
    out = io.BytesIO()
    strip.save(out, format="JPEG", quality=POSTER_QUALITY, optimize=True)
    return base64.b64encode(out.getvalue()).decode()


def poster_b64(views: Sequence[CardView]) -> str | None:
    """The base64 JPEG the poster output shows for these cards; ``None`` before any poster."""
    posters = _posters(views)
    if not posters:
        return None
    if len(posters) == 1:
        return posters[0]
    return _side_by_side(posters)


def poster_bundle(views: Sequence[CardView]) -> Bundle:
    """The poster output's mimebundle and metadata: the JPEG, or the invisible placeholder."""
    jpeg = poster_b64(views)
    if jpeg is None:
        return {"text/html": f'<span class="{SLOT_CLASS}"></span>', "text/plain": ""}, {}
    count = len(_posters(views))
    words = "a still of the video above" if count == 1 else f"stills of the {count} videos above"
    # The same masked job id as the card's provenance (a job id names the account).
    metadata: Metadata = {"flow_widgets": {"poster_of": views[0].provenance()["job_id"]}}
    return {"image/jpeg": jpeg, "text/plain": f"[{words}]"}, metadata


def poster_hide_rule(views: Sequence[CardView]) -> str:
    """The card's ``<style>`` hiding its poster output and placeholder where it is trusted.

    >>> poster_hide_rule([])[25:]
    '<!--.jp-OutputArea-child:has(.fw-poster-slot){display:none}--></style>'
    """
    selectors = [f".jp-OutputArea-child:has(.{SLOT_CLASS})"]
    jpeg = poster_b64(views)
    if jpeg is not None:
        # base64 has no quote or backslash, so it sits in the attribute selector as it is. Only
        # an image output matches: the same still inside an HTML output (a card's takes strip)
        # must not hide that output.
        selectors.append(f'.jp-OutputArea-child:has(.jp-RenderedImage img[src$="{jpeg[-_TAIL:]}"])')
    # Inside <!-- -->, which CSS ignores and a sanitizer drops with its contents, so a
    # sanitized page shows an empty tag instead of the rule as text.
    return f'<style class="fw-poster"><!--{",".join(selectors)}{{display:none}}--></style>'
