"""Prompt interpolation: ``{name}``, ``{obj.attr}`` and ``{items[0]}`` from the user's namespace.

Why our own and not ``str.format_map``: a prompt is free text. ``format_map`` turns any brace
into a format field, so a pasted dict or code snippet breaks the cell or silently changes
meaning (jupyter-ai #27, #967), and it allows format specs and conversions nobody asked for.
Here the grammar is tiny and every deviation is an error that says what to write instead:

* ``{name}``, ``{name.attr.attr}``, ``{name[3]}``, ``{name["key"]}`` — a variable from the
  namespace, its public attributes, integer indexes and quoted keys;
* ``{{`` and ``}}`` — a literal brace;
* anything else inside braces, a lone ``{`` or ``}``, an undefined name or attribute, or an
  attribute starting with ``_`` (no walking into ``__class__``) — a :class:`ValidationError`
  naming the problem and the fix (``--no-interp`` turns interpolation off).

Values are inserted with ``str(value)``. Nothing is evaluated beyond attribute and item access.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flow_widgets.errors import ValidationError

__all__ = ["interpolate", "references", "resolve"]

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_STEP = rf"(?:\.{_NAME}|\[-?\d+\]|\[\"[^\"\]]*\"\]|\['[^'\]]*'\])"
_REFERENCE = re.compile(rf"({_NAME})({_STEP}*)")
_STEPS = re.compile(rf"\.({_NAME})|\[(-?\d+)\]|\[\"([^\"\]]*)\"\]|\['([^'\]]*)'\]")
_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")

_FIX = "write {{ and }} for literal braces, or pass --no-interp"


def _fail(message: str) -> ValidationError:
    return ValidationError(message, field="prompt")


def resolve(expression: str, namespace: Mapping[str, object]) -> object:
    """The object ``name.attr[0]`` refers to in ``namespace`` (errors as in :func:`interpolate`)."""
    match = _REFERENCE.fullmatch(expression.strip())
    if match is None:
        raise _fail(
            f"The prompt contains {{{expression}}}, which is not a variable reference like "
            f"{{name}} or {{obj.attr}}; {_FIX}."
        )
    name, steps = match.group(1), match.group(2)
    if name not in namespace:
        raise _fail(
            f"The prompt refers to {{{name}}}, but no variable named {name!r} is defined; "
            f"define it first, or {_FIX}."
        )
    value = namespace[name]
    path = name
    for step in _STEPS.finditer(steps):
        attr, index, dkey, skey = step.groups()
        if attr is not None:
            if attr.startswith("_"):
                raise _fail(
                    f"The prompt reaches for {path}.{attr}; private attributes (starting with _) "
                    "cannot be interpolated, so put the value in a variable first."
                )
            if not hasattr(value, attr):
                raise _fail(
                    f"The prompt refers to {{{path}.{attr}}}, but {path} has no attribute "
                    f"{attr!r}; check the name, or {_FIX}."
                )
            value = getattr(value, attr)
            path = f"{path}.{attr}"
            continue
        key = int(index) if index is not None else (dkey if dkey is not None else skey)
        held: Any = value  # the user's own object: whether it can be indexed is the question
        try:
            value = held[key]
        except (LookupError, TypeError):
            raise _fail(
                f"The prompt refers to {{{path}[{key!r}]}}, but {path} has no item {key!r}; "
                f"check the index, or {_FIX}."
            ) from None
        path = f"{path}[{key!r}]"
    return value


def interpolate(text: str, namespace: Mapping[str, object]) -> str:
    """Replace ``{reference}`` with values from ``namespace`` and ``{{``/``}}`` with braces.

    Raises:
        ValidationError: (field ``"prompt"``) for an undefined name, a missing attribute or
            item, a private attribute, a stray brace, or braces around anything that is not a
            reference. The message names it and the fix.

    >>> interpolate("a {animal.upper()} {{literal}}", {"animal": "fox"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    flow_widgets.errors.ValidationError: The prompt contains {animal.upper()}, which is ...
    >>> interpolate("a {animal} in {{snow}}", {"animal": "fox"})
    'a fox in {snow}'
    """
    out: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        out.append(text[position : token.start()])
        position = token.end()
        raw = token.group(0)
        if raw == "{{":
            out.append("{")
        elif raw == "}}":
            out.append("}")
        elif raw in ("{", "}"):
            raise _fail(
                f"The prompt has an unmatched {raw!r} at character {token.start() + 1}; {_FIX}."
            )
        else:
            out.append(str(resolve(token.group(1), namespace)))
    out.append(text[position:])
    return "".join(out)


def references(text: str) -> list[str]:
    """The variable names a prompt refers to, in order (for dry runs and fingerprints).

    >>> references("{a} and {b.c} and {{d}}")
    ['a', 'b']
    """
    names: list[str] = []
    for token in _TOKEN.finditer(text):
        inner = token.group(1)
        if inner is None:
            continue
        match = _REFERENCE.fullmatch(inner.strip())
        if match and match.group(1) not in names:
            names.append(match.group(1))
    return names
