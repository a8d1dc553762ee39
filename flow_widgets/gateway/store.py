"""The class's books in SQL, in one place, against PostgreSQL (psycopg 3).

Why one module: the money and fairness rules are in these statements, so they are read together.

* **Charging** (:meth:`Store.enqueue`): one transaction updates the class row then the
  student's row, each ``UPDATE … SET spent = spent + cost WHERE spent + cost <= limit``. Under
  READ COMMITTED a concurrent update waits for the row lock and re-checks the condition on the
  newest row, so no interleaving can spend past a limit by even one credit; the table's
  ``CHECK (spent <= budget)`` is the second lock on the door.
* **Slots and the queue** (:meth:`Store.claim_next`): one transaction holding an advisory lock
  (so every gateway process sees the same free slots) picks the first queued request in
  round-robin order whose account has a free slot, inserts its lease and takes it out of line.
  Round-robin order: each student's oldest request first, then the student served longest ago.
* **What is not here**: the purchase itself. Once a request leaves the line it is an intent of
  the PostgreSQL intent ledger (:class:`~flow_widgets.gateway.intent_ledger.PgIntentLedger`,
  the same transition table and attempts as a kernel's SQLite ledger), written by the
  dispatcher through :class:`~flow_widgets.runtime.ledger_protocol.IntentLedger`. The
  ``queue_items`` rows here keep the gateway's own facts and name their intent; the
  ``requests`` view (migration 4) reads both, so a job's status comes from its intent.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool

__all__ = [
    "Claim",
    "Refused",
    "Store",
    "add_student",
    "hash_token",
    "media_ids",
    "revoke_student",
    "set_account",
    "set_allowance",
    "set_budget",
    "set_paused",
    "spending",
]

_DISPATCH_LOCK = 7318002
#: The shape of a Flow media id (``user:<n>-email:<hex>-<kind>:<uuid>``).
_MEDIA_ID = re.compile(r"^user:\d+-email:[0-9a-f]+-")

_ROUND_ROBIN = """
    SELECT r.id, r.pinned_account FROM (
        SELECT id, student_id, created, pinned_account,
               row_number() OVER (PARTITION BY student_id ORDER BY created, id) AS turn
        FROM queue_items WHERE in_line
    ) r JOIN students s ON s.id = r.student_id
    ORDER BY r.turn, s.last_served NULLS FIRST, s.id, r.created
"""


class Refused(Exception):
    """A request the gateway will not take, with the sentence the student sees."""

    def __init__(self, sentence: str, status: int = 402) -> None:
        super().__init__(sentence)
        self.sentence = sentence
        self.status = status


@dataclass(frozen=True)
class Claim:
    """A queued request now holding a slot on ``account``: the dispatcher places it upstream."""

    request_id: str
    route: str
    body: dict[str, Any]
    account: str
    cost: int
    #: The request's intent in the ledger, once it has one (it was sent before).
    intent_id: str | None


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def media_ids(value: Any) -> Iterator[str]:
    """Every ``mediaGenerationId`` string anywhere in a JSON value."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "mediaGenerationId" and isinstance(item, str):
                yield item
            else:
                yield from media_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from media_ids(item)


# ----------------------------------------------------------------- the teacher's commands (sync)


DEFAULT_ALLOWANCE = 1000


def add_student(conn: Any, name: str, allowance: int | None = None) -> str:
    """Create a student, or re-issue their token (the old one stops working; the allowance
    stays unless given). Only the token's hash is stored. Returns the token."""
    token = "fwst-" + secrets.token_urlsafe(24)
    conn.execute(
        "INSERT INTO students (name, token_sha256, allowance) VALUES (%s, %s, %s) "
        "ON CONFLICT (name) DO UPDATE SET token_sha256 = EXCLUDED.token_sha256, "
        "allowance = GREATEST(COALESCE(%s, students.allowance), students.spent), revoked = false",
        (name, hash_token(token), DEFAULT_ALLOWANCE if allowance is None else allowance, allowance),
    )
    return token


def revoke_student(conn: Any, name: str) -> bool:
    cur = conn.execute("UPDATE students SET revoked = true WHERE name = %s", (name,))
    return bool(cur.rowcount)


