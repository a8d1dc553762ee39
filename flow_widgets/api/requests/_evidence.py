"""What each validation rule rests on, and what breaking it does (spec §7.1).

The API changes every few weeks and a 400 costs nothing, while a client that refuses what the
API accepts blocks a paying user with no way around it. So every rule names its evidence:

- **vendor** -- stated by useapi.net (docs, Postman, blog, articles) or shown working in the
  vendor's own example clients. Breaking it refuses before anything is sent.
- **reported** -- a third-party observation or our own inference. Breaking it warns in one line
  (naming the rule and its source) and the request is sent anyway; ``strict`` turns the warning
  into a refusal.

Open sets (model ids, voice presets, captcha providers, aspect ratios, id kinds) are reported
rules too: an unknown member is sent with a warning, and the server's free 400 decides.

A request object collects the warnings its constructor raised in ``rule_warnings``; callers
that send (the client, the session, the magics) show them where the user looks. Strictness is
a context (:func:`strict_rules`) so the pure request classes need no extra argument. Pure: no I/O.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from flow_widgets.api.requests._fields import fail
from flow_widgets.errors import ValidationError

__all__ = [
    "RULES",
    "SERVER_ENFORCED",
    "Evidence",
    "Rule",
    "RuleWarning",
    "breach",
    "collecting",
    "emit",
    "enforcing",
    "is_strict",
    "refuse",
    "report",
    "strict_rules",
]

log = logging.getLogger("flow_widgets.api")

Evidence = Literal["vendor", "reported"]


@dataclass(frozen=True)
class Rule:
    """One validation rule: a short name, its evidence and the source (tag and date)."""

    name: str
    evidence: Evidence
    source: str


class RuleWarning(UserWarning):
    """A reported rule was broken; the request is sent anyway (``strict`` refuses it)."""

    def __init__(self, rule: Rule, field: str, message: str) -> None:
        super().__init__(message)
        self.rule = rule
        self.field = field
        self.message = message

    def line(self) -> str:
        """The one quiet line a cell shows."""
        return f"note: {self.message} (rule {self.rule.name}, {self.rule.source}; sent anyway)"

    def __str__(self) -> str:
        return self.line()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RuleWarning) and (other.rule, other.field, other.message) == (
            self.rule,
            self.field,
            self.message,
        )

    def __hash__(self) -> int:
        return hash((self.rule, self.field, self.message))


def _rule(name: str, evidence: Evidence, source: str) -> Rule:
    return Rule(name, evidence, source)


#: Every rule that is not plain type checking, by name. Vendor rules keep refusing; the
#: reported ones warn. Dates are those of the newest source (spec §0 and §7.2).
RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # -- open sets (spec §7.1): unknown members pass through with a warning
        _rule("known-video-model", "reported", "open set; catalog of Nov 2026"),
        _rule("known-image-model", "reported", "open set; catalog of Oct 2026 [GH:images]"),
        _rule("known-aspect-ratio", "reported", "open set; [D:videos] Jun 2026, [D:images]"),
        _rule("known-resolution", "reported", "open set; official skill generate.sh Nov 2026"),
        _rule("known-voice-preset", "reported", "open set; 30 presets [D:voices-post] Jun 2026"),
        _rule("known-captcha-provider", "reported", "open set; [D:cap-prov-post] Feb 2026"),
        _rule("known-id-kind", "reported", "open set; id formats of spec §1.4"),
        # -- our own inference
        _rule("prompt-length", "reported", "our limit of 8,000 characters; the API states none"),
        _rule(
            "omni-1.2-edit",
            "reported",
            "spec §7.3 Dec 2026: Omni 1.2's edit parameters are not documented yet",
        ),
        _rule("reply-url-format", "reported", "our inference; [D:videos] states only 1024 chars"),
        _rule(
            "trim-leaves-nothing",
            "reported",
            "our inference from the clip length the caller gave (never sent)",
        ),
        _rule(
            "image-auto-needs-reference",
            "reported",
            "our inference from [GH:images/prompts.json] ('auto' derives from reference_1)",
        ),
        _rule(
            "voice-needs-face-veo",
            "reported",
            "spec §3.11 sentence without a source; Omni allows it (C5, omni-flash/prompts.json)",
        ),
        _rule(
            "model-plan-ultra-200",
            "reported",
            "C17 [ART:google-flow-bash-ja] Nov 2026: plans cannot always be told apart",
        ),
        # -- vendor rules (refuse)
        _rule("model-aspect-ratio", "vendor", "[D:videos] Jun 2026"),
        _rule("v2v-frames-need-video", "vendor", "[D:videos] Jun 2026, [PM]"),
        _rule("v2v-needs-omni-flash", "vendor", "[D:videos] Jun 2026"),
        _rule("v2v-no-duration", "vendor", "[D:videos] Jun 2026; [GH:omni-flash] Jul 2026"),
        _rule("v2v-no-frame-images", "vendor", "[D:videos] Jun 2026"),
        _rule("v2v-frame-window", "vendor", "[D:videos] Jun 2026 (24 fps, 0-239 / 1-240)"),
        _rule("end-image-needs-start", "vendor", "[D:videos] Jun 2026"),
        _rule("frames-or-references", "vendor", "[D:videos] Jun 2026"),
        _rule("omni-start-frame-alone", "vendor", "[D:videos] Jun 2026; C14 Oct 2026"),
        _rule("model-takes-no-references", "vendor", "[D:videos] Jun 2026 (veo-3.1-quality)"),
        _rule("reference-slots", "vendor", "[D:videos] Jun 2026, [PM]"),
        _rule("image-budget", "vendor", "[D:videos] Jun 2026, [D:chars-post]"),
        _rule("model-takes-no-voices", "vendor", "[D:videos] Jun 2026 (veo-3.1-quality)"),
        _rule("voice-slots", "vendor", "[D:videos] Jun 2026, [PM]"),
        _rule("model-durations", "vendor", "[D:videos] Jun 2026; [ART:omni-zh] Nov 2026"),
        _rule("r2v-durations", "vendor", "[D:videos] Jun 2026"),
        _rule("end-frame-duration", "vendor", "[ART:omni-zh] Nov 2026 (Omni 1.2: up to 10 s)"),
        _rule("video-needs-paid-plan", "vendor", "[D:videos] Jun 2026; C12 Nov 2026"),
        _rule("veo-short-needs-ultra", "vendor", "[D:videos] Jun 2026"),
        _rule("omni-1.2-long-needs-pro", "vendor", "C12 [GH:omni-flash/README.md] Nov 2026"),
        _rule("image-reference-budget", "vendor", "[D:images] Jun 2026 (10 references)"),
        _rule("image-upscale-resolution", "vendor", "[D:img-upscale] Feb 2026 (2k, 4k)"),
        _rule("image-4k-needs-paid-plan", "vendor", "[D:img-upscale] Feb 2026"),
        _rule("video-4k-needs-ultra", "vendor", "[D:vid-upscale] May 2026"),
        _rule("extend-needs-veo", "vendor", "[D:extend] Jun 2026"),
        _rule("extend-needs-paid-plan", "vendor", "[D:extend] Jun 2026"),
        _rule("concat-clip-count", "vendor", "[D:concat] Jan 2026 (2-10 clips)"),
        _rule("concat-trim-range", "vendor", "[D:concat] Jan 2026 (0-8 s)"),
        _rule("voice-base-is-preset", "vendor", "[D:voices-post] Jun 2026"),
        _rule("voice-preset-case", "vendor", "[D:voices-post] Jun 2026 (case-sensitive)"),
        _rule("voice-format", "vendor", "[D:voices-post], [D:videos] Jun 2026"),
        _rule("text-length", "vendor", "[D:voices-post], [D:chars-post] Jun 2026"),
        _rule("prompt-required", "vendor", "[D:videos], [D:images] Jun 2026"),
        _rule("count-range", "vendor", "[D:videos], [D:images] Jun 2026 (1-4)"),
        _rule("seed-range", "vendor", "[D:videos] Jun 2026"),
        _rule("email-format", "vendor", "[D:accounts-email] Nov 2025"),
        _rule("reply-length", "vendor", "[D:videos] Jun 2026 (1024 characters)"),
        _rule("media-id-format", "vendor", "[D:assets] Jun 2026"),
        _rule("media-id-kind", "vendor", "[D:gif] Jan 2026 ('type must be video')"),
        _rule("character-ref-format", "vendor", "[D:chars-post] Jun 2026"),
        _rule("same-useapi-user", "vendor", "[D:videos] Jun 2026 (403)"),
        _rule("same-google-account", "vendor", "[D:videos] Jun 2026, [D:concat]"),
        _rule("email-owns-media", "vendor", "[D:videos] Jun 2026"),
        _rule("marker-not-allowed", "vendor", "[PM] Jun 2026 (@referenceVideo not inline)"),
        _rule("marker-needs-slot", "vendor", "[PM] Jun 2026"),
        _rule("veo-no-360p", "vendor", "C16 official skill generate.sh Nov 2026"),
        _rule("upscale-resolution", "vendor", "[D:vid-upscale] May 2026; C1 Oct 2026"),
        # -- accounts, captcha options and statistics queries
        _rule(
            "cookies-table", "vendor", "[D:accounts-post] Nov 2025 (DevTools' tab-separated table)"
        ),
        _rule(
            "providers-required",
            "vendor",
            "[D:cap-prov-post] Feb 2026 (a body of provider keys; an empty one sets nothing)",
        ),
        _rule(
            "captcha-one-option", "vendor", "[PM] Jun 2026, [D:vid-upscale] (mutually exclusive)"
        ),
        _rule(
            "captcha-token-required",
            "vendor",
            "[D:videos] Jun 2026 (the caller's reCAPTCHA token; an empty one is none)",
        ),
        _rule("captcha-retry-range", "vendor", "[PM] Jun 2026 (captchaRetry 1-10)"),
        _rule("captcha-order-length", "vendor", "[PM] Jun 2026 (captchaOrder: at most 10)"),
        _rule("stats-date-format", "vendor", "[D:cap-stats] Jun 2026 (date is YYYY-MM-DD)"),
        _rule("stats-limit-range", "vendor", "[D:cap-stats] Jun 2026 (limit: at most 50000)"),
        _rule("jobs-options", "vendor", "[D:jobs] Jun 2026 (summary, executing or history)"),
    )
}

#: The reported rules the real server is known to enforce on its own sets and plans; the
#: simulator refuses these (its catalog is its server's), and accepts every other reported rule.
SERVER_ENFORCED: frozenset[str] = frozenset(
    {name for name in RULES if name.startswith("known-")} | {"model-plan-ultra-200"}
)


_strict: ContextVar[bool] = ContextVar("flow_widgets_strict_rules", default=False)
_enforced: ContextVar[frozenset[str]] = ContextVar(
    "flow_widgets_enforced_rules", default=frozenset()
)
_collectors: ContextVar[tuple[list[RuleWarning], ...]] = ContextVar(
    "flow_widgets_rule_collectors", default=()
)


def is_strict() -> bool:
    """Whether reported rules refuse in the current context."""
    return _strict.get()


@contextmanager
def strict_rules(on: bool = True) -> Iterator[None]:
    """Within the block, reported rules refuse like vendor rules (``on=False``: they warn)."""
    token = _strict.set(bool(on))
    try:
        yield
    finally:
        _strict.reset(token)


@contextmanager
def enforcing(names: Iterable[str]) -> Iterator[None]:
    """Within the block, the reported rules ``names`` refuse: the simulator plays the server,
    which knows its own open sets (its catalog) and its plans."""
    token = _enforced.set(frozenset(names))
    try:
        yield
    finally:
        _enforced.reset(token)


@contextmanager
def collecting() -> Iterator[list[RuleWarning]]:
    """Collect the warnings of every request built within the block (blocks nest)."""
    found: list[RuleWarning] = []
    token = _collectors.set((*_collectors.get(), found))
    try:
        yield found
    finally:
        _collectors.reset(token)


def refuse(name: str, field: str, message: str) -> ValidationError:
    """The refusal of vendor rule ``name`` (to ``raise``), carrying the rule's name."""
    rule = RULES[name]
    if rule.evidence != "vendor":  # pragma: no cover - a programming error, caught by tests
        raise AssertionError(f"rule {name} is {rule.evidence}; use breach()")
    error = fail(field, message)
    error.rule = rule.name
    return error


