"""Option parsing for the magics: every field, repeatable options, and one-line usage errors."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError

from flow_widgets.magics._args import (
    SUBCOMMANDS,
    Frames,
    image_parser,
    parse,
    split_subcommand,
    subcommand_parser,
    video_parser,
)


def test_video_options_cover_every_field() -> None:
    args = parse(
        video_parser(),
        "-m omni-flash --aspect portrait --duration 6 -n 2 --seed 7 --resolution 360p "
        "--ref a.png --ref 'my pic.png' --character Carol --voice Achernar --voice Kore "
        "--email me@x.org --captcha-retry 5 --captcha-order AntiCaptcha,CapSolver "
        "--out clip --wait --new --dry-run --no-interp",
    )
    assert args is not None
    assert (args.model, args.aspect, args.duration, args.count) == ("omni-flash", "portrait", 6, 2)
    assert (args.seed, args.resolution, args.email) == (7, "360p", "me@x.org")
    assert args.ref == ["a.png", "my pic.png"]
    assert args.character == ["Carol"] and args.voice == ["Achernar", "Kore"]
    assert args.captcha_retry == 5 and args.captcha_order == ["AntiCaptcha", "CapSolver"]
    assert args.out == "clip" and args.wait and args.new and args.dry_run and args.no_interp


def test_video_defaults_are_none_so_config_fills_them() -> None:
    args = parse(video_parser(), "")
    assert args is not None
    assert args.model is None and args.duration is None and args.count is None
    assert args.ref == [] and not args.wait and not args.new


def test_frames_and_video() -> None:
    args = parse(video_parser(), "--video clip.mp4 --frames 12:120 --start s.png --end e.png")
    assert args is not None
    assert args.video == "clip.mp4" and args.frames == Frames(12, 120)
    assert (args.start, args.end) == ("s.png", "e.png")


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("--bogus", "unrecognized arguments: --bogus"),
        ("--duration eight", "--duration"),
        ("--frames 5", "--frames takes START:END"),
        ("--seed -3", "--seed"),
        ("--ref 'unclosed", "check the quotes"),
    ],
)
def test_bad_video_options_are_one_line_usage_errors(line: str, fragment: str) -> None:
    with pytest.raises(UsageError) as info:
        parse(video_parser(), line)
    message = str(info.value)
    assert fragment in message
    assert message.startswith("%%flow_video")
    assert "\n" not in message


def test_image_compare_and_seeds() -> None:
    args = parse(image_parser(), "--compare nano-banana-2,nano-banana-pro --seeds 1,2,3 -n 1")
    assert args is not None
    assert args.compare == ["nano-banana-2", "nano-banana-pro"]
    assert args.seeds == [1, 2, 3] and args.count == 1
    with pytest.raises(UsageError, match="--seeds takes whole numbers"):
        parse(image_parser(), "--seeds 1,x")


def test_help_prints_usage_and_returns_none(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse(video_parser(), "--help") is None
    out = capsys.readouterr().out
    assert "--model" in out and "--frames" in out and "--dry-run" in out


def test_split_subcommand() -> None:
    assert split_subcommand("  extend clip  a   b ") == ("extend", "clip  a   b")
    assert split_subcommand("credits") == ("credits", "")
    with pytest.raises(UsageError, match="no subcommand 'explode'; use one of: extend"):
        split_subcommand("explode now")


@pytest.mark.parametrize("name", list(SUBCOMMANDS))
def test_every_subcommand_has_a_parser_with_help(name: str) -> None:
    parser = subcommand_parser(name)
    assert parser.prog == f"%flow {name}"
    assert SUBCOMMANDS[name][0] in parser.format_help()


def test_extend_takes_the_rest_as_prompt() -> None:
    args = parse(subcommand_parser("extend"), 'clip "the fox runs" away -n 2')
    assert args is not None
    assert args.source == "clip" and args.prompt == ["the fox runs", "away"] and args.count == 2


def test_login_takes_no_token_argument_and_never_repeats_it() -> None:
    with pytest.raises(UsageError, match="takes no API token") as refused:
        parse(subcommand_parser("login"), "user:123-abc")
    assert "user:123-abc" not in str(refused.value)
    with pytest.raises(UsageError, match="unrecognized arguments"):
        parse(subcommand_parser("login"), "something-else")


def test_media_ids_are_not_mistaken_for_tokens() -> None:
    args = parse(
        subcommand_parser("upscale"), "user:12345-email:6a6f-video:0f1e2d --resolution 1080p"
    )
    assert args is not None


def test_voice_and_character_actions() -> None:
    args = parse(
        subcommand_parser("voice"),
        'create "Narrator" --base Achernar --dialog "Hello" --performance calm',
    )
    assert args is not None and args.action == "create" and args.base == "Achernar"
    with pytest.raises(UsageError, match="invalid choice"):
        parse(subcommand_parser("character"), "rename x")
