"""The public surface is explicit: every name in ``__all__`` resolves."""

from __future__ import annotations

import flow_widgets
import flow_widgets.errors as errors


def test_every_exported_name_resolves() -> None:
    for name in flow_widgets.__all__:
        assert getattr(flow_widgets, name) is not None, name


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        flow_widgets.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:  # pragma: no cover - the assertion is the point
        raise AssertionError("unknown attribute did not raise")


def test_error_tree_has_one_root_and_validation_is_a_value_error() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.FlowError), name
    assert issubclass(errors.ValidationError, ValueError)
    assert errors.FlowError.__bases__ == (Exception,)


def test_validation_error_carries_the_field() -> None:
    err = errors.ValidationError("duration 10 is only available on omni-flash.", field="duration")
    assert err.field == "duration"
    assert str(err).startswith("duration")
