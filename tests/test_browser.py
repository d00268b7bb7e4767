"""The built site in a real browser: Playwright driving the system's Chromium.

The strict build (``built_site``) is served from ``_build/html`` over HTTP on 127.0.0.1, and every
page is opened with off-site requests aborted, so nothing here touches the network; off-site
requests are still recorded, and fail the tests that check for them.

Chromium runs with ``--disable-gpu``; WebGL then falls back to SwiftShader (software rendering via
ANGLE), which is enough for Plotly's 3-D surfaces: their WebGL canvases render, and dragging one
rotates the camera. The 3-D checks below therefore look at real canvases, not just the scene
container.
"""

from __future__ import annotations

import functools
import http.server
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
V1 = "mobilenet_v1.html"
V2 = "mobilenet_v2.html"
FIGURE = "div.mobilenets-plotly"
PLOTLY_JS = re.compile(r"^plotly-[0-9][0-9.]*\.min\.js$")
LOCAL_SCHEMES = {"data", "blob", "about"}  # never leave the machine

# A figure is drawn when Plotly has taken its container over: the js-plotly-plot class and an SVG.
FIGURES_JS = """() => [...document.querySelectorAll('div.mobilenets-plotly')].map(d => {
  const box = d.getBoundingClientRect();
  const L = d._fullLayout || {};
  return {
    plotly: d.classList.contains('js-plotly-plot'),
    svg: d.querySelectorAll('.main-svg').length,
    width: box.width, height: box.height,
    modebar: d.querySelectorAll('.modebar-btn').length,
    offsite_buttons: d.querySelectorAll('.modebar-btn[data-title^="Share chart"], a.modebar-btn[href^="http"]').length,
    scenes: Object.keys(L).filter(k => /^scene\\d*$/.test(k)).length,
    canvases: [...d.querySelectorAll('.gl-container canvas')].filter(c => c.width > 0 && c.height > 0).length,
    cartesian: d.querySelectorAll('.nsewdrag').length,
    text: d.textContent,
  };
})"""
ALL_DRAWN_JS = """() => { const figs = document.querySelectorAll('div.mobilenets-plotly');
  return figs.length > 0
    && [...figs].every(d => d.classList.contains('js-plotly-plot') && d.querySelector('.main-svg')); }"""
# What a drag changes: the 3-D camera of a scene, or the axis ranges of a 2-D plot (box zoom).
VIEW_JS = """d => { const L = d._fullLayout, out = {}, r = v => (typeof v === 'number' ? Math.round(v * 1e6) / 1e6 : v);
  for (const k of Object.keys(L)) {
    if (/^scene\\d*$/.test(k) && L[k]._scene) {
      const e = L[k]._scene.getCamera().eye;
      out[k] = [r(e.x), r(e.y), r(e.z)];
    }
    if (/^[xy]axis\\d*$/.test(k)) out[k] = L[k].range.map(r);
  }
  return JSON.stringify(out); }"""
# The mode bar's buttons that undo a drag: "Reset camera to default" (3-D) and "Reset axes" (2-D).
RESET_BUTTONS = '.modebar-btn[data-attr="resetDefault"], .modebar-btn[data-attr="zoom"][data-val="reset"]'


# --- fixtures ------------------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the base class's name
        pass


