"""The five-gap view's presentation: gap names and definitions in the active
language, severity classes, the diagram's geometry, the item × gap matrix and the
rows of one gap's detail page.

Nothing is computed here: every figure comes from the stored §8 result
(analytics.selectors.audit_gaps); a null figure stays null and reads "no data".
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from analytics import gap_charts
from analytics.dashboard import DASH, ci_text, figure_data, num, p_text

GAP_NUMBERS = (1, 2, 3, 4, 5)
SHORT_TEXT_WIDTH = 34  # display columns of an item's text beside its code (a CJK character counts 2)


# ------------------------------------------------------------------ gaps
def gap_info() -> dict[int, dict[str, str]]:
    """Name, definition (METHOD.md §6 and §3) and data source of each gap."""
    return {
        1: {"name": _("The knowledge gap"), "short": _("Knowledge"),
            "definition": _("management's belief of what customers expect − customers' expectation"),
            "question": _("Do managers know what customers expect?"),
            "source": _("From the manager survey and customer expectations")},
        2: {"name": _("The standards gap"), "short": _("Standards"),
            "definition": _("quality standard − management's belief"),
            "question": _("Do the service standards reflect what managers believe customers expect?"),
            "source": _("Computed from quality standards")},
        3: {"name": _("The delivery gap"), "short": _("Delivery"),
            "definition": _("delivered − standard"),
            "question": _("Does the service delivered meet the standards?"),
            "source": _("Computed from delivery evidence (self-assessments, inspections)")},
        4: {"name": _("The communication gap"), "short": _("Communication"),
            "definition": _("delivered − promised"),
            "question": _("Does delivery keep the promises made to customers?"),
            "source": _("Computed from the promise register")},
        5: {"name": _("The customer gap"), "short": _("Customer"),
            "definition": _("perceived − expected"),
            "question": _("Do customers get the service they expect?"),
            "source": _("From the customer survey")},
    }


def gap_title(n: int) -> str:
    return _("Gap %(n)s") % {"n": n}


def severity_labels() -> dict[str, str]:
    return {"good": _("no shortfall (≥ 0)"), "minor": _("slight shortfall (0 to −0.5)"),
            "moderate": _("shortfall (−0.5 to −1)"), "severe": _("large shortfall (below −1)"),
            "none": _("no data")}


def value_text(value: float | None) -> str:
    """A gap for the UI: 2 decimals, or "no data" (never 0) when null."""
    return _("no data") if value is None else num(value)


def gap_block(result: dict[str, Any], n: int) -> dict[str, Any]:
    """The §8 part of gap n, with its three keys present even in an older stored payload."""
    block = result.get(f"gap{n}") or {}
    return {"overall": block.get("overall") or {}, "dimensions": block.get("dimensions") or {},
            "items": block.get("items") or {}}


def overall_gap(result: dict[str, Any], n: int) -> float | None:
    """Gap n of the whole scope (gap 5: the unweighted overall score)."""
    return gap_block(result, n)["overall"].get("gap")


def badge(value: float | None) -> dict[str, Any]:
    level = gap_charts.severity(value)
    return {"value": value, "text": value_text(value), "severity": level, "cls": f"sev-{level}"}


def gap_cards(result: dict[str, Any], url_for: Callable[[int], str]) -> list[dict[str, Any]]:
    """One card per gap: what it is, what it is computed from, its overall value."""
    info = gap_info()
    cards = []
    for n in GAP_NUMBERS:
        block = gap_block(result, n)
        item_rows = block["items"].values()
        cards.append({
            "n": n, "title": gap_title(n), **info[n], **badge(overall_gap(result, n)),
            "items_with_data": sum(1 for r in item_rows if (r or {}).get("gap") is not None),
            "items_total": len(block["items"]), "url": url_for(n),
        })
    return cards


# ------------------------------------------------------------------ diagram
# The gaps model of Parasuraman, Zeithaml & Berry (1985) on a 640 × 600 canvas
# (y from 30 to 630): customer side on top, provider side below a dashed line, gaps as badges.
DIAGRAM_TOP, DIAGRAM_WIDTH, DIAGRAM_HEIGHT = 30, 640, 600
COLUMN_X, COLUMN_W = 130, 250  # the central column of boxes
SIDE_X, SIDE_W = 490, 140  # external communications
SEPARATOR_Y = 262
BADGE_W, BADGE_H = 92, 44
GAP1_X = 62


def _c(value: float) -> str:
    """A coordinate as SVG text, never localized (a decimal comma would break the path)."""
    return f"{value:g}"


def _box(key: str, x: int, y: int, w: int, h: int, lines: list[str], *, customer: bool = False) -> dict:
    step = 17
    first = y + h / 2 - step * (len(lines) - 1) / 2 + 5
    return {"key": key, "x": _c(x), "y": _c(y), "w": _c(w), "h": _c(h), "cx": _c(x + w / 2),
            "customer": customer, "top": y, "bottom": y + h, "mid": y + h / 2,
            "lines": [{"text": t, "y": _c(round(first + i * step, 1))} for i, t in enumerate(lines)]}


def diagram(cards: list[dict[str, Any]]) -> dict[str, Any]:
    """The boxes, connecting arrows and gap badges of the gaps-model diagram."""
    cx, right = COLUMN_X + COLUMN_W / 2, COLUMN_X + COLUMN_W
    side_cx = SIDE_X + SIDE_W / 2
    b = {
        "expected": _box("expected", COLUMN_X, 62, COLUMN_W, 50, [_("Expected service")], customer=True),
        "perceived": _box("perceived", COLUMN_X, 182, COLUMN_W, 50, [_("Perceived service")], customer=True),
        "delivery": _box("delivery", COLUMN_X, 300, COLUMN_W, 50, [_("Service delivery")]),
        "standards": _box("standards", COLUMN_X, 420, COLUMN_W, 60,
                          [_("Translation of perceptions into"), _("service quality standards")]),
        "management": _box("management", COLUMN_X, 550, COLUMN_W, 60,
                           [_("Management perceptions of"), _("customer expectations")]),
        "communications": _box("communications", SIDE_X, 292, SIDE_W, 66,
                               [_("External"), _("communications"), _("to customers")]),
    }
    # Flows of the model: beliefs shape standards, standards shape delivery, delivery is
    # what customers perceive; promises (dashed) shape expectations and perceptions.
    flows = [
        (f"M{_c(cx)},{_c(b['management']['top'])} V{_c(b['standards']['bottom'])}", False),
        (f"M{_c(cx)},{_c(b['standards']['top'])} V{_c(b['delivery']['bottom'])}", False),
        (f"M{_c(cx)},{_c(b['delivery']['top'])} V{_c(b['perceived']['bottom'])}", False),
        (f"M{_c(side_cx)},{_c(b['communications']['top'])} V{_c(b['expected']['mid'])} H{_c(right)}", True),
        (f"M{_c(side_cx)},{_c(b['perceived']['mid'])} H{_c(right)}", True),
    ]
    # The gaps: 5 expected ↔ perceived, 4 delivery ↔ communications, 1 expected ↔ management
    # (gaps 2 and 3 sit on the flows between the boxes they compare).
    gap_lines = [
        f"M{_c(cx)},{_c(b['expected']['bottom'])} V{_c(b['perceived']['top'])}",
        f"M{_c(right)},{_c(b['delivery']['mid'])} H{_c(SIDE_X)}",
        f"M{_c(COLUMN_X)},{_c(b['expected']['mid'])} H{_c(GAP1_X)} V{_c(b['management']['mid'])} "
        f"H{_c(COLUMN_X)}",
    ]
    centres = {
        5: (cx, (b["expected"]["bottom"] + b["perceived"]["top"]) / 2),
        4: ((right + SIDE_X) / 2, b["delivery"]["mid"]),
        3: (cx, (b["delivery"]["bottom"] + b["standards"]["top"]) / 2),
        2: (cx, (b["standards"]["bottom"] + b["management"]["top"]) / 2),
        1: (GAP1_X, (b["delivery"]["mid"] + b["standards"]["mid"]) / 2),
    }
    badges = []
    for card in cards:
        x, y = centres[card["n"]]
        badges.append({
            **card, "x": _c(x - BADGE_W / 2), "y": _c(y - BADGE_H / 2), "w": _c(BADGE_W), "h": _c(BADGE_H),
            "label_x": _c(x), "label_y": _c(y - 5), "value_y": _c(y + 14),
        })
    return {
        "view_box": f"0 {DIAGRAM_TOP} {DIAGRAM_WIDTH} {DIAGRAM_HEIGHT}", "width": _c(DIAGRAM_WIDTH),
        "boxes": list(b.values()),
        "flows": [{"d": d, "promise": promise} for d, promise in flows],
        "gap_lines": gap_lines, "badges": badges, "separator_y": _c(SEPARATOR_Y), "centre_x": _c(cx),
        # the side labels sit in the free channel between the central column and the side box
        "side_label_x": _c((right + SIDE_X) / 2),
        "customer_label_y": _c(SEPARATOR_Y - 10), "provider_label_y": _c(SEPARATOR_Y + 22),
        "customer_label": _("Customer"), "provider_label": _("Provider"),
        "influences": _("Word of mouth · personal needs · past experience"),
    }


# ------------------------------------------------------------------ matrix
def short_text(text: str, width: int = SHORT_TEXT_WIDTH) -> str:
    """The text cut to about `width` display columns, with an ellipsis when cut."""
    out, used = [], 0
    for ch in text:
        used += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used > width:
            return "".join(out).rstrip(" ,.;:，。") + "…"
        out.append(ch)
    return text


def matrix_cell(value: float | None) -> dict[str, Any]:
    return {"text": value_text(value), "cls": f"num sev-{gap_charts.severity(value)}",
            "missing": value is None}


def matrix_rows(result: dict[str, Any], snapshot: dict[str, Any], dims: dict[str, str],
                items: dict[str, str]) -> list[dict[str, Any]]:
    """The matrix as table rows: overall, then each dimension followed by its items."""
    blocks = {n: gap_block(result, n) for n in GAP_NUMBERS}

    def cells(part: str, code: str | None) -> list[dict[str, Any]]:
        out = []
        for n in GAP_NUMBERS:
            row = blocks[n]["overall"] if part == "overall" else (blocks[n][part].get(code) or {})
            out.append(matrix_cell(row.get("gap")))
        return out

    rows = [{"kind": "overall", "code": "", "label": _("Overall"), "detail": "", "cells": cells("overall", None)}]
    for dimension in snapshot.get("dimensions", []):
        code = dimension["code"]
        rows.append({"kind": "dimension", "code": code, "label": dims.get(code, code), "detail": "",
                     "cells": cells("dimensions", code)})
        for item in dimension.get("items", []):
            rows.append({"kind": "item", "code": item["code"], "label": item["code"],
                         "detail": items.get(item["code"], ""), "cells": cells("items", item["code"])})
    return rows


def matrix_chart_input(result: dict[str, Any], snapshot: dict[str, Any], items: dict[str, str]
                       ) -> tuple[list[tuple[str, str, list[float | None]]], list[int]]:
    """(rows, breaks) for gap_charts.gap_matrix_chart: items in instrument order, grouped
    by dimension; a row's tick is its code and short text."""
    blocks = {n: gap_block(result, n) for n in GAP_NUMBERS}
    rows, breaks = [], []
    for dimension in snapshot.get("dimensions", []):
        breaks.append(len(rows))
        for item in dimension.get("items", []):
            code = item["code"]
            text = items.get(code, "")
            values = [(blocks[n]["items"].get(code) or {}).get("gap") for n in GAP_NUMBERS]
            rows.append((f"{code} · {short_text(text)}" if text else code, f"{code} {text}".strip(), values))
    return rows, breaks


