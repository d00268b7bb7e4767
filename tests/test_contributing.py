"""The chapter template in CONTRIBUTING.md builds strictly, as a new contributor would use it."""

from __future__ import annotations

import re
import shutil

from .conftest import ROOT, build_book


def test_chapter_template_builds_with_zero_warnings(tmp_path):
    text = (ROOT / "CONTRIBUTING.md").read_text()
    template = re.search(r"````markdown\n(.*?)\n````", text, re.S)
    assert template, "CONTRIBUTING.md lost its chapter template"
    book = tmp_path / "book"
    book.mkdir()
    (book / "my_chapter.md").write_text(template.group(1))
    (book / "_toc.yml").write_text("format: jb-book\nroot: my_chapter\nchapters:\n  - file: references\n")
    for name in ("references.bib", "references.md"):
        shutil.copy(ROOT / "book" / name, book / name)
    config = (ROOT / "_config.yml").read_text()
    (tmp_path / "_config.yml").write_text(config)  # the book's own configuration
    build = build_book(tmp_path)
    assert build.returncode == 0, build.log[-4000:]
    assert build.warnings() == []
    html = (build.html / "my_chapter.html").read_text()
    assert "{glue" not in html and "M mult-adds" in html
    assert html.count('class="mobilenets-plotly"') == 1
