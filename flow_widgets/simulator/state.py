"""Everything one simulator instance knows, in one object that both origins share.

:class:`SimulatorState` is the composition root of the simulator: settings, clock, the seeded
random generator, accounts, jobs, media, voices, characters, captcha desk, load balancer,
ledger, faults, URL signer and scheduler. It lives on ``app.state.sim`` (and on
:attr:`RunningSimulator.app_state`). All mutation happens on the server's event loop; tests read
it, and advance the clock, from outside.

Determinism: every id, seed, duration jitter and captcha outcome comes from one
``random.Random(seed)``, so the same seed and the same sequence of requests give the same
answers (timestamps follow the clock; use a :class:`ManualClock` for identical ones too). Fault
probabilities draw from a second generator, so arming a random fault does not shift ids.
"""

from __future__ import annotations

import hashlib
import random
import uuid

from flow_widgets.api.catalog import DEFAULT_CATALOG, Catalog
from flow_widgets.simulator.accounts import Account
from flow_widgets.simulator.balancer import Balancer
from flow_widgets.simulator.captcha import CaptchaDesk
from flow_widgets.simulator.clock import Clock, SystemClock
from flow_widgets.simulator.config import SimulatorConfig
from flow_widgets.simulator.drift import Drift
from flow_widgets.simulator.faults import FaultBook
from flow_widgets.simulator.http import HttpError
from flow_widgets.simulator.jobs import JobBook
from flow_widgets.simulator.ledger import IdempotencyBook, Ledger
from flow_widgets.simulator.library import Character, Voice
from flow_widgets.simulator.media_store import MediaStore
from flow_widgets.simulator.scheduler import Scheduler
from flow_widgets.simulator.signing import UrlSigner

__all__ = ["DEFAULT_MEDIA_ORIGIN", "SimulatorState"]

#: Where media URLs point when no media server address is known (in-process use).
DEFAULT_MEDIA_ORIGIN = "http://media.flow-sim.localhost"


class SimulatorState:
    """The shared state of one simulator (see the module docstring)."""

    def __init__(
        self, config: SimulatorConfig, *, clock: Clock | None = None, catalog: Catalog | None = None
    ) -> None:
        self.config = config
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.catalog = catalog if catalog is not None else DEFAULT_CATALOG
        self.rng = random.Random(config.seed)
        self.ledger = Ledger()
        self.idempotency = IdempotencyBook()
        self.faults = FaultBook(random.Random(f"faults-{config.seed}"))
        secret = hashlib.sha256(f"flow-sim-signing-{config.seed}".encode()).digest()
        self.signer = UrlSigner(
            secret=secret, origin=config.media_origin or DEFAULT_MEDIA_ORIGIN, ttl=config.url_ttl
        )
        self.media = MediaStore(config.media_cache_bytes)
        self.jobs = JobBook()
        self.balancer = Balancer(config.stats_window)
        self.captcha = CaptchaDesk(
            self.rng,
            free_credits=config.free_captcha_credits,
            reject_rate=config.captcha_reject_rate,
            outage_rate=config.captcha_outage_rate,
        )
        self.voices: dict[str, Voice] = {}
        self.characters: dict[str, Character] = {}
        #: ``(source mediaGenerationId, resolution) -> jobid`` of finished-or-running upscales
        self.upscales: dict[tuple[str, str], str] = {}
        self.accounts: dict[str, Account] = {}
        #: Deliberate differences from the catalog (the ``/_sim/drift`` control, for the doctor).
        self.drift = Drift()
        self.last_job_ms = 0
        now = self.now()
        for spec in config.accounts:
            self.accounts[spec.email] = Account.from_spec(spec, now=now, project_id=self.uuid())
        self.scheduler = Scheduler(self)

    def __repr__(self) -> str:
        return (
            f"SimulatorState(seed={self.config.seed}, accounts={len(self.accounts)}, "
            f"jobs={len(self.jobs)}, media={len(self.media)})"
        )

    # ----------------------------------------------------------------- basics

    def now(self) -> float:
        return self.clock.now()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def new_seed(self) -> int:
        return self.rng.randrange(0, 2**31)

    def url(self, category: str, name: str) -> str:
        """A freshly signed media URL for ``/<category>/<name>`` on the media origin."""
        return self.signer.sign(category, name, now=self.now())

    # ----------------------------------------------------------------- accounts

    def account(self, email: str) -> Account:
        """The account for ``email``.

        Raises:
            HttpError: 404 ``Google Flow account <email> not found``.
        """
        account = self.accounts.get(email)
        if account is None:
            raise HttpError(404, f"Google Flow account {email} not found")
        return account

    def healthy_emails(self) -> list[str]:
        return [email for email, account in self.accounts.items() if account.healthy]
