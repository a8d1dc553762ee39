"""*vary #N* pressed in two notebooks on one ledger at the same moment buys one take.

The card's *vary* asks for take N of the cell's request with a new seed. The seed is derived
from the request and N (never drawn at random), so both kernels ask for the very same request,
and the ledger's ownership lets only one of them buy it; the other re-attaches. Real separate
processes, as in ``test_two_kernels.py``; POSTs are counted at the simulator.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import VIDEO_ROUTE, SimControl
from tests.reliability.kernels import Kernel

pytestmark = pytest.mark.skipif(os.name != "posix", reason="needs separate processes")


@pytest.fixture
def kernels() -> Iterator[list[Kernel]]:
    started: list[Kernel] = []
    yield started
    for kernel in started:
        kernel.close()


def test_vary_pressed_in_two_kernels_at_once_buys_once(
    make_sim: Any, cheap_media: Any, kernels: list[Kernel], tmp_path: Path
) -> None:
    sim = make_sim(max_concurrent_videos=50, free_captcha_credits=100_000)
    control = SimControl(sim)
    home, media = tmp_path / "home", tmp_path / "media"
    pair = [Kernel(sim, home, media, resume=True) for _ in range(2)]
    kernels.extend(pair)
    for kernel in pair:
        kernel.ready()
    at = time.time() + 0.5
    for kernel in pair:  # both press "vary #2" of the same cell at the same wall-clock moment
        kernel.send(do="vary", prompt="a red fox in snow", take=2, at=at)
    answers = [kernel.answer() for kernel in pair]
    assert answers[0] == answers[1] and answers[0]["sent"] == 1  # the same seed in both
    done = [kernel.order(do="wait", timeout=60) for kernel in pair]
    after = control.ledger()
    control.close()
    assert len(after.posts(VIDEO_ROUTE)) == 1
    assert all(d["statuses"] == ["completed"] for d in done), done
    assert done[0]["sids"] == done[1]["sids"]  # one submission, followed by both
