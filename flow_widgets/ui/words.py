"""Messages in the words of the form and the flags, with the API's field name in parentheses.

Why: the request layer speaks the API (``startImage is required``), but a person filled in a
form ("first frame") or typed a flag (``--start``). Messages shown to them name what they see
first, and keep the API's name in parentheses for whoever reads the API's documentation.
"""

from __future__ import annotations

import re

__all__ = ["in_flag_words", "in_form_words", "is_hint"]

# API field -> (the Studio's label, the magics' flag)
_FIELDS: dict[str, tuple[str, str]] = {
    "startImage": ("first frame", "--start"),
    "endImage": ("last frame", "--end"),
    "referenceImage": ("reference image", "--ref"),
    "reference": ("reference", "--ref"),
    "character": ("character", "--character"),
    "referenceAudio": ("voice", "--voice"),
    "referenceVideo": ("video", "--video"),
    "mediaGenerationId": ("source", "the take's media id"),
    "aspectRatio": ("aspect", "--aspect"),
    "startFrameIndex": ("frames", "--frames"),
    "endFrameIndex": ("frames", "--frames"),
}
_PLAIN_WORDS = frozenset({"reference", "character"})  # English words: only as ``name_N``
_TOKEN = re.compile(
    r"(?<![\w(])(" + "|".join(sorted(_FIELDS, key=len, reverse=True)) + r")(_(\d+))?(?![\w)])"
)


def _say(message: str, which: int) -> str:
    def swap(match: re.Match[str]) -> str:
        field, slot, number = match.group(1), match.group(2) or "", match.group(3)
        if field in _PLAIN_WORDS and not number:
            return match.group(0)
        words = _FIELDS[field][which]
        if number and which == 0:
            words = f"{words} {number}"
        return f"{words} ({field}{slot})"

    return _TOKEN.sub(swap, message)


def in_form_words(message: str) -> str:
    """``message`` naming the Studio's fields.

    >>> in_form_words("startImage is required for a first/last-frame video.")
    'first frame (startImage) is required for a first/last-frame video.'
    >>> in_form_words("referenceImage_1 is not an image")
    'reference image 1 (referenceImage_1) is not an image'
    """
    return _say(message, 0)


def in_flag_words(message: str) -> str:
    """``message`` naming the magics' flags.

    >>> in_flag_words("startImage is required for a first/last-frame video.")
    '--start (startImage) is required for a first/last-frame video.'
    """
    return _say(message, 1)


_HINTS = ("is empty", "is required", "waiting for the upload", "the form is not ready")


def is_hint(problem: str) -> bool:
    """True for a form that is simply not finished yet (a normal state, shown in a neutral
    colour), as opposed to a request that cannot be sent as it is (an error, in red).

    >>> is_hint("prompt is empty: describe what to generate."), is_hint("This costs 100 credits")
    (True, False)
    """
    lowered = problem.lower()
    return any(word in lowered for word in _HINTS)
