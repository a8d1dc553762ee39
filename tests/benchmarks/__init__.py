"""Benchmarks: measured numbers set against targets, printed as one table.

Why a harness and not timed tests: this project runs on small shared machines, where a timing
assertion fails for reasons that have nothing to do with the code. Tests assert behaviour; the
numbers live here, as a ratio to a target, so a slowdown shows up as a ratio below 1.0 without
turning the suite red.

Every ``bench_*.py`` module in this package has ``run() -> Iterable[Result]``.
``python -m tests.benchmarks`` (``make bench``) runs them all, or only those named on the
command line (``python -m tests.benchmarks media``), and prints the table. ``--strict`` makes
a missed target exit with status 1.
"""

from __future__ import annotations

import argparse
import importlib
import math
import pkgutil
import statistics
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Result", "discover", "format_table", "main", "median_seconds"]


@dataclass(frozen=True)
class Result:
    """One measured number and the target it is held to.

    ``ratio`` is above 1.0 when the target is beaten, whichever direction is better:
    ``target / value`` for times, ``value / target`` for rates (``higher_is_better=True``).
    """

    name: str
    value: float
    unit: str
    target: float
    higher_is_better: bool = False

    @property
    def ratio(self) -> float:
        if self.higher_is_better:
            return self.value / self.target
        return self.target / self.value if self.value > 0 else math.inf

    @property
    def passed(self) -> bool:
        return self.ratio >= 1.0


def median_seconds(action: Callable[[], object], *, repeat: int = 3, warmup: int = 1) -> float:
    """Median wall-clock seconds of ``action`` over ``repeat`` runs, after ``warmup`` runs."""
    for _ in range(warmup):
        action()
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def _number(value: float, unit: str) -> str:
    digits = 0 if abs(value) >= 100 else 2 if abs(value) >= 1 else 3
    return f"{value:.{digits}f} {unit}"


def format_table(results: Sequence[Result], errors: Sequence[tuple[str, str]] = ()) -> str:
    """The results (and any benchmark that crashed) as an aligned plain-text table."""
    rows = [("benchmark", "measured", "target", "ratio", "")]
    for result in results:
        sign = ">=" if result.higher_is_better else "<="
        rows.append(
            (
                result.name,
                _number(result.value, result.unit),
                f"{sign} {_number(result.target, result.unit)}",
                f"{result.ratio:.2f}x",
                "pass" if result.passed else "MISS",
            )
        )
    rows.extend((name, "error", "-", "-", message) for name, message in errors)
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = []
    for index, row in enumerate(rows):
        cells = [
            row[0].ljust(widths[0]),
            *(cell.rjust(widths[i + 1]) for i, cell in enumerate(row[1:4])),
        ]
        lines.append("  ".join([*cells, row[4]]).rstrip())
        if index == 0:
            lines.append("-" * len(lines[0]))
    return "\n".join(lines)


def discover(names: Iterable[str] = ()) -> list[str]:
    """Module names of the ``bench_*`` modules, optionally only those matching ``names``."""
    wanted = {name.removeprefix("bench_") for name in names}
    found = sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name.startswith("bench_")
    )
    return [f"{__name__}.{name}" for name in found if not wanted or name[6:] in wanted]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print the table, return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("only", nargs="*", help="run only these benchmarks (e.g. media simulator)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    options = parser.parse_args(argv)
    modules = discover(options.only)
    if not modules:
        parser.error(f"no benchmark matches {' '.join(options.only)}; see tests/benchmarks/.")
    results: list[Result] = []
    errors: list[tuple[str, str]] = []
    for module_name in modules:
        print(f"running {module_name.rsplit('.', 1)[-1]} …", flush=True)
        try:
            results.extend(importlib.import_module(module_name).run())
        except Exception as exc:
            traceback.print_exc()
            errors.append((module_name.rsplit(".", 1)[-1], f"{type(exc).__name__}: {exc}"))
    print()
    print(format_table(results, errors))
    if errors:
        return 1
    return 1 if options.strict and not all(result.passed for result in results) else 0
