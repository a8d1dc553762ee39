"""Identifier formats: mint/parse round trips, strict parsing, hex email decoding, masking."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flow_widgets.api.ids import (
    CharacterRef,
    JobId,
    MediaId,
    VoiceRef,
    account_of,
    character_image_count,
    decode_email,
    encode_email,
    make_character_ref,
    make_jobid,
    make_media_id,
    make_voice_ref,
    mask_email,
    parse_character_ref,
    parse_jobid,
    parse_media_id,
    parse_voice_ref,
)
from flow_widgets.errors import ValidationError

JOHN_HEX = "6a6f686e40676d61696c2e636f6d"  # "john@gmail.com"
UUID = "f470f1b5-3c1e-4b7a-9f00-0123456789ab"


def test_hex_email_matches_the_documented_encoding() -> None:
    assert encode_email("john@gmail.com") == JOHN_HEX
    assert JOHN_HEX.startswith("6a6f")  # the docs' "6a6f..." = "jo..."
    assert decode_email(JOHN_HEX) == "john@gmail.com"
    assert decode_email(JOHN_HEX.upper()) == "john@gmail.com"
    assert decode_email("6a6f") is None  # "jo" is not an address
    assert decode_email("zz") is None
    assert decode_email("ff") is None  # not UTF-8


def test_jobid_round_trip_and_documented_examples() -> None:
    jobid = make_jobid(1731859234567, "video", 12345, "jo***@gmail.com")
    assert jobid == "j1731859234567v-u12345-email:jo***@gmail.com-bot:google-flow"
    assert parse_jobid(jobid) == JobId(1731859234567, "video", "12345", "jo***@gmail.com")
    image = parse_jobid("j1731859345678i-u12345-email:an***@gmail.com-bot:google-flow")
    assert image == JobId(1731859345678, "image", "12345", "an***@gmail.com")
    assert account_of(jobid) == "jo***@gmail.com"


@pytest.mark.parametrize(
    "text",
    [
        "j173185923456v-u12345-email:a@b.c-bot:google-flow",  # 12 digits
        "j1731859234567x-u12345-email:a@b.c-bot:google-flow",  # unknown kind
        "j1731859234567v-uabc-email:a@b.c-bot:google-flow",
        "j1731859234567v-u12345-email:nobody-bot:google-flow",
        "j1731859234567v-u12345-email:a@b.c-bot:runway",
        "20260203103000123-user:123-bot:google-flow",  # captcha-stats style, not a jobid
        "",
    ],
)
def test_malformed_jobids_parse_to_none(text: str) -> None:
    assert parse_jobid(text) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"created_ms": 12, "kind": "video", "user": 1, "email": "a@b.c"}, "created_ms"),
        ({"created_ms": 1731859234567, "kind": "gif", "user": 1, "email": "a@b.c"}, "kind"),
        ({"created_ms": 1731859234567, "kind": "video", "user": "u1", "email": "a@b.c"}, "user"),
        ({"created_ms": 1731859234567, "kind": "video", "user": 1, "email": "abc"}, "email"),
    ],
)
def test_make_jobid_rejects_bad_parts(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError, match=field) as info:
        make_jobid(**kwargs)  # type: ignore[arg-type]
    assert info.value.field == field


def test_media_id_round_trip_and_upsampled_suffix() -> None:
    image = make_media_id(12345, "john@gmail.com", "image", UUID)
    assert image == f"user:12345-email:{JOHN_HEX}-image:{UUID}"
    assert parse_media_id(image) == MediaId("12345", "john@gmail.com", "image", UUID)
    video = make_media_id("12345", "john@gmail.com", "video", UUID, upsampled=True)
    assert video.endswith(f"-video:{UUID}_upsampled")
    assert parse_media_id(video) == MediaId("12345", "john@gmail.com", "video", UUID, True)
    legacy = parse_media_id(f"user:1-email:{JOHN_HEX}-image:CAMaJDMxZjQ=")
    assert legacy is not None and legacy.id == "CAMaJDMxZjQ="
    assert account_of(video) == "john@gmail.com"


@pytest.mark.parametrize(
    "text",
    [
        f"user:12345-email:{JOHN_HEX}-audio:{UUID}",
        f"user:12345-email:{JOHN_HEX}-image:",
        f"user:x-email:{JOHN_HEX}-image:{UUID}",
        f"user:12345-email:6a6f...-image:{UUID}",  # the docs' abbreviation
        f"user:12345-email:6a6-image:{UUID}",  # odd hex length
        f"user:12345-email:6a6f-image:{UUID}",  # hex that is not an address
        f"user:12345-email:{JOHN_HEX}-image:{UUID} ",
        "Achernar",
    ],
)
def test_malformed_media_ids_parse_to_none(text: str) -> None:
    assert parse_media_id(text) is None
    assert account_of(text) is None


def test_make_media_id_rejects_bad_parts() -> None:
    with pytest.raises(ValidationError) as info:
        make_media_id(1, "john@gmail.com", "audio", UUID)  # type: ignore[arg-type]
    assert info.value.field == "kind"
    with pytest.raises(ValidationError) as info:
        make_media_id(1, "john@gmail.com", "image", UUID, upsampled=True)
    assert info.value.field == "kind"
    with pytest.raises(ValidationError) as info:
        make_media_id(1, "john@gmail.com", "image", "has space")
    assert info.value.field == "media_id"
    with pytest.raises(ValidationError) as info:
        make_media_id(1, "not-an-email", "image", UUID)
    assert info.value.field == "email"


def test_voice_ref_round_trip() -> None:
    ref = make_voice_ref(12345, "john@gmail.com", UUID, "mid-1")
    assert ref == f"user:12345-email:{JOHN_HEX}-voice:{UUID}-mid:mid-1"
    assert parse_voice_ref(ref) == VoiceRef("12345", "john@gmail.com", UUID, "mid-1")
    assert account_of(ref) == "john@gmail.com"
    assert parse_voice_ref("Achernar") is None
    assert parse_voice_ref(f"user:12345-email:{JOHN_HEX}-voice:{UUID}") is None
    assert parse_media_id(ref) is None


def test_character_ref_round_trip_with_and_without_voice() -> None:
    plain = make_character_ref(12345, "john@gmail.com", UUID, 1)
    assert plain == f"user:12345-email:{JOHN_HEX}-character:{UUID}-imgs:1"
    assert parse_character_ref(plain) == CharacterRef("12345", "john@gmail.com", UUID, 1)
    preset = make_character_ref(12345, "john@gmail.com", UUID, 2, voice="Umbriel")
    assert preset.endswith("-imgs:2-voice:umbriel")
    assert parse_character_ref(preset) == CharacterRef(
        "12345", "john@gmail.com", UUID, 2, "Umbriel"
    )
    user_voice = make_character_ref(12345, "john@gmail.com", UUID, 2, voice="d990a2f9-0001")
    parsed = parse_character_ref(user_voice)
    assert parsed is not None and parsed.voice == "d990a2f9-0001"
    assert account_of(user_voice) == "john@gmail.com"
    assert [character_image_count(r) for r in (plain, preset)] == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        f"user:12345-email:{JOHN_HEX}-character:{UUID}-imgs:3",
        f"user:12345-email:{JOHN_HEX}-character:{UUID}",
        f"user:12345-email:{JOHN_HEX}-character:{UUID}-imgs:1-voice:",
        f"user:12345-email:{JOHN_HEX}-image:{UUID}",
    ],
)
def test_malformed_character_refs(text: str) -> None:
    assert parse_character_ref(text) is None
    with pytest.raises(ValidationError, match="character") as info:
        character_image_count(text)
    assert info.value.field == "character"


def test_make_character_ref_rejects_bad_parts() -> None:
    with pytest.raises(ValidationError) as info:
        make_character_ref(1, "john@gmail.com", UUID, 3)
    assert info.value.field == "images"
    with pytest.raises(ValidationError) as info:
        make_character_ref(1, "john@gmail.com", UUID, 1, voice="not a voice!")
    assert info.value.field == "voice"


@pytest.mark.parametrize(
    ("email", "masked"),
    [
        ("john@gmail.com", "jo***@gmail.com"),
        ("an@example.org", "an***@example.org"),
        ("a@x.org", "a***@x.org"),
        ("nobody", "no***"),
    ],
)
def test_mask_email(email: str, masked: str) -> None:
    assert mask_email(email) == masked


emails = st.builds(
    lambda local, domain: f"{local}@{domain}.com",
    st.text("abcdefghijklmnopqrstuvwxyz0123456789._+", min_size=1, max_size=20),
    st.text("abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=15),
)
tokens = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9-]{0,40}", fullmatch=True)


@given(user=st.integers(0, 10**9), email=emails, token=tokens, upsampled=st.booleans())
def test_media_ids_round_trip(user: int, email: str, token: str, upsampled: bool) -> None:
    ref = make_media_id(user, email, "video", token, upsampled=upsampled)
    assert parse_media_id(ref) == MediaId(str(user), email, "video", token, upsampled)
    assert account_of(ref) == email


@given(user=st.integers(0, 10**9), email=emails, entity=tokens, images=st.sampled_from([1, 2]))
def test_character_refs_round_trip(user: int, email: str, entity: str, images: int) -> None:
    ref = make_character_ref(user, email, entity, images, voice="Kore")
    assert parse_character_ref(ref) == CharacterRef(str(user), email, entity, images, "Kore")
