"""Prompt interpolation: names, attributes, items, escapes, and the errors that name the fix."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flow_widgets.errors import ValidationError
from flow_widgets.magics._interp import interpolate, references

NS = {
    "animal": "fox",
    "scene": SimpleNamespace(place="snowy forest", light=SimpleNamespace(kind="dusk")),
    "colours": ["red", "blue"],
    "mood": {"main": "calm", "alt key": "tense"},
    "count": 3,
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a {animal}", "a fox"),
        ("{animal} in a {scene.place} at {scene.light.kind}", "fox in a snowy forest at dusk"),
        ("{colours[1]} and {colours[-1]}", "blue and blue"),
        ("{mood['main']} / {mood[\"alt key\"]}", "calm / tense"),
        ("{count} foxes", "3 foxes"),
        ("{{animal}} stays literal", "{animal} stays literal"),
        ('json: {{"a": 1}}', 'json: {"a": 1}'),
        ("{{{animal}}}", "{fox}"),
        ("{ animal }", "fox"),
        ("no braces at all", "no braces at all"),
        ("", ""),
    ],
)
def test_interpolates(text: str, expected: str) -> None:
    assert interpolate(text, NS) == expected


def test_undefined_name_is_named_with_the_fix() -> None:
    with pytest.raises(ValidationError) as info:
        interpolate("a {animl} in snow", NS)
    message = str(info.value)
    assert "{animl}" in message and "'animl'" in message
    assert "{{" in message and "--no-interp" in message
    assert info.value.field == "prompt"


def test_missing_attribute_and_item_are_named() -> None:
    with pytest.raises(ValidationError, match=r"scene has no attribute 'colour'"):
        interpolate("{scene.colour}", NS)
    with pytest.raises(ValidationError, match=r"colours has no item 5"):
        interpolate("{colours[5]}", NS)
    with pytest.raises(ValidationError, match=r"mood has no item 'nope'"):
        interpolate("{mood['nope']}", NS)


def test_private_attributes_are_refused() -> None:
    with pytest.raises(ValidationError, match="private attributes"):
        interpolate("{animal.__class__}", NS)


@pytest.mark.parametrize(
    "text", ['{"a": 1}', "{animal.upper()}", "{1 + 1}", "{}", "{animal!r}", "{animal:>5}"]
)
def test_anything_but_a_reference_in_braces_is_an_error(text: str) -> None:
    with pytest.raises(ValidationError, match="not a variable reference"):
        interpolate(text, NS)


@pytest.mark.parametrize(("text", "column"), [("a { b", 3), ("a } b", 3), ("x}", 2)])
def test_stray_braces_say_where(text: str, column: int) -> None:
    with pytest.raises(ValidationError, match=f"at character {column}"):
        interpolate(text, NS)


def test_values_are_not_reinterpolated() -> None:
    assert interpolate("{v}", {"v": "{animal}"}) == "{animal}"


def test_references_lists_names_once_in_order() -> None:
    assert references("{b} {a.x} {b} {{c}} {bad expr}") == ["b", "a"]


@given(st.text(alphabet=st.characters(blacklist_characters="{}")))
def test_text_without_braces_is_unchanged(text: str) -> None:
    assert interpolate(text, {}) == text


@given(st.text())
def test_doubled_braces_round_trip(text: str) -> None:
    escaped = text.replace("{", "{{").replace("}", "}}")
    assert interpolate(escaped, {}) == text
