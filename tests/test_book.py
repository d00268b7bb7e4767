"""The strict build and what it puts in the HTML: pages, figures, plotly.js, downloads, citations."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import onnx

from mobilenets import booktools

from .conftest import ROOT, build_book

PAGES = ["intro", "mobilenet_v1", "mobilenet_v2", "mobilenet_v3", "nas_netadapt", "training", "references"]


class _Page(HTMLParser):
    """Collects script sources, links and the JSON specs of Plotly figures from a page."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[str] = []
        self.links: list[str] = []
        self.figures: list[dict] = []
        self._in_figure_json = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        self._in_figure_json = tag == "script" and a.get("type") == "application/json" and self._figure_open
        if tag == "div" and "mobilenets-plotly" in (a.get("class") or "").split():
            self._figure_open = True

    _figure_open = False

    def handle_data(self, data):
        if self._in_figure_json:
            self.figures.append(json.loads(data))
            self._in_figure_json = self._figure_open = False


def array(value) -> np.ndarray:
    """A Plotly data array: plain JSON list, or plotly >= 6's typed array {dtype, bdata}."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def page(built_site, name: str) -> _Page:
    return _Page((built_site.html / f"{name}.html").read_text())


def test_strict_build_has_zero_warnings(built_site):
    assert built_site.warnings() == []
    assert "mystnb.unknown_mime_type" not in built_site.log


def test_every_part_of_the_book_is_built(built_site):
    for name in PAGES:
        assert (built_site.html / f"{name}.html").is_file(), name
    assert (built_site.html / "index.html").is_file()


def test_v1_page_has_the_three_surfaces_and_the_layer_chart(built_site):
    figures = page(built_site, "mobilenet_v1").figures
    assert len(figures) >= 4
    surfaces = [f for f in figures if f["data"] and f["data"][0]["type"] == "surface"]
    assert len(surfaces) == 3
    axes = [(s["layout"]["scene"]["xaxis"]["title"]["text"], s["layout"]["scene"]["yaxis"]["title"]["text"]) for s in surfaces]
    # The original notebook plotted α on the x axis of the (ρ, N) surface: here ρ must be there.
    assert axes == [("α", "N"), ("ρ", "N"), ("α", "ρ")]
    rho_axis = array(surfaces[1]["data"][0]["x"])
    assert min(rho_axis) > 0.5 and max(rho_axis) == 1.0
    bars = [f for f in figures if any(t["type"] == "bar" for t in f["data"])]
    assert bars, "per-layer cost chart missing"


def test_plotly_js_is_served_from_the_site_once_per_figure_page(built_site):
    served = built_site.html / "_static" / booktools.plotly_js_name()
    assert served.read_bytes() == booktools.plotly_js().read_bytes()  # the installed package's copy
    v1_scripts = page(built_site, "mobilenet_v1").scripts
    plotly_scripts = [s.split("?")[0] for s in v1_scripts if booktools.plotly_js_name() in s]  # ?v= cache buster
    assert plotly_scripts == [f"_static/{booktools.plotly_js_name()}"]
    for name in ("mobilenet_v2", "references"):  # no figures, no 4.6 MB script
        assert not any("plotly" in s for s in page(built_site, name).scripts)
    for name in PAGES:  # nothing from a CDN
        assert not any(re.match(r"(https?:)?//", s) for s in page(built_site, name).scripts)


def test_v1_page_links_an_onnx_file_that_onnx_checker_accepts(built_site):
    links = [l for l in page(built_site, "mobilenet_v1").links if l.endswith(".onnx")]
    assert len(links) == 1
    path = built_site.html / links[0]
    assert path.stat().st_size > 1_000_000
    onnx.checker.check_model(str(path), full_check=True)


def test_numbers_in_prose_are_glued_not_typed(built_site):
    html = (built_site.html / "mobilenet_v1.html").read_text()
    assert "{glue" not in html
    assert "profile cpu" in html or "profile gpu" in html  # the provenance line
    assert re.search(r"and our count gives <span[^>]*>.*?1\.91", html, re.S)


def test_citations_resolve_to_the_bibliography(built_site):
    html = (built_site.html / "references.html").read_text()
    for author in ("Howard", "Sandler", "Yang", "Tan"):
        assert author in html
    assert 'href="references.html#id' in (built_site.html / "mobilenet_v1.html").read_text()


def test_rebuild_with_nothing_changed_executes_nothing(built_site):
    again = build_book(ROOT)
    assert again.returncode == 0, again.log[-3000:]
    assert "Executing notebook" not in again.log
    assert "re-executing every chapter" not in again.log


def test_book_toc_is_the_top_level_toc():
    toc = ROOT / "book" / "_toc.yml"
    assert toc.is_symlink() and toc.resolve() == (ROOT / "_toc.yml").resolve()