def matrix_figure(result: dict[str, Any], snapshot: dict[str, Any], items: dict[str, str]) -> dict[str, Any]:
    rows, breaks = matrix_chart_input(result, snapshot, items)
    labels = {"title": _("Item gaps by gap (negative = shortfall)"), "gap": _("Gap"), "no_data": _("no data")}
    codes = [code for dimension in snapshot.get("dimensions", []) for code in
             (item["code"] for item in dimension.get("items", []))]
    fig = gap_charts.gap_matrix_chart(rows, [gap_title(n) for n in GAP_NUMBERS], labels, breaks=breaks,
                                      compact_ticks=codes)
    return figure_data(fig)


# ------------------------------------------------------------------ one gap
def null_reason(n: int, row: dict[str, Any] | None) -> str:
    """Why item figure `row` of gap n has no gap (the missing inputs, METHOD.md §6)."""
    row = row or {}
    reasons = []
    if n == 1:
        if not row.get("n_managers"):
            reasons.append(_("no manager answers"))
        if not row.get("n_customers"):
            reasons.append(_("no customer expectations"))
    elif n == 2:
        if row.get("standard") is None:
            reasons.append(_("no standard"))
        if row.get("mean_m") is None:
            reasons.append(_("no manager answers"))
    elif n in (3, 4):
        if n == 3 and row.get("standard") is None:
            reasons.append(_("no standard"))
        if n == 4 and row.get("promised") is None:
            reasons.append(_("no promise"))
        if row.get("mean_d") is None or not row.get("n"):
            reasons.append(_("no delivery evidence"))
    elif not row.get("n"):
        reasons.append(_("no customer answered both expectation and perception"))
    return "; ".join(reasons) or _("no data")