@pytest.fixture(scope="session")
def site(built_site) -> Iterator[str]:
    """Base URL (``http://127.0.0.1:PORT/``) of ``_build/html``, served for the whole session."""
    handler = functools.partial(_QuietHandler, directory=str(built_site.html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port 0: a free port
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """Everything one page did: its requests, console messages and uncaught errors."""

    base: str
    requests: list[str] = field(default_factory=list)
    aborted: list[str] = field(default_factory=list)
    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, source URL)
    page_errors: list[str] = field(default_factory=list)

    def on_site(self, url: str) -> bool:
        parts, base = urlsplit(url), urlsplit(self.base)
        return parts.scheme in LOCAL_SCHEMES or (parts.scheme in {"http", "ws"} and parts.netloc == base.netloc)

    def offsite(self) -> list[str]:
        return [url for url in self.requests if not self.on_site(url)]

    def console_errors(self) -> list[str]:
        # A blocked off-site load logs "Failed to load resource"; that is this test's own blocking
        # (a reader's browser would fetch it), and the off-site test reports the request itself.
        return [
            f"{text} ({source})"
            for kind, text, source in self.console
            if kind == "error" and not (text.startswith("Failed to load resource") and source in self.aborted)
        ]


def open_page(browser: Browser, site: str, path: str, wait_until: str = "networkidle") -> tuple[Page, Visit]:
    """Open ``path`` in a fresh context (empty storage), recording it; off-site requests abort."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    page = context.new_page()
    record = Visit(site)
    page.on("request", lambda request: record.requests.append(request.url))
    page.on("websocket", lambda ws: record.requests.append(ws.url))
    page.on("console", lambda msg: record.console.append((msg.type, msg.text, msg.location.get("url", ""))))
    page.on("pageerror", lambda error: record.page_errors.append(str(error)))

    def guard(route) -> None:
        if record.on_site(route.request.url):
            route.continue_()
        else:  # never touch the network; the request event has already recorded it
            record.aborted.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    response = page.goto(site + path, wait_until=wait_until)
    assert response is not None and response.ok, f"{path}: HTTP {response and response.status}"
    return page, record


@pytest.fixture
def visit(browser: Browser, site: str) -> Iterator:
    """``visit(path)`` opens a page for this test only and returns (page, Visit)."""
    pages: list[Page] = []

    def visit(path: str, wait_until: str = "networkidle") -> tuple[Page, Visit]:
        page, record = open_page(browser, site, path, wait_until)
        pages.append(page)
        return page, record

    yield visit
    for page in pages:
        page.context.close()


@pytest.fixture(scope="module")
def v1(browser: Browser, site: str) -> Iterator[tuple[Page, Visit]]:
    """The V1 page, opened once for this module with its figures drawn.

    Drawing its three WebGL surfaces in software takes seconds, so the tests share it. They only
    read it, drag its figures, scroll it and download from it; none of their checks depends on
    what another one did, and its record covers everything the page did meanwhile.
    """
    page, record = open_page(browser, site, V1)
    wait_for_figures(page)
    yield page, record
    page.context.close()


def wait_for_figures(page: Page) -> None:
    """Until every figure container is drawn (or 15 s pass: the assertions then say what is missing)."""
    try:
        page.wait_for_function(ALL_DRAWN_JS, timeout=15_000)
    except PlaywrightTimeout:
        pass


def top_level_pages(html: Path) -> list[str]:
    return sorted(p.name for p in html.glob("*.html"))


# --- 1. figures ----------------------------------------------------------------------------------


def drag(page: Page, figure) -> tuple[str, str, str]:
    """Drag across a figure, then press its mode bar's reset: the view before, after, and reset."""
    figure.evaluate("d => d.scrollIntoView({block: 'center'})")
    box = figure.locator(".gl-container canvas, .nsewdrag").first.bounding_box()
    before = figure.evaluate(VIEW_JS)
    x, y = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 80, y + 60, steps=8)
    page.mouse.up()
    page.wait_for_timeout(100)
    dragged = figure.evaluate(VIEW_JS)
    figure.locator(RESET_BUTTONS).first.click()  # also leaves the shared page as it was
    page.wait_for_timeout(100)
    return before, dragged, figure.evaluate(VIEW_JS)


