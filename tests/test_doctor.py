"""``flow-widgets doctor`` against the simulator: clean as shipped, and exactly the drift the
``/_sim/drift`` control introduces; answers the simulator cannot give (a refused User-Agent, an
unknown job status) come from a small rewriting transport in front of it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from flow_widgets.cli import main
from flow_widgets.doctor import Report, check
from flow_widgets.simulator.server import RunningSimulator, start_background

ULTRA = "ultra.demo@gmail.com"


TOKEN = "user:13-doctor-test-token"


@pytest.fixture(scope="module")
def sim() -> Iterator[RunningSimulator]:
    with start_background(seed=13, time_scale=0.004, test_controls=True, token=TOKEN) as running:
        yield running


@pytest.fixture
def controls(sim: RunningSimulator) -> Iterator[httpx.Client]:
    root = sim.base_url.split("/v1/")[0]
    with httpx.Client(base_url=root) as http:
        yield http
        http.delete("/_sim/drift").raise_for_status()


def _drift(report: Report) -> set[tuple[str, str, str, str]]:
    return {(f.area, f.subject, f.expected, f.seen) for f in report.drift}


def test_the_simulator_as_shipped_is_clean(sim: RunningSimulator) -> None:
    report = check(base_url=sim.base_url, token=sim.token)
    assert report.exit_code == 0, report.render()
    assert report.drift == [] and report.problems == []
    text = report.render()
    assert "no drift" in text and sim.token not in text and ULTRA not in text
    assert "ul***@gmail.com" in text  # emails masked
    assert "GET /accounts/captcha-stats" in text and "POST" not in text  # free calls only


def test_a_changed_price_and_a_new_model_are_reported_exactly(
    sim: RunningSimulator, controls: httpx.Client
) -> None:
    controls.post(
        "/_sim/drift",
        json={
            "creditCost": {"veo_3_1_t2v_fast": 25},
            "addModels": [{"key": "omni_flash_1_3", "creditCost": 30}],
        },
    ).raise_for_status()
    report = check(base_url=sim.base_url, token=sim.token)
    assert report.exit_code == 1
    assert _drift(report) == {
        ("price", "veo_3_1_t2v_fast (Pro)", "20", "25"),
        ("model", "omni_flash_1_3", "(not in catalog)", "listed, 30 credits"),
    }


def test_a_new_account_field_is_reported(sim: RunningSimulator, controls: httpx.Client) -> None:
    controls.post("/_sim/drift", json={"accountFields": {"agentQuota": 3}}).raise_for_status()
    report = check(base_url=sim.base_url, token=sim.token)
    subjects = {f.subject for f in report.drift}
    assert subjects == {"account ul***@gmail.com.agentQuota", "account pr***@gmail.com.agentQuota"}


class Rewriting(httpx.BaseTransport):
    """Forwards to the simulator, rewriting what it cannot say itself."""

    def __init__(
        self,
        refuse_agent: bool = False,
        job_status: str | None = None,
        job_extra: dict[str, object] | None = None,
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.refuse_agent = refuse_agent
        self.job_status = job_status
        self.job_extra = job_extra or {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.refuse_agent:  # Cloudflare's answer to a default urllib User-Agent (C18)
            return httpx.Response(403, text="error code: 1010")
        response = self.inner.handle_request(request)
        path = request.url.path
        if self.job_status and "/jobs" in path:
            response.read()
            response.close()
            body = json.loads(response.content)
            if path.endswith("/jobs"):
                body.setdefault("videos", {})["history"] = {"j1": {"email": "x"}}
                return httpx.Response(200, json=body)
            job = {"jobid": "j1", "status": self.job_status, **self.job_extra}
            return httpx.Response(200, json=job)
        return response

    def close(self) -> None:
        self.inner.close()


def test_a_refused_user_agent_is_drift(sim: RunningSimulator) -> None:
    report = check(base_url=sim.base_url, token=sim.token, transport=Rewriting(refuse_agent=True))
    assert ("user-agent", "refused (Cloudflare 1010)") in {(f.area, f.seen) for f in report.drift}
    assert report.exit_code == 1


def test_an_unknown_job_status_is_drift(sim: RunningSimulator) -> None:
    report = check(base_url=sim.base_url, token=sim.token, transport=Rewriting(job_status="paused"))
    assert ("status", "job status", "completed/created/failed/started", "paused") in _drift(report)


def test_job_fields_the_client_reads_are_not_drift_and_new_ones_are(
    sim: RunningSimulator,
) -> None:
    # The keys of a job reply the API layer's Job reads (media, credits left, the captcha
    # attempt, the gateway's note): the doctor knows them from the same list, only new is drift.
    known = {"media": [], "remainingCredits": 120, "captcha": {}, "gateway": {}}
    rewriting = Rewriting(job_status="completed", job_extra={**known, "agentTrace": "x"})
    report = check(base_url=sim.base_url, token=sim.token, transport=rewriting)
    fields = {f.subject for f in report.drift if f.area == "field"}
    assert fields == {"job.agentTrace"}


def test_a_refused_token_means_could_not_check(sim: RunningSimulator) -> None:
    report = check(base_url=sim.base_url, token="user:1-wrong")
    assert report.exit_code == 2 and "401" in report.render()
    assert "user:1-wrong" not in report.render()


def test_images_asks_first_and_generates_one_image_when_confirmed(sim: RunningSimulator) -> None:
    questions: list[str] = []
    declined = check(
        base_url=sim.base_url,
        token=sim.token,
        images=True,
        ask=lambda q: questions.append(q) or False,
    )
    assert "captcha" in questions[0] and declined.exit_code == 2
    assert "POST /images" not in declined.calls
    accepted = check(base_url=sim.base_url, token=sim.token, images=True, ask=lambda q: True)
    assert accepted.calls.count("POST /images") == 1
    assert accepted.exit_code == 0, accepted.render()
    assert [f.seen for f in accepted.findings if f.area == "image"] == ["image/png"]


def test_the_command_exits_with_the_verdict(
    sim: RunningSimulator,
    controls: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("USEAPI_TOKEN", sim.token)
    assert main(["doctor", "--base-url", sim.base_url]) == 0
    controls.post("/_sim/drift", json={"creditCost": {"veo_3_1_t2v_fast": 25}}).raise_for_status()
    assert main(["doctor", "--base-url", sim.base_url]) == 1
    out = capsys.readouterr().out
    assert "DRIFT" in out and sim.token not in out


def test_c18_the_simulator_can_refuse_pythons_default_user_agent() -> None:
    import urllib.error
    import urllib.request

    with start_background(seed=3, refuse_default_user_agent=True, token=TOKEN) as strict:
        report = check(base_url=strict.base_url, token=strict.token)
        assert report.exit_code == 0, report.render()  # our own User-Agent passes
        plain = urllib.request.Request(
            f"{strict.base_url}/accounts", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(plain, timeout=10)
        assert refused.value.code == 403 and b"1010" in refused.value.read()
        refused.value.close()
