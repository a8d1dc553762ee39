"""Reading loose JSON into typed values, and dataclasses to JSON and back.

Two small tools the result models share. The ``json_*`` readers take one key out of a server
object and return it only when it has the expected type, because the API is documented as
"experimental" and fields come and go: a missing or odd field becomes ``None`` rather than an
exception deep inside a parser. :class:`JsonModel` gives every frozen result dataclass a
``to_dict()``/``from_dict()`` pair driven by its type hints, so the ledger can store results as
plain JSON (bytes become base64 text) and read them back unchanged. Pure: no I/O.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import types
import typing
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar, Union

__all__ = [
    "HIDDEN",
    "JsonModel",
    "decode_base64",
    "extra_field",
    "first",
    "json_bool",
    "json_float",
    "json_int",
    "json_list",
    "json_object",
    "json_str",
    "json_strs",
    "unmodelled",
]

M = TypeVar("M", bound="JsonModel")
T = TypeVar("T")


def first(*values: T | None) -> T | None:
    """The first value that is not ``None`` (unlike ``or``, keeps ``0`` and ``""``)."""
    return next((v for v in values if v is not None), None)


def json_object(data: Any, *keys: str) -> Mapping[str, Any]:
    """The object at ``data[k1][k2]…``, or an empty mapping when any step is missing."""
    current = data
    for key in keys:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def json_str(data: Mapping[str, Any], key: str) -> str | None:
    """A non-empty string value, else ``None``."""
    value = data.get(key)
    return value if isinstance(value, str) and value != "" else None


def json_int(data: Mapping[str, Any], key: str) -> int | None:
    """An integer value (integral floats and digit strings accepted), else ``None``."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def json_float(data: Mapping[str, Any], key: str) -> float | None:
    """A number value (numeric strings and ``"8s"``-style durations accepted), else ``None``."""
    value = data.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().removesuffix("s"))
        except ValueError:
            return None
    return None


def json_bool(data: Mapping[str, Any], key: str) -> bool | None:
    """A boolean value, else ``None``."""
    value = data.get(key)
    return value if isinstance(value, bool) else None


def json_list(data: Mapping[str, Any], key: str) -> list[Any]:
    """A list value, else an empty list."""
    value = data.get(key)
    return value if isinstance(value, list) else []


def json_strs(data: Mapping[str, Any], key: str) -> tuple[str, ...]:
    """The strings of a list value."""
    return tuple(item for item in json_list(data, key) if isinstance(item, str))


def unmodelled(data: Mapping[str, Any], known: Iterable[str]) -> Mapping[str, Any]:
    """The keys of a server object this version does not read, with their values as sent.

    Why: the API gains fields every few weeks (spec §7.1). A parser that drops what it does not
    know loses data a user may need tomorrow; one that guesses at it may be wrong. So models keep
    the rest in their ``extra`` field (and the ledger stores it with them), as sent, except that
    values under credential-like names (and OAuth tokens or JWTs anywhere) become ``[hidden]``.
    """
    skip = frozenset(known)
    return MappingProxyType(
        {k: _hidden(k, v) for k, v in data.items() if isinstance(k, str) and k not in skip}
    )


HIDDEN = "[hidden]"
"""What an unmodelled value under a credential-like name becomes."""
_CREDENTIAL_WORDS = (
    "token",
    "cookie",
    "secret",
    "password",
    "session",
    "auth",
    "credential",
    "key",
)
_CREDENTIAL_PREFIXES = ("ya29.", "eyJ")
"""OAuth access tokens and JWTs, which may sit under any name."""


def _hidden(key: str, value: Any) -> Any:
    """``value`` with anything credential-like hidden, at any depth: an unknown field is kept,
    but a login the API may one day echo (an account's cookies, a session token) must never
    reach the ledger, a widget's state or a cell's output."""
    name = key.replace("_", "").replace("-", "").lower()
    if any(word in name for word in _CREDENTIAL_WORDS):
        return HIDDEN
    if isinstance(value, Mapping):
        return {k: _hidden(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_hidden("", v) for v in value]
    if isinstance(value, str) and value.startswith(_CREDENTIAL_PREFIXES):
        return HIDDEN
    return value


def extra_field() -> Any:
    """The ``extra`` field of a model: unmodelled keys, empty by default, not hashed."""
    return dataclasses.field(default_factory=lambda: MappingProxyType({}), hash=False)


def decode_base64(text: str, field: str) -> bytes:
    """Decode an inline base64 payload; a broken one raises ``ValueError`` naming the field."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        try:
            return base64.b64decode("".join(text.split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"{field} is not valid base64") from exc


class JsonModel:
    """Mixin for frozen dataclasses: ``to_dict()`` gives JSON-safe data, ``from_dict()`` reads it.

    Nested models, tuples, mappings, ``X | None`` and ``bytes`` (as base64 text) round-trip, so
    ``type(m).from_dict(json.loads(json.dumps(m.to_dict()))) == m`` for every model.
    """

    def to_dict(self) -> dict[str, Any]:
        """This value as JSON-safe data (``json.dumps`` accepts it)."""
        return {
            f.name: _to_json(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
        }

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """Rebuild a value from :meth:`to_dict` output; unknown keys are ignored."""
        hints = typing.get_type_hints(cls)
        values = {
            f.name: _from_json(hints[f.name], data[f.name])
            for f in dataclasses.fields(cls)  # type: ignore[arg-type]
            if f.name in data
        }
        return cls(**values)


def _to_json(value: Any) -> Any:
    if isinstance(value, JsonModel):
        return value.to_dict()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _from_json(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        inner = [a for a in args if a is not type(None)]
        return _from_json(inner[0], value) if len(inner) == 1 else value
    if hint is bytes:
        return decode_base64(value, "bytes field")
    if isinstance(hint, type) and issubclass(hint, JsonModel):
        return hint.from_dict(value)
    if origin is tuple:
        item = args[0] if args else Any
        return tuple(_from_json(item, v) for v in value)
    if origin is Mapping:
        item = args[1] if len(args) == 2 else Any
        return types.MappingProxyType({k: _from_json(item, v) for k, v in value.items()})
    return value
