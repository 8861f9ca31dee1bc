"""The dashboard's presentation: labels in the active language, rounded figures,
table rows and the plotly figures of a stored gap result.

Nothing is computed here: the figures come from the stored result
(analytics.selectors), the charts from analytics.charts, fed with plain dicts and
translated labels.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

from analytics import charts
from surveys.instruments import localized
from surveys.models import Audit, Unit

ALPHA_FLOOR = 0.7  # below this, a dimension's items hang together poorly (Nunnally 1978)
DASH = "—"


# ------------------------------------------------------------------ labels
def instrument_labels(snapshot: dict[str, Any], language: str) -> tuple[dict[str, str], dict[str, str]]:
    """(dimension names, item texts) by code, in the active language."""
    dimensions, items = {}, {}
    for dimension in snapshot.get("dimensions", []):
        dimensions[dimension["code"]] = localized(dimension.get("name"), language) or dimension["code"]
        for item in dimension.get("items", []):
            items[item["code"]] = localized(item.get("text"), language) or item["code"]
    return dimensions, items


def unit_label(unit: Unit) -> str:
    return unit.code if unit.name in ("", unit.code) else f"{unit.name} ({unit.code})"


# ------------------------------------------------------------------ numbers
def num(value: float | None, digits: int = 2) -> str:
    """A figure rounded for the UI; null shows as a dash, and -0.00 as 0.00."""
    if value is None:
        return DASH
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def p_text(value: float | None) -> str:
    if value is None:
        return DASH
    return "<0.001" if value < 0.0005 else num(value, 3)


def ci_text(row: dict[str, Any] | None) -> str:
    if not row or row.get("ci_low") is None or row.get("ci_high") is None:
        return DASH
    return f"[{num(row['ci_low'])}, {num(row['ci_high'])}]"


def cell(text: str, *, sign: float | None = None, flag: bool = False) -> dict[str, Any]:
    cls = "num"
    if sign is not None and sign < 0 and text != num(0):
        cls += " neg"
    return {"text": text, "cls": cls, "flag": flag}


def alpha_cell(value: float | None) -> dict[str, Any]:
    return cell(num(value), flag=value is not None and value < ALPHA_FLOOR)


def figure_row(kind: str, code: str, label: str, row: dict[str, Any] | None, *, detail: str = "") -> dict:
    """One table row: every §8 figure of a dimension, an item or the overall score."""
    row = row or {}
    cells = [
        cell(num(row.get("mean_e"))), cell(num(row.get("mean_p"))),
        cell(num(row.get("gap")), sign=row.get("gap")), cell(str(row.get("n") or 0)),
        cell(num(row.get("sd"))), cell(num(row.get("se"))), cell(ci_text(row)),
        cell(p_text(row.get("p_value"))),
    ]
    if kind == "dimension":
        cells += [cell(num(row.get("importance"))), alpha_cell(row.get("alpha_p")),
                  alpha_cell(row.get("alpha_e")), alpha_cell(row.get("alpha_gap"))]
    else:
        cells += [cell(DASH) for _ in range(4)]
    return {"kind": kind, "code": code, "label": label, "detail": detail, "cells": cells,
            "low_sample": bool(row.get("low_sample"))}


def table_rows(gap5: dict[str, Any], dims: dict[str, str], items: dict[str, str],
               snapshot: dict[str, Any]) -> list[dict]:
    rows = [
        figure_row("overall", "", _("Overall (unweighted)"), gap5.get("overall")),
        figure_row("overall", "", _("Overall (weighted by importance)"), gap5.get("weighted_overall")),
    ]
    for dimension in snapshot.get("dimensions", []):
        code = dimension["code"]
        rows.append(figure_row("dimension", code, dims[code], gap5["dimensions"].get(code)))
        for item in dimension.get("items", []):
            rows.append(figure_row("item", item["code"], item["code"], gap5["items"].get(item["code"]),
                                   detail=items[item["code"]]))
    return rows


def headline(row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {"value": num(row.get("gap")), "negative": (row.get("gap") or 0) < 0, "n": row.get("n") or 0,
            "ci": ci_text(row), "low_sample": bool(row.get("low_sample"))}


# ------------------------------------------------------------------ charts
def chart_labels() -> dict[str, dict[str, str]]:
    no_data = _("no data")
    return {
        "ep": {"title": _("Expectation and perception by dimension"), "expectation": _("Expectation"),
               "perception": _("Perception"), "axis": _("Mean score")},
        "items": {"title": _("Item gaps, worst first (P − E, 95% CI)"), "axis": _("Gap (P − E)"),
                  "ci": _("95% CI"), "no_data": no_data},
        "zone": {"title": _("Zone of tolerance by item"), "zone": _("Zone (adequate to desired)"),
                 "below": _("Below the zone"), "within": _("Within the zone"), "above": _("Above the zone"),
                 "axis": _("Mean score"), "no_data": no_data},
        "ipa": {"title": _("Importance–performance"), "x": _("Performance (mean perception)"),
                "y": _("Importance (mean points)"), "concentrate_here": _("Concentrate here"),
                "keep_up": _("Keep up the good work"), "possible_overkill": _("Possible overkill"),
                "low_priority": _("Low priority")},
        "heatmap": {"title": _("Dimension gaps by unit"), "gap": _("Gap"), "no_data": no_data},
    }


def figure_data(fig) -> dict[str, Any]:
    """Plain JSON data of a figure, for json_script (which escapes <, > and &)."""
    return json.loads(fig.to_json())


def dashboard_charts(*, audit: Audit, result: dict[str, Any], dims: dict[str, str], items: dict[str, str],
                     heat_rows: list[tuple[str, str, Any]]) -> list[dict[str, Any]]:
    """The dashboard's panels in page order: a chart, or a note where a chart cannot be drawn."""
    labels = chart_labels()
    gap5 = result["gap5"]
    panels: list[tuple[str, Any, bool]] = [
        ("expectation-perception", charts.expectation_perception_chart(
            gap5["dimensions"], dims, labels["ep"], scale=audit.scale), False),
    ]
    if charts.has_importance(result.get("ipa")):
        panels.append(("ipa", charts.ipa_chart(result["ipa"], dims, labels["ipa"]), False))
    else:
        panels.append(("ipa", _(
            "No customer in this scope split importance points over the dimensions, "
            "so there is no importance–performance chart."
        ), False))
    panels.append(("item-gaps", charts.item_gap_chart(gap5["items"], items, labels["items"]), True))
    if result.get("zone"):
        panels.append(("zone", charts.zone_chart(result["zone"]["items"], items, labels["zone"],
                                                 scale=audit.scale), True))
    else:
        panels.append(("zone", _(
            "The zone of tolerance needs a three-column audit (adequate, desired and perceived "
            "levels). This audit asks two columns: expectation and perception."
        ), True))
    panels.append(("unit-heatmap", charts.unit_heatmap(heat_rows, list(dims), dims, labels["heatmap"]), True))
    titles = {"ipa": _("Importance–performance"), "zone": _("Zone of tolerance")}
    out = []
    for key, content, wide in panels:
        panel: dict[str, Any] = {"key": key, "wide": wide}
        if isinstance(content, str):
            panel.update(id=f"note-{key}", title=titles[key], note=content)
        else:
            panel.update(id=f"chart-{key}", data_id=f"chart-{key}-data", figure=figure_data(content))
        out.append(panel)
    return out
