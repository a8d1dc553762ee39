"""The machinery every request object shares: field mapping, coercion, captcha, fingerprints.

A request class declares its dataclass fields *and* how each maps to the API (a plain field, or a
run of numbered slots such as ``referenceImage_1..7``). From that one declaration this module
derives ``to_payload()``, a ``from_payload()`` that accepts JSON types and multipart strings and
refuses unknown fields, the type checks every constructor runs before the endpoint's own rules,
and a ``fingerprint()`` for the ledger. Keeping it declarative means the client (which builds
requests from keyword arguments) and the simulator (which builds them from bodies) cannot drift
apart. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog, Tier
from flow_widgets.errors import ValidationError

__all__ = [
    "CAPTCHA_PROVIDERS",
    "VOLATILE_FIELDS",
    "Captcha",
    "Field",
    "FlowRequest",
    "Scalar",
    "Slots",
    "coerce",
    "fail",
    "wants_async",
]

R = TypeVar("R", bound="FlowRequest")

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

#: Payload keys left out of a fingerprint: they change how a request is delivered or solved,
#: not what it asks for, so a re-run that only differs in them is the same purchase.
VOLATILE_FIELDS = frozenset(
    {"captchaToken", "captchaRetry", "captchaOrder", "replyUrl", "replyRef", "async"}
)

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_INT_TEXT = re.compile(r"^[+-]?\d+$")


def fail(field: str, message: str) -> ValidationError:
    """A :class:`ValidationError` for ``field``; ``message`` is one sentence naming it."""
    return ValidationError(message, field=field)


def _type_words(kind: type) -> str:
    return {
        str: "text",
        int: "a whole number such as 8",
        float: "a number such as 0.5",
        bool: "true or false",
    }[kind]


def coerce(value: Any, kind: type, api: str) -> Any:
    """``value`` as ``kind``, accepting the strings a multipart form carries ("8", "true")."""
    if kind is str:
        if isinstance(value, str):
            return value
    elif kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
    elif kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_TEXT.match(value.strip()):
            return int(value.strip())
    elif kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                number = math.nan
        else:
            number = math.nan
        if math.isfinite(number):
            return number
    raise fail(api, f"{api} must be {_type_words(kind)}, not {value!r}.")


def wants_async(payload: Mapping[str, Any]) -> bool:
    """Whether a body asks for an asynchronous answer (``async`` true, as JSON or as text)."""
    if "async" not in payload:
        return False
    return bool(coerce(payload["async"], bool, "async"))


# ------------------------------------------------------------------------------------ fields


@dataclass(frozen=True)
class Scalar:
    """One dataclass attribute carried by one API field of a given type."""

    attr: str
    api: str
    kind: type = str

    def check(self, value: Any) -> Any:
        if value is None:
            return None
        if self.kind is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, bool) and self.kind is not bool:
            raise fail(self.api, f"{self.api} must be {_type_words(self.kind)}, not {value!r}.")
        if not isinstance(value, self.kind):
            raise fail(self.api, f"{self.api} must be {_type_words(self.kind)}, not {value!r}.")
        return value

    def dump(self, value: Any, out: dict[str, Any]) -> None:
        if value is not None:
            out[self.api] = value

    def load(self, data: dict[str, Any], kwargs: dict[str, Any]) -> None:
        if self.api in data:
            kwargs[self.attr] = coerce(data.pop(self.api), self.kind, self.api)

    def names(self) -> str:
        return self.api


@dataclass(frozen=True)
class Slots:
    """A tuple attribute spread over numbered API fields ``<prefix>1 .. <prefix><size>``.

    ``None`` inside the tuple is an empty slot, so a body that fills only ``referenceImage_2``
    keeps its numbering (and the prompt's ``@referenceImage_2`` still points at it). Trailing
    empty slots are dropped.
    """

    attr: str
    prefix: str
    size: int

    def slot(self, index: int) -> str:
        return f"{self.prefix}{index}"

    def check(self, value: Any) -> tuple[str | None, ...]:
        if value is None:
            return ()
        if isinstance(value, str) or not isinstance(value, (tuple, list)):
            raise fail(
                self.slot(1),
                f"{self.attr} must be a tuple of ids for {self.slot(1)}, {self.slot(2)}…, "
                f"not {value!r}.",
            )
        items = list(value)
        while items and items[-1] is None:
            items.pop()
        if len(items) > self.size:
            raise fail(
                self.slot(self.size + 1),
                f"{self.slot(self.size + 1)} does not exist; use at most {self.size} {self.attr}.",
            )
        for index, item in enumerate(items, 1):
            if item is not None and (not isinstance(item, str) or not item.strip()):
                raise fail(self.slot(index), f"{self.slot(index)} must be a non-empty id string.")
        return tuple(items)

    def dump(self, value: tuple[str | None, ...], out: dict[str, Any]) -> None:
        for index, item in enumerate(value, 1):
            if item is not None:
                out[self.slot(index)] = item

    def load(self, data: dict[str, Any], kwargs: dict[str, Any]) -> None:
        pattern = re.compile(rf"^{re.escape(self.prefix)}([1-9]\d*)$")
        found: dict[int, str] = {}
        for key in [k for k in data if pattern.match(k)]:
            index = int(pattern.match(key)[1])  # type: ignore[index]
            if index > self.size:
                continue  # left in ``data``: reported as an unknown field
            found[index] = coerce(data.pop(key), str, key)
        if found:
            kwargs[self.attr] = tuple(found.get(i) for i in range(1, max(found) + 1))

    def names(self) -> str:
        return f"{self.slot(1)}..{self.size}"


class Field(Protocol):
    """How one dataclass attribute maps to the API: checked, dumped into and loaded from a body."""

    @property
    def attr(self) -> str: ...

    def check(self, value: Any) -> Any: ...

    def dump(self, value: Any, out: dict[str, Any]) -> None: ...

    def load(self, data: dict[str, Any], kwargs: dict[str, Any]) -> None: ...

    def names(self) -> str: ...


# ------------------------------------------------------------------------------------ captcha


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
            raise fail(
                given[0],
                f"{given[0]} cannot be combined with {given[1]}; send only one captcha option.",
            )
        if self.token is not None and not self.token.strip():
            raise fail("captchaToken", "captchaToken is empty; pass a reCAPTCHA token or omit it.")
        if self.retry is not None and not 1 <= self.retry <= 10:
            raise fail("captchaRetry", f"captchaRetry {self.retry} is out of range; use 1 to 10.")
        if self.order is not None:
            object.__setattr__(self, "order", _canonical_order(self.order))

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
        raise fail("captchaOrder", f"captchaOrder lists {len(names)} solvers; use at most 10.")
    canonical = []
    for name in names:
        known = _PROVIDERS_BY_LOWER.get(name.strip().lower()) if isinstance(name, str) else None
        if known is None:
            raise fail(
                "captchaOrder",
                f"captchaOrder names {name!r}; use solvers from {', '.join(CAPTCHA_PROVIDERS)}.",
            )
        canonical.append(known)
    return tuple(canonical)


# ------------------------------------------------------------------------------------ base


def _required_attrs(cls: type) -> set[str]:
    """Dataclass attributes without a default: the body must carry them."""
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


class FlowRequest:
    """Base of every request object: derives payload handling from the class's ``_fields``.

    Subclasses are frozen dataclasses that set ``method``, ``path`` and ``_fields`` and put their
    endpoint's rules in ``_validate``. ``_async`` adds ``"async": True`` to the payload;
    ``_captcha`` says the endpoint takes captcha options (a ``captcha`` attribute).
    """

    method: ClassVar[str]
    path: ClassVar[str]
    _fields: ClassVar[tuple[Field, ...]]
    _async: ClassVar[bool] = False
    _captcha: ClassVar[bool] = False

    def __post_init__(self) -> None:
        required = _required_attrs(type(self))
        for spec in self._fields:
            value = getattr(self, spec.attr)
            if value is None and spec.attr in required:
                raise fail(spec.names(), f"{spec.names()} is required; give it a value.")
            object.__setattr__(self, spec.attr, spec.check(value))
        if self._captcha:
            captcha = getattr(self, "captcha", None)
            if captcha is not None and not isinstance(captcha, Captcha):
                raise fail("captcha", "captcha must be a Captcha(token=…|retry=…|order=…).")
        self._validate()

    def _validate(self) -> None:
        """The endpoint's own rules; raise :class:`ValidationError` on the first broken one."""

    def validate_for_tier(self, tier: Tier) -> None:
        """Raise :class:`ValidationError` if the plan ``tier`` cannot run this request."""

    def estimate_credits(self, tier: Tier, catalog: Catalog = DEFAULT_CATALOG) -> int:
        """Flow credits this request will spend on plan ``tier`` (0 for free endpoints)."""
        return 0

    def request_path(self) -> str:
        """The concrete path to send to (some endpoints put a value in it)."""
        return self.path

    def to_payload(self) -> dict[str, Any]:
        """The body in the API's field names; ``None`` fields are left out."""
        out: dict[str, Any] = {}
        for spec in self._fields:
            spec.dump(getattr(self, spec.attr), out)
        captcha = getattr(self, "captcha", None) if self._captcha else None
        if isinstance(captcha, Captcha):
            out.update(captcha.to_payload())
        if self._async:
            out["async"] = True
        return out

    @classmethod
    def from_payload(cls: type[R], payload: Mapping[str, Any]) -> R:
        """Build and validate from a body: JSON types or multipart strings; unknown fields fail."""
        if not isinstance(payload, Mapping):
            raise fail("body", f"the body of {cls.method} {cls.path} must be a JSON object.")
        data = dict(payload)
        kwargs: dict[str, Any] = {}
        for spec in cls._fields:
            spec.load(data, kwargs)
        if cls._captcha:
            captcha = Captcha.from_payload(data)
            if captcha is not None:
                kwargs["captcha"] = captcha
        if cls._async and "async" in data:
            coerce(data.pop("async"), bool, "async")
        for attr in _required_attrs(cls) - set(kwargs):
            kwargs[attr] = None  # reported as "<field> is required" by the constructor
        if data:
            raise cls._unknown_field(sorted(data)[0])
        return cls(**kwargs)

    @classmethod
    def _unknown_field(cls, unknown: str) -> ValidationError:
        accepted = [spec.names() for spec in cls._fields]
        if cls._captcha:
            accepted += ["captchaToken", "captchaRetry", "captchaOrder"]
        if cls._async:
            accepted.append("async")
        plain = [name for names in accepted for name in names.split(", ")]
        close = difflib.get_close_matches(unknown, plain, n=1)
        fix = f"did you mean {close[0]}?" if close else f"use {', '.join(accepted)}."
        return fail(unknown, f"{unknown} is not a field of {cls.method} {cls.path}; {fix}")

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON of what this request asks for.

        The ledger matches a re-run cell to the job it already bought by this value, so it covers
        the endpoint and every field that changes the result, and leaves out
        :data:`VOLATILE_FIELDS` -- captcha options (a fresh token each time), ``replyUrl`` and
        ``replyRef`` (where the news goes) and ``async`` (how the answer is delivered).
        """
        body = {k: v for k, v in self._fingerprint_payload().items() if k not in VOLATILE_FIELDS}
        canonical = json.dumps(
            {"endpoint": f"{self.method} {self.path}", "body": body},
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def _fingerprint_payload(self) -> dict[str, Any]:
        return self.to_payload()
