"""The reliability table: every scenario, what was done to it, how it ended, and the counts.

Why a table and not only pass/fail: the issue asks for figures -- POSTs sent, jobs accepted,
duplicates, lost jobs, leaks, canary hits, unescaped vectors -- so that a reader can judge the
margins, not just the verdict. Each scenario records its counts through the ``figures`` fixture
*before* it asserts, so a failing scenario still shows what it measured; the verdict comes from
pytest's own outcome.

``python -m tests.reliability`` (what ``make reliability`` runs) executes the suite on loopback,
without the ``slow`` soak variants, and prints the one table. Extra arguments go to pytest
(``python -m tests.reliability -m ""`` includes the soaks; naming files under ``tests/`` runs
only those).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

__all__ = ["COLUMNS", "Figures", "Row", "TableCollector", "format_table", "main"]

#: The counts that get a column of their own; anything else goes to "details".
COLUMNS = (
    ("posts", "POSTs"),
    ("accepted", "accepted"),
    ("duplicates", "dup"),
    ("lost", "lost"),
    ("leaks", "leaks"),
    ("canary_hits", "canary"),
    ("unescaped", "unescaped"),
)
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
    """A pytest plugin object that keeps the run's config so the table can be read after it."""

    def __init__(self) -> None:
        self.config: pytest.Config | None = None

    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config

    @property
    def rows(self) -> list[Row]:
        return rows_of(self.config) if self.config is not None else []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the suite (no soaks unless asked) and print the table; returns pytest's exit code."""
    extra = list(sys.argv[1:] if argv is None else argv)
    targets = [] if any(arg.startswith("tests/") for arg in extra) else ["tests/reliability"]
    args = [*targets, "-q", "-p", "no:cacheprovider", "-m", "not slow", *extra]
    collector = TableCollector()
    try:
        code = pytest.main(args, plugins=[collector])
    except Exception as exc:  # a crash at the end of the run still leaves a table to print
        print(f"pytest stopped: {type(exc).__name__}: {exc}")
        code = pytest.ExitCode.INTERNAL_ERROR
    rows = collector.rows
    print()
    print(format_table(rows) if rows else "no scenario recorded any figures")
    bad = [row for row in rows if row.result in ("FAILED", "FIXED? (xpass)")]
    print(f"\n{len(rows)} scenarios: {len(rows) - len(bad)} as expected, {len(bad)} not")
    return int(code)
