"""A unit of work: one validated request, and the few facts the runner derives from it.

Why: the session builds requests on the caller's thread (so bad input fails there, in one plain
sentence, before anything is queued); the engine then needs a few derived facts -- the kind,
the account, the ledger fingerprint, the catalog's expected duration -- and, after a restart, the
same request rebuilt from the ledger's stored payload. Every one of them is read off the
request's class (:class:`~flow_widgets.api.requests.FlowRequest` holds each endpoint's facts),
so the runner never special-cases an endpoint and no table here lists them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from flow_widgets.api.catalog import Catalog
from flow_widgets.api.ids import account_of
from flow_widgets.api.requests import FlowRequest
from flow_widgets.errors import ValidationError
from flow_widgets.runtime.ledger import Submission

__all__ = ["WorkItem", "request_from_submission"]


@dataclass(frozen=True)
class WorkItem:
    """A validated request and the facts the runner derives from it.

    Attributes:
        request: the validated request object (its class says what kind of job it makes).
        new: buy again even if an identical request was bought before.
        identity: the fingerprint of the request as the user asked for it, when the runtime
            changed it since (a dispatcher naming the account it spreads a job to); re-runs
            match on this, so picking another account never looks like a new purchase.
    """

    request: FlowRequest
    new: bool = False
    identity: str | None = None

    def __post_init__(self) -> None:
        if self.request.kind is None:
            raise TypeError(f"{type(self.request).__name__} is not submitted as a job")

    @property
    def kind(self) -> str:
        """The kind of job (``video``, ``image_upscale``…) its ledger row and handle carry."""
        return str(self.request.kind)

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
        for name in self.request.owner_fields:
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

    def on_account(self, email: str) -> WorkItem:
        """The same work sent to ``email`` (when the request takes an email and names none)."""
        if getattr(self.request, "email", "") is not None or self.account is not None:
            return self
        moved = dataclasses.replace(self.request, email=email)  # type: ignore[type-var]
        return dataclasses.replace(self, request=moved, identity=self.fingerprint)

    def expected_seconds(self, catalog: Catalog) -> float:
        """The catalog's typical duration of this work, in API seconds."""
        task = self.request.task
        if task is None:
            return 0.0
        resolution = str(getattr(self.request, "resolution", "") or "").lower()
        if task == "video_upscale" and resolution == "4k":
            task = "video_upscale_4k"
        by_model = self.request.timed_by_model
        try:
            return catalog.expected_seconds(task, self.model if by_model else None)
        except ValidationError:
            return 0.0 if by_model else catalog.expected_seconds(task)

    def with_reply_ref(self, submission_id: str) -> FlowRequest:
        """The request carrying ``submission_id`` as ``replyRef`` where the endpoint takes one
        (the API stores it with the job, which makes reconciliation exact)."""
        if not hasattr(self.request, "reply_ref"):
            return self.request
        return dataclasses.replace(self.request, reply_ref=submission_id)  # type: ignore[type-var]


def request_from_submission(submission: Submission) -> WorkItem | None:
    """Rebuild the work of a ledger row (``None`` when its payload no longer validates)."""
    cls = FlowRequest.for_kind(submission.kind)
    if cls is None:
        return None
    payload = {k: v for k, v in submission.payload.items() if k not in ("replyRef",)}
    try:
        return WorkItem(cls.from_payload(payload, keep_extra=True))
    except (ValidationError, TypeError, ValueError):
        return None
