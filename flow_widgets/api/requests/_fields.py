"""How request attributes map to API fields, and how body values are read.

A request class declares, per attribute, a :class:`Scalar` (one API field of one type) or
:class:`Slots` (a tuple spread over numbered fields such as ``referenceImage_1..7``). Each spec
checks a constructor value, writes it into a payload and reads it back from a body, where
:func:`coerce` accepts both JSON types and the strings a multipart form carries ("8", "true").
Pure: no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from flow_widgets.errors import ValidationError

__all__ = [
    "PROTECTED_FIELDS",
    "Field",
    "Scalar",
    "Slots",
    "check_extra",
    "coerce",
    "fail",
    "wants_async",
]

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


def _check_encodable(api: str, text: str) -> None:
    """Refuse text that cannot travel as UTF-8 JSON (a lone surrogate from a bad copy-paste),
    so it fails here, naming the field, instead of deep inside the HTTP client."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise fail(
            api,
            f"{api} has a broken character at position {exc.start + 1} (a lone surrogate); "
            "remove it or copy the text again.",
        ) from None


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
        if isinstance(value, str):
            _check_encodable(self.api, value)
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


# ------------------------------------------------------------------------------- extra fields

#: Body keys ``extra=`` may never set: how the answer is delivered and what the runtime relies on
#: to spend exactly once (the job's ``replyRef`` carries the ledger's submission id; captcha
#: options and ``async`` decide whether a retry could buy twice).
PROTECTED_FIELDS = frozenset(
    {"async", "replyRef", "replyUrl", "captchaToken", "captchaRetry", "captchaOrder"}
)


def check_extra(extra: Any, declared: frozenset[str], endpoint: str) -> dict[str, Any]:
    """``extra`` as a plain dict of JSON values, refusing what it may not set.

    ``extra`` is the escape hatch for a field the API gained after this release: it is merged
    into the body as given. Fields this version declares are refused (use the argument, which
    is checked), and so are :data:`PROTECTED_FIELDS`.
    """
    if not isinstance(extra, Mapping):
        raise fail("extra", f"extra must be a dict of API fields for {endpoint}, not {extra!r}.")
    checked: dict[str, Any] = {}
    for key, value in extra.items():
        if not isinstance(key, str) or not key.strip():
            raise fail("extra", f"extra has the key {key!r}; use the API's field names (text).")
        if key in PROTECTED_FIELDS:
            raise fail(
                key,
                f"extra cannot set {key}: the runtime relies on it to spend exactly once.",
            )
        if key in declared:
            raise fail(
                key, f"extra cannot set {key}, a field this version knows; pass it as an argument."
            )
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise fail(key, f"extra {key} must be a JSON value, not {value!r}.") from None
        checked[key] = value
    return checked
