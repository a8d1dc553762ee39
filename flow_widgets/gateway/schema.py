"""The gateway's tables, as numbered migrations applied once each (``schema_version``).

Why plain SQL and no migration framework: a handful of tables, one engine, and every statement
that must be atomic is easier to check when it is written out. Credits are whole numbers.
"""

from __future__ import annotations

from typing import Any

__all__ = ["MIGRATIONS", "migrate"]

MIGRATIONS: tuple[str, ...] = (
    # 1: students, the class budget, accounts with their slot cap, the request queue, leases,
    # media ownership and the audit of who spent what.
    """
    CREATE TABLE class_budget (
        id integer PRIMARY KEY CHECK (id = 1),
        budget bigint NOT NULL CHECK (budget >= 0),
        spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0 AND spent <= budget),
        paused boolean NOT NULL DEFAULT false
    );
    INSERT INTO class_budget (id, budget) VALUES (1, 0);
    CREATE TABLE students (
        id bigserial PRIMARY KEY,
        name text NOT NULL UNIQUE,
        token_sha256 text NOT NULL UNIQUE,
        allowance bigint NOT NULL CHECK (allowance >= 0),
        spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0 AND spent <= allowance),
        revoked boolean NOT NULL DEFAULT false,
        last_served timestamptz,
        created timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE accounts (
        email text PRIMARY KEY,
        cap integer NOT NULL CHECK (cap >= 1)
    );
    CREATE TABLE requests (
        id text PRIMARY KEY,
        student_id bigint NOT NULL REFERENCES students(id),
        route text NOT NULL,
        body jsonb NOT NULL,
        cost bigint NOT NULL,
        pinned_account text,
        status text NOT NULL DEFAULT 'queued'
            CHECK (status IN ('queued', 'placing', 'placed', 'done', 'failed')),
        account text,
        upstream_jobid text,
        record jsonb,
        error text,
        created timestamptz NOT NULL DEFAULT clock_timestamp(),
        placed_at timestamptz,
        checked_at timestamptz
    );
    CREATE INDEX requests_queued ON requests (student_id, created) WHERE status = 'queued';
    CREATE INDEX requests_live ON requests (status) WHERE status IN ('placing', 'placed');
    CREATE TABLE leases (
        request_id text PRIMARY KEY REFERENCES requests(id),
        account text NOT NULL REFERENCES accounts(email),
        taken timestamptz NOT NULL DEFAULT now()
    );
    CREATE INDEX leases_account ON leases (account);
    CREATE TABLE media (
        media_id text PRIMARY KEY,
        student_id bigint NOT NULL REFERENCES students(id),
        account text
    );
    CREATE TABLE audit (
        seq bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        student_id bigint REFERENCES students(id),
        request_id text,
        event text NOT NULL,
        credits bigint NOT NULL DEFAULT 0
    );
    """,
    # 2: how often a request was sent upstream and when first: a request the service keeps
    # failing ends after a bounded number of tries instead of being placed again forever.
    """
    ALTER TABLE requests ADD COLUMN attempts integer NOT NULL DEFAULT 0;
    ALTER TABLE requests ADD COLUMN first_sent timestamptz;
    """,
    # 3: the kernel ledger's intents, attempts, state changes and ownership leases, in their
    # own schema with the SQLite ledger's table and column names (one interface, two backends:
    # flow_widgets.gateway.intent_ledger). Times are epoch seconds, as in SQLite.
    """
    CREATE SCHEMA intent_ledger;
    CREATE TABLE intent_ledger.submissions (
        submission_id text PRIMARY KEY,
        kind text NOT NULL,
        endpoint text NOT NULL,
        payload text NOT NULL,
        fingerprint text NOT NULL,
        model text,
        estimate bigint NOT NULL DEFAULT 0,
        account text,
        state text NOT NULL CHECK (state IN ('submitting', 'accepted', 'running', 'completed',
            'failed', 'unknown', 'rejected', 'lost', 'timed_out', 'cancelled')),
        jobid text UNIQUE,
        job text,
        error text,
        charged integer CHECK (charged IN (0, 1)),
        credits bigint,
        created double precision NOT NULL,
        updated double precision NOT NULL,
        owner text,
        backend text
    );
    CREATE INDEX ON intent_ledger.submissions (fingerprint, created);
    CREATE TABLE intent_ledger.state_changes (
        id bigserial PRIMARY KEY,
        submission_id text NOT NULL REFERENCES intent_ledger.submissions (submission_id),
        state text NOT NULL,
        at double precision NOT NULL
    );
    CREATE TABLE intent_ledger.attempts (
        submission_id text NOT NULL REFERENCES intent_ledger.submissions (submission_id),
        n integer NOT NULL,
        account text,
        sent double precision NOT NULL,
        ended double precision,
        outcome text,
        error text,
        PRIMARY KEY (submission_id, n)
    );
    CREATE TABLE intent_ledger.leases (
        owner text PRIMARY KEY,
        host text NOT NULL,
        pid integer NOT NULL,
        pid_start text,
        expires double precision NOT NULL
    );
    """,
    # 4: a student's request is an intent of that ledger once it leaves the line. The gateway
    # keeps only its own facts (who, what, the cost, the place in line, the account's slot,
    # when it ended for the class's books) in ``queue_items``; the purchase's state, upstream
    # job, record, error and attempts are the intent's. ``requests`` becomes a view of both,
    # so the status the teacher and the students see is read from the intent. Rows already
    # sent upstream are carried over as intents (with their one attempt).
    """
    ALTER TABLE requests RENAME TO queue_items;
    DROP INDEX requests_queued;
    DROP INDEX requests_live;
    ALTER TABLE queue_items
        ADD COLUMN intent_id text UNIQUE REFERENCES intent_ledger.submissions (submission_id),
        ADD COLUMN in_line boolean NOT NULL DEFAULT true,
        ADD COLUMN ended timestamptz;
    INSERT INTO intent_ledger.submissions (submission_id, kind, endpoint, payload, fingerprint,
        model, estimate, account, state, jobid, job, error, created, updated)
    SELECT id, CASE WHEN route LIKE 'images%' THEN 'image' ELSE 'video' END, '/' || route,
        body::text, id, body->>'model', cost, account,
        CASE status WHEN 'placing' THEN 'submitting' WHEN 'placed' THEN 'accepted'
            WHEN 'done' THEN 'completed' ELSE 'failed' END,
        NULLIF(upstream_jobid, ''), record::text, NULLIF(error, ''),
        extract(epoch FROM created), extract(epoch FROM now())
    FROM queue_items WHERE status <> 'queued';
    INSERT INTO intent_ledger.attempts (submission_id, n, account, sent, outcome)
    SELECT id, 1, account, extract(epoch FROM COALESCE(first_sent, placed_at, created)),
        CASE WHEN status = 'placing' THEN NULL ELSE 'accepted' END
    FROM queue_items WHERE status <> 'queued';
    UPDATE queue_items SET intent_id = id, in_line = false WHERE status <> 'queued';
    UPDATE queue_items SET ended = now() WHERE status IN ('done', 'failed');
    ALTER TABLE queue_items DROP COLUMN status, DROP COLUMN upstream_jobid,
        DROP COLUMN record, DROP COLUMN error, DROP COLUMN attempts, DROP COLUMN first_sent;
    CREATE INDEX queue_items_in_line ON queue_items (student_id, created) WHERE in_line;
    CREATE INDEX queue_items_open ON queue_items (placed_at) WHERE NOT in_line AND ended IS NULL;
    CREATE VIEW requests AS
    SELECT q.id, q.student_id, q.route, q.body, q.cost, q.pinned_account,
        CASE WHEN q.in_line THEN 'queued'
             WHEN q.ended IS NULL AND s.state IN ('accepted', 'running') THEN 'placed'
             WHEN q.ended IS NULL THEN 'placing'
             WHEN s.state = 'completed' THEN 'done'
             ELSE 'failed' END AS status,
        q.account, s.jobid AS upstream_jobid, s.job::jsonb AS record, s.error, q.created,
        q.placed_at, q.checked_at, q.intent_id, q.ended
    FROM queue_items q
    LEFT JOIN intent_ledger.submissions s ON s.submission_id = q.intent_id;
    """,
)


def migrate(conn: Any) -> int:
    """Apply the migrations not applied yet (under an advisory lock, so that two gateway
    processes starting at once do not race); return the schema version."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(7318001)")
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        row = conn.execute("SELECT max(version) FROM schema_version").fetchone()
        current = int(row[0] or 0)
        for number, sql in enumerate(MIGRATIONS, 1):
            if number > current:
                conn.execute(sql)
                conn.execute("INSERT INTO schema_version VALUES (%s)", (number,))
                current = number
    return current
