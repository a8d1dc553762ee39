"""A unit of work: one validated request, what kind of job it makes, and how to find it again.

Why: the session builds requests on the caller's thread (so bad input fails there, in one plain
sentence, before anything is queued); the engine then needs a few derived facts -- the kind,
the account, the ledger fingerprint, the catalog's expected duration -- and, after a restart, the
same request rebuilt from the ledger's stored payload. Keeping those facts next to each other
means the runner never special-cases an endpoint.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from flow_widgets.api.catalog import Catalog
from flow_widgets.api.ids import account_of
from flow_widgets.api.requests import (
    CharacterRequest,
    ConcatenateRequest,
    ExtendRequest,
    FlowRequest,
    GifRequest,
    ImageRequest,
    ImageUpscaleRequest,
    VideoRequest,
    VideoUpscaleRequest,
    VoiceRequest,
)
from flow_widgets.errors import ValidationError
from flow_widgets.runtime.ledger import Submission

__all__ = ["KINDS", "KIND_REQUESTS", "Work", "request_from_submission"]

#: Request class of each kind of work the runtime submits through the ledger.
KIND_REQUESTS: Mapping[str, type[FlowRequest]] = {
    "video": VideoRequest,
    "extend": ExtendRequest,
    "upscale": VideoUpscaleRequest,
    "image": ImageRequest,
    "image_upscale": ImageUpscaleRequest,
    "gif": GifRequest,
    "concatenate": ConcatenateRequest,
    "voice": VoiceRequest,
    "character": CharacterRequest,
}
KINDS = frozenset(KIND_REQUESTS)

# kind -> the catalog task whose typical duration applies
_TASKS = {
    "video": "video",
    "extend": "extend",
    "upscale": "video_upscale",
    "image": "image",
    "image_upscale": "image_upscale",
    "gif": "gif",
    "concatenate": "concatenate",
    "voice": "voice",
    "character": "character",
    "upload": "upload",
}


@dataclass(frozen=True)
class Work:
    """A validated request and the facts the runner derives from it.

    Attributes:
        kind: one of :data:`KINDS`.
        request: the validated request object.
        new: buy again even if an identical request was bought before.
        identity: the fingerprint of the request as the user asked for it, when the runtime
            changed it since (a batch naming the account it spreads a row to); re-runs match
            on this, so picking another account never looks like a new purchase.
    """

    kind: str
    request: FlowRequest
    new: bool = False
    identity: str | None = None

    def __post_init__(self) -> None:
        expected = KIND_REQUESTS.get(self.kind)
        if expected is None or not isinstance(self.request, expected):
            raise TypeError(f"{type(self.request).__name__} is not a {self.kind!r} request")

    @property
    def prompt(self) -> str | None:
        """The prompt, or a readable stand-in for prompt-less kinds (used in file names)."""
        prompt = getattr(self.request, "prompt", None)
        if isinstance(prompt, str):
            return prompt
        name = getattr(self.request, "display_name", None)
        return name if isinstance(name, str) else None

    @property
    def model(self) -> str | None:
        model = getattr(self.request, "model", None)
        return model if isinstance(model, str) else None

    @property
    def account(self) -> str | None:
        """The account the request is bound to: its ``email``, else the owner of its media."""
        email = getattr(self.request, "email", None)
        if isinstance(email, str) and email:
            return email
        for name in _MEDIA_FIELDS:
            value = getattr(self.request, name, None)
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                media_id = getattr(item, "media_generation_id", item)
                if isinstance(media_id, str) and account_of(media_id):
                    return account_of(media_id)
        return None

    @property
    def fingerprint(self) -> str:
        return self.identity or self.request.fingerprint()

    def on_account(self, email: str) -> Work:
        """The same work sent to ``email`` (when the request takes an email and names none)."""
        if getattr(self.request, "email", "") is not None or self.account is not None:
            return self
        moved: FlowRequest = dataclasses.replace(cast(Any, self.request), email=email)
        return dataclasses.replace(self, request=moved, identity=self.fingerprint)

    def expected_seconds(self, catalog: Catalog) -> float:
        """The catalog's typical duration of this work, in API seconds."""
        task = _TASKS[self.kind]
        resolution = str(getattr(self.request, "resolution", "") or "").lower()
        if self.kind == "upscale" and resolution == "4k":
            task = "video_upscale_4k"
        try:
            return catalog.expected_seconds(task, self.model if task in _MODEL_TASKS else None)
        except ValidationError:
            return catalog.expected_seconds(task) if task not in _MODEL_TASKS else 0.0

    def with_reply_ref(self, submission_id: str) -> FlowRequest:
        """The request carrying ``submission_id`` as ``replyRef`` where the endpoint takes one
        (the API stores it with the job, which makes reconciliation exact)."""
        if not hasattr(self.request, "reply_ref"):
            return self.request
        replaced: FlowRequest = dataclasses.replace(
            cast(Any, self.request), reply_ref=submission_id
        )
        return replaced


_MODEL_TASKS = frozenset({"video", "extend", "image"})
# Fields whose media ids tie a request to the account that owns them (spec §1.3).
_MEDIA_FIELDS = (
    "media_generation_id",
    "start_image",
    "end_image",
    "reference_video",
    "reference_images",
    "references",
    "characters",
    "image_references",
    "clips",
)


def request_from_submission(submission: Submission) -> Work | None:
    """Rebuild the work of a ledger row (``None`` when its payload no longer validates)."""
    cls = KIND_REQUESTS.get(submission.kind)
    if cls is None:
        return None
    payload = {k: v for k, v in submission.payload.items() if k not in ("replyRef",)}
    try:
        return Work(submission.kind, cls.from_payload(payload, keep_extra=True))
    except (ValidationError, TypeError, ValueError):
        return None
