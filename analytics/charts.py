"""Plotly figures of the gap results (STYLE.md rule 6: charts are data).

Pure: plain dicts and lists in (parts of the METHOD.md §8 payload, display
names by code, and already translated labels), `plotly.graph_objects.Figure`
out. No Django here; the view translates every label it passes in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

from analytics import gaps

RED, GREEN, BLUE, GREY, AMBER = "#b3261e", "#1a7f37", "#1f5fa8", "#9aa3b2", "#9a6700"
E_COLOUR, P_COLOUR = "#9db7d9", "#1f5fa8"
POSITION_COLOURS = {"below": RED, "within": AMBER, "above": GREEN}
QUADRANT_COLOURS = {
    "concentrate_here": RED, "keep_up": GREEN, "possible_overkill": AMBER, "low_priority": GREY,
}
FONT = "system-ui, -apple-system, Segoe UI, PingFang SC, Microsoft YaHei, sans-serif"

Labels = Mapping[str, str]


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    """Shared look: compact margins so the charts stay readable at 375 px."""
    layout: dict[str, Any] = {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        "font": {"family": FONT, "size": 12, "color": "#1d2330"},
        "margin": {"l": 56, "r": 16, "t": 48, "b": 48},
        "paper_bgcolor": "#fff",
        "plot_bgcolor": "#fff",
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
        "hoverlabel": {"font": {"family": FONT}},
    }
    layout.update(extra)
    return layout


def _get(row: Mapping[str, Any] | None, key: str) -> Any:
    return None if row is None else row.get(key)


def _fmt(value: float | None, no_data: str) -> str:
    return no_data if value is None else f"{value:.2f}"


def expectation_perception_chart(
    dimensions: Mapping[str, Mapping[str, Any]], names: Mapping[str, str], labels: Labels, *, scale: int
) -> go.Figure:
    """Grouped bars of mean E and mean P per dimension (§3), in instrument order.

    labels: title, expectation, perception, axis.
    """
    codes = list(dimensions)
    x = [names.get(c, c) for c in codes]
    fig = go.Figure()
    for key, name, colour in (("mean_e", labels["expectation"], E_COLOUR),
                              ("mean_p", labels["perception"], P_COLOUR)):
        fig.add_trace(go.Bar(
            x=x, y=[_get(dimensions[c], key) for c in codes], name=name, marker_color=colour,
            hovertemplate="%{x}<br>" + name + ": %{y:.2f}<extra></extra>",
        ))
    fig.update_layout(**_layout(
        labels["title"], barmode="group",
        yaxis={"title": {"text": labels["axis"]}, "range": [0, scale], "gridcolor": "#eef0f4",
               "automargin": True},
        xaxis={"automargin": True},
    ))
    return fig


def worst_first(items: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Item codes by gap, most negative first; items without a gap last, in their order."""
    defined = [c for c in items if _get(items[c], "gap") is not None]
    missing = [c for c in items if _get(items[c], "gap") is None]
    return sorted(defined, key=lambda c: items[c]["gap"]) + missing


def error_arrays(rows: Sequence[Mapping[str, Any] | None]) -> tuple[list, list]:
    """Asymmetric CI error bars: (ci_high − gap, gap − ci_low); None where the CI is null."""
    plus, minus = [], []
    for row in rows:
        gap, low, high = _get(row, "gap"), _get(row, "ci_low"), _get(row, "ci_high")
        if gap is None or low is None or high is None:
            plus.append(None)
            minus.append(None)
        else:
            plus.append(high - gap)
            minus.append(gap - low)
    return plus, minus


def item_gap_chart(
    items: Mapping[str, Mapping[str, Any]], names: Mapping[str, str], labels: Labels
) -> go.Figure:
    """Horizontal bars of the item gaps (P − E), worst first, with 95% CI error bars.

    labels: title, axis, ci, no_data.
    """
    codes = worst_first(items)
    rows = [items[c] for c in codes]
    gaps = [_get(r, "gap") for r in rows]
    plus, minus = error_arrays(rows)
    colours = [GREY if g is None else RED if g < 0 else GREEN for g in gaps]
    hover = [
        f"{_fmt(g, labels['no_data'])}  ({labels['ci']}: "
        f"{_fmt(_get(r, 'ci_low'), '—')} … {_fmt(_get(r, 'ci_high'), '—')}; n = {_get(r, 'n') or 0})"
        for g, r in zip(gaps, rows, strict=True)
    ]
    fig = go.Figure(go.Bar(
        y=codes, x=gaps, orientation="h", marker_color=colours,
        error_x={"type": "data", "symmetric": False, "array": plus, "arrayminus": minus,
                 "color": "#5d6678", "thickness": 1.2, "width": 3},
        customdata=[[names.get(c, c), h] for c, h in zip(codes, hover, strict=True)],
        hovertemplate="<b>%{y}</b> %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
        showlegend=False,
    ))
    fig.update_layout(**_layout(
        labels["title"], height=max(320, 90 + 24 * len(codes)),
        xaxis={"title": {"text": labels["axis"]}, "zeroline": True, "zerolinecolor": "#5d6678",
               "gridcolor": "#eef0f4"},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True},
    ))
    return fig


