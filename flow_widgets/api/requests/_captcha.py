"""Captcha options shared by every endpoint that needs a reCAPTCHA token (spec §1.6).

``captchaToken``, ``captchaRetry`` and ``captchaOrder`` are mutually exclusive, so they are one
value, :class:`Captcha`, rather than three loose fields. A token is a secret of sorts (it buys
one generation), so ``repr`` hides it. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from flow_widgets.api.requests._evidence import RuleWarning, breach, collecting, refuse
from flow_widgets.api.requests._fields import Scalar, coerce, fail

__all__ = ["CAPTCHA_PROVIDERS", "Captcha"]

#: Solver names ``captchaOrder`` may list (spec §3.5); each needs a key configured.
CAPTCHA_PROVIDERS: tuple[str, ...] = (
    "CapSolver",
    "AntiCaptcha",
    "YesCaptcha",
    "CapMonster",
    "SolveCaptcha",
    "2Captcha",
    "EzCaptcha",
)
_PROVIDERS_BY_LOWER = {name.lower(): name for name in CAPTCHA_PROVIDERS}


@dataclass(frozen=True)
class Captcha:
    """How the API gets its reCAPTCHA token: pass your own, or set retries or a solver order.

    At most one of the three may be set (the API treats them as mutually exclusive).
    ``order`` lists solver names, case-insensitive, up to 10 (repeats allowed).

    >>> Captcha(retry=5).to_payload()
    {'captchaRetry': 5}
    >>> Captcha(order=("capsolver", "AntiCaptcha")).to_payload()
    {'captchaOrder': 'CapSolver,AntiCaptcha'}
    """

    token: str | None = dataclasses.field(default=None, repr=False)
    retry: int | None = None
    order: tuple[str, ...] | None = None
    #: Reported rules broken (a solver this version does not know): sent, and shown.
    rule_warnings: ClassVar[tuple[RuleWarning, ...]] = ()

    def __post_init__(self) -> None:
        Scalar("token", "captchaToken").check(self.token)
        Scalar("retry", "captchaRetry", int).check(self.retry)
        given = [
            name
            for name, value in (
                ("captchaToken", self.token),
                ("captchaRetry", self.retry),
                ("captchaOrder", self.order),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise refuse(
                "captcha-one-option",
                given[0],
                f"{given[0]} cannot be combined with {given[1]}; send only one captcha option.",
            )
        if self.token is not None and not self.token.strip():
            raise refuse(
                "captcha-token-required",
                "captchaToken",
                "captchaToken is empty; pass a reCAPTCHA token or omit it.",
            )
        if self.retry is not None and not 1 <= self.retry <= 10:
            raise refuse(
                "captcha-retry-range",
                "captchaRetry",
                f"captchaRetry {self.retry} is out of range; use 1 to 10.",
            )
        with collecting() as found:
            if self.order is not None:
                object.__setattr__(self, "order", _canonical_order(self.order))
        object.__setattr__(self, "rule_warnings", tuple(found))

    def to_payload(self) -> dict[str, Any]:
        """The API fields for this choice (``{}`` when nothing is set)."""
        out: dict[str, Any] = {}
        Scalar("token", "captchaToken").dump(self.token, out)
        Scalar("retry", "captchaRetry", int).dump(self.retry, out)
        if self.order is not None:
            out["captchaOrder"] = ",".join(self.order)
        return out

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> Captcha | None:
        """Take the captcha fields out of ``data`` (in place); ``None`` when there are none."""
        kwargs: dict[str, Any] = {}
        Scalar("token", "captchaToken").load(data, kwargs)
        Scalar("retry", "captchaRetry", int).load(data, kwargs)
        if "captchaOrder" in data:
            text = coerce(data.pop("captchaOrder"), str, "captchaOrder")
            kwargs["order"] = tuple(part.strip() for part in text.split(","))
        return cls(**kwargs) if kwargs else None

    def __repr__(self) -> str:
        shown = "token=<hidden>" if self.token is not None else ""
        shown = shown or (f"retry={self.retry}" if self.retry is not None else "")
        shown = shown or (f"order={self.order!r}" if self.order is not None else "")
        return f"Captcha({shown})"


def _canonical_order(order: Any) -> tuple[str, ...]:
    names = [order] if isinstance(order, str) else order
    if not isinstance(names, (tuple, list)) or not names:
        raise fail("captchaOrder", "captchaOrder must list solver names such as CapSolver.")
    if len(names) > 10:
        raise refuse(
            "captcha-order-length",
            "captchaOrder",
            f"captchaOrder lists {len(names)} solvers; use at most 10.",
        )
    canonical = []
    for name in names:
        if not isinstance(name, str) or not name.strip() or "," in name:
            raise fail(
                "captchaOrder",
                f"captchaOrder names {name!r}; use solvers from {', '.join(CAPTCHA_PROVIDERS)}.",
            )
        known = _PROVIDERS_BY_LOWER.get(name.strip().lower())
        if known is None:  # providers are an open set (spec §7.1): a new solver is sent
            breach(
                "known-captcha-provider",
                "captchaOrder",
                f"captchaOrder names {name.strip()!r}, a solver this version does not know "
                f"({', '.join(CAPTCHA_PROVIDERS)})",
            )
        canonical.append(known or name.strip())
    return tuple(canonical)
