"""The lowest-versions constraints are the declared minimums, and they keep Colab's pins.

CI installs .ci/lowest-versions.txt exactly and runs the tests there (.ci/lowest); that proves
the minimums in pyproject.toml only while the two files agree, which is what this checks.
"""

from __future__ import annotations

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.install.conftest import ROOT

# Google Colab's runtime (googlecolab/backend-info, pip-freeze.txt, August 2026).
COLAB = {"ipython": "7.34.0", "ipykernel": "6.17.1", "ipywidgets": "7.7.1", "traitlets": "5.7.1"}


def _pins() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / ".ci" / "lowest-versions.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonicalize_name(name)] = Version(version)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in project["dependencies"] + extras["keyring"]]


def test_every_declared_minimum_is_pinned_exactly() -> None:
    pins = _pins()
    for requirement in _declared():
        name = canonicalize_name(requirement.name)
        minimums = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert minimums, f"{requirement} declares no minimum"
        assert name in pins, f"{name} is missing from .ci/lowest-versions.txt"
        assert pins[name] == minimums[0], f"{name}: pinned {pins[name]}, declared {minimums[0]}"


def test_colabs_pinned_versions_satisfy_the_declared_ranges() -> None:
    pins = _pins()
    declared = {canonicalize_name(r.name): r for r in _declared()}
    for name, version in COLAB.items():
        assert pins[name] == Version(version)
        if name in declared:
            assert declared[name].specifier.contains(version), f"{name} {version} is excluded"
