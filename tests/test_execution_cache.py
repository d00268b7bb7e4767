"""The execution cache re-runs chapters when the package changes, and only then.

A one-page book in a temporary folder uses the real extension, with ``mobilenets_code_root``
pointed at a scratch copy of a "package" so the test can change it without touching code/.
"""

from __future__ import annotations

import shutil
import textwrap

import pytest

from .conftest import build_book

NOTEBOOK = """\
---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---
# Tiny

```{code-cell} ipython3
print(6 * 7)
```
"""


@pytest.fixture()
def tiny_book(tmp_path):
    (tmp_path / "code" / "pkg").mkdir(parents=True)
    (tmp_path / "code" / "pkg" / "module.py").write_text("ANSWER = 42\n")
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "index.md").write_text(NOTEBOOK)
    (tmp_path / "book" / "_toc.yml").write_text("format: jb-book\nroot: index\n")
    (tmp_path / "_config.yml").write_text(textwrap.dedent(f"""\
        title: tiny
        only_build_toc_files: true
        execute: {{execute_notebooks: cache}}
        sphinx:
          extra_extensions: [mobilenets.booktools]
          config: {{mobilenets_code_root: "{tmp_path / 'code'}"}}
        """))
    return tmp_path


def executed(build) -> bool:
    assert build.returncode == 0, build.log[-3000:]
    return "Executing notebook" in build.log


def test_cache_reuses_until_the_package_changes(tiny_book):
    assert executed(build_book(tiny_book))  # cold
    assert not executed(build_book(tiny_book))  # nothing changed
    (tiny_book / "code" / "pkg" / "module.py").write_text("ANSWER = 43\n")
    changed = build_book(tiny_book)
    assert executed(changed)
    assert "the package under" in changed.log
    assert not executed(build_book(tiny_book))  # and settles again


def test_new_files_and_pycache_are_told_apart(tiny_book):
    assert executed(build_book(tiny_book))
    (tiny_book / "code" / "pkg" / "__pycache__").mkdir()
    (tiny_book / "code" / "pkg" / "__pycache__" / "module.cpython-311.pyc").write_bytes(b"\0")
    assert not executed(build_book(tiny_book))  # bytecode is not a change
    (tiny_book / "code" / "pkg" / "extra.py").write_text("")
    assert executed(build_book(tiny_book))  # a new module is


def test_missing_generated_downloads_reexecute(tiny_book):
    # A chapter that writes a download (as the V1 chapter writes its ONNX file).
    page = tiny_book / "book" / "index.md"
    page.write_text(page.read_text().replace(
        "print(6 * 7)", "from pathlib import Path\nPath('_generated').mkdir(exist_ok=True)\nPath('_generated/f.bin').write_bytes(b'x')"))
    assert executed(build_book(tiny_book))
    assert not executed(build_book(tiny_book))
    shutil.rmtree(tiny_book / "book" / "_generated")
    rebuilt = build_book(tiny_book)
    assert executed(rebuilt) and "downloads the chapters write are missing: f.bin" in rebuilt.log
    assert (tiny_book / "book" / "_generated" / "f.bin").is_file()
