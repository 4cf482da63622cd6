"""optuna-dashboard in a real browser: the study, its trials and a trial's image artifact."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.report._finished import Finished

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",  # loopback only
    "--virtual-time-budget=10000",
    "--window-size=1400,1000",
)
_START_TIMEOUT_S = 60
_BROWSER_TIMEOUT_S = 90
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(url: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"dashboard exited: {process.stdout.read() if process.stdout else ''}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"dashboard did not answer at {url} within {_START_TIMEOUT_S} s")


@pytest.fixture
def dashboard(finished: Finished) -> Iterator[str]:
    """``automl-sparse dashboard NAME`` on a free loopback port; yields the printed study URL."""
    port = _free_port()
    command = [sys.executable, "-c", "from automl_sparse.cli import main; main()", "dashboard",
               finished.name, "--storage", finished.url, "--port", str(port)]  # fmt: skip
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"},
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/dashboard/studies/\d+", line)
        assert match, f"no study URL in {line!r}"
        _wait_for(f"http://127.0.0.1:{port}/api/studies", process)
        yield match.group(0)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _chromium(chromium: str, profile: Path, *args: str) -> str:
    done = subprocess.run(
        [chromium, *_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=_BROWSER_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_dashboard_shows_study_trials_and_an_image_artifact(
    chromium: str, dashboard: str, finished: Finished, tmp_path: Path, test_artifacts: Path
) -> None:
    trials_page = f"{dashboard}/trials"
    dom = _chromium(chromium, tmp_path / "profile", "--dump-dom", trials_page)
    (test_artifacts / "dashboard_trials.html").write_text(dom)
    assert finished.name in dom
    for trial in finished.load().trials:
        assert f"Trial {trial.number}" in dom
    images = dict(re.findall(r'<img[^>]*alt="([^"]+\.png)"[^>]*src="(/artifacts/[^"]+)"', dom))
    assert "layer_sparsity.png" in images, "no image artifact on the trial page"
    origin = dashboard.split("/dashboard")[0]
    with urllib.request.urlopen(origin + images["layer_sparsity.png"], timeout=10) as response:
        assert response.read(8) == PNG_SIGNATURE
    shot = test_artifacts / "dashboard_trials.png"
    _chromium(chromium, tmp_path / "profile", f"--screenshot={shot}", trials_page)
    assert shot.read_bytes()[:8] == PNG_SIGNATURE
    print(f"screenshot: {shot}")