def test_v1_figures_are_drawn_and_interactive(v1) -> None:
    page, record = v1
    figures = page.evaluate(FIGURES_JS)
    drawn = [f for f in figures if f["plotly"] and f["svg"] > 0 and f["width"] > 0 and f["height"] > 0]
    assert len(figures) >= 4, f"{V1} has {len(figures)} figure containers, expected at least 4"
    undrawn = [i for i, f in enumerate(figures) if f not in drawn]
    assert not undrawn, f"figures {undrawn} (0-based) on {V1} were not drawn by Plotly"
    assert all(f["modebar"] > 0 for f in drawn), "a figure has no Plotly mode bar"
    assert not any(f["offsite_buttons"] for f in drawn), "a mode bar links off the site (Plotly logo or Cloud)"
    assert not [f for f in drawn if "WebGL is not supported" in f["text"]], "Plotly could not get a WebGL context"

    scenes = [i for i, f in enumerate(drawn) if f["scenes"] > 0]
    assert len(scenes) >= 3, f"expected at least 3 figures with a 3-D scene, found {len(scenes)}"
    assert all(drawn[i]["canvases"] > 0 for i in scenes), "a 3-D scene has no (non-empty) WebGL canvas"
    planes = [i for i, f in enumerate(drawn) if f["cartesian"] > 0 and f["scenes"] == 0]

    # Interactive: dragging rotates a 3-D scene's camera, and box-zooms a 2-D plot's axes.
    containers = page.locator(FIGURE)
    before, dragged, reset = drag(page, containers.nth(scenes[0]))
    assert dragged != before, f"dragging a 3-D scene did not rotate it: {before}"
    assert reset == before, f"the mode bar's reset did not restore the 3-D camera: {before} -> {reset}"
    if planes:
        before, dragged, reset = drag(page, containers.nth(planes[0]))
        assert dragged != before, f"dragging across a 2-D plot did not zoom it: {before}"
        assert reset == before, f"the mode bar's reset did not restore the axes: {before} -> {reset}"
    assert not record.page_errors, record.page_errors


# --- 2. plotly.js: once, from the site, only where needed ----------------------------------------


def test_plotly_js_is_loaded_once_from_the_site(v1) -> None:
    from plotly.offline import get_plotlyjs_version

    from mobilenets.booktools import plotly_js_name

    page, record = v1
    plotly = [url for url in record.requests if PLOTLY_JS.match(urlsplit(url).path.rsplit("/", 1)[-1])]
    assert len(plotly) == 1, f"plotly.js requested {len(plotly)} times on {V1}: {plotly}"
    url = urlsplit(plotly[0])
    assert url.scheme == "http" and url.hostname == "127.0.0.1", f"plotly.js not from the site: {plotly[0]}"
    assert url.path == "/_static/" + plotly_js_name(), f"unexpected plotly.js location: {plotly[0]}"
    helper = [u for u in record.requests if urlsplit(u).path == "/_static/mobilenets-plotly.js"]
    assert len(helper) == 1, f"mobilenets-plotly.js requested {len(helper)} times"
    assert page.evaluate("() => window.Plotly && window.Plotly.version") == get_plotlyjs_version()
    assert page.locator('script[src*="plotly-"]').count() == 1


def test_pages_without_figures_do_not_load_plotly(visit, built_site) -> None:
    page, record = visit(V2)
    assert page.locator(FIGURE).count() == 0, f"{V2} now has figures: pick a page without any"
    assert not [u for u in record.requests if "plotly" in urlsplit(u).path], record.requests
    assert page.evaluate("() => typeof window.Plotly") == "undefined"

    # And in the HTML of every page: the plotly.js tag appears exactly where a figure does.
    for name in top_level_pages(built_site.html):
        text = (built_site.html / name).read_text(encoding="utf-8")
        has_figure = 'class="mobilenets-plotly"' in text
        tags = len(re.findall(r'<script[^>]+src="_static/plotly-[0-9.]+\.min\.js', text))
        assert tags == (1 if has_figure else 0), f"{name}: {tags} plotly.js tags, figures: {has_figure}"


