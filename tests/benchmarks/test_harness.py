"""The benchmark harness reports ratios the right way round and finds every benchmark."""

from __future__ import annotations

import math

import pytest

from tests.benchmarks import Result, discover, format_table, main, median_seconds


def test_ratio_is_above_one_when_the_target_is_beaten_in_either_direction() -> None:
    fast = Result("clip", 0.5, "s", 1.0)
    slow = Result("clip", 2.0, "s", 1.0)
    busy = Result("polls", 750.0, "req/s", 500.0, higher_is_better=True)
    idle = Result("polls", 250.0, "req/s", 500.0, higher_is_better=True)
    assert (fast.ratio, fast.passed) == (2.0, True)
    assert (slow.ratio, slow.passed) == (0.5, False)
    assert (busy.ratio, busy.passed) == (1.5, True)
    assert (idle.ratio, idle.passed) == (0.5, False)
    assert Result("instant", 0.0, "s", 1.0).ratio == math.inf


def test_the_table_has_one_aligned_row_per_result_and_error() -> None:
    table = format_table(
        [Result("media: clip", 0.61, "s", 1.0), Result("sim: polls", 174.0, "req/s", 500.0, True)],
        [("bench_broken", "ImportError: nope")],
    )
    lines = table.splitlines()
    assert lines[0].startswith("benchmark") and set(lines[1]) == {"-"}
    assert "0.610 s" in lines[2] and "<= 1.00 s" in lines[2] and lines[2].endswith("1.64x  pass")
    assert "174 req/s" in lines[3] and ">= 500 req/s" in lines[3] and lines[3].endswith("MISS")
    assert lines[4].startswith("bench_broken") and lines[4].endswith("ImportError: nope")
    assert len({line.index("x  ") for line in lines[2:4]}) == 1


def test_discovery_finds_every_bench_module_and_filters_by_name() -> None:
    everything = discover()
    assert {"tests.benchmarks.bench_media", "tests.benchmarks.bench_simulator"} <= set(everything)
    assert discover(["media"]) == ["tests.benchmarks.bench_media"]
    assert discover(["bench_simulator"]) == ["tests.benchmarks.bench_simulator"]


def test_an_unknown_benchmark_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["no-such-bench"])
    assert exited.value.code == 2
    assert "no benchmark matches no-such-bench" in capsys.readouterr().err


def test_median_seconds_runs_the_warmup_and_every_repeat() -> None:
    calls: list[int] = []
    assert median_seconds(lambda: calls.append(1), repeat=3, warmup=2) >= 0.0
    assert len(calls) == 5
