"""Plotly figures of the management-beliefs page (STYLE.md rule 6: charts are data).

Pure: plain lists in (already translated labels), `plotly.graph_objects.Figure` out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

MANAGERS_COLOUR, CUSTOMERS_COLOUR = "#c47f17", "#1f5fa8"
FONT = "system-ui, -apple-system, Segoe UI, PingFang SC, Microsoft YaHei, sans-serif"


def grouped_bars(
    categories: Sequence[str],
    hover_names: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None], str]],
    labels: Mapping[str, str],
    *,
    y_max: float,
) -> go.Figure:
    """One bar per category and series (name, values, colour); a null value draws no bar.

    labels: title, axis.
    """
    fig = go.Figure()
    for name, values, colour in series:
        fig.add_trace(go.Bar(
            x=list(categories), y=list(values), name=name, marker_color=colour,
            customdata=list(hover_names),
            hovertemplate="<b>%{x}</b> %{customdata}<br>" + name + ": %{y:.2f}<extra></extra>",
        ))
    fig.update_layout(
        title={"text": labels["title"], "x": 0, "xanchor": "left", "font": {"size": 15}},
        font={"family": FONT, "size": 12, "color": "#1d2330"},
        margin={"l": 56, "r": 16, "t": 48, "b": 48},
        paper_bgcolor="#fff", plot_bgcolor="#fff", barmode="group",
        legend={"orientation": "h", "y": -0.18, "x": 0},
        yaxis={"title": {"text": labels["axis"]}, "range": [0, y_max], "gridcolor": "#eef0f4", "automargin": True},
        xaxis={"automargin": True, "type": "category"},
    )
    return fig
