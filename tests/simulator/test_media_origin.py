"""The media origin over real HTTP: signatures, expiry, fresh URLs, Range, checksums, and the
rule that credentials never reach it."""

from __future__ import annotations

import hashlib

import httpx

from flow_widgets.simulator.server import RunningSimulator
from tests.simulator.sim_support import PRO, control, png_bytes, tiny_mp4, upload

PNG = png_bytes(320, 180, (10, 120, 200))


def _fresh_url(api: httpx.Client, media_id: str) -> str:
    url: str = api.get(f"/assets/{media_id}").json()["url"]
    return url


def test_signed_url_serves_the_exact_bytes_with_checksum_headers(
    sim: RunningSimulator, api: httpx.Client, media_http: httpx.Client
) -> None:
    url = _fresh_url(api, upload(api, PRO, PNG))
    assert url.startswith(sim.media_base_url + "/image/")
    response = media_http.get(url)
    assert response.status_code == 200
    assert response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-sha256"] == hashlib.sha256(PNG).hexdigest()
    assert response.headers["accept-ranges"] == "bytes"
    assert int(response.headers["content-length"]) == len(PNG)
    head = media_http.head(url)
    assert (
        head.status_code == 200
        and head.content == b""
        and head.headers["content-length"] == str(len(PNG))
    )


def test_ranges_give_206_and_unsatisfiable_ones_416(
    api: httpx.Client, media_http: httpx.Client
) -> None:
    url = _fresh_url(api, upload(api, PRO, PNG))
    size = len(PNG)
    first = media_http.get(url, headers={"Range": "bytes=0-99"})
    assert first.status_code == 206 and first.content == PNG[:100]
    assert first.headers["content-range"] == f"bytes 0-99/{size}"
    rest = media_http.get(url, headers={"Range": "bytes=100-"})
    assert first.content + rest.content == PNG
    tail = media_http.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == PNG[-10:]
    beyond = media_http.get(url, headers={"Range": f"bytes={size}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    etag = first.headers["etag"]
    same = media_http.get(url, headers={"Range": "bytes=0-9", "If-Range": etag})
    stale = media_http.get(url, headers={"Range": "bytes=0-9", "If-Range": '"old"'})
    assert same.status_code == 206 and stale.status_code == 200 and stale.content == PNG


def test_authorization_header_is_refused_and_recorded(
    sim: RunningSimulator, api: httpx.Client
) -> None:
    url = _fresh_url(api, upload(api, PRO, PNG))
    before = control(api, "GET", "ledger")["mediaAuthorizationRefusals"]
    refused = httpx.get(url, headers=sim.headers)
    assert refused.status_code == 400 and PNG not in refused.content
    ledger = control(api, "GET", "ledger")
    assert ledger["mediaAuthorizationRefusals"] == before + 1
    media_rows = [r for r in ledger["requests"] if r["origin"] == "media"]
    assert media_rows[-1]["has_authorization"] is True and media_rows[-1]["status"] == 400


def test_urls_expire_on_the_simulated_clock_and_rereading_gives_fresh_ones(
    api: httpx.Client, media_http: httpx.Client
) -> None:
    media_id = upload(api, PRO, PNG)
    old = _fresh_url(api, media_id)
    assert media_http.get(old).status_code == 200
    control(api, "POST", "clock", json={"advance": 6 * 3600 + 1})
    expired = media_http.get(old)
    assert expired.status_code == 403 and "expired" in expired.text
    fresh = _fresh_url(api, media_id)
    assert fresh != old and media_http.get(fresh).status_code == 200


def test_expire_urls_control_invalidates_every_url_handed_out(
    api: httpx.Client, media_http: httpx.Client
) -> None:
    media_id = upload(api, PRO, PNG)
    old = _fresh_url(api, media_id)
    control(api, "POST", "expire-urls")
    assert media_http.get(old).status_code == 403
    assert media_http.get(_fresh_url(api, media_id)).status_code == 200


def test_tampered_or_unknown_urls(
    sim: RunningSimulator, api: httpx.Client, media_http: httpx.Client
) -> None:
    url = _fresh_url(api, upload(api, PRO, PNG))
    assert media_http.get(url.replace("Signature=", "Signature=0")).status_code == 403
    assert media_http.get(url.split("?")[0]).status_code == 403
    assert media_http.get(url.replace("/image/", "/video/")).status_code == 403
    assert media_http.get(sim.media_base_url + "/elsewhere/x").status_code == 404
    signer = sim.app_state.signer
    ghost = signer.sign("image", "no-such-item", now=sim.app_state.now())
    assert media_http.get(ghost).status_code == 404


def test_uploaded_video_is_served_as_video(api: httpx.Client, media_http: httpx.Client) -> None:
    clip = tiny_mp4()
    media_id = upload(api, PRO, clip, "video/mp4")
    url = _fresh_url(api, media_id)
    assert "/video/" in url
    response = media_http.get(url)
    assert response.headers["content-type"] == "video/mp4" and response.content == clip
