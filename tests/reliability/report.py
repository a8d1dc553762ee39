"""The reliability table: every scenario, what was done to it, how it ended, and the counts.

Why a table and not only pass/fail: the issue asks for figures -- POSTs sent, jobs accepted,
duplicates, lost jobs, leaks, canary hits, unescaped vectors -- so that a reader can judge the
margins, not just the verdict. Each scenario records its counts through the ``figures`` fixture
*before* it asserts, so a failing scenario still shows what it measured; the verdict comes from
pytest's own outcome.

``python -m tests.reliability`` (what ``make reliability`` runs) executes the suite on loopback,
without the ``slow`` soak variants, and prints the one table. Targets that the runtime's own
tests already prove (:data:`ELSEWHERE`) are run in the same pytest session and get a row each,
with their verdict, so the table covers R-01 … R-38 without repeating those scenarios here.
Extra arguments go to pytest (``python -m tests.reliability -m ""`` includes the soaks; naming
files under ``tests/`` runs only those).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

__all__ = ["COLUMNS", "Figures", "Row", "TableCollector", "format_table", "main"]

#: The counts that get a column of their own; anything else goes to "details".
COLUMNS = (
    ("posts", "POSTs"),
    ("accepted", "accepted"),
    ("duplicates", "dup"),
    ("lost", "lost"),
    ("stuck", "stuck"),
    ("status_requests", "status req"),
    ("leaks", "leaks"),
    ("canary_hits", "canary"),
    ("unescaped", "unescaped"),
)
#: Scenarios proved by tests outside this folder: (file, test, scenario, load or fault applied).
_ELSEWHERE = (
    (
        "tests/runtime/test_session.py",
        "test_an_identical_request_re_attaches_in_this_and_the_next_session",
        "R-08 re-run does not re-buy",
        "identical request in this and the next session",
    ),
    (
        "tests/magics/test_magics_cells.py",
        "test_rerunning_an_unchanged_cell_reattaches_without_a_new_post",
        "R-08 re-run cell does not re-buy",
        "the same %%flow_video cell run twice",
    ),
    (
        "tests/runtime/test_session_faults.py",
        "test_an_accepted_then_dropped_post_is_reconciled_not_resent",
        "R-09 accepted-then-dropped POST",
        "job created, connection closed without reply",
    ),
    (
        "tests/runtime/test_batch.py",
        "test_402_stops_submitting_and_what_runs_finishes",
        "R-13 402 mid-batch",
        "402 on a later row of a batch",
    ),
    (
        "tests/runtime/test_resume_kill.py",
        "test_killed_after_acceptance_resumes_with_no_new_post_and_one_download",
        "R-19 SIGKILL after acceptance",
        "child killed once the jobid is stored",
    ),
    (
        "tests/runtime/test_resume_kill.py",
        "test_killed_between_send_and_reply_is_reconciled_not_resent",
        "R-20 SIGKILL between send and record",
        "child killed with the POST unanswered",
    ),
    (
        "tests/runtime/test_ledger.py",
        "test_random_sigkills_of_a_writer_never_corrupt_the_ledger",
        "R-21 ledger under 100 kills",
        "bare ledger writer SIGKILLed at random",
    ),
    (
        "tests/runtime/test_ledger.py",
        "test_two_ledgers_on_one_file_wait_for_each_other",
        "R-22 two writers, one ledger",
        "two processes on one SQLite file",
    ),
    (
        "tests/runtime/test_ledger_ownership.py",
        "test_shared_ledger_follows_ownership_and_the_transition_table",
        "ledger transition table",
        "hypothesis: 3 connections, random begins, moves, claims, closes",
    ),
    (
        "tests/runtime/test_ledger_ownership.py",
        "test_three_kernels_opening_a_brand_new_ledger_at_once_all_succeed",
        "three kernels, brand-new ledger",
        "3 processes open 20 new ledger files at the same instants",
    ),
    (
        "tests/runtime/test_duration_model.py",
        "test_a_job_whose_created_stamp_was_a_day_off_teaches_nothing",
        "skewed server stamp",
        "one job's created stamp a day off among 12 normal ones",
    ),
    (
        "tests/runtime/test_session_faults.py",
        "test_a_truncated_download_resumes_and_ends_valid",
        "R-23 truncated download",
        "media body cut at 40 %",
    ),
    (
        "tests/runtime/test_downloads.py",
        "test_a_left_over_part_file_is_resumed_only_when_the_bytes_line_up",
        "R-24 Range modes",
        "Range honoured / ignored / wrong 206 offset",
    ),
    (
        "tests/runtime/test_session_faults.py",
        "test_a_full_disk_stops_downloads_keeps_parts_and_resume_finishes",
        "R-25 disk full",
        "ENOSPC after 50 KB",
    ),
    (
        "tests/runtime/test_downloads.py",
        "test_a_really_full_tmpfs_behaves_the_same",
        "R-25 disk full (real tmpfs)",
        "a tmpfs that really fills",
    ),
    (
        "tests/runtime/test_session_faults.py",
        "test_an_expired_url_is_refreshed_once_from_the_job",
        "R-26 expired URL",
        "media origin 403 once",
    ),
    (
        "tests/runtime/test_downloads.py",
        "test_a_trickling_host_is_cut_off_at_the_deadline_and_stays_resumable",
        "R-27 trickling media host",
        "1 byte at a time, never a read timeout",
    ),
)
ELSEWHERE: dict[str, tuple[str, str]] = {f"{f}::{t}": (sc, ap) for f, t, sc, ap in _ELSEWHERE}

#: Where the rows of a run live on pytest's config (an attribute, not a StashKey, so a second
#: import of this module -- pytest's own name for it and ``tests.reliability.report`` -- agrees).
_ROWS_ATTRIBUTE = "_flow_reliability_rows"


@dataclass
class Row:
    """One line of the table."""

    nodeid: str
    scenario: str
    applied: str
    counts: dict[str, Any] = field(default_factory=dict)
    result: str = "not run"

    def cell(self, key: str) -> str:
        value = self.counts.get(key)
        return "-" if value is None else str(value)

    def details(self) -> str:
        named = {key for key, _ in COLUMNS}
        return ", ".join(f"{k}={v}" for k, v in self.counts.items() if k not in named)


class Figures:
    """What a test uses to add its row(s): ``figures.record(scenario, applied, posts=…)``."""

    def __init__(self, rows: list[Row], nodeid: str) -> None:
        self._rows = rows
        self._nodeid = nodeid

    def record(self, scenario: str, applied: str, **counts: Any) -> Row:
        row = Row(self._nodeid, scenario, applied, dict(counts))
        self._rows.append(row)
        return row


def rows_of(config: pytest.Config) -> list[Row]:
    """The rows recorded in this pytest run (created on first use)."""
    rows: list[Row] | None = getattr(config, _ROWS_ATTRIBUTE, None)
    if rows is None:
        rows = []
        setattr(config, _ROWS_ATTRIBUTE, rows)
    return rows


def settle_outcome(config: pytest.Config, report: pytest.TestReport) -> None:
    """Give the rows of ``report``'s test the test's verdict (called for each phase)."""
    if report.when == "call" or report.outcome != "passed":
        if hasattr(report, "wasxfail"):
            verdict = "known bug (xfail)" if report.skipped else "FIXED? (xpass)"
        else:
            verdict = {"passed": "ok", "failed": "FAILED", "skipped": "skipped"}[report.outcome]
        for row in rows_of(config):
            if row.nodeid == report.nodeid and (row.result in ("not run", "ok")):
                row.result = verdict


def format_table(rows: Sequence[Row]) -> str:
    """The rows as one plain-text table (fixed-width columns, a header and a rule)."""
    header = ["scenario", "load or fault applied", "result", *(t for _, t in COLUMNS), "details"]
    body = [
        [
            row.scenario,
            row.applied,
            row.result,
            *(row.cell(key) for key, _ in COLUMNS),
            row.details(),
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *body]) for i in range(len(header))]
    widths[1] = min(widths[1], 60)
    widths[-1] = min(widths[-1], 80)

    def render(line: list[str]) -> str:
        cells = [
            text if len(text) <= widths[i] else text[: widths[i] - 1] + "…"
            for i, text in enumerate(line)
        ]
        return " | ".join(c.ljust(widths[i]) for i, c in enumerate(cells)).rstrip()

    rule = "-+-".join("-" * w for w in widths)
    return "\n".join([render(header), rule, *(render(line) for line in body)])


class TableCollector:
    """A pytest plugin object that keeps the run's config so the table can be read after it,
    and gives the tests in :data:`ELSEWHERE` a row each."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        base = report.nodeid.split("[", 1)[0]
        if self.config is None or base not in ELSEWHERE:
            return
        rows = rows_of(self.config)
        row = next((r for r in rows if r.nodeid == base), None)
        if row is None:  # one row per test, however many parameters it runs with
            scenario, applied = ELSEWHERE[base]
            row = Row(base, scenario, applied, {"proved_in": base.split("::")[0]})
            rows.append(row)
        if report.when == "call" or report.outcome != "passed":
            verdict = {"passed": "ok", "failed": "FAILED", "skipped": "skipped"}[report.outcome]
            if row.result in ("not run", "ok"):
                row.result = verdict

    @property
    def rows(self) -> list[Row]:
        return rows_of(self.config) if self.config is not None else []


def elsewhere_present(root: Path) -> list[str]:
    """The node ids of :data:`ELSEWHERE` whose test still exists (a rename must not stop the
    run: pytest refuses unknown node ids)."""
    present = []
    for nodeid in ELSEWHERE:
        path, _, name = nodeid.partition("::")
        file = root / path
        if file.is_file() and f"def {name}(" in file.read_text(encoding="utf-8"):
            present.append(nodeid)
    return present

    @property
    def rows(self) -> list[Row]:
        return rows_of(self.config) if self.config is not None else []


def _target_order(row: Row) -> tuple[int, str]:
    """Rows sorted by the first target they name (``R-05/06 …`` sorts as R-05)."""
    digits = row.scenario[2:4] if row.scenario.startswith("R-") else ""
    return (int(digits) if digits.isdigit() else 99, row.scenario)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite (no soaks unless asked) and print the table; returns pytest's exit code."""
    extra = list(sys.argv[1:] if argv is None else argv)
    named = any(arg.startswith("tests/") for arg in extra)
    targets = [] if named else ["tests/reliability", *elsewhere_present(Path.cwd())]
    args = [*targets, "-q", "-p", "no:cacheprovider", "-m", "not slow", *extra]
    collector = TableCollector()
    try:
        code = pytest.main(args, plugins=[collector])
    except Exception as exc:  # a crash at the end of the run still leaves a table to print
        print(f"pytest stopped: {type(exc).__name__}: {exc}")
        code = pytest.ExitCode.INTERNAL_ERROR
    rows = sorted(collector.rows, key=_target_order)
    print()
    print(format_table(rows) if rows else "no scenario recorded any figures")
    bad = [row for row in rows if row.result in ("FAILED", "FIXED? (xpass)")]
    print(f"\n{len(rows)} scenarios: {len(rows) - len(bad)} as expected, {len(bad)} not")
    return int(code)
