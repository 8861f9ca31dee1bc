"""Plotly figures of the five-gap view (STYLE.md rule 6: charts are data).

Pure: plain dicts and lists in (parts of the METHOD.md §8 payload, display names
by code, already translated labels), `plotly.graph_objects.Figure` out. No Django
here; analytics.five_gaps prepares the inputs and translates every label.

Severity lives here too, because it is a pure mapping of a number to a colour
band that both the charts and the server-rendered diagram use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from analytics.charts import _layout, error_arrays, worst_first

# ------------------------------------------------------------------ severity
# The one place the severity thresholds are set. A gap is on the audit's answer
# scale and negative means a shortfall (METHOD.md §2): at or above 0 nothing is
# short; down to half a scale point is a mild shortfall; down to a full point a
# clear one; more than a full point short is severe. Each band includes its lower
# bound (−0.5 is amber, −1 is orange), with METHOD's 1e-9 tolerance so that a
# figure computed as −1e-16 reads as 0.
SEVERITY_BANDS: tuple[tuple[float, str], ...] = (
    (0.0, "good"),       # gap ≥ 0
    (-0.5, "minor"),     # −0.5 ≤ gap < 0
    (-1.0, "moderate"),  # −1 ≤ gap < −0.5
)
SEVERE, NO_DATA = "severe", "none"  # gap < −1; gap null
TOLERANCE = 1e-9
# Keep in step with the .sev-* rules of static/css/dashboard.css.
SEVERITY_COLOURS = {
    "good": "#1a7f37", "minor": "#e0a81e", "moderate": "#ea7a1e", "severe": "#b3261e", "none": "#9aa3b2",
}
NULL_CELL = "#e3e6eb"  # the grey of a "no data" cell in the matrix


def severity(value: float | None) -> str:
    """The severity band of a gap: good, minor, moderate, severe, or none when null."""
    if value is None:
        return NO_DATA
    for bound, name in SEVERITY_BANDS:
        if value >= bound - TOLERANCE:
            return name
    return SEVERE


def _fmt(value: float | None, no_data: str) -> str:
    if value is None:
        return no_data
    text = f"{value:.2f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


# ------------------------------------------------------------------ matrix
def gap_matrix_chart(
    rows: Sequence[tuple[str, str, Sequence[float | None]]], columns: Sequence[str],
    labels: Mapping[str, str], *, breaks: Sequence[int] = (), compact_ticks: Sequence[str] | None = None,
) -> go.Figure:
    """Items × gaps 1–5 as a heat map with diverging colours centred at 0.

    rows: (tick label, full name for the hover, one gap per column or None) per item,
    top to bottom; columns: the column titles; breaks: row indices where a new
    dimension starts (a separating line is drawn above them); compact_ticks: shorter row
    labels (the item codes) that the page script swaps in on a narrow screen (layout.meta).
    A null gap is never drawn as 0: the value trace leaves the cell empty and a
    second, grey trace underneath fills it with the text "no data".
    labels: title, gap, no_data.
    """
    y = [tick for tick, _, _ in rows]
    x = list(columns)
    z: list[list[float | None]] = [[v for v in values] for _, _, values in rows]
    text = [[_fmt(v, "") for v in r] for r in z]
    hover = [
        [f"<b>{name}</b><br>{col}: {_fmt(v, labels['no_data'])}" for col, v in zip(x, r, strict=True)]
        for (_, name, _), r in zip(rows, z, strict=True)
    ]
    null_z = [[1 if v is None else None for v in r] for r in z]
    null_text = [[labels["no_data"] if v is None else "" for v in r] for r in z]
    defined = [abs(v) for r in z for v in r if v is not None]
    bound = max(defined, default=1.0) or 1.0
    fig = go.Figure()
    fig.add_trace(go.Heatmap(
        z=null_z, x=x, y=y, text=null_text, texttemplate="%{text}", textfont={"color": "#5d6678", "size": 11},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", hoverongaps=False,
        colorscale=[[0, NULL_CELL], [1, NULL_CELL]], zmin=0, zmax=1, showscale=False, xgap=2, ygap=2,
        name=labels["no_data"],
    ))
    fig.add_trace(go.Heatmap(
        z=z, x=x, y=y, text=text, texttemplate="%{text}", textfont={"size": 11},
        customdata=hover, hovertemplate="%{customdata}<extra></extra>", hoverongaps=False,
        zmid=0, zmin=-bound, zmax=bound, colorscale="RdBu", xgap=2, ygap=2, name=labels["gap"],
        colorbar={"title": {"text": labels["gap"]}, "thickness": 12},
    ))
    shapes = [
        {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": i - 0.5, "y1": i - 0.5,
         "line": {"color": "#1d2330", "width": 1.5}}
        for i in breaks if 0 < i < len(y)
    ]
    fig.update_layout(**_layout(
        labels["title"], height=max(320, 120 + 26 * len(y)), shapes=shapes,
        meta={"compact_ticks": list(compact_ticks) if compact_ticks is not None else y},
        margin={"l": 56, "r": 16, "t": 78, "b": 24},
        xaxis={"side": "top", "type": "category", "automargin": True, "fixedrange": True, "tickangle": 0},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True, "fixedrange": True},
    ))
    return fig


# ------------------------------------------------------------------ one gap
def gap_item_chart(
    items: Mapping[str, Mapping[str, Any] | None], names: Mapping[str, str], labels: Mapping[str, str],
) -> go.Figure:
    """Horizontal bars of one gap's item figures, worst first, with 95% CI error bars
    where the figure has ci_low and ci_high (gaps 1, 3, 4, 5; never gap 2).

    Only items with a gap are drawn; the page lists the others with their reason.
    Bars are coloured by severity.
    labels: title, axis, ci.
    """
    codes = [c for c in worst_first(items) if (items[c] or {}).get("gap") is not None]
    rows = [items[c] or {} for c in codes]
    values = [r["gap"] for r in rows]
    plus, minus = error_arrays(rows)
    has_ci = any(p is not None for p in plus)
    hover = []
    for value, row in zip(values, rows, strict=True):
        line = _fmt(value, "")
        if row.get("ci_low") is not None and row.get("ci_high") is not None:
            line += f"  ({labels['ci']}: {_fmt(row['ci_low'], '')} … {_fmt(row['ci_high'], '')})"
        if row.get("n") is not None:
            line += f"; n = {row['n']}"
        hover.append(line)
    bar: dict[str, Any] = {
        "y": codes, "x": values, "orientation": "h",
        "marker_color": [SEVERITY_COLOURS[severity(v)] for v in values],
        "customdata": [[names.get(c, c), h] for c, h in zip(codes, hover, strict=True)],
        "hovertemplate": "<b>%{y}</b> %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        "showlegend": False,
    }
    if has_ci:
        bar["error_x"] = {"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                          "color": "#5d6678", "thickness": 1.2, "width": 3}
    fig = go.Figure(go.Bar(**bar))
    fig.update_layout(**_layout(
        labels["title"], height=max(260, 90 + 24 * len(codes)),
        xaxis={"title": {"text": labels["axis"]}, "zeroline": True, "zerolinecolor": "#5d6678",
               "gridcolor": "#eef0f4"},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    ))
    return fig
