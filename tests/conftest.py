"""Shared fixtures: the repository root, the strict book build, a real Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STRICT_BUILD = ["jupyter-book", "build", "book", "-W", "-n", "--keep-going"]
WARNING = re.compile(r"WARNING|ERROR|CRITICAL")


@dataclass(frozen=True)
class Build:
    html: Path
    log: str
    seconds: float
    returncode: int

    def warnings(self) -> list[str]:
        # The kernel's own "[IPKernelApp] WARNING | Kernel is running over TCP ..." line is the
        # kernel's stderr, not a Sphinx warning; every other WARNING line is.
        return [l for l in self.log.splitlines() if WARNING.search(l) and "[IPKernelApp]" not in l]


def jupyter_book() -> str:
    found = shutil.which("jupyter-book") or str(Path(sys.executable).parent / "jupyter-book")
    if not Path(found).exists():
        pytest.fail("jupyter-book is not installed: run `python -m pip install -r requirements.txt`")
    return found


def build_book(root: Path, *extra: str, env: dict[str, str] | None = None) -> Build:
    """Run the strict build in ``root`` (the README's command plus -W -n --keep-going)."""
    start = time.monotonic()
    proc = subprocess.run(
        [jupyter_book(), *STRICT_BUILD[1:], *extra],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=1800,
    )
    return Build(root / "_build" / "html", proc.stdout + proc.stderr, time.monotonic() - start, proc.returncode)


@pytest.fixture(scope="session")
def built_site() -> Build:
    """The book, built strictly in the repository (reusing its execution cache, as CI does)."""
    build = build_book(ROOT)
    assert build.returncode == 0, f"strict build failed:\n{build.log[-6000:]}"
    return build


def chromium_path() -> str | None:
    for candidate in (os.environ.get("MOBILENETS_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """Path of a real Chromium; skipped for contributors without one, fatal in CI."""
    path = chromium_path()
    if path is None:
        message = "no Chromium: install Debian's `chromium` or set MOBILENETS_CHROMIUM to a Chrome/Chromium binary"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
