"""The client's resources (``client.videos.create(...)`` …), declared once for both twins.

Every method is an endpoint builder (from :mod:`flow_widgets.api._endpoints`,
:mod:`~flow_widgets.api._media_endpoints` or :mod:`~flow_widgets.api._waiting`) wrapped by a small
descriptor: :class:`SyncEndpoint` runs the builder's plan on a :class:`FlowClient` and returns
the result, :class:`AsyncEndpoint` returns a coroutine for :class:`AsyncFlowClient`. The
builder's signature and docstring carry over (``ParamSpec`` for type checkers,
``functools.wraps`` for ``help()``), so the two resource families below differ in nothing but
the descriptor they use.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, Generic, ParamSpec, Protocol, TypeVar, overload

from flow_widgets.api import _asset_endpoints as asset_ep
from flow_widgets.api import _endpoints as ep
from flow_widgets.api import _media_endpoints as media
from flow_widgets.api._calls import Plan
from flow_widgets.api._waiting import wait_for_job
from flow_widgets.api.requests._evidence import collecting, emit, strict_rules

__all__ = [
    "Accounts",
    "Assets",
    "AsyncAccounts",
    "AsyncAssets",
    "AsyncCaptchaResource",
    "AsyncCharacters",
    "AsyncEndpoint",
    "AsyncImages",
    "AsyncJobs",
    "AsyncVideos",
    "AsyncVoices",
    "CaptchaResource",
    "Characters",
    "Images",
    "Jobs",
    "SyncEndpoint",
    "Videos",
    "Voices",
    "mount",
]

P = ParamSpec("P")
T = TypeVar("T")
R = TypeVar("R")


class mount(Generic[R]):
    """Declares a resource on a client class: ``videos = mount(Videos)``.

    The resource is created on first access with the client as its argument, then cached on
    the instance.
    """

    def __init__(self, resource: Callable[[Any], R]) -> None:
        self._resource = resource
        self._name = ""

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> mount[R]: ...

    @overload
    def __get__(self, obj: object, owner: type[Any]) -> R: ...

    def __get__(self, obj: object | None, owner: type[Any]) -> mount[R] | R:
        if obj is None:
            return self
        value = self._resource(obj)
        obj.__dict__[self._name] = value
        return value


class SyncRunner(Protocol):
    """What a sync resource needs from its client."""

    def run(self, plan: Plan[T]) -> T:
        """Carry out a plan and return its result."""
        ...


class AsyncRunner(Protocol):
    """What an async resource needs from its client."""

    def run(self, plan: Plan[T]) -> Awaitable[T]:
        """Carry out a plan; await the result."""
        ...


class SyncResource:
    """A namespace of endpoints bound to a synchronous client."""

    def __init__(self, client: SyncRunner) -> None:
        self._client = client


class AsyncResource:
    """A namespace of endpoints bound to an asynchronous client."""

    def __init__(self, client: AsyncRunner) -> None:
        self._client = client


def _built(client: Any, build: Callable[..., Plan[T]], args: Any, kwargs: Any) -> Plan[T]:
    """``build``'s plan, with the client's strictness; reported-rule warnings are shown here,
    on the caller's thread, before anything is sent (spec §7.1)."""
    with strict_rules(getattr(client, "strict", False)), collecting() as found:
        plan = build(*args, **kwargs)
    emit(found, stacklevel=4)
    return plan


