"""A kernel whose environment lacks one of the simulator's packages gets one line, no traceback.

The simulator's packages are core dependencies, so a normal ``pip install`` has them; this is the
environment that lost one anyway (``--no-deps``, a package removed by hand). The package is
hidden from a fresh IPython process by a ``sys.modules`` entry of ``None`` — the way Python
itself marks a module as unimportable — because uninstalling it from the test environment is not
an option.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = """
import sys
sys.modules[{blocked!r}] = None
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "flow_widgets")
result = ip.run_cell("%%flow_video --wait\\na red fox in the snow\\n", store_history=False)
print("ERROR-TYPE:", type(result.error_in_exec).__name__)
ip.run_line_magic("unload_ext", "flow_widgets")
"""


@pytest.mark.parametrize("blocked", ["uvicorn", "av", "PIL"])
def test_the_first_magic_names_the_missing_package_in_one_line(
    blocked: str, tmp_path: Path, isolated_environment: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(blocked=blocked)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "ERROR-TYPE: UsageError" in output
    lines = [line for line in output.splitlines() if "built-in simulator needs" in line]
    assert len(lines) == 1, output
    assert f"'{blocked}'" in lines[0] and "pip install --upgrade flow-widgets" in lines[0]
    assert "Traceback" not in output
    assert not (tmp_path / "flow_media").exists()