def set_budget(conn: Any, budget: int) -> None:
    cur = conn.execute(
        "UPDATE class_budget SET budget = %s WHERE id = 1 AND spent <= %s", (budget,) * 2
    )
    if not cur.rowcount:
        raise ValueError(f"the class has already spent more than {budget} credits.")


def set_paused(conn: Any, paused: bool) -> None:
    """Pause the class: new requests are refused; queued and running ones go on."""
    conn.execute("UPDATE class_budget SET paused = %s WHERE id = 1", (paused,))


def set_allowance(conn: Any, name: str, allowance: int) -> None:
    cur = conn.execute(
        "UPDATE students SET allowance = %s WHERE name = %s AND spent <= %s",
        (allowance, name, allowance),
    )
    if not cur.rowcount:
        known = conn.execute("SELECT spent FROM students WHERE name = %s", (name,)).fetchone()
        if known is None:
            raise ValueError(f"there is no student called {name!r}.")
        raise ValueError(f"{name} has already spent {known[0]} credits, more than {allowance}.")


def spending(conn: Any) -> list[tuple[str, int, int, bool]]:
    """(name, spent, allowance, revoked) per student, from the same rows the gateway charges."""
    rows = conn.execute(
        "SELECT name, spent, allowance, revoked FROM students ORDER BY name"
    ).fetchall()
    return [(str(n), int(s), int(a), bool(r)) for n, s, a, r in rows]


def set_account(conn: Any, email: str, cap: int) -> None:
    conn.execute(
        "INSERT INTO accounts (email, cap) VALUES (%s, %s) "
        "ON CONFLICT (email) DO UPDATE SET cap = EXCLUDED.cap",
        (email, cap),
    )


# ------------------------------------------------------------------------ the gateway (async)


