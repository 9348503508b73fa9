"""The lab as a learner runs it (`python kit.py lab` in a terminal), and JupyterLab driven in headless Chromium.

Shared by tests/browser/ and bench/lab_start.py. LabProcess starts the real command in its own process
group, on a fresh local-cloud state folder and a fresh working copy, and stops it with Ctrl-C (SIGINT to
the group, as a terminal does). Lab drives JupyterLab's own menus with Selenium; Selenium Manager is never
used (the driver's path is given), so nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
URL_LINE = re.compile(r"^JupyterLab: (http://127\.0\.0\.1:(\d+)/lab\?token=(\w+))$")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMEDRIVER_NAMES = ("chromedriver",)


def chromium_paths() -> tuple[str, str] | None:
    """(browser, driver) from $CHROME_BIN / $CHROMEDRIVER or the PATH (Debian: chromium, chromium-driver)."""
    browser = os.environ.get("CHROME_BIN") or next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)
    driver = os.environ.get("CHROMEDRIVER") or next(filter(None, map(shutil.which, CHROMEDRIVER_NAMES)), None)
    found = browser and driver and Path(browser).is_file() and Path(driver).is_file()
    return (browser, driver) if found else None  # type: ignore[return-value]


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabProcess:
    """`python kit.py lab --no-browser --port N` on its own local cloud and its own copy of the notebooks."""

    def __init__(self, work: Path, *, port: int | None = None) -> None:
        self.port = port or free_port()
        self.state_dir = work / "state"
        self.copy_dir = ROOT / f"my-notebooks-test-{uuid.uuid4().hex[:8]}"  # beside notebooks/, git-ignored
        self.jupyter_dirs = work / "jupyter"
        self.lines: list[str] = []
        self.proc: subprocess.Popen | None = None
        self.url = self.token = ""
        self._reader: threading.Thread | None = None

    def environment(self) -> dict[str, str]:
        j = self.jupyter_dirs
        return {
            **os.environ,
            "WORKSHOP_STATE_DIR": str(self.state_dir),
            "WORKSHOP_LAB_DIR": str(self.copy_dir),
            "WORKSHOP_PREFIX": "",
            "WORKSHOP_TARGET": "local",
            # JupyterLab's own state (workspaces, settings, kernels' connection files) kept out of ~/
            "JUPYTERLAB_WORKSPACES_DIR": str(j / "workspaces"),
            "JUPYTERLAB_SETTINGS_DIR": str(j / "settings"),
            "JUPYTER_RUNTIME_DIR": str(j / "runtime"),
            "PYTHONUNBUFFERED": "1",
        }

    def start(self, timeout: float = 120.0) -> str:
        """Start the lab; return its URL once it printed it (the server then answers)."""
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "kit.py"), "lab", "--no-browser", "--port", str(self.port)],
            cwd=ROOT,
            env=self.environment(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: SIGINT to it is a terminal's Ctrl-C
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if m := URL_LINE.match(line):
                    self.url, self.token = m.group(1), m.group(3)
                    return self.url
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise RuntimeError("the lab did not print its URL:\n" + self.output())

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def output(self) -> str:
        return "\n".join(self.lines)

    def processes(self) -> list[psutil.Process]:
        """The lab and everything it runs now (kit.py, the lab, JupyterLab, kernels, the cloud, its workers)."""
        assert self.proc is not None
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def api(self, path: str, method: str = "GET") -> object:
        return self.api_post(path, None, method=method)

    def api_post(self, path: str, body: bytes | None, method: str = "POST") -> object:
        """A call to JupyterLab's REST API with the lab's token."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=body,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every notebook session (and its kernel), as Kernel > Shut Down All Kernels does."""
        for session in self.api("/api/sessions"):  # type: ignore[union-attr]
            self.api(f"/api/sessions/{session['id']}", method="DELETE")

    def stop(self, timeout: float = 90.0) -> int:
        """Ctrl-C, as in the learner's terminal; wait for the lab to clean up; return its exit code."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self._reader is not None:
            self._reader.join(5)
        return self.proc.returncode

    def remove_copy(self) -> None:
        shutil.rmtree(self.copy_dir, ignore_errors=True)


# --- JupyterLab in headless Chromium ---------------------------------------------------------------------

_STATE_JS = """
const panel = [...document.querySelectorAll('.jp-NotebookPanel')].find(p => !p.classList.contains('lm-mod-hidden'));
if (!panel) { return null; }
const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent.trim());
const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
const outputs = [...panel.querySelectorAll('.jp-OutputArea-output')].map(
    o => [o.getAttribute('data-mime-type') || '', o.textContent]);
return {prompts: prompts, status: indicator ? indicator.getAttribute('data-status') : null, outputs: outputs,
        kernel: (document.querySelector('.jp-StatusBar-Widget') || {textContent: ''}).textContent,
        dirty: document.querySelectorAll('.lm-DockPanel-tabBar .lm-TabBar-tab.jp-mod-dirty').length};
