"""The public surface is explicit: exactly these names are exported, and every one resolves.

A name added to (or dropped from) ``flow_widgets.__all__`` or ``flow_widgets.errors.__all__``
fails here on purpose: the public surface changes only on purpose, with this list.
"""

from __future__ import annotations

import inspect

import flow_widgets
import flow_widgets.errors as errors

PACKAGE_EXPORTS = {
    "AsyncFlowClient",
    "Characters",
    "Class",
    "Credits",
    "FlowClient",
    "Gallery",
    "Jobs",
    "Studio",
    "Voices",
    "export",
    "present",
    "show",
    "__version__",
    "load_ipython_extension",
    "session",
    "unload_ipython_extension",
}
ERRORS = {
    "APIConnectionError",
    "APIError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BudgetExceededError",
    "CaptchaRejectedError",
    "CaptchaServiceError",
    "ConfigError",
    "ContentPolicyError",
    "DiskFullError",
    "DownloadError",
    "EngineClosedError",
    "EngineError",
    "EngineThreadError",
    "FlowError",
    "InsufficientCreditsError",
    "JobError",
    "JobExpiredError",
    "JobFailedError",
    "JobTimeoutError",
    "MediaExpiredError",
    "ModelBlocked",
    "NoEligibleAccountError",
    "NotFoundError",
    "NotSent",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RateLimitError",
    "RequestTimeoutError",
    "ServerError",
    "ServiceUnavailableError",
    "SessionBrokenError",
    "ThrottledError",
    "UnknownOutcomeError",
    "UnknownPriceError",
    "ValidationError",
}


def test_the_package_exports_exactly_its_public_names() -> None:
    assert set(flow_widgets.__all__) == PACKAGE_EXPORTS
    assert len(flow_widgets.__all__) == len(PACKAGE_EXPORTS)  # no name listed twice


def test_the_error_module_exports_exactly_the_error_tree() -> None:
    assert set(errors.__all__) == ERRORS
    assert len(errors.__all__) == len(ERRORS)
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value)
        and issubclass(value, BaseException)
        and value.__module__ == errors.__name__
    }
    assert defined == ERRORS  # every error the module defines is exported


def test_every_error_the_package_raises_is_in_the_tree() -> None:
    """The runtime's own refusals live in the tree too (importable from their old homes)."""
    from flow_widgets.runtime import dispatcher, engine

    for cls in (engine.EngineThreadError, engine.EngineClosedError, dispatcher.NotSent):
        assert issubclass(cls, errors.FlowError) and cls.__module__ == errors.__name__
    assert issubclass(dispatcher.ModelBlocked, dispatcher.NotSent)
    assert issubclass(engine.EngineThreadError, RuntimeError)  # what callers caught before


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