def _count(value: Any) -> str:
    return DASH if value is None else str(value)


# Per gap: the columns of its item table (key, header, kind). Kinds: gap (coloured,
# "no data" when null), num (2 dp), count, ci, p.
COLUMNS: dict[int, list[tuple[str, str]]] = {
    1: [("gap", "gap"), ("mean_m", "num"), ("mean_e", "num"), ("n_managers", "count"), ("n_customers", "count"),
        ("ci", "ci"), ("p_value", "p")],
    2: [("gap", "gap"), ("standard", "num"), ("mean_m", "num")],
    3: [("gap", "gap"), ("mean_d", "num"), ("standard", "num"), ("n", "count"), ("sd", "num"), ("ci", "ci"),
        ("p_value", "p")],
    4: [("gap", "gap"), ("mean_d", "num"), ("promised", "num"), ("standard", "num"), ("n", "count"),
        ("sd", "num"), ("ci", "ci"), ("p_value", "p")],
    5: [("gap", "gap"), ("mean_e", "num"), ("mean_p", "num"), ("n", "count"), ("sd", "num"), ("se", "num"),
        ("ci", "ci"), ("p_value", "p")],
}


def column_headers() -> dict[str, tuple[str, str]]:
    """(short header, long title) per column key."""
    return {
        "gap": (_("Gap"), _("the gap (negative = shortfall)")),
        "mean_m": (_("Managers' belief"), _("mean of what managers believe customers expect")),
        "mean_e": (_("Expectation"), _("mean customer expectation")),
        "mean_p": (_("Perception"), _("mean customer perception")),
        "mean_d": (_("Delivered"), _("mean delivery observation")),
        "standard": (_("Standard"), _("the quality standard (unit override where set)")),
        "promised": (_("Promised"), _("the highest level promised for the item")),
        "n_managers": (_("Managers"), _("number of managers who answered")),
        "n_customers": (_("Customers"), _("number of customer expectation answers")),
        "n": ("n", _("number of observations")),
        "sd": ("sd", _("standard deviation")),
        "se": ("se", _("standard error")),
        "ci": (
            _("95% CI"),
            # xgettext:no-python-format
            _("95% confidence interval of the gap"),
        ),
        "p_value": ("p", _("two-sided p-value")),
    }


