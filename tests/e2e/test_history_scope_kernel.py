"""History is scoped to the notebook: two kernels on one ledger, each named by jupyter-server's
``JPY_SESSION_NAME``, and a third with no name (its kernel session is the scope). ``%flow jobs``
and ``fw.Jobs()`` list only the notebook's own jobs; ``--all`` / ``all=True`` list every one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_magics_kernel import FAST_SESSION, cell, execute, kernel_env, text_of

pytestmark = pytest.mark.e2e


def _notebook(prompt: str) -> list:
    return [
        cell(FAST_SESSION, "setup"),
        cell("%load_ext flow_widgets", "load"),
        cell(f"%%flow_video -m veo-3.1-lite\n{prompt}", "buy"),
        cell("%flow jobs", "mine"),
        cell("%flow jobs --all", "all"),
        cell(
            "import flow_widgets as fw\n"
            "print(sorted(r.prompt for r in fw.Jobs().rows))\n"
            "print(sorted(r.prompt for r in fw.Jobs(all=True).rows))",
            "panel",
        ),
    ]


def test_jobs_listings_show_this_notebooks_jobs_unless_asked_for_all(tmp_path: Path) -> None:
    home = tmp_path / "home"  # one data folder, so one ledger for every kernel
    first = execute(
        tmp_path, _notebook("a heron at dawn"), env=kernel_env(home, JPY_SESSION_NAME="one.ipynb")
    )
    second = execute(
        tmp_path, _notebook("a fox at dusk"), env=kernel_env(home, JPY_SESSION_NAME="two.ipynb")
    )
    assert "a heron at dawn" in text_of(first, "mine")
    mine, everything = text_of(second, "mine"), text_of(second, "all")
    assert "a fox at dusk" in mine and "a heron at dawn" not in mine
    assert "a fox at dusk" in everything and "a heron at dawn" in everything
    assert "of this notebook (--all for every notebook)" in mine
    panel = text_of(second, "panel").splitlines()
    assert panel[0] == "['a fox at dusk']"
    assert "a heron at dawn" in panel[1] and "a fox at dusk" in panel[1]

    unnamed = execute(tmp_path, _notebook("an owl at night"), env=kernel_env(home))
    alone = text_of(unnamed, "mine")
    assert "an owl at night" in alone
    assert "a fox at dusk" not in alone and "a heron at dawn" not in alone