class SyncEndpoint(Generic[P, T]):
    """Descriptor: on a sync resource, ``build``'s arguments in, ``build``'s result out."""

    def __init__(self, build: Callable[P, Plan[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> SyncEndpoint[P, T]: ...

    @overload
    def __get__(self, obj: SyncResource, owner: type[Any]) -> Callable[P, T]: ...

    def __get__(
        self, obj: SyncResource | None, owner: type[Any]
    ) -> SyncEndpoint[P, T] | Callable[P, T]:
        if obj is None:
            return self
        build, client = self._build, obj._client

        @functools.wraps(build)
        def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return client.run(_built(client, build, args, kwargs))

        return method


class AsyncEndpoint(Generic[P, T]):
    """Descriptor: on an async resource, ``build``'s arguments in, an awaitable result out."""

    def __init__(self, build: Callable[P, Plan[T]]) -> None:
        self._build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> AsyncEndpoint[P, T]: ...

    @overload
    def __get__(self, obj: AsyncResource, owner: type[Any]) -> Callable[P, Awaitable[T]]: ...

    def __get__(
        self, obj: AsyncResource | None, owner: type[Any]
    ) -> AsyncEndpoint[P, T] | Callable[P, Awaitable[T]]:
        if obj is None:
            return self
        build, client = self._build, obj._client

        @functools.wraps(build)
        async def method(*args: P.args, **kwargs: P.kwargs) -> T:
            return await client.run(_built(client, build, args, kwargs))

        return method


class Accounts(SyncResource):
    """Google Flow accounts: ``add``, ``list``, ``get``, ``delete``."""

    add = SyncEndpoint(ep.add_account)
    list = SyncEndpoint(ep.list_accounts)
    get = SyncEndpoint(ep.get_account)
    delete = SyncEndpoint(ep.delete_account)


class AsyncAccounts(AsyncResource):
    """Google Flow accounts: ``add``, ``list``, ``get``, ``delete``."""

    add = AsyncEndpoint(ep.add_account)
    list = AsyncEndpoint(ep.list_accounts)
    get = AsyncEndpoint(ep.get_account)
    delete = AsyncEndpoint(ep.delete_account)


class CaptchaResource(SyncResource):
    """Captcha solvers: ``set_providers``, ``get_providers``, ``stats``."""

    set_providers = SyncEndpoint(ep.set_captcha_providers)
    get_providers = SyncEndpoint(ep.get_captcha_providers)
    stats = SyncEndpoint(ep.captcha_stats)


class AsyncCaptchaResource(AsyncResource):
    """Captcha solvers: ``set_providers``, ``get_providers``, ``stats``."""

    set_providers = AsyncEndpoint(ep.set_captcha_providers)
    get_providers = AsyncEndpoint(ep.get_captcha_providers)
    stats = AsyncEndpoint(ep.captcha_stats)


class Assets(SyncResource):
    """Uploads: ``upload``; ``get``: a fresh signed URL for a generated clip or image (C4)."""

    upload = SyncEndpoint(ep.upload_asset)
    get = SyncEndpoint(asset_ep.get_asset)


class AsyncAssets(AsyncResource):
    """Uploads: ``upload``; ``get``: a fresh signed URL for a generated clip or image (C4)."""

    upload = AsyncEndpoint(ep.upload_asset)
    get = AsyncEndpoint(asset_ep.get_asset)


class Images(SyncResource):
    """Images: ``create`` (synchronous), ``upscale``."""

    create = SyncEndpoint(media.create_images)
    upscale = SyncEndpoint(media.upscale_image)


class AsyncImages(AsyncResource):
    """Images: ``create`` (synchronous), ``upscale``."""

    create = AsyncEndpoint(media.create_images)
    upscale = AsyncEndpoint(media.upscale_image)


class Videos(SyncResource):
    """Videos: ``create``, ``upscale``, ``extend`` (jobs), ``gif``, ``concatenate`` (bytes)."""

    create = SyncEndpoint(media.create_video)
    upscale = SyncEndpoint(media.upscale_video)
    extend = SyncEndpoint(media.extend_video)
    gif = SyncEndpoint(media.video_gif)
    concatenate = SyncEndpoint(media.concatenate_videos)


class AsyncVideos(AsyncResource):
    """Videos: ``create``, ``upscale``, ``extend`` (jobs), ``gif``, ``concatenate`` (bytes)."""

    create = AsyncEndpoint(media.create_video)
    upscale = AsyncEndpoint(media.upscale_video)
    extend = AsyncEndpoint(media.extend_video)
    gif = AsyncEndpoint(media.video_gif)
    concatenate = AsyncEndpoint(media.concatenate_videos)


class Voices(SyncResource):
    """Voices: ``create``, ``list``, ``get``, ``delete``."""

    create = SyncEndpoint(ep.create_voice)
    list = SyncEndpoint(ep.list_voices)
    get = SyncEndpoint(ep.get_voice)
    delete = SyncEndpoint(ep.delete_voice)


class AsyncVoices(AsyncResource):
    """Voices: ``create``, ``list``, ``get``, ``delete``."""

    create = AsyncEndpoint(ep.create_voice)
    list = AsyncEndpoint(ep.list_voices)
    get = AsyncEndpoint(ep.get_voice)
    delete = AsyncEndpoint(ep.delete_voice)


class Characters(SyncResource):
    """Characters: ``create``, ``list``, ``get``, ``delete``."""

    create = SyncEndpoint(ep.create_character)
    list = SyncEndpoint(ep.list_characters)
    get = SyncEndpoint(ep.get_character)
    delete = SyncEndpoint(ep.delete_character)


class AsyncCharacters(AsyncResource):
    """Characters: ``create``, ``list``, ``get``, ``delete``."""

    create = AsyncEndpoint(ep.create_character)
    list = AsyncEndpoint(ep.list_characters)
    get = AsyncEndpoint(ep.get_character)
    delete = AsyncEndpoint(ep.delete_character)


class Jobs(SyncResource):
    """Jobs: ``get``, ``stats``, and ``wait`` (poll until done, with a deadline)."""

    get = SyncEndpoint(ep.get_job)
    stats = SyncEndpoint(ep.jobs_stats)
    wait = SyncEndpoint(wait_for_job)


class AsyncJobs(AsyncResource):
    """Jobs: ``get``, ``stats``, and ``wait`` (poll until done, with a deadline)."""

    get = AsyncEndpoint(ep.get_job)
    stats = AsyncEndpoint(ep.jobs_stats)
    wait = AsyncEndpoint(wait_for_job)