class Store:
    """The gateway's view of the database, through a connection pool."""

    def __init__(self, pool: AsyncConnectionPool) -> None:
        self.pool = pool

    async def student_for_token(self, token: str) -> tuple[int, str] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, name FROM students WHERE token_sha256 = %s AND NOT revoked",
                (hash_token(token),),
            )
            row = await cur.fetchone()
        return (int(row[0]), str(row[1])) if row else None

    async def student_by_name(self, name: str, enroll: int | None) -> tuple[int, str] | None:
        """The student called ``name`` (a Hub user), enrolled first with allowance ``enroll``
        when not there yet and ``enroll`` is given; ``None`` when unknown or revoked."""
        async with self.pool.connection() as conn:
            if enroll is not None:
                await conn.execute(
                    "INSERT INTO students (name, token_sha256, allowance) VALUES (%s, %s, %s) "
                    "ON CONFLICT (name) DO NOTHING",
                    (name, hash_token("hub-" + secrets.token_urlsafe(24)), enroll),
                )
            cur = await conn.execute(
                "SELECT id, name FROM students WHERE name = %s AND NOT revoked", (name,)
            )
            row = await cur.fetchone()
        return (int(row[0]), str(row[1])) if row else None

    async def first_account(self) -> str | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute("SELECT email FROM accounts ORDER BY email LIMIT 1")
            row = await cur.fetchone()
        return str(row[0]) if row else None

    async def enqueue(
        self,
        student_id: int,
        route: str,
        body: dict[str, Any],
        cost: int,
        *,
        max_open: int | None = None,
    ) -> str:
        """Charge ``cost`` to the class and the student and queue the request, atomically;
        refuse it when the student already has ``max_open`` requests waiting or running."""
        request_id = "gw-" + uuid.uuid4().hex
        async with self.pool.connection() as conn, conn.transaction():
            pinned = await self._pinned_account(conn, student_id, body)
            cur = await conn.execute(
                "UPDATE class_budget SET spent = spent + %s "
                "WHERE id = 1 AND NOT paused AND spent + %s <= budget RETURNING paused",
                (cost, cost),
            )
            if await cur.fetchone() is None:
                cur = await conn.execute("SELECT paused FROM class_budget WHERE id = 1")
                if (await cur.fetchone()) == (True,):
                    raise Refused("The class is paused; wait for your teacher.", status=423)
                raise Refused("The class budget cannot cover this request; ask your teacher.")
            cur = await conn.execute(
                "UPDATE students SET spent = spent + %s "
                "WHERE id = %s AND NOT revoked AND spent + %s <= allowance RETURNING id",
                (cost, student_id, cost),
            )
            if await cur.fetchone() is None:
                raise Refused("Your allowance cannot cover this request; ask your teacher.")
            if max_open is not None:  # the student's row is locked: this count cannot race
                cur = await conn.execute(
                    "SELECT count(*) FROM queue_items WHERE student_id = %s AND ended IS NULL",
                    (student_id,),
                )
                row = await cur.fetchone()
                if row is not None and row[0] >= max_open:
                    raise Refused(
                        f"You have {row[0]} requests waiting or running; "
                        "send more when one has finished.",
                        status=429,
                    )
            await conn.execute(
                "INSERT INTO queue_items (id, student_id, route, body, cost, pinned_account) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                (request_id, student_id, route, Jsonb(body), cost, pinned),
            )
            await conn.execute(
                "INSERT INTO audit (student_id, request_id, event, credits) "
                "VALUES (%s, %s, 'charge', %s)",
                (student_id, request_id, cost),
            )
        return request_id

    async def _pinned_account(self, conn: Any, student_id: int, body: dict[str, Any]) -> str | None:
        """A request that uses media must run on the account holding them (and the student
        may only use their own media)."""
        values = [*body.values(), *(v for vs in body.values() if isinstance(vs, list) for v in vs)]
        refs = sorted({v for v in values if isinstance(v, str) and _MEDIA_ID.match(v)})
        if not refs:
            return None
        cur = await conn.execute(
            "SELECT media_id, account FROM media WHERE media_id = ANY(%s) AND student_id = %s",
            (refs, student_id),
        )
        owned = dict(await cur.fetchall())
        if len(owned) < len(refs):  # someone else's media, or media that never went through here
            raise Refused("No such media.", status=404)
        accounts = set(owned.values())
        if len(accounts) > 1:
            raise Refused("These media live on different accounts; use media of one upload.", 400)
        return accounts.pop() if accounts else None

    async def position(self, request_id: str) -> int | None:
        """1-based place in line, or ``None`` when the request is no longer queued."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                f"SELECT place FROM (SELECT id, row_number() OVER () AS place FROM "
                f"({_ROUND_ROBIN}) q) p WHERE id = %s",
                (request_id,),
            )
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def poll(self, token: str, request_id: str) -> tuple[int | None, dict[str, Any] | None]:
        """A student's poll in one round trip: (the token's student id or ``None``, the job's
        row with its ``place`` in line or ``None`` when it is not theirs). Polls are most of
        a class's traffic, so the token check, the row and the place are one statement."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT s.id, r.id, r.route, r.body, r.status, r.account, r.upstream_jobid,"
                " r.record, r.error, r.created, r.placed_at,"
                " CASE WHEN r.status = 'queued' THEN (SELECT p.place FROM (SELECT id,"
                f" row_number() OVER () AS place FROM ({_ROUND_ROBIN}) q) p WHERE p.id = r.id)"
                " END FROM students s"
                " LEFT JOIN requests r ON r.id = %s AND r.student_id = s.id"
                " WHERE s.token_sha256 = %s AND NOT s.revoked",
                (request_id, hash_token(token)),
            )
            row = await cur.fetchone()
        if row is None:
            return None, None
        if row[1] is None:
            return int(row[0]), None
        keys = ("id", "route", "body", "status", "account", "upstream_jobid", "record", "error")
        return int(row[0]), dict(
            zip((*keys, "created", "placed_at", "place"), row[1:], strict=True)
        )

    async def request(self, request_id: str, student_id: int) -> dict[str, Any] | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id, route, body, status, account, upstream_jobid, record, error, created, "
                "placed_at FROM requests WHERE id = %s AND student_id = %s",
                (request_id, student_id),
            )
            row = await cur.fetchone()
        if row is None:
            return None
        keys = ("id", "route", "body", "status", "account", "upstream_jobid", "record", "error")
        return dict(zip((*keys, "created", "placed_at"), row, strict=True))

    async def request_ids(self, student_id: int) -> list[str]:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT id FROM queue_items WHERE student_id = %s ORDER BY created DESC LIMIT 200",
                (student_id,),
            )
            return [str(r[0]) for r in await cur.fetchall()]

    async def claim_next(self) -> Claim | None:
        """Give the next request in round-robin order a slot, or ``None`` when none can go."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_DISPATCH_LOCK,))
            cur = await conn.execute(
                "SELECT a.email, a.cap - count(l.request_id) AS free FROM accounts a "
                "LEFT JOIN leases l ON l.account = a.email GROUP BY a.email, a.cap "
                "ORDER BY free DESC, a.email"
            )
            free = {str(e): int(n) for e, n in await cur.fetchall() if n > 0}
            if not free:
                return None
            cur = await conn.execute(_ROUND_ROBIN + " LIMIT 200")
            for request_id, pinned in await cur.fetchall():
                account = pinned if pinned is not None else next(iter(free))
                if account not in free:
                    continue
                cur = await conn.execute(
                    "UPDATE queue_items SET in_line = false, account = %s, placed_at = now() "
                    "WHERE id = %s AND in_line RETURNING route, body, student_id, cost, intent_id",
                    (account, request_id),
                )
                row = await cur.fetchone()
                if row is None:
                    continue
                await conn.execute(
                    "INSERT INTO leases (request_id, account) VALUES (%s, %s)",
                    (request_id, account),
                )
                await conn.execute(
                    "UPDATE students SET last_served = clock_timestamp() WHERE id = %s", (row[2],)
                )
                intent = None if row[4] is None else str(row[4])
                return Claim(
                    str(request_id), str(row[0]), dict(row[1]), account, int(row[3]), intent
                )
        return None

    async def attach(self, request_id: str, intent_id: str) -> None:
        """Name the intent the ledger made for a request (before its first POST)."""
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE queue_items SET intent_id = %s WHERE id = %s", (intent_id, request_id)
            )

    async def touch(self, request_id: str) -> None:
        """Restart a request's ``placing`` clock before a POST, so that no other process
        picks it up as stale (:meth:`stale_placing`) while the POST is under way."""
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE queue_items SET placed_at = now() WHERE id = %s", (request_id,)
            )

    async def placed(self, request_id: str) -> None:
        """The intent has its upstream job: look at the job again in ``check_every``."""
        async with self.pool.connection() as conn:
            await conn.execute(
                "UPDATE queue_items SET checked_at = now() WHERE id = %s", (request_id,)
            )

    async def requeue(self, request_id: str) -> None:
        """Upstream said "not now" (429): give the slot back and wait in line again."""
        async with self.pool.connection() as conn, conn.transaction():
            await conn.execute("DELETE FROM leases WHERE request_id = %s", (request_id,))
            await conn.execute(
                "UPDATE queue_items SET in_line = true, account = NULL WHERE id = %s",
                (request_id,),
            )

    async def finish(
        self,
        request_id: str,
        record: dict[str, Any] | None,
        *,
        failed: bool,
        refund: bool = True,
    ) -> None:
        """The job ended: free its slot; a failed job gives its credits back unless
        ``refund`` is false (its outcome upstream is unknown: the credits stay spent). The
        job's state, record and error are its intent's (written first, by the dispatcher);
        this settles the class's books once (a second call finds ``ended`` set)."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "UPDATE queue_items SET ended = now() "
                "WHERE id = %s AND NOT in_line AND ended IS NULL "
                "RETURNING student_id, cost, account",
                (request_id,),
            )
            row = await cur.fetchone()
            await conn.execute("DELETE FROM leases WHERE request_id = %s", (request_id,))
            if row is None:
                return
            student_id, cost, account = row
            if failed and not refund:
                await conn.execute(
                    "INSERT INTO audit (student_id, request_id, event, credits) "
                    "VALUES (%s, %s, 'unknown', 0)",
                    (student_id, request_id),
                )
            elif failed:
                await conn.execute(
                    "UPDATE class_budget SET spent = spent - %s WHERE id = 1", (cost,)
                )
                await conn.execute(
                    "UPDATE students SET spent = spent - %s WHERE id = %s", (cost, student_id)
                )
                await conn.execute(
                    "INSERT INTO audit (student_id, request_id, event, credits) "
                    "VALUES (%s, %s, 'refund', %s)",
                    (student_id, request_id, -cost),
                )
            for media_id in set(media_ids(record or {})):
                await self._own_media(conn, media_id, student_id, account)

    async def own_media(self, media_id: str, student_id: int, account: str | None) -> None:
        async with self.pool.connection() as conn:
            await self._own_media(conn, media_id, student_id, account)

    @staticmethod
    async def _own_media(conn: Any, media_id: str, student_id: int, account: str | None) -> None:
        await conn.execute(
            "INSERT INTO media (media_id, student_id, account) VALUES (%s, %s, %s) "
            "ON CONFLICT (media_id) DO NOTHING",
            (media_id, student_id, account),
        )

    async def media_owner(self, media_id: str) -> int | None:
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT student_id FROM media WHERE media_id = %s", (media_id,)
            )
            row = await cur.fetchone()
        return int(row[0]) if row else None

    async def stale_placing(self, after: float, limit: int = 20) -> list[Claim]:
        """Requests left ``placing`` for ``after`` seconds: their process died (or lost the
        answer) between taking the slot and recording the upstream job. Each is handed to one
        process, which places it again with the same ``Idempotency-Key`` (or, when its intent
        already has news, settles it from there)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE queue_items SET placed_at = now() WHERE id IN ("
                " SELECT q.id FROM queue_items q"
                " LEFT JOIN intent_ledger.submissions s ON s.submission_id = q.intent_id"
                " WHERE NOT q.in_line AND q.ended IS NULL"
                " AND (s.state IS NULL OR s.state NOT IN ('accepted', 'running'))"
                " AND q.placed_at < now() - make_interval(secs => %s)"
                " ORDER BY q.placed_at LIMIT %s FOR UPDATE OF q SKIP LOCKED)"
                " RETURNING id, route, body, account, cost, intent_id",
                (after, limit),
            )
            rows = await cur.fetchall()
        return [
            Claim(str(i), str(r), dict(b), str(a), int(c), None if n is None else str(n))
            for i, r, b, a, c, n in rows
        ]

    async def due_checks(
        self, every: float, limit: int = 20
    ) -> list[tuple[str, str, str, dict[str, Any] | None]]:
        """Placed requests (their intent ``accepted`` or ``running``) whose upstream job was not
        looked at for ``every`` seconds, as (request id, upstream job id, intent id, the job's
        record as last seen); each is handed to one process only (``SKIP LOCKED``)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "WITH due AS (SELECT q.id, s.jobid, s.submission_id, s.job FROM queue_items q"
                " JOIN intent_ledger.submissions s ON s.submission_id = q.intent_id"
                " WHERE NOT q.in_line AND q.ended IS NULL AND s.state IN ('accepted', 'running')"
                " AND COALESCE(q.checked_at, q.placed_at) < now() - make_interval(secs => %s)"
                " ORDER BY COALESCE(q.checked_at, q.placed_at) LIMIT %s"
                " FOR UPDATE OF q SKIP LOCKED)"
                " UPDATE queue_items q SET checked_at = now() FROM due WHERE q.id = due.id"
                " RETURNING due.id, due.jobid, due.submission_id, due.job::jsonb",
                (every, limit),
            )
            return [(str(a), str(b), str(c), d) for a, b, c, d in await cur.fetchall()]

    # -------------------------------------------------------------------- the teacher's view

    async def class_overview(self) -> dict[str, Any]:
        """Everything the teacher's panel shows, read in one transaction (one snapshot): the
        budget, each student's spend and jobs, the line in order, the running jobs, the
        accounts' slots."""
        async with self.pool.connection() as conn, conn.transaction():
            cur = await conn.execute("SELECT budget, spent, paused FROM class_budget WHERE id = 1")
            budget = await cur.fetchone()
            cur = await conn.execute(
                "SELECT s.name, s.spent, s.allowance, s.revoked,"
                " count(r.id) FILTER (WHERE r.status = 'queued'),"
                " count(r.id) FILTER (WHERE r.status IN ('placing', 'placed')),"
                " count(r.id) FILTER (WHERE r.status = 'done'),"
                " count(r.id) FILTER (WHERE r.status = 'failed')"
                " FROM students s LEFT JOIN requests r ON r.student_id = s.id"
                " GROUP BY s.id ORDER BY s.name"
            )
            columns = ("name", "spent", "allowance", "revoked", "queued", "running")
            students = [
                dict(zip((*columns, "done", "failed"), row, strict=True))
                for row in await cur.fetchall()
            ]
            cur = await conn.execute(
                "SELECT q.id, s.name, r.route, extract(epoch FROM clock_timestamp() - r.created)"
                f" FROM ({_ROUND_ROBIN} LIMIT 500) q JOIN requests r ON r.id = q.id"
                " JOIN students s ON s.id = r.student_id"
            )
            queue = [
                {"jobid": i, "student": n, "route": r, "waitedSeconds": round(float(w), 1)}
                for i, n, r, w in await cur.fetchall()
            ]
            cur = await conn.execute(
                "SELECT r.id, s.name, r.route, r.account, r.status, r.record->>'status',"
                " extract(epoch FROM clock_timestamp() - r.placed_at)"
                " FROM requests r JOIN students s ON s.id = r.student_id"
                " WHERE r.status IN ('placing', 'placed') ORDER BY r.placed_at"
            )
            running = [
                {
                    "jobid": i,
                    "student": n,
                    "route": r,
                    "account": a,
                    "status": upstream or ("placing" if st == "placing" else "started"),
                    "runningSeconds": round(float(secs or 0), 1),
                }
                for i, n, r, a, st, upstream, secs in await cur.fetchall()
            ]
            cur = await conn.execute(
                "SELECT a.email, a.cap, count(l.request_id) FROM accounts a"
                " LEFT JOIN leases l ON l.account = a.email GROUP BY a.email, a.cap"
                " ORDER BY a.email"
            )
            accounts = [
                {"email": e, "cap": int(c), "running": int(n)} for e, c, n in await cur.fetchall()
            ]
        assert budget is not None  # the migration inserts the class row
        return {
            "budget": int(budget[0]),
            "spent": int(budget[1]),
            "paused": bool(budget[2]),
            "students": students,
            "queue": [{**q, "position": n} for n, q in enumerate(queue, 1)],
            "running": running,
            "accounts": accounts,
        }

    async def set_paused(self, paused: bool) -> None:
        async with self.pool.connection() as conn:
            await conn.execute("UPDATE class_budget SET paused = %s WHERE id = 1", (paused,))

    async def set_allowance(self, name: str, allowance: int) -> None:
        """Change a student's allowance (never below what they have already spent).

        Raises:
            Refused: no such student (404), or the new allowance is below their spend (400).
        """
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE students SET allowance = %s WHERE name = %s AND spent <= %s RETURNING id",
                (allowance, name, allowance),
            )
            if await cur.fetchone() is not None:
                return
            cur = await conn.execute("SELECT spent FROM students WHERE name = %s", (name,))
            known = await cur.fetchone()
        if known is None:
            raise Refused(f"There is no student called {name!r}.", status=404)
        raise Refused(f"{name} has already spent {known[0]} credits, more than {allowance}.", 400)

    async def results(self, limit: int = 500) -> list[dict[str, Any]]:
        """The class's finished jobs, oldest first: who, what was asked, what it cost, and
        the upstream record (its media)."""
        async with self.pool.connection() as conn:
            cur = await conn.execute(
                "SELECT r.id, s.name, r.route, r.body, r.cost, r.record, r.created,"
                " r.upstream_jobid FROM requests r JOIN students s ON s.id = r.student_id"
                " WHERE r.status = 'done' ORDER BY r.created, r.id LIMIT %s",
                (limit,),
            )
            rows = await cur.fetchall()
        keys = ("jobid", "student", "route", "request", "credits", "record", "created")
        return [dict(zip((*keys, "upstream_jobid"), row, strict=True)) for row in rows]
