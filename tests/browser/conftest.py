"""Headless Chromium from Debian's packages, installed here when missing.

Tests that need Chromium (marker ``browser``) skip only when it cannot be installed, and say
why.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.report._finished import Finished, finished_study

_INSTALL_TIMEOUT_S = 600


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", *args],
        capture_output=True,
        text=True,
        timeout=_INSTALL_TIMEOUT_S,
        env={"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"},
    )


def _install_chromium() -> str:
    """Install Debian's chromium (refreshing the package lists if needed); '' when it worked."""
    if shutil.which("apt-get") is None:
        return "no apt-get on this machine"
    try:
        done = _apt("install", "-y", "-q", "chromium")
        if done.returncode != 0:
            _apt("update", "-q")
            done = _apt("install", "-y", "-q", "chromium")
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"apt-get failed: {e}"
    return "" if done.returncode == 0 else f"apt-get install chromium: {done.stderr[-500:]}"


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of the chromium binary; skips (saying why) only when it cannot be installed."""
    path = shutil.which("chromium")
    if path is None:
        why = _install_chromium()
        path = shutil.which("chromium")
        if path is None:
            message = f"chromium cannot be installed: {why or 'not on PATH after install'}"
            print(message)
            pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Finished:
    """A finished 4-trial study with learnable activations and its artifacts."""
    return finished_study(tmp_path_factory.getbasetemp() / "finished-study")


@pytest.fixture(scope="session")
def test_artifacts() -> Path:
    """Where browser tests leave screenshots and page dumps (gitignored ``test-artifacts/``)."""
    folder = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
