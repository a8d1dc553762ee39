"""``%flow SUBCOMMAND`` in an IPython shell against the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from tests.magics.conftest import Shell, settle

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\r\xefF\xb8\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)


def fox(shell: Shell, name: str = "fox", model: str = "veo-3.1-lite") -> object:
    shell.cell(f"%%flow_video -m {model} --out {name}\na red fox in snow")
    shell.pub.outputs.clear()
    return shell.ip.user_ns[name]


def test_flow_alone_and_help_print_usage(shell: Shell, capsys: pytest.CaptureFixture[str]) -> None:
    shell.cell("%flow")
    shell.cell("%flow help")
    out = capsys.readouterr().out
    assert out.count("Usage: %flow SUBCOMMAND") == 2
    for name in ("extend", "upscale", "gif", "concat", "cancel", "login", "captcha"):
        assert f"  {name}" in out


def test_unknown_subcommand_is_a_usage_error(shell: Shell) -> None:
    result = shell.cell("%flow explode")
    assert type(result.error_in_exec) is UsageError
    assert "use one of: extend" in str(result.error_in_exec)


def test_extend_upscale_gif_and_concat_from_a_variable(shell: Shell) -> None:
    clip = fox(shell)
    shell.cell('%flow extend fox "the fox {verb}" --out longer'.replace("{verb}", "leaps"))
    longer = shell.ip.user_ns["longer"]
    assert longer.status == "completed" and longer.kind == "extend"
    assert "the fox leaps" in shell.html()
    shell.cell("%flow upscale fox --out big")
    assert shell.ip.user_ns["big"].status == "completed"
    shell.cell("%flow gif fox --out loop")
    assert shell.ip.user_ns["loop"].media[0].path.suffix == ".gif"
    shell.cell("%flow concat fox longer --trim 2:1:0 --out joined")
    joined = shell.ip.user_ns["joined"]
    assert joined.status == "completed" and joined.media[0].path.suffix == ".mp4"
    assert clip.done


def test_generation_subcommands_dry_run(shell: Shell) -> None:
    fox(shell)
    posts = shell.count_requests("POST /videos/extend")
    shell.cell('%flow extend fox "keeps running" --dry-run')
    assert shell.fired(posts) == 0
    assert "Dry run: nothing was sent" in shell.text() and "/videos/extend" in shell.text()
    result = shell.cell("%flow concat fox --trim 5:1:0")
    assert type(result.error_in_exec) is UsageError and "--trim" in str(result.error_in_exec)


def test_upload_binds_the_media_id_and_caches_by_content(
    shell: Shell, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.png").write_bytes(PNG)
    (tmp_path / "copy.png").write_bytes(PNG)
    uploads = shell.count_requests("POST /assets")
    shell.cell("%flow upload a.png --out ref")
    shell.cell("%flow upload copy.png --out again")
    assert shell.ip.user_ns["ref"] == shell.ip.user_ns["again"]
    assert "-image:" in shell.ip.user_ns["ref"]
    assert shell.fired(uploads) == 1  # the same content is sent once
    assert "Uploaded a.png" in capsys.readouterr().out
    result = shell.cell("%flow upload missing.png")
    assert type(result.error_in_exec) is UsageError


def test_voices_and_voice_create_delete(shell: Shell, capsys: pytest.CaptureFixture[str]) -> None:
    shell.cell("%flow voices --source system")
    assert "Achernar" in shell.text() and "Zubenelgenubi" in shell.text()
    shell.cell(
        '%flow voice create "Narrator" --base Achernar --dialog "Hello there" '
        '--performance "warm and calm" --out narrator'
    )
    ref = shell.ip.user_ns["narrator"].voice
    assert "-voice:" in ref
    shell.cell(f"%flow voice delete {ref}")
    out = capsys.readouterr().out
    assert "Created voice 'Narrator'" in out and "Deleted voice" in out
    result = shell.cell('%flow voice create "X" --base Achernar')
    assert type(result.error_in_exec) is UsageError and "--dialog" in str(result.error_in_exec)


def test_characters_create_list_use_and_delete(shell: Shell, tmp_path: Path) -> None:
    (tmp_path / "face.png").write_bytes(PNG)
    shell.cell("%flow character create Carol --image face.png --voice umbriel --out carol")
    ref = shell.ip.user_ns["carol"].character
    shell.pub.outputs.clear()
    shell.cell("%flow characters")
    assert "Carol" in shell.text()
    shell.pub.outputs.clear()
    shell.cell("%%flow_video -m veo-3.1-fast --character carol --dry-run\n@character_1 waves")
    assert ref in shell.text()
    result = shell.cell(f"%flow character delete {ref}")
    assert result.error_in_exec is None


def test_jobs_job_resume_credits_accounts_budget(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = fox(shell)
    shell.cell("%flow jobs")
    table = shell.text()
    assert "veo-3.1-lite" in table and "completed" in table and "a red fox in snow" in table
    assert "@gmail.com" in table and "***@" in table  # jobids shown with the account masked
    shell.pub.outputs.clear()
    shell.cell(f"%flow job {clip.jobid} --out again")
    assert shell.ip.user_ns["again"] is clip and "<video" in shell.html()
    shell.cell("%flow resume")
    assert "Nothing to resume" in capsys.readouterr().out
    shell.pub.outputs.clear()
    shell.cell("%flow credits")
    assert "veo-3.1-lite" in shell.text() and "This session" in shell.text()
    shell.pub.outputs.clear()
    shell.cell("%flow accounts")
    assert "Linked accounts" in shell.text() and "OK" in shell.text()
    shell.cell("%flow budget 500")
    shell.cell("%flow budget")
    assert "Session budget: 500 credits" in capsys.readouterr().out
    shell.cell("%flow budget off")
    assert "No session budget" in capsys.readouterr().out
    result = shell.cell("%flow budget lots")
    assert type(result.error_in_exec) is UsageError
    result = shell.cell("%flow job nope")
    assert type(result.error_in_exec) is UsageError


def test_cancel_stops_watching_and_says_the_job_still_runs(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    from flow_widgets.simulator import Fault

    shell.sim.app_state.faults.add(Fault(route="POST /videos", action="never_finish"))
    shell.cell("%config FlowMagics.block = False")
    shell.cell("%%flow_video -m veo-3.1-lite --out slow\na very slow fox")
    slow = shell.ip.user_ns["slow"]
    shell.cell("%flow stop all")
    assert "keep running on the server and are charged" in capsys.readouterr().out
    assert slow.status == "cancelled"
    assert "may still be charged" in shell.html()
    result = shell.cell("%flow cancel all")  # the old name still works
    assert type(result.error_in_exec) is UsageError


def test_login_uses_getpass_and_never_shows_the_token(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    token = "user:4242-CanaryTokenDoNotLeak"
    monkeypatch.setattr("getpass.getpass", lambda prompt="": token)
    monkeypatch.setenv("FLOW_API_BASE", shell.sim.base_url)
    shell.cell("%flow login")
    from flow_widgets.runtime.session import current_session

    current = current_session()
    assert current is not None and not current.simulated
    settle(current)
    out = capsys.readouterr().out
    assert "Token accepted" in out and token not in out
    shell.cell("%flow config")
    config = shell.text() + shell.html()
    assert "set (%flow login)" in config and token not in config
    result = shell.cell("%flow login user:1-abc")
    assert type(result.error_in_exec) is UsageError


def test_captcha_and_config(shell: Shell) -> None:
    shell.cell("%flow captcha providers")
    shell.cell("%flow captcha stats")
    text = shell.text()
    assert "Captcha providers" in text and "Captcha statistics" in text
    shell.pub.outputs.clear()
    shell.cell("%config FlowMagics.count = 2")
    shell.cell("%flow config")
    assert re.search(r"FlowMagics\.count +2", shell.text())
    assert "FlowMagics.media_folder" in shell.text()
