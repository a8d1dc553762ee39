"""The takes store on a real ledger file: numbering, re-runs, the pick, restarts, two
processes numbering one cell at once, the cell-key fallbacks and the ledger facts joined in."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from flow_widgets.runtime.cell_keys import CellKey, resolve_cell_key
from flow_widgets.runtime.ledger import Ledger
from flow_widgets.runtime.take_store import TakeStore

KEY = CellKey("nb.ipynb", "cell:abc", "cell id")


def _record(store: TakeStore, sid: str, prompt: str, key: CellKey = KEY, flags: str = "") -> int:
    return store.record(
        key,
        submission_id=sid,
        fingerprint=f"fp-{sid}",
        magic="%%flow_video",
        flags=flags,
        prompt=prompt,
        model="veo-3.1-lite",
        seed=None,
        cost=10,
    ).number


def test_takes_are_numbered_per_cell_and_a_rerun_is_the_same_take(tmp_path: Path) -> None:
    store = TakeStore(tmp_path / "ledger.sqlite3")
    assert _record(store, "s1", "a fox") == 1
    assert _record(store, "s2", "a red fox") == 2
    assert _record(store, "s1", "a fox") == 1  # re-attached: not a new take
    other = CellKey("nb.ipynb", "cell:def", "cell id")
    assert _record(store, "s3", "a heron", other) == 1
    assert [t.number for t in store.takes("nb.ipynb", "cell:abc")] == [1, 2]
    assert [t.prompt for t in store.takes("nb.ipynb", "cell:abc")] == ["a fox", "a red fox"]
    assert store.cells("nb.ipynb") == ["cell:def", "cell:abc"]


def test_one_pick_per_cell_and_it_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    store = TakeStore(path)
    for n, sid in enumerate(("s1", "s2", "s3"), 1):
        assert _record(store, sid, f"a fox {n}") == n
    store.star("nb.ipynb", "cell:abc", 3)
    store.star("nb.ipynb", "cell:abc", 1)
    store.close()
    again = TakeStore(path)  # a restarted kernel
    assert [t.number for t in again.takes("nb.ipynb", "cell:abc") if t.starred] == [1]
    assert again.starred_submissions() == {"s1"}
    again.star("nb.ipynb", "cell:abc", None)
    assert again.starred() == []
    with pytest.raises(KeyError, match="no take #9"):
        again.star("nb.ipynb", "cell:abc", 9)


def test_prompts_are_scrubbed_of_secrets_before_they_are_stored(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3", secrets=["sk-very-secret-token"])
    store = TakeStore(ledger.path, redact=ledger.scrub_text)
    _record(store, "s1", "a fox holding a sign saying sk-very-secret-token")
    ledger.close()
    store.close()
    assert b"sk-very-secret-token" not in (tmp_path / "ledger.sqlite3").read_bytes()
    assert "sk-very-secret-token" not in store.takes("nb.ipynb", "cell:abc")[0].prompt


def test_listing_reads_job_id_charged_credits_and_file_from_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "ledger.sqlite3")
    sid = ledger.begin_submission(
        "video",
        "/videos",
        {"prompt": "a fox"},
        "fp1",
        model="veo-3.1-lite",
        estimate=10,
        account=None,
    )
    ledger.mark_accepted(sid, "j1-x", "jo@example.com", None)
    ledger.mark_state(sid, "completed", credits=7, charged=True)
    clip = tmp_path / "flow_media" / "fox.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"0" * 10)
    ledger.add_media_file(sid, 0, "m1", clip, 10, "00")
    store = TakeStore(ledger.path)
    _record(store, sid, "a fox")
    (take,) = store.takes("nb.ipynb", "cell:abc")
    assert (take.jobid, take.state, take.cost, take.media_path) == (
        "j1-x",
        "completed",
        7,
        str(clip),
    )


def test_two_processes_numbering_one_cell_never_share_a_number(tmp_path: Path) -> None:
    """Two kernels on one ledger: each records 40 takes of the same cell at the same time."""
    path = tmp_path / "ledger.sqlite3"
    Ledger(path).close()  # a ledger file (WAL), as every kernel's session opens it
    TakeStore(path).takes("nb.ipynb", "cell:abc")  # the table exists before both start
    script = textwrap.dedent(
        f"""
        import sys, time
        from flow_widgets.runtime.cell_keys import CellKey
        from flow_widgets.runtime.take_store import TakeStore
        store = TakeStore({str(path)!r})
        key = CellKey("nb.ipynb", "cell:abc", "cell id")
        store.takes("nb.ipynb", "cell:abc")
        time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # both start together
        for i in range(40):
            store.record(key, submission_id=f"{{sys.argv[1]}}-{{i}}", fingerprint="f",
                         magic="%%flow_video", flags="", prompt="p", model=None, seed=None,
                         cost=None)
        """
    )
    start = str(time.time() + 3)
    procs = [subprocess.Popen([sys.executable, "-c", script, who, start]) for who in "ab"]
    assert [p.wait(120) for p in procs] == [0, 0]
    takes = TakeStore(path).takes("nb.ipynb", "cell:abc")
    assert sorted(t.number for t in takes) == list(range(1, 81))
    assert len({t.submission_id for t in takes}) == 80


def test_cell_key_prefers_the_cell_id_then_out_then_a_lineage(tmp_path: Path) -> None:
    store = TakeStore(tmp_path / "ledger.sqlite3")

    def resolve(cell_id: str | None, out: str | None, prompt: str, flags: str = "-m x") -> CellKey:
        return resolve_cell_key(
            store,
            "nb.ipynb",
            cell_id=cell_id,
            out=out,
            magic="%%flow_video",
            flags=flags,
            prompt=prompt,
        )

    assert resolve("c1", "fox", "a fox") == CellKey("nb.ipynb", "cell:c1", "cell id")
    assert resolve(None, "fox", "a fox") == CellKey("nb.ipynb", "out:fox", "--out")
    first = resolve(None, None, "a red fox running in the snow")
    assert first.source == "lineage"
    _record(store, "s1", "a red fox running in the snow", first, flags="-m x")
    # an edit of a few words, same magic and flags: the same lineage
    edited = resolve(None, None, "a red fox running in deep snow at dawn")
    assert edited == first
    _record(store, "s2", "a red fox running in deep snow at dawn", edited, flags="-m  x")
    # a different prompt, or other flags: a new lineage
    assert resolve(None, None, "a heron standing in a pond").key != first.key
    assert resolve(None, None, "a red fox running in the snow", flags="-m y").key != first.key
    assert [t.number for t in store.takes("nb.ipynb", first.key)] == [1, 2]
    assert {t.key_source for t in store.takes("nb.ipynb", first.key)} == {"lineage"}


def test_a_lineage_counts_only_content_words(tmp_path: Path) -> None:
    """Without a cell id or --out: an edited prompt joins its lineage; two prompts about
    different things that share only "a", "the", "of" and "lake" do not (short and stop words
    never count, case and punctuation are ignored)."""
    store = TakeStore(tmp_path / "ledger.sqlite3")

    def resolve(prompt: str) -> CellKey:
        return resolve_cell_key(
            store,
            "nb.ipynb",
            cell_id=None,
            out=None,
            magic="%%flow_video",
            flags="--aspect square",
            prompt=prompt,
        )

    lake = "a heron at the edge of the lake"
    first = resolve(lake)
    _record(store, "s1", lake, first, flags="--aspect square")
    other = resolve("the reflection of a mountain in the lake")
    assert other.source == "lineage" and other.key != first.key
    _record(store, "s2", "the reflection of a mountain in the lake", other, flags="--aspect square")
    # an edit (new case, punctuation, one word changed) joins the heron's lineage
    edited = resolve("A grey heron, at the edge of the lake!")
    assert edited == first
    _record(store, "s3", "A grey heron, at the edge of the lake!", edited, flags="--aspect square")
    assert [t.number for t in store.takes("nb.ipynb", first.key)] == [1, 2]
    assert [t.submission_id for t in store.takes("nb.ipynb", other.key)] == ["s2"]


def test_a_table_made_before_grid_runs_gains_the_label_and_run_columns(tmp_path: Path) -> None:
    import sqlite3

    from flow_widgets.runtime import take_store

    path = tmp_path / "ledger.sqlite3"
    old = take_store._SCHEMA.replace("    label         TEXT,\n    run           TEXT,\n", "")
    assert "label" not in old
    with sqlite3.connect(path) as conn:
        conn.executescript(old)
        conn.execute(
            "INSERT INTO cell_takes (notebook, cell_key, key_source, number, submission_id,"
            " fingerprint, magic, flags, prompt, created) VALUES"
            " ('nb.ipynb', 'cell:abc', 'cell id', 1, 's0', 'f0', '%%flow_image', '', 'a', 1.0)"
        )
    conn.close()
    store = TakeStore(path)
    grid = store.record(
        KEY, submission_id="s1", fingerprint="f1", magic="%%flow_image", flags="", prompt="a",
        model=None, seed=7, cost=None, label="seed 7", run="run:1",
    )  # fmt: skip
    older, newer = store.takes("nb.ipynb", "cell:abc")
    assert (older.label, older.run, older.run_key) == (None, None, "submission:s0")
    assert (grid.number, newer.label, newer.run_key) == (2, "seed 7", "run:1")
