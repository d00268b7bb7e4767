"""The book's own Sphinx and myst-nb glue (``extensions: [mobilenets.booktools]`` in _config.yml).

1. Plotly figures. A notebook shows a figure as ``application/vnd.plotly.v1+json``, which myst-nb
   cannot render (plotly >= 6; the warning ``mystnb.unknown_mime_type`` means a blank figure).
   :class:`PlotlyMimeRenderer` (a ``myst_nb.mime_renderers`` entry point) writes the figure's JSON
   into the page, and the site draws it with its own copy of plotly.js, taken from the installed
   plotly package and loaded once, only on pages that have a figure. MathJax, too, is served from
   the site (section 1b). No CDN.
2. The execution cache. Jupyter Book's cache keys a notebook on its code cells only, so a change to
   the package would leave stale outputs. Here any change to a file under ``code/`` (or a missing
   file in ``book/_generated/``, where chapters write downloads) empties the cache and re-reads
   every page. A build with nothing changed executes nothing.
3. A clean browser console: the theme's duplicated inline scripts are removed (see
   :func:`_dedupe_inline_scripts`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

import mobilenets

PLOTLY_MIME = "application/vnd.plotly.v1+json"
GENERATED_DIR = "_generated"  # inside book/: files the chapters write for download (git-ignored)
STAMP = "mobilenets-code.json"
_STATIC = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


# --- 1. Plotly -----------------------------------------------------------------------------------


def plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def plotly_js_name() -> str:
    from plotly.offline import get_plotlyjs_version

    return f"plotly-{get_plotlyjs_version()}.min.js"


def figure_html(spec: dict[str, Any]) -> str:
    """A figure as page markup: a container and its JSON spec (drawn by mobilenets-plotly.js)."""
    payload = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")  # stay inside <script>
    height = spec.get("layout", {}).get("height", 450)
    return (
        f'<div class="mobilenets-plotly" style="min-height:{int(height)}px">'
        f'<script type="application/json">{payload}</script></div>'
    )


class PlotlyMimeRenderer:
    """myst-nb plugin: renders Plotly's MIME type in HTML builders."""

    mime_priority_overrides = [("html", PLOTLY_MIME, 5), ("dirhtml", PLOTLY_MIME, 5), ("singlehtml", PLOTLY_MIME, 5)]

    @staticmethod
    def handle_mime(renderer, data, inline) -> list[nodes.Element] | None:
        if data.mime_type != PLOTLY_MIME or inline:
            return None
        spec = data.content if isinstance(data.content, dict) else json.loads(data.content)
        return [nodes.raw(text=figure_html(spec), format="html", classes=["output", "plotly"])]


