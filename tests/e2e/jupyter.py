"""Real Jupyter servers and a real browser for end-to-end tests.

``JupyterServer`` starts JupyterLab (or Notebook 7) on a free loopback port with a throwaway
token, settings and workspace folder, so a test sees exactly what a person would on a fresh
install. ``Lab`` drives the page through Playwright in Debian's Chromium: open a notebook, run
all cells, wait for the kernel, save, and reopen with no kernel.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = os.environ.get("FLOW_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def free_port() -> int:
    """Ask the OS for a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user_settings(settings_dir: Path, *, save_widget_state: bool) -> None:
    """Quiet JupyterLab (no news, no update checks) and choose whether widget state is saved."""
    files: dict[str, dict[str, Any]] = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {
            "saveState": save_widget_state
        },
    }
    for name, content in files.items():
        path = settings_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(content))


class JupyterServer:
    """A JupyterLab or Notebook 7 server on loopback, rooted at ``root``.

    ``save_widget_state`` is off by default, as in JupyterLab itself (``saveState`` of the
    widget manager): a reopened notebook then holds widget outputs whose models are gone.
    """

    def __init__(
        self,
        root: Path,
        *,
        app: str = "lab",
        save_widget_state: bool = False,
        env: dict[str, str] | None = None,
    ) -> None:
        self.root = root
        self.app = app
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._state = root.parent / f".jupyter-state-{self.port}"
        self._save_widget_state = save_widget_state
        self._env = env or {}
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_file: Any = None
        self._log = self._state / "server.log"

    def start(self, timeout: float = 90.0) -> JupyterServer:
        """Start the server and wait until its API answers (stopping it again on failure)."""
        try:
            return self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> JupyterServer:
        settings = self._state / "settings"
        workspaces = self._state / "workspaces"
        runtime = self._state / "runtime"
        for folder in (settings, workspaces, runtime):
            folder.mkdir(parents=True, exist_ok=True)
        _user_settings(settings, save_widget_state=self._save_widget_state)
        env = {
            **os.environ,
            "JUPYTERLAB_SETTINGS_DIR": str(settings),
            "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
            "JUPYTER_RUNTIME_DIR": str(runtime),
            "JUPYTER_PLATFORM_DIRS": "1",
            **self._env,
        }
        env.pop("USEAPI_TOKEN", None)
        command = [
            sys.executable,
            "-m",
            "jupyterlab" if self.app == "lab" else "notebook",
            "--no-browser",
            f"--port={self.port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
            "--allow-root",
        ]
        self._log.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self._log.open("wb")
        self._proc = subprocess.Popen(
            command, cwd=self.root, env=env, stdout=self._log_file, stderr=self._log_file
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"jupyter exited early:\n{self.log_text()}")
            try:
                response = httpx.get(
                    f"{self.base_url}/api/status", params={"token": self.token}, timeout=2
                )
                if response.status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError(f"jupyter did not start in {timeout} s:\n{self.log_text()}")

    def url(self, notebook: str) -> str:
        """The browser URL that opens ``notebook`` in this server's app."""
        path = "lab/tree" if self.app == "lab" else "notebooks"
        return f"{self.base_url}/{path}/{notebook}?token={self.token}"

    def log_text(self) -> str:
        """The server's combined output so far (for failure messages)."""
        return self._log.read_text(errors="replace") if self._log.exists() else ""

    def shutdown_kernels(self) -> None:
        """Stop every running kernel, so a reopened notebook has none."""
        headers = {"Authorization": f"token {self.token}"}
        kernels = httpx.get(f"{self.base_url}/api/kernels", headers=headers, timeout=10).json()
        for kernel in kernels:
            httpx.delete(f"{self.base_url}/api/kernels/{kernel['id']}", headers=headers, timeout=10)

    def stop(self) -> None:
        """Stop the server and remove its state folder."""
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait(timeout=10)
        if self._log_file is not None:
            self._log_file.close()
        shutil.rmtree(self._state, ignore_errors=True)

    def __enter__(self) -> JupyterServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def write_notebook(path: Path, *sources: str) -> None:
    """Write a notebook of code cells (for the python3 kernel) to ``path``."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)


def launch_chromium(playwright: Any) -> Any:
    """Launch Debian's Chromium headless (never a downloaded browser)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class Lab:
    """Drives one notebook in JupyterLab through a Playwright page."""

    def __init__(self, page: Any, server: JupyterServer) -> None:
        self.page = page
        self.server = server

    def open(self, notebook: str, *, wait_kernel: bool = True, timeout: float = 60_000) -> None:
        """Open ``notebook`` and wait until the notebook (and its kernel) is ready."""
        self.page.goto(self.server.url(notebook))
        self.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=timeout)
        if wait_kernel:
            self.wait_idle(timeout=timeout)

    def wait_idle(self, timeout: float = 60_000) -> None:
        """Wait until the kernel status indicator says idle."""
        self.page.wait_for_selector(
            ".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=timeout
        )

    def run_command(self, command: str) -> None:
        """Run a JupyterLab command by its id through the command palette-free app API."""
        self.page.evaluate(
            """async (command) => {
                const app = window.jupyterapp || window.jupyterlab;
                if (app) { await app.commands.execute(command); return; }
                throw new Error('no app handle');
            }""",
            command,
        )

    def dismiss_kernel_choice(self) -> bool:
        """Cancel a "Select Kernel" dialog, leaving the running kernel as it is; True if one was
        open.

        On a busy machine JupyterLab may ask even though the notebook's kernel is already
        running; the modal dialog would swallow every later click, and accepting it would start
        a second kernel halfway through a run. Cancelling changes nothing.
        """
        from playwright.sync_api import Error as PlaywrightError

        dialog = self.page.locator(".jp-Dialog:has-text('Select Kernel')")
        if not dialog.count():
            return False
        # A press can land while the dialog is still being put up, and be lost (seen with both
        # cores busy): press again, by the button and then by Escape, until it has gone.
        for attempt in range(12):
            try:
                if attempt % 2 == 0:
                    dialog.locator(".jp-mod-reject").click(timeout=5_000)
                else:
                    dialog.press("Escape", timeout=5_000)
                dialog.wait_for(state="detached", timeout=5_000)
                return True
            except PlaywrightError:
                if not dialog.count():
                    return True
        raise AssertionError("the 'Select Kernel' dialog stayed open after 12 presses")

    def run_all(self, timeout: float = 240_000, *, attempts: int = 3) -> None:
        """Run every cell and wait until none is pending.

        The menu click is retried (after closing a late kernel dialog) when no cell starts
        within 20 s, so a dialog or a dropped click cannot turn into a silent timeout.
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        started = """() => [...document.querySelectorAll('.jp-InputArea-prompt')]
            .some(p => p.textContent.includes('*') || /\\d/.test(p.textContent))"""
        for attempt in range(1, attempts + 1):
            try:
                self.dismiss_kernel_choice()
                # its top-left corner (padding): a click in the middle can land on the
                # footer under the last cell, which adds a new empty cell that never runs
                self.page.click(".jp-Notebook", position={"x": 3, "y": 3}, timeout=10_000)
                self.page.keyboard.press("Escape")
                self._menu("Run", "Run All Cells")
                self.page.wait_for_function(started, timeout=20_000)
                break
            except PlaywrightTimeout:
                if attempt == attempts:
                    raise
        self._finish_run(timeout)

    def _finish_run(self, timeout: float) -> None:
        """Wait until every code cell has run, as a person watching the run would make sure.

        On a busy machine JupyterLab may put up its "Select Kernel" dialog in the middle of a
        run, and the cells not yet sent then never run: the dialog is cancelled (see
        :meth:`dismiss_kernel_choice`) and the cells still unrun are run one by one.
        """
        state = """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-Notebook .jp-Cell.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
            return {
                running: prompts.some(p => p.includes('*')),
                unrun: prompts.map((p, i) => /\\d/.test(p) ? -1 : i).filter(i => i >= 0),
            };
        }"""
        deadline = time.monotonic() + timeout / 1000
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            self.dismiss_kernel_choice()
            now = self.page.evaluate(state)
            if now["running"]:
                quiet_since = None
            elif not now["unrun"]:
                return
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 5.0:  # the run stopped short
                left = (deadline - time.monotonic()) * 1000
                for index in now["unrun"]:
                    self.run_cell(index, timeout=max(left, 60_000))
                return
            time.sleep(0.25)
        raise AssertionError(f"cells still running or unrun after {timeout / 1000:.0f} s")

    def run_cell(self, index: int, timeout: float = 60_000) -> str:
        """Run code cell ``index`` (Shift+Enter, asked again until it starts) and return the
        text of its output once it has finished."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        cell = self.page.locator(".jp-Notebook .jp-Cell.jp-CodeCell").nth(index)
        before = cell.locator(".jp-InputArea-prompt").inner_text()
        for _attempt in range(6):
            self.dismiss_kernel_choice()
            cell.locator(".jp-InputPrompt").click()
            self.page.keyboard.press("Escape")
            self.page.keyboard.press("Shift+Enter")
            try:
                self.page.wait_for_function(
                    """([i, before]) => {
                        const p = document.querySelectorAll('.jp-Notebook .jp-Cell.jp-CodeCell')[i]
                            .querySelector('.jp-InputArea-prompt').textContent;
                        return p !== before && /\\d/.test(p) && !p.includes('*');
                    }""",
                    arg=[index, before],
                    timeout=timeout / 6,
                )
                break
            except PlaywrightTimeout:
                continue
        return str(cell.locator(".jp-OutputArea").inner_text())

    def save(self) -> None:
        """Save the notebook (Ctrl+S) and wait until JupyterLab reports it clean."""
        self.page.click(".jp-Notebook")
        self.page.keyboard.press("Control+s")
        self.page.wait_for_function(
            "() => !document.querySelector('.jp-mod-current .jp-mod-dirty, "
            ".lm-TabBar-tab.jp-mod-current.jp-mod-dirty')",
            timeout=30_000,
        )

    def _menu(self, top: str, item: str) -> None:
        self.page.click(f".lm-MenuBar-itemLabel:text-is('{top}')", timeout=10_000)
        self.page.click(f".lm-Menu-itemLabel:text-is('{item}')", timeout=10_000)

    def screenshot(self, name: str) -> Path:
        """Save a full-page screenshot under ``artifacts/`` (not committed) and return its path."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path
