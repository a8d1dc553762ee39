"""What a refused paid request means for the next one: transient, capacity or permanent.

Why: a refusal that bought nothing may be retried, but only when retrying can change it. Before
this table, a captcha provider out of balance (``503 Captcha service failed:
ERROR_ZERO_BALANCE``) looked like any 503 and was retried forever -- 48 POSTs for one clip in
20 s, the cause never shown. So each refusal gets a class and a scope:

=============  ==========================================================================
transient      a hiccup (a 503 from Google, a provider timeout): retry within the budget
capacity       too busy now (429 throttle, quota, no eligible account): wait, then retry
permanent      retrying cannot help until a person acts: stop at once, and say what to do
=============  ==========================================================================

A permanent refusal has a scope -- the ``request`` (its content or options), the ``account``
(out of credits, access denied) or the ``queue`` (the token, the captcha provider's balance) --
and one sentence naming the cause and the fix. No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from flow_widgets.errors import (
    AuthenticationError,
    CaptchaRejectedError,
    FlowError,
    InsufficientCreditsError,
    NoEligibleAccountError,
    PermissionDeniedError,
    QuotaExceededError,
    RateLimitError,
    ServiceUnavailableError,
)

__all__ = ["CAPTCHA_ACCOUNT_ERRORS", "Refusal", "classify", "refusal_text"]

Kind = Literal["transient", "capacity", "permanent"]
Scope = Literal["request", "account", "queue"]

CAPTCHA_ACCOUNT_ERRORS = (
    "ERROR_ZERO_BALANCE",
    "ERROR_KEY_DOES_NOT_EXIST",
    "ERROR_WRONG_USER_KEY",
    "ERROR_IP_NOT_ALLOWED",
    "ERROR_ACCOUNT_SUSPENDED",
    "ERROR_KEY_DENIED",
)
"""Captcha-provider answers that only the provider's account owner can fix (2Captcha,
AntiCaptcha, CapSolver spell them this way); the useapi.net account uses one provider for all its
Google accounts, so they stop the whole queue."""


@dataclass(frozen=True)
class Refusal:
    """One refusal, classified: ``kind``, ``scope`` and the sentence to show."""

    kind: Kind
    scope: Scope
    sentence: str


def classify(exc: FlowError) -> Refusal:
    """The class, scope and plain sentence of a refusal that bought nothing."""
    text = str(exc)
    if isinstance(exc, AuthenticationError):
        return Refusal(
            "permanent",
            "queue",
            f"The API token was refused ({text}); set a valid USEAPI_TOKEN "
            "(useapi.net dashboard) and run the cell again.",
        )
    if isinstance(exc, ServiceUnavailableError):
        code = next((c for c in CAPTCHA_ACCOUNT_ERRORS if c in text), None)
        if code is not None:
            return Refusal(
                "permanent",
                "queue",
                f"The captcha provider refused to solve ({code}: its balance is "
                "empty or its key is not valid); top it up or set another provider with "
                "POST /accounts/captcha-providers, then run the cell again.",
            )
        return Refusal("transient", "request", text)
    if isinstance(exc, InsufficientCreditsError):
        return Refusal(
            "permanent",
            "account",
            f"{text} -- top up the Google account's Flow credits (or check the "
            "useapi.net subscription), then run the cell again.",
        )
    if isinstance(exc, PermissionDeniedError) and not isinstance(exc, CaptchaRejectedError):
        if "access denied" in text.lower():
            return Refusal(
                "permanent",
                "account",
                f"The account was denied access ({text}); check it in the useapi.net "
                "dashboard, then run the cell again.",
            )
        return Refusal("permanent", "request", text)
    if isinstance(exc, (QuotaExceededError, NoEligibleAccountError, RateLimitError)):
        return Refusal("capacity", "account", text)
    return Refusal("permanent", "request", text)


def refusal_text(exc: FlowError) -> str:
    """What a handle and its ledger row say about a refusal that ends them: the sentence with
    the fix for a permanent one, the error's own words otherwise."""
    refusal = classify(exc)
    if refusal.kind == "permanent" and refusal.sentence != str(exc):
        return f"Not sent: {refusal.sentence}"
    return str(exc)
