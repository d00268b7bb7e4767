"""Plotly figure builders for the chapters: the one place that decides how figures look.

Builders return ``plotly.graph_objects.Figure``; a chapter shows one by ending a cell with it.
In the built book it is drawn by the site's own plotly.js (see :mod:`mobilenets.booktools`); in
Jupyter, Binder or Colab by plotly's own renderer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .cost import LayerCost, LayerType

TEMPLATE = "plotly_white"
HEIGHT = 480
TYPE_COLOURS = {
    LayerType.CONV: "#636efa",
    LayerType.DEPTHWISE: "#00cc96",
    LayerType.POINTWISE: "#ef553b",
    LayerType.SE: "#ab63fa",
    LayerType.FC: "#ffa15a",
}


def _layout(fig: go.Figure, title: str, **kw) -> go.Figure:
    kw = {"height": HEIGHT, "margin": dict(l=10, r=10, t=50, b=10), **kw}
    fig.update_layout(template=TEMPLATE, title=title, **kw)
    return fig


def surface(
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray,
    *,
    x_title: str,
    y_title: str,
    z_title: str,
    title: str,
) -> go.Figure:
    """A 3-D surface z[y, x] over the grid x (columns) by y (rows); rotate it with the mouse."""
    hover = f"{x_title}=%{{x:.3g}}<br>{y_title}=%{{y:.3g}}<br>{z_title}=%{{z:.4g}}<extra></extra>"
    fig = go.Figure(
        go.Surface(x=x, y=y, z=z, colorscale="Viridis", hovertemplate=hover, showscale=False)
    )
    return _layout(fig, title, scene=dict(xaxis_title=x_title, yaxis_title=y_title, zaxis_title=z_title))


def layer_costs(layers: Sequence[LayerCost], *, title: str) -> go.Figure:
    """Mult-adds and parameters of every layer, coloured by layer type (two stacked panels)."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.06,
                        subplot_titles=("mult-adds (millions)", "parameters (thousands)"))  # fmt: skip
    index = list(range(len(layers)))
    for t in LayerType:
        idx = [i for i in index if layers[i].type is t]
        if not idx:
            continue
        text = [f"{layers[i].path}<br>{layers[i].c_in}→{layers[i].c_out}, k{layers[i].kernel}, s{layers[i].stride}, "
                f"{layers[i].size_out}²" for i in idx]  # fmt: skip
        common = dict(x=idx, name=t.value, marker_color=TYPE_COLOURS[t], legendgroup=t.value, hovertext=text)
        fig.add_bar(y=[layers[i].macs / 1e6 for i in idx], row=1, col=1, **common)
        fig.add_bar(y=[layers[i].params / 1e3 for i in idx], row=2, col=1, showlegend=False, **common)
    fig.update_xaxes(title_text="layer (execution order)", row=2, col=1)
    return _layout(fig, title, barmode="overlay", height=HEIGHT + 120, legend=dict(orientation="h", y=-0.15))


def measured_vs_analytic(rows: Sequence[tuple[str, float, float]], *, title: str) -> go.Figure:
    """Analytic against measured totals (one point per model), on the identity line."""
    labels, analytic, measured = zip(*rows)
    hi = max(max(analytic), max(measured)) * 1.05
    fig = go.Figure()
    fig.add_scatter(x=[0, hi], y=[0, hi], mode="lines", line=dict(dash="dot", color="grey"), name="equal")
    fig.add_scatter(x=analytic, y=measured, mode="markers+text", text=labels, textposition="top left",
                    marker=dict(size=10), name="model")  # fmt: skip
    return _layout(fig, title, xaxis_title="analytic (M mult-adds)", yaxis_title="FlopCounterMode / 2 (M mult-adds)")
