"""The base every request object shares: payloads, bodies, required fields, fingerprints.

A request class declares its dataclass fields *and* how each maps to the API (see
:mod:`._fields`). From that one declaration :class:`FlowRequest` derives ``to_payload()``, a
``from_payload()`` that accepts JSON types and multipart strings and refuses unknown fields, the
type checks every constructor runs before the endpoint's own rules, and a ``fingerprint()`` for
the ledger. Keeping it declarative means the client (which builds requests from keyword
arguments) and the simulator (which builds them from bodies) cannot drift apart. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, TypeVar

from flow_widgets.api._retry import Safety
from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog, Tier
from flow_widgets.api.requests._captcha import Captcha
from flow_widgets.api.requests._evidence import RuleWarning, collecting, report
from flow_widgets.api.requests._fields import Field, check_extra, coerce, fail
from flow_widgets.errors import ValidationError

__all__ = ["VOLATILE_FIELDS", "FlowRequest", "Reply"]

R = TypeVar("R", bound="FlowRequest")

#: Payload keys left out of a fingerprint: they change how a request is delivered or solved,
#: not what it asks for, so a re-run that only differs in them is the same purchase.
VOLATILE_FIELDS = frozenset(
    {"captchaToken", "captchaRetry", "captchaOrder", "replyUrl", "replyRef", "async"}
)


def _required_attrs(cls: type) -> set[str]:
    """Dataclass attributes without a default: the body must carry them."""
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    }


_BY_KIND: dict[str, type[FlowRequest]] = {}


class Reply(Protocol):
    """What an endpoint's reply is read into: a model with ``from_api(body)``."""

    @classmethod
    def from_api(cls, body: Mapping[str, Any]) -> Any: ...


class FlowRequest:
    """Base of every request object: derives payload handling from the class's ``_fields``.

    Subclasses are frozen dataclasses that set ``method``, ``path`` and ``_fields`` and put their
    endpoint's rules in ``_validate``. ``_async`` adds ``"async": True`` to the payload;
    ``_captcha`` says the endpoint takes captcha options (a ``captcha`` attribute).

    Every other fact about an endpoint lives on its class too, so adding an endpoint is one class
    (and its tests): which model its reply is read into (``reply``) and how safe a resend is
    (``safety``); and, for the endpoints the runtime submits as jobs, the ``kind`` its ledger
    rows and handles carry, the catalog ``task`` that times it (per model when
    ``timed_by_model``), the per-account cap it counts against (``slot_group``), whether the
    reply carries the result itself rather than a job to poll (``inline_result``), and which
    fields hold media ids that bind it to their account (``owner_fields``). A class with a
    ``kind`` is found again by it (:meth:`for_kind`), which is how the runtime rebuilds a request
    from a ledger row.
    """

    method: ClassVar[str]
    path: ClassVar[str]
    _fields: ClassVar[tuple[Field, ...]]
    _async: ClassVar[bool] = False
    _captcha: ClassVar[bool] = False
    reply: ClassVar[type[Reply] | None] = None
    safety: ClassVar[Safety] = Safety.IDEMPOTENT
    kind: ClassVar[str | None] = None
    task: ClassVar[str | None] = None
    timed_by_model: ClassVar[bool] = False
    slot_group: ClassVar[str | None] = None
    inline_result: ClassVar[bool] = False
    owner_fields: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is not None:
            if kind in _BY_KIND and _BY_KIND[kind].__qualname__ != cls.__qualname__:
                raise TypeError(f"two request classes claim the kind {kind!r}")
            _BY_KIND[kind] = cls

    @staticmethod
    def for_kind(kind: str) -> type[FlowRequest] | None:
        """The request class whose jobs carry ``kind`` (``None``: no such kind)."""
        return _BY_KIND.get(kind)

    @staticmethod
    def kinds() -> frozenset[str]:
        """Every kind of job the runtime can submit."""
        return frozenset(_BY_KIND)

    def follow_ups(self) -> frozenset[str]:
        """What can be asked of this request's finished result (``extend``, ``upscale``, ``gif``,
        ``concatenate``), by the catalog's facts about its model."""
        return frozenset()

    #: Reported rules this request breaks (spec §7.1): sent anyway, shown to the user.
    rule_warnings: ClassVar[tuple[RuleWarning, ...]] = ()

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
        if getattr(self, "extra", None) is not None:
            declared = frozenset(self._declared_names())
            where = f"{self.method} {self.path}"
            object.__setattr__(self, "extra", check_extra(self.extra, declared, where))  # type: ignore[attr-defined]
        with collecting() as found:
            report(getattr(getattr(self, "captcha", None), "rule_warnings", ()))
            self._validate()
        object.__setattr__(self, "rule_warnings", tuple(found))

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
        out.update(getattr(self, "extra", None) or {})  # checked: never a declared key
        return out

    @classmethod
    def _declared_names(cls) -> list[str]:
        """Every body field this class knows (``Slots`` expanded), for ``extra=`` checks."""
        names: list[str] = []
        for spec in cls._fields:
            size = getattr(spec, "size", None)
            prefix = getattr(spec, "prefix", None)
            if isinstance(size, int) and isinstance(prefix, str):
                names += [f"{prefix}{i}" for i in range(1, size + 1)]
            else:
                names += [n.strip() for n in spec.names().split(",")]
        return names

    @classmethod
    def from_payload(cls: type[R], payload: Mapping[str, Any], *, keep_extra: bool = False) -> R:
        """Build and validate from a body: JSON types or multipart strings; unknown fields fail,
        unless ``keep_extra`` (a body this client sent with ``extra=``, read back from the
        ledger) keeps them as the request's ``extra``."""
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
        if data and keep_extra and "extra" in {f.name for f in dataclasses.fields(cls)}:  # type: ignore[arg-type]
            kwargs["extra"], data = data, {}
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