# --- 3. nothing leaves the site ------------------------------------------------------------------


@pytest.mark.parametrize("path", ["intro.html", V1, "references.html"])
def test_no_request_leaves_the_site(visit, v1, path: str) -> None:
    page, record = v1 if path == V1 else visit(path)
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")  # anything loaded lazily
    page.wait_for_timeout(200)
    assert record.requests, "no requests recorded at all"
    assert not record.offsite(), f"{path} made off-site requests: {record.offsite()}"


def test_v1_math_is_typeset_by_the_sites_own_mathjax(v1) -> None:
    # Sphinx's default MathJax comes from a CDN; the book serves its own (booktools, section 1b).
    page, record = v1
    mathjax = [url for url in record.requests if "/mathjax/" in urlsplit(url).path.lower()]
    assert mathjax and all(record.on_site(url) for url in mathjax), f"MathJax requests: {mathjax}"
    page.wait_for_function("() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise")
    page.evaluate("() => window.MathJax.startup.promise")
    assert page.locator("mjx-container").count() > 0, f"no typeset math on {V1}"


# --- 4. a clean console on every page ------------------------------------------------------------


def test_console_is_clean_on_every_page(visit, v1, built_site) -> None:
    # Every top-level page, genindex and search included (no exclusion is needed), and a search
    # that runs the search code; index.html is Jupyter Book's redirect to intro.html.
    pages = [*top_level_pages(built_site.html), "search.html?q=depthwise"]
    assert V1 in pages and len(pages) >= 8, pages
    problems = {}
    for path in pages:
        if path == V1:
            page, record = v1  # already open, figures drawn
        else:
            page, record = visit(path, wait_until="load")
            if path.startswith("search.html?"):
                page.wait_for_selector("#search-results li, #search-results p", state="attached")
            page.wait_for_timeout(100)  # late errors from async scripts
            page.context.close()
        found = [f"console: {e}" for e in record.console_errors()] + [f"uncaught: {e}" for e in record.page_errors]
        if found:
            problems[path] = found
    report = "\n".join(f"{path}: {message}" for path, messages in problems.items() for message in messages)
    assert not problems, f"browser console not clean:\n{report}"


# --- 5. the ONNX download ------------------------------------------------------------------------


def test_onnx_link_downloads_a_valid_model(v1, tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    page, _ = v1
    links = page.locator('a[href$="mobilenet_v1.onnx"]')
    assert links.count() >= 1, f"no link to mobilenet_v1.onnx on {V1}"
    href = links.first.evaluate("a => a.href")  # resolved against the page URL

    response = page.request.get(href)
    assert response.status == 200, f"{href}: HTTP {response.status}"
    body = response.body()
    assert len(body) > 1_000_000, f"{href}: only {len(body)} bytes"
    model = onnx.load_model_from_string(body)
    onnx.checker.check_model(model)
    assert model.graph.input and model.graph.output

    # And a reader's click really downloads it (the link carries the download attribute).
    with page.expect_download() as pending:
        links.first.click()
    download = pending.value
    assert download.failure() is None, download.failure()
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert saved.name == "mobilenet_v1.onnx" and saved.read_bytes() == body


# --- 6. a screenshot of the first figure ---------------------------------------------------------


def test_screenshot_of_first_v1_figure(v1, tmp_path: Path) -> None:
    page, _ = v1
    first = page.locator(FIGURE).first
    assert "js-plotly-plot" in (first.get_attribute("class") or "") and first.locator(".main-svg").count()
    first.evaluate("d => d.scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)  # let the 3-D scene repaint after the scroll
    box = first.bounding_box()
    viewport = page.viewport_size
    assert box and box["width"] > 0 and box["height"] > 0
    assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], f"figure not in view: {box}"
    shot = tmp_path / "mobilenet_v1-first-figure.png"
    page.screenshot(path=str(shot))
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 10_000
    print(f"screenshot: {shot}")