def breach(name: str, field: str, message: str) -> None:
    """Rule ``name`` is broken: refuse (vendor rule, or strict), else record a warning."""
    rule = RULES[name]
    if rule.evidence == "vendor":
        error = fail(field, message)
        error.rule = rule.name
        raise error
    if _strict.get():
        strict = fail(field, f"{message} (rule {rule.name}, {rule.source}; refused: strict).")
        strict.rule = rule.name
        raise strict
    if name in _enforced.get():
        enforced = fail(field, f"{message}.")
        enforced.rule = rule.name
        raise enforced
    warning = RuleWarning(rule, field, message)
    for found in _collectors.get():
        if warning not in found:
            found.append(warning)


def report(found: Iterable[RuleWarning]) -> None:
    """Record warnings raised earlier (a ``Captcha`` built before its request) here too;
    under :func:`strict_rules` the first one refuses."""
    for warning in found:
        if _strict.get():
            rule = warning.rule
            strict = fail(
                warning.field,
                f"{warning.message} (rule {rule.name}, {rule.source}; refused: strict).",
            )
            strict.rule = rule.name
            raise strict
        for collected in _collectors.get():
            if warning not in collected:
                collected.append(warning)


def emit(found: Iterable[RuleWarning], *, stacklevel: int = 3) -> None:
    """Show ``found`` where the caller looks: Python's warnings (cell output) and the log.

    Nothing is shown while an outer :func:`collecting` block is open: the warnings reached it
    already, and whoever opened it (a magic cell) shows them once, its own way.
    """
    if _collectors.get():
        return
    for warning in found:
        log.warning("%s", warning.line())
        warnings.warn(warning, stacklevel=stacklevel)