def zone_chart(zone_items: Mapping[str, Mapping[str, Any] | None], names: Mapping[str, str],
               labels: Labels, *, scale: int) -> go.Figure:
    """Zone of tolerance per item (§4): a band from mean_adequate to mean_desired, and
    mean_p marked and coloured by its position below / within / above the zone.

    labels: title, zone, below, within, above, axis, no_data.
    """
    codes = list(zone_items)
    rows = [zone_items[c] for c in codes]
    low = [None if _get(r, "mean_adequate") is None else min(r["mean_adequate"], r["mean_desired"])
           for r in rows]
    width = [None if _get(r, "mean_adequate") is None else abs(r["mean_desired"] - r["mean_adequate"])
             for r in rows]
    fig = go.Figure(go.Bar(
        y=codes, x=width, base=low, orientation="h", name=labels["zone"],
        marker={"color": "rgba(31, 95, 168, 0.18)", "line": {"color": "rgba(31, 95, 168, 0.5)", "width": 1}},
        customdata=[
            [names.get(c, c), _fmt(_get(r, "mean_adequate"), labels["no_data"]),
             _fmt(_get(r, "mean_desired"), labels["no_data"])]
            for c, r in zip(codes, rows, strict=True)
        ],
        hovertemplate="<b>%{y}</b> %{customdata[0]}<br>%{customdata[1]} – %{customdata[2]}<extra></extra>",
    ))
    for position in ("below", "within", "above"):
        picked = [(c, r) for c, r in zip(codes, rows, strict=True) if _get(r, "position") == position]
        fig.add_trace(go.Scatter(
            y=[c for c, _ in picked], x=[r["mean_p"] for _, r in picked], mode="markers",
            name=labels[position],
            marker={"color": POSITION_COLOURS[position], "size": 10, "symbol": "diamond",
                    "line": {"color": "#fff", "width": 1}},
            customdata=[names.get(c, c) for c, _ in picked],
            hovertemplate="<b>%{y}</b> %{customdata}<br>" + labels[position] + ": %{x:.2f}<extra></extra>",
        ))
    fig.update_layout(**_layout(
        labels["title"], height=max(320, 110 + 24 * len(codes)),
        xaxis={"title": {"text": labels["axis"]}, "range": [0.5, scale + 0.5], "gridcolor": "#eef0f4"},
        yaxis={"autorange": "reversed", "type": "category", "automargin": True,
               "categoryorder": "array", "categoryarray": codes},
    ))
    return fig


