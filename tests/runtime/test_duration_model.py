"""One skewed server stamp must not poison polling (the duration model stays robust)."""

from __future__ import annotations

from flow_widgets.runtime.poller import DurationModel, next_poll_delay


def _model_with(samples: list[float], expected: float = 60.0) -> DurationModel:
    model = DurationModel()
    for seconds in samples:
        model.observe("video:veo", expected, seconds, seconds)
    return model


def test_a_job_whose_created_stamp_was_a_day_off_teaches_nothing() -> None:
    normal = [58.0 + n % 5 for n in range(12)]
    model = _model_with([*normal, 43_201.0])
    centre, spread = model.adjust("video:veo", 60.0)
    assert 55.0 < centre < 66.0 and spread < 0.2
    assert next_poll_delay(centre, 60.0, spread=spread) < 10.0  # dense near the end, not 60 s


def test_one_slow_but_plausible_job_does_not_become_the_upper_bound() -> None:
    normal = [58.0 + n % 5 for n in range(15)]
    model = _model_with([*normal, 1_000.0])  # 17x: plausible, but far out of the pack
    centre, spread = model.adjust("video:veo", 60.0)
    assert centre < 70.0 and spread < 0.2


def test_a_real_drift_of_every_job_is_still_learnt() -> None:
    model = _model_with([120.0 + n for n in range(10)])
    centre, _ = model.adjust("video:veo", 60.0)
    assert 115.0 < centre < 135.0