def _add_plotly_js(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    if 'class="mobilenets-plotly"' in context.get("body", ""):
        app.add_js_file(plotly_js_name(), loading_method="defer")
        app.add_js_file("mobilenets-plotly.js", loading_method="defer")


# --- 1b. MathJax from the site ------------------------------------------------------------------
# Sphinx loads MathJax 3 from a CDN by default. The package django-static-mathjax (plain static
# files, no Django needed) ships MathJax 3.2.2; we copy the one combined component the book uses,
# its fonts and the TeX extensions it may autoload, so math renders offline and no request leaves
# the site.

MATHJAX_FILES = ("tex-mml-chtml.js", "output/chtml/fonts/woff-v2", "input/tex/extensions")


def mathjax_root() -> Path:
    import mathjax  # the django-static-mathjax distribution

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def _use_local_mathjax(app: Sphinx, config) -> None:
    config.mathjax_path = "mathjax/tex-mml-chtml.js"  # relative to _static/


def site_assets() -> dict[str, Path]:
    """Files the site serves from _static/ that come from installed packages: target -> source."""
    assets = {plotly_js_name(): plotly_js(), "mobilenets-plotly.js": _STATIC / "mobilenets-plotly.js"}
    for rel in MATHJAX_FILES:
        source = mathjax_root() / rel
        files = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        assets.update({f"mathjax/{f.relative_to(mathjax_root()).as_posix()}": f for f in files})
    return assets


def _copy_site_assets(app: Sphinx) -> None:
    # Copied before any page is written, so Sphinx finds them and adds its ?v= cache-busting checksum.
    if app.builder.format == "html":
        static = Path(app.outdir) / "_static"
        for target, source in site_assets().items():
            (static / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, static / target)


# --- 2. Execution cache --------------------------------------------------------------------------


def code_root() -> Path:
    """code/ for an editable install (the project's layout), else the installed package folder."""
    package = Path(mobilenets.__file__).resolve().parent
    return package.parent if (package.parent / "pyproject.toml").exists() else package


def code_digest(root: Path | None = None) -> str:
    """SHA-256 over every file under ``root`` (path and bytes), skipping caches and build metadata."""
    root = root or code_root()
    h = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        skip = any(p == "__pycache__" or p.startswith(".") or p.endswith(".egg-info") for p in rel.parts)
        if path.is_file() and not skip and path.suffix != ".pyc":
            h.update(rel.as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _generated_files(app: Sphinx) -> list[str]:
    folder = Path(app.srcdir) / GENERATED_DIR
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _invalidate_on_code_change(app: Sphinx) -> None:
    """Before reading: empty the execution cache if the code or a chapter's download changed.

    The stamp (in the cache folder) records the code digest and the downloads in book/_generated/
    of the last successful build; it is written by :func:`_stamp` when a build succeeds.
    """
    cache = Path(app.env.mystnb_config.execution_cache_path)
    root = Path(app.config.mobilenets_code_root or code_root())
    app.env.mobilenets_digest = code_digest(root)
    try:
        stamp = json.loads((cache / STAMP).read_text())
    except (OSError, ValueError):
        stamp = None
    if stamp is None:
        reasons = ["no record of the code the cached outputs came from"]
    else:
        reasons = [f"the package under {root} changed"] if stamp["digest"] != app.env.mobilenets_digest else []
        missing = set(stamp["generated"]) - set(_generated_files(app))
        if missing:
            reasons.append(f"downloads the chapters write are missing: {', '.join(sorted(missing))}")
    app.env.mobilenets_reexecute = bool(reasons)  # read by _outdated below
    if reasons:
        logger.info("mobilenets: re-executing every chapter: %s", "; ".join(reasons))
        shutil.rmtree(cache, ignore_errors=True)


def _stamp(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and hasattr(app.env, "mobilenets_digest"):
        cache = Path(app.env.mystnb_config.execution_cache_path)
        cache.mkdir(parents=True, exist_ok=True)
        stamp = {"digest": app.env.mobilenets_digest, "generated": _generated_files(app)}
        (cache / STAMP).write_text(json.dumps(stamp, indent=1))


def _outdated(app: Sphinx, env, added: set[str], changed: set[str], removed: set[str]) -> list[str]:
    return sorted(env.found_docs - added - changed) if getattr(env, "mobilenets_reexecute", False) else []


# --- 3. A clean browser console ------------------------------------------------------------------


def _script_key(script: Any) -> tuple:
    """What makes two ``<script>`` entries the same tag: inline ones have no file name."""
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", script) or "", getattr(script, "priority", 500), *sorted(attributes.items()))


def _dedupe_inline_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop repeated ``<script>`` entries from the page's script list.

    Sphinx 7.4 registers a script added with ``app.add_js_file(None, body=...)`` after the builder
    exists twice: once on the builder as ``_JavaScript(None, ...)`` and again in ``prepare_writing``
    from the registry as ``_JavaScript('', ...)``; the two do not compare equal, so both reach the
    page. sphinx-togglebutton's ``var togglebuttonSelector`` survives that, but sphinx-thebe's
    ``const THEBE_JS_URL = ...`` does not: the second copy throws "SyntaxError: Identifier
    'THEBE_JS_URL' has already been declared" on every page (thebe is loaded by Jupyter Book even
    with launch_buttons.thebe off). Keeping the first of each identical entry, in place, fixes it
    in the template context, before any HTML is written. Runs last, after page-specific scripts.
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen: set[tuple] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    # 1. Plotly and MathJax served from the site
    app.connect("config-inited", _use_local_mathjax)
    app.connect("builder-inited", _copy_site_assets)
    app.connect("html-page-context", _add_plotly_js)
    # 2. Execution cache. The folder whose changes re-execute the chapters; empty means code/.
    app.add_config_value("mobilenets_code_root", "", "env", types=[str])
    app.connect("builder-inited", _invalidate_on_code_change, priority=900)  # after myst-nb sets the cache path
    app.connect("env-get-outdated", _outdated)
    app.connect("build-finished", _stamp)
    # 3. A clean browser console
    app.connect("html-page-context", _dedupe_inline_scripts, priority=990)  # after every page script
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": mobilenets.__version__}
