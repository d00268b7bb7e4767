"""The book builds with no network at all: in a fresh network namespace that has only loopback.

Needs root and util-linux's ``unshare`` (CI here runs as root); skipped elsewhere with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from .conftest import ROOT, STRICT_BUILD, Build, jupyter_book

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"),
    reason="needs root, unshare and ip to build inside a network namespace without network",
)


def test_strict_build_in_a_namespace_without_network(tmp_path):
    copy = tmp_path / "book-copy"
    shutil.copytree(ROOT, copy, symlinks=True, ignore=shutil.ignore_patterns("_build", "_generated", ".git"))
    script = f"ip link set lo up && ip -o link && {jupyter_book()} {' '.join(STRICT_BUILD[1:])}"
    proc = subprocess.run(["unshare", "--net", "sh", "-c", script], cwd=copy, capture_output=True, text=True,
                          timeout=1800)  # fmt: skip
    build = Build(copy / "_build" / "html", proc.stdout + proc.stderr, 0.0, proc.returncode)
    interfaces = [line.split(":")[1].strip() for line in proc.stdout.splitlines() if line[:1].isdigit()]
    assert interfaces == ["lo"], f"the namespace should have only loopback: {interfaces}"
    assert build.returncode == 0, build.log[-4000:]
    assert build.warnings() == []
    assert "Executing notebook" in build.log  # a cold build: every chapter ran offline
    assert (build.html / "mobilenet_v1.html").is_file()