"""
TRACEBACK = "Traceback (most recent call last)"
WORKSHOP_ERROR = re.compile(r"[A-Z]\w*(?:Error|Failed|Timeout|NotFound|Conflict|Input)\w*: ")


class LabBrowser:
    """JupyterLab's page in headless Chromium, driven through its menus as a learner would click them."""

    def __init__(self, lab: LabProcess, browser: str, driver: str, size: tuple[int, int] = (1280, 1000)) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-dev-shm-usage",
            "--disable-gpu",
            f"--window-size={size[0]},{size[1]}",
        ):
            options.add_argument(arg)
        # The driver's path is given, so Selenium Manager (which would download a driver) never runs.
        self.driver = webdriver.Chrome(service=Service(executable_path=driver), options=options)
        self.lab = lab

    def quit(self) -> None:
        self.driver.quit()

    def state(self) -> dict | None:
        return self.driver.execute_script(_STATE_JS)

    def wait(self, predicate, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.state()
            if state is not None and predicate(state):
                return state
            time.sleep(0.1)
        raise TimeoutError(f"JupyterLab: {what} did not happen within {timeout:.0f} s; last state: {state}")

    def home(self, timeout: float = 90.0) -> None:
        """Load JupyterLab with a fresh layout (?reset) and wait for the file browser to list the notebooks."""
        from selenium.webdriver.common.by import By

        self.driver.get(f"http://127.0.0.1:{self.lab.port}/lab?reset&token={self.lab.token}")
        deadline = time.monotonic() + timeout
        while not self.driver.find_elements(By.CSS_SELECTOR, ".jp-DirListing-item"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"JupyterLab's file browser listed nothing within {timeout:.0f} s")
            time.sleep(0.1)

    def open(self, notebook: str, timeout: float = 90.0) -> dict:
        """Double-click the notebook in the file browser; wait until its kernel is idle."""
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By

        deadline = time.monotonic() + timeout
        while True:  # the file browser's entry, once it is laid out
            items = self.driver.find_elements(By.CSS_SELECTOR, ".jp-DirListing-item")
            found = [i for i in items if (i.get_attribute("title") or "").startswith(f"Name: {notebook}\n")]
            if found and found[0].is_displayed() and found[0].size["height"] > 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{notebook} is not in JupyterLab's file browser")
            time.sleep(0.1)
        ActionChains(self.driver).double_click(found[0]).perform()
        return self.wait(
            lambda s: (
                bool(s["prompts"]) and s["status"] == "idle" and "Idle" in s["kernel"] and notebook in s["kernel"]
            ),
            timeout,
            f"{notebook} open with its kernel idle",
        )

    def close(self) -> None:
        """File > Save Notebook, File > Close All Tabs, then end the kernels (Kernel > Shut Down All Kernels)."""
        self.menu("File", "docmanager:save")
        self.wait(lambda s: s["dirty"] == 0, 30, "the notebook saved")
        self.menu("File", "application:close-all")
        deadline = time.monotonic() + 10
        while self.state() is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        self.lab.shut_down_kernels()

    def menu(self, menu: str, command: str) -> None:
        """Click a top menu, then one of its items (by its JupyterLab command id)."""
        from selenium.webdriver.common.by import By

        item = next(e for e in self.driver.find_elements(By.CSS_SELECTOR, ".lm-MenuBar-item") if e.text == menu)
        item.click()
        self.driver.find_element(By.CSS_SELECTOR, f".lm-Menu-item[data-command='{command}']").click()

    def run_all(self, timeout: float = 300.0) -> dict:
        """Run > Run All Cells; wait until no cell is queued or running and the kernel is idle again."""
        self.menu("Run", "runmenu:run-all")
        self.wait(lambda s: any(p == "[*]:" or p[1:-2].isdigit() for p in s["prompts"]), 30, "the run to start")
        return self.wait(
            lambda s: "[*]:" not in s["prompts"] and s["status"] == "idle" and "Idle" in s["kernel"],
            timeout,
            "the run to end",
        )

    def scroll_to(self, text: str) -> None:
        """Scroll the first output that contains ``text`` into view (for the screenshot)."""
        self.driver.execute_script(
            "const o = [...document.querySelectorAll('.jp-OutputArea-output')]"
            ".find(e => e.textContent.includes(arguments[0])); if (o) { o.scrollIntoView({block: 'start'}); }",
            text,
        )
        time.sleep(0.3)

    def scroll_to_end(self) -> None:
        """Scroll the notebook's last output into view (the last check, for the screenshot)."""
        self.driver.execute_script(
            "const o = [...document.querySelectorAll('.jp-OutputArea-output')].pop();"
            "if (o) { o.scrollIntoView({block: 'end'}); }"
        )
        time.sleep(0.3)

    def screenshot(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(path))
        return path


def check_marks(state: dict) -> list[str]:
    """The lines wl.check printed ("✔ ..."), in order."""
    return [
        line for _, text in state["outputs"] for line in text.splitlines() if line.startswith("\N{HEAVY CHECK MARK} ")
    ]


def errors(state: dict) -> list[str]:
    """Outputs that are a Python error, not merely text on stderr: a traceback, or a WorkshopError, which a notebook
    shows as its name, message and fix alone (errors.WorkshopError._render_traceback_)."""
    return [text for _, text in state["outputs"] if TRACEBACK in text or WORKSHOP_ERROR.match(text)]


def saved_outputs(path: Path) -> tuple[list[int | None], list[dict]]:
    """Execution counts of the saved notebook's code cells, and its error outputs."""
    cells = [c for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
    failures = [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    return [c.get("execution_count") for c in cells], failures