def detail_columns(n: int) -> list[dict[str, str]]:
    headers = column_headers()
    return [{"key": key, "label": headers[key][0], "title": headers[key][1]} for key, _kind in COLUMNS[n]]


def _detail_cell(kind: str, key: str, row: dict[str, Any]) -> dict[str, Any]:
    if kind == "gap":
        return matrix_cell(row.get("gap"))
    if kind == "ci":
        return {"text": ci_text(row), "cls": "num"}
    if kind == "p":
        return {"text": p_text(row.get(key)), "cls": "num"}
    if kind == "count":
        return {"text": _count(row.get(key)), "cls": "num"}
    return {"text": num(row.get(key)), "cls": "num"}


def detail_rows(n: int, result: dict[str, Any], snapshot: dict[str, Any], dims: dict[str, str],
                items: dict[str, str]) -> list[dict[str, Any]]:
    """Gap n's figures as table rows: overall, then each dimension and its items in
    instrument order. Dimension and overall rows of gaps 1–4 have only a gap."""
    block = gap_block(result, n)
    columns = COLUMNS[n]

    def row_cells(row: dict[str, Any], *, full: bool) -> list[dict[str, Any]]:
        if full:
            return [_detail_cell(kind, key, row) for key, kind in columns]
        return [matrix_cell(row.get("gap"))] + [{"text": "", "cls": "num"} for _c in columns[1:]]

    full_aggregates = n == 5  # gap 5's overall and dimension figures carry every S statistic
    overall = block["overall"]
    rows = [{"kind": "overall", "code": "", "label": _("Overall"), "detail": "",
             "cells": row_cells(overall, full=full_aggregates),
             "low_sample": full_aggregates and bool(overall.get("low_sample")), "reason": ""}]
    for dimension in snapshot.get("dimensions", []):
        code = dimension["code"]
        drow = block["dimensions"].get(code) or {}
        rows.append({"kind": "dimension", "code": code, "label": dims.get(code, code), "detail": "",
                     "cells": row_cells(drow, full=full_aggregates),
                     "low_sample": full_aggregates and bool(drow.get("low_sample")), "reason": ""})
        for item in dimension.get("items", []):
            irow = block["items"].get(item["code"]) or {}
            defined = irow.get("gap") is not None
            rows.append({
                "kind": "item", "code": item["code"], "label": item["code"], "detail": items.get(item["code"], ""),
                "cells": row_cells(irow, full=True),
                "low_sample": defined and bool(irow.get("low_sample")),
                "reason": "" if defined else null_reason(n, irow),
            })
    return rows


