"""The README's first command, run verbatim on a copy of the checkout, opens JupyterLab
on the bundled example with notebook_dag loaded.

The command is taken from the README's "Set-up" section as written: a fresh virtual
environment, ``pip install .`` (which builds the labextension), then ``jupyter lab`` on
``examples/sales_analysis.ipynb``. Only the environment differs from a newcomer's
shell: a Jupyter config directory that lets root run the server without a browser on a
free port with a known token, and data/runtime directories of the test's own, so the
user's notebook_dag database is not touched. The page a browser would open (the URL in
the server's ``jpserver-file-to-run-*-open.html``) is then loaded in Debian's Chromium,
headless, and must show the notebook with notebook_dag's toolbar button.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TOKEN = "readme-test-token"

pytestmark = pytest.mark.deployment


def readme_first_command() -> str:
    """The first ``bash`` block of the README's "Set-up" section, as one line."""
    text = (ROOT / "README.md").read_text()
    setup = text.split("## Set-up", 1)[1]
    block = re.search(r"```bash\n(.*?)```", setup, re.S)
    assert block, "no bash block in the README's Set-up section"
    return block.group(1).strip()


def _copy_checkout(dest: Path) -> None:
    """The tracked files of the checkout as they are now (what a clone would hold)."""
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    for name in filter(None, files.decode().split("\0")):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_command_is_the_documented_one() -> None:
    command = readme_first_command()
    assert "\n" not in command
    assert command.startswith("python3 -m venv .venv && .venv/bin/pip install . && ")
    assert ".venv/bin/jupyter lab" in command and "sales_analysis.ipynb" in command


@pytest.mark.timeout(1500)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_readme_first_command_opens_the_example(tmp_path: Path) -> None:
    command = readme_first_command()
    work = tmp_path / "checkout"
    _copy_checkout(work)
    cfg, data, runtime = tmp_path / "config", tmp_path / "data", tmp_path / "runtime"
    for d in (cfg, data, runtime):
        d.mkdir()
    port = _free_port()
    (cfg / "jupyter_server_config.py").write_text(
        "c.ServerApp.allow_root = True\n"
        "c.ServerApp.open_browser = False\n"
        f"c.ServerApp.port = {port}\n"
        "c.ServerApp.port_retries = 0\n"
        f"c.IdentityProvider.token = {TOKEN!r}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "VIRTUAL_ENV", "NOTEBOOK_DAG"))}
    # a newcomer's shell: the system python3, not this test's virtual environment
    venv_bin = str(Path(os.sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != venv_bin)
    env.update(JUPYTER_CONFIG_DIR=str(cfg), JUPYTER_DATA_DIR=str(data), JUPYTER_RUNTIME_DIR=str(runtime))
    log = tmp_path / "readme-command.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(["bash", "-c", command], cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        opened = None
        deadline = time.monotonic() + 1200
        while time.monotonic() < deadline and opened is None:
            if proc.poll() is not None:
                pytest.fail(f"the README's command exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            opened = next(iter(runtime.glob("jpserver-file-to-run-*-open.html")), None)
            time.sleep(2)
        assert opened is not None, f"JupyterLab did not start in time:\n{log.read_text()[-4000:]}"
        url = re.search(r'href="([^"]+)"', opened.read_text()).group(1)
        assert url.startswith(f"http://localhost:{port}/lab/tree/sales_analysis.ipynb"), url

        # the server extension answers, with authentication
        req = urllib.request.Request(f"http://127.0.0.1:{port}/notebook-dag/api/projects",
                                     headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            assert resp.status == 200

        # what the browser shows: the example notebook, with the DAG button in its toolbar
        dom = ""
        for _ in range(3):
            dom = subprocess.run(
                [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1440,900",
                 "--virtual-time-budget=60000", "--dump-dom", url],
                capture_output=True, text=True, timeout=180,
            ).stdout
            if 'data-jp-item-name="notebookDag"' in dom:
                break
        assert re.search(r'lm-TabBar-tabLabel[^>]*>sales_analysis\.ipynb<', dom), "the example notebook is not open"
        assert 'data-jp-item-name="notebookDag"' in dom, "notebook_dag's toolbar button is missing"
        assert "jp-Notebook" in dom
        assert (work / ".venv" / "share" / "jupyter" / "labextensions" / "notebook_dag" / "package.json").is_file()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(proc.pid, signal.SIGKILL)