def _ipa_axes(ipa: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(importance, performance) by dimension code, from the §8 `ipa` part."""
    return ({c: _get(r, "importance") for c, r in ipa.items()},
            {c: _get(r, "performance") for c, r in ipa.items()})


def _ipa_defined(ipa: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Dimensions with both importance and performance defined."""
    return gaps.ipa_defined(*_ipa_axes(ipa))


def ipa_axis_means(ipa: Mapping[str, Mapping[str, Any]]) -> tuple[float | None, float | None]:
    """(mean performance, mean importance): the axes the quadrants were drawn around (§5)."""
    mean_importance, mean_performance = gaps.ipa_axis_means(*_ipa_axes(ipa))
    return mean_performance, mean_importance


def has_importance(ipa: Mapping[str, Mapping[str, Any]] | None) -> bool:
    return bool(ipa) and any(_get(r, "importance") is not None for r in ipa.values())


def ipa_chart(ipa: Mapping[str, Mapping[str, Any]], names: Mapping[str, str], labels: Labels) -> go.Figure:
    """Importance–performance quadrants (§5): x = performance (mean P), y = importance,
    dashed lines at the axis means of the defined dimensions.

    labels: title, x, y, concentrate_here, keep_up, possible_overkill, low_priority.
    """
    codes = _ipa_defined(ipa)
    mean_x, mean_y = ipa_axis_means(ipa)
    fig = go.Figure(go.Scatter(
        x=[ipa[c]["performance"] for c in codes], y=[ipa[c]["importance"] for c in codes],
        mode="markers+text", text=[names.get(c, c) for c in codes], textposition="top center",
        marker={"size": 13, "color": [QUADRANT_COLOURS.get(ipa[c]["quadrant"], GREY) for c in codes],
                "line": {"color": "#fff", "width": 1}},
        customdata=[labels.get(ipa[c]["quadrant"] or "", "") for c in codes],
        hovertemplate="<b>%{text}</b><br>%{customdata}<br>x = %{x:.2f}, y = %{y:.2f}<extra></extra>",
        showlegend=False, cliponaxis=False,
    ))
    shapes: list[dict] = []
    annotations: list[dict] = []
    x_axis: dict[str, Any] = {"title": {"text": labels["x"]}, "gridcolor": "#eef0f4", "zeroline": False}
    y_axis: dict[str, Any] = {"title": {"text": labels["y"]}, "gridcolor": "#eef0f4", "zeroline": False}
    if mean_x is not None:
        dashed = {"color": "#5d6678", "width": 1, "dash": "dash"}
        shapes = [
            {"type": "line", "xref": "x", "yref": "paper", "x0": mean_x, "x1": mean_x, "y0": 0, "y1": 1,
             "line": dashed},
            {"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": mean_y, "y1": mean_y,
             "line": dashed},
        ]
        # Pad the axes so both mean lines sit inside and each corner is in its quadrant.
        xs, ys = [ipa[c]["performance"] for c in codes], [ipa[c]["importance"] for c in codes]
        pad_x = max(0.25, (max(xs) - min(xs)) * 0.25)
        pad_y = max(3.0, (max(ys) - min(ys)) * 0.35)  # room for the corner labels
        x_axis["range"] = [min(xs) - pad_x, max(xs) + pad_x]
        y_axis["range"] = [min(ys) - pad_y, max(ys) + pad_y]
        corners = (("concentrate_here", 0, 1, "left", "top"), ("keep_up", 1, 1, "right", "top"),
                   ("possible_overkill", 1, 0, "right", "bottom"), ("low_priority", 0, 0, "left", "bottom"))
        for key, x, y, xanchor, yanchor in corners:
            annotations.append({
                "text": labels[key], "xref": "paper", "yref": "paper", "x": x, "y": y,
                "xanchor": xanchor, "yanchor": yanchor, "showarrow": False,
                "font": {"color": QUADRANT_COLOURS[key], "size": 11},
            })
    fig.update_layout(**_layout(labels["title"], shapes=shapes, annotations=annotations,
                                xaxis=x_axis, yaxis=y_axis))
    return fig


def unit_heatmap(rows: Sequence[tuple[str, str, Mapping[str, Mapping[str, Any] | None] | None]],
                 dimensions: Sequence[str], names: Mapping[str, str], labels: Labels) -> go.Figure:
    """Units × dimensions of the gap-5 dimension gaps, diverging colours centred at 0.

    rows: (short unique tick label, full name for the hover, {dimension code: S figure} or None)
    per unit, top to bottom.
    A null gap stays null (a blank cell, hover "no data"), never 0.
    labels: title, gap, no_data.
    """
    y = [label for label, _, _ in rows]
    x = [names.get(c, c) for c in dimensions]
    z: list[list[float | None]] = []
    text: list[list[str]] = []
    for _, full_name, dims in rows:
        z_row, t_row = [], []
        for code in dimensions:
            fig_row = _get(dims, code)
            gap = _get(fig_row, "gap")
            z_row.append(gap)
            figure = labels["no_data"] if gap is None else f"{labels['gap']} {gap:.2f} (n = {fig_row['n']})"
            t_row.append(f"{full_name}<br>{names.get(code, code)}<br>{figure}")
        z.append(z_row)
        text.append(t_row)
    defined = [abs(v) for r in z for v in r if v is not None]
    bound = max(defined, default=1.0) or 1.0
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=text, zmid=0, zmin=-bound, zmax=bound, colorscale="RdBu", hoverongaps=True,
        hovertemplate="%{text}<extra></extra>", xgap=2, ygap=2,
        colorbar={"title": {"text": labels["gap"]}, "thickness": 12},
    ))
    fig.update_layout(**_layout(
        labels["title"], height=max(300, 130 + 30 * len(y)),
        xaxis={"side": "bottom", "automargin": True, "type": "category"},
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},
    ))
    return fig