def missing_items(n: int, result: dict[str, Any], items: dict[str, str]) -> list[dict[str, str]]:
    """Items of gap n with no figure, in instrument order, each with why."""
    out = []
    for code, row in gap_block(result, n)["items"].items():
        if (row or {}).get("gap") is None:
            out.append({"code": code, "text": items.get(code, ""), "reason": null_reason(n, row)})
    return out


def dimension_badges(n: int, result: dict[str, Any], snapshot: dict[str, Any],
                     dims: dict[str, str]) -> list[dict[str, Any]]:
    block = gap_block(result, n)
    return [{"code": d["code"], "label": dims.get(d["code"], d["code"]),
             **badge((block["dimensions"].get(d["code"]) or {}).get("gap"))}
            for d in snapshot.get("dimensions", [])]


def detail_figure(n: int, result: dict[str, Any], items: dict[str, str]) -> dict[str, Any] | None:
    """The worst-first item bar chart of gap n, or None when no item has a figure."""
    block = gap_block(result, n)["items"]
    if not any((r or {}).get("gap") is not None for r in block.values()):
        return None
    info = gap_info()[n]
    title = _("%(gap)s by item, worst first") if n == 2 else _("%(gap)s by item, worst first, with 95%% CI")
    labels = {"title": title % {"gap": gap_title(n)},
              "axis": f"{gap_title(n)} ({info['definition']})", "ci": _("95% CI")}
    return figure_data(gap_charts.gap_item_chart(block, items, labels))
