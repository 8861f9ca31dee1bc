"""Five-gap presentation (analytics.five_gaps) and its figures (analytics.gap_charts):
severity bands, "no data" for null figures, worst-first ordering, reasons for null items.

Every payload is written by hand in the METHOD.md §8 shape; no database.
"""

from __future__ import annotations

import pytest

from analytics import five_gaps, gap_charts

SNAPSHOT = {
    "code": "mini",
    "dimensions": [
        {"code": "reliability", "name": {"en": "Reliability", "zh-hans": "可靠性"},
         "items": [{"code": "REL1", "text": {"en": "Keeps its promises on time"}},
                   {"code": "REL2", "text": {"en": "Right the first time"}}]},
        {"code": "empathy", "name": {"en": "Empathy"},
         "items": [{"code": "EMP1", "text": {"en": "Individual attention"}}]},
    ],
}
DIMS = {"reliability": "Reliability", "empathy": "Empathy"}
ITEMS = {"REL1": "Keeps its promises on time", "REL2": "Right the first time", "EMP1": "Individual attention"}
G_NULL = {"gap": None, "mean_d": None, "standard": None, "n": 0, "sd": None, "se": None, "ci_low": None,
          "ci_high": None, "p_value": None, "low_sample": True}


def s_fig(gap, mean_e, mean_p, n, ci=(None, None)):
    return {"gap": gap, "mean_e": mean_e, "mean_p": mean_p, "n": n, "sd": 1.0, "se": 0.2, "ci_low": ci[0],
            "ci_high": ci[1], "p_value": 0.04, "low_sample": n < 5}


def result() -> dict:
    """Hand-written §8 figures: every gap with some items defined and some null."""
    return {
        "n_responses": 40,
        "gap1": {
            "overall": {"gap": -0.275}, "dimensions": {"reliability": {"gap": -0.8}, "empathy": {"gap": 0.25}},
            "items": {
                "REL1": {"gap": -0.8, "mean_m": 5.2, "mean_e": 6.0, "n_managers": 3, "n_customers": 40,
                         "p_value": 0.0123, "ci_low": -1.5, "ci_high": -0.1},
                "REL2": {"gap": None, "mean_m": None, "mean_e": 5.5, "n_managers": 0, "n_customers": 38,
                         "p_value": None, "ci_low": None, "ci_high": None},
                "EMP1": {"gap": 0.25, "mean_m": 5.75, "mean_e": 5.5, "n_managers": 4, "n_customers": 40,
                         "p_value": 0.5, "ci_low": -0.6, "ci_high": 1.1},
            },
        },
        "gap2": {
            "overall": {"gap": 0.3}, "dimensions": {"reliability": {"gap": 0.3}, "empathy": {"gap": None}},
            "items": {
                "REL1": {"gap": 0.3, "standard": 5.5, "mean_m": 5.2},
                "REL2": {"gap": None, "standard": 6.0, "mean_m": None},
                "EMP1": {"gap": None, "standard": None, "mean_m": 5.75},
            },
        },
        "gap3": {
            "overall": {"gap": -1.2}, "dimensions": {"reliability": {"gap": -1.2}, "empathy": {"gap": None}},
            "items": {
                "REL1": {"gap": -1.2, "mean_d": 4.3, "standard": 5.5, "n": 12, "sd": 0.9, "se": 0.26,
                         "ci_low": -1.77, "ci_high": -0.63, "p_value": 0.0007, "low_sample": False},
                "REL2": {**G_NULL, "standard": 6.0},
                "EMP1": {**G_NULL, "mean_d": 5.0, "n": 4, "sd": 0.8, "low_sample": True},
            },
        },
        "gap4": {
            "overall": {"gap": -0.6}, "dimensions": {"reliability": {"gap": -0.7}, "empathy": {"gap": -0.5}},
            "items": {
                "REL1": {"gap": -0.7, "mean_d": 4.3, "standard": 5.5, "promised": 5.0, "n": 12, "sd": 0.9,
                         "se": 0.26, "ci_low": -1.27, "ci_high": -0.13, "p_value": 0.02, "low_sample": False},
                "REL2": {**G_NULL, "promised": None},
                "EMP1": {"gap": -0.5, "mean_d": 5.0, "standard": None, "promised": 5.5, "n": 4, "sd": 0.8,
                         "se": 0.4, "ci_low": -1.77, "ci_high": 0.77, "p_value": 0.3, "low_sample": True},
            },
        },
        "gap5": {
            "overall": s_fig(-0.9, 6.0, 5.1, 40), "weighted_overall": s_fig(-0.8, None, None, 20),
            "dimensions": {"reliability": s_fig(-1.1, 6.1, 5.0, 40), "empathy": s_fig(-0.3, 5.6, 5.3, 39)},
            "items": {"REL1": s_fig(-1.5, 6.2, 4.7, 39, (-1.9, -1.1)), "REL2": s_fig(-0.7, 6.0, 5.3, 38),
                      "EMP1": s_fig(None, None, None, 0)},
        },
    }


# ------------------------------------------------------------------ severity
@pytest.mark.parametrize(("value", "band"), [
    (1.3, "good"), (0.0, "good"), (-1e-12, "good"),  # −1e-12 is 0 within METHOD's tolerance
    (-0.01, "minor"), (-0.5, "minor"),  # each band includes its lower bound
    (-0.5000001, "moderate"), (-1.0, "moderate"),
    (-1.0000001, "severe"), (-4.2, "severe"),
    (None, "none"),
])
def test_severity_bands_at_and_around_the_thresholds(value, band):
    assert gap_charts.severity(value) == band
    assert five_gaps.badge(value)["cls"] == f"sev-{band}"


def test_a_null_gap_reads_no_data_and_never_zero():
    assert five_gaps.value_text(None) == "no data"
    assert five_gaps.value_text(-0.004) == "0.00"  # a tiny negative rounds to 0.00, not -0.00
    assert five_gaps.value_text(-1.236) == "-1.24"
    assert five_gaps.badge(None) == {"value": None, "text": "no data", "severity": "none", "cls": "sev-none"}


# ------------------------------------------------------------------ cards and diagram
def test_gap_cards_carry_value_source_coverage_and_link():
    cards = five_gaps.gap_cards(result(), lambda n: f"/gaps/{n}/")
    assert [c["n"] for c in cards] == [1, 2, 3, 4, 5]
    assert [c["text"] for c in cards] == ["-0.28", "0.30", "-1.20", "-0.60", "-0.90"]  # −0.275 → −0.28
    assert [c["severity"] for c in cards] == ["minor", "good", "severe", "moderate", "moderate"]
    assert [(c["items_with_data"], c["items_total"]) for c in cards] == [(2, 3), (1, 3), (1, 3), (2, 3), (2, 3)]
    assert cards[1]["source"] == "Computed from quality standards"
    assert cards[2]["source"] == "Computed from delivery evidence (self-assessments, inspections)"
    assert cards[3]["source"] == "Computed from the promise register"
    assert cards[0]["source"] == "From the manager survey and customer expectations"
    assert cards[4]["source"] == "From the customer survey"
    assert cards[0]["definition"] == "management's belief of what customers expect − customers' expectation"
    assert [c["definition"] for c in cards[1:]] == [
        "quality standard − management's belief", "delivered − standard", "delivered − promised",
        "perceived − expected"]
    assert cards[2]["url"] == "/gaps/3/"


def test_cards_of_a_result_without_gaps_1_to_4_read_no_data():
    old = {"n_responses": 3, "gap5": result()["gap5"]}  # a payload stored before gaps 1–4 existed
    cards = five_gaps.gap_cards(old, str)
    assert [c["text"] for c in cards] == ["no data"] * 4 + ["-0.90"]
    assert [c["items_total"] for c in cards] == [0, 0, 0, 0, 3]


def test_diagram_places_one_linked_badge_per_gap_between_the_boxes_it_compares():
    cards = five_gaps.gap_cards(result(), lambda n: f"/gaps/{n}/")
    d = five_gaps.diagram(cards)
    assert [b["key"] for b in d["boxes"]] == [
        "expected", "perceived", "delivery", "standards", "management", "communications"]
    badges = {b["n"]: b for b in d["badges"]}
    # badge centres: gap 5 between expected (62–112) and perceived (182–232): y 147 → top 125
    assert (badges[5]["x"], badges[5]["y"]) == ("209", "125")
    assert (badges[3]["y"], badges[2]["y"]) == ("363", "493")  # centres 385 and 515
    assert (badges[4]["x"], badges[4]["y"]) == ("389", "303")  # between column (380) and side box (490)
    assert badges[1]["x"] == "16"  # on the left line from expected service to management perceptions
    assert badges[3]["url"] == "/gaps/3/" and badges[3]["cls"] == "sev-severe"
    assert d["gap_lines"][2] == "M130,87 H62 V580 H130"


# ------------------------------------------------------------------ matrix
def test_matrix_chart_input_keeps_nulls_and_instrument_order():
    rows, breaks = five_gaps.matrix_chart_input(result(), SNAPSHOT, ITEMS)
    assert breaks == [0, 2]
    assert [r[0] for r in rows] == ["REL1 · Keeps its promises on time", "REL2 · Right the first time",
                                    "EMP1 · Individual attention"]
    assert rows[0][2] == [-0.8, 0.3, -1.2, -0.7, -1.5]
    assert rows[1][2] == [None, None, None, None, -0.7]
    assert rows[2][2] == [0.25, None, None, -0.5, None]


def test_matrix_figure_draws_null_cells_grey_with_no_data_never_as_zero():
    rows = [("A", "A item", [-0.8, None]), ("B", "B item", [None, 0.4])]
    fig = gap_charts.gap_matrix_chart(rows, ["Gap 1", "Gap 2"], {"title": "T", "gap": "Gap", "no_data": "no data"},
                                      breaks=[0, 1]).to_plotly_json()
    nulls, values = fig["data"]
    assert values["z"] == [[-0.8, None], [None, 0.4]]
    assert values["text"] == [["-0.80", ""], ["", "0.40"]]
    assert values["zmid"] == 0 and values["zmin"] == -0.8 and values["zmax"] == 0.8
    assert values["hoverongaps"] is False
    assert nulls["z"] == [[None, 1], [1, None]]
    assert nulls["text"] == [["", "no data"], ["no data", ""]]
    assert nulls["colorscale"] == [[0, "#e3e6eb"], [1, "#e3e6eb"]] and nulls["showscale"] is False
    assert values["customdata"][0][1] == "<b>A item</b><br>Gap 2: no data"
    assert values["customdata"][1][1] == "<b>B item</b><br>Gap 2: 0.40"
    assert [s["y0"] for s in fig["layout"]["shapes"]] == [0.5]  # a line above B only


def test_matrix_figure_of_the_result_never_holds_a_zero_for_a_null():
    fig = five_gaps.matrix_figure(result(), SNAPSHOT, ITEMS)
    values = fig["data"][1]
    assert values["z"][1] == [None, None, None, None, -0.7]
    assert values["text"][1] == ["", "", "", "", "-0.70"]
    assert fig["data"][0]["text"][1] == ["no data"] * 4 + [""]
    assert fig["data"][1]["x"] == ["Gap 1", "Gap 2", "Gap 3", "Gap 4", "Gap 5"]
    assert fig["layout"]["meta"] == {"compact_ticks": ["REL1", "REL2", "EMP1"]}  # for narrow screens


def test_matrix_table_rows_group_items_under_dimensions_with_no_data_cells():
    rows = five_gaps.matrix_rows(result(), SNAPSHOT, DIMS, ITEMS)
    assert [(r["kind"], r["code"]) for r in rows] == [
        ("overall", ""), ("dimension", "reliability"), ("item", "REL1"), ("item", "REL2"),
        ("dimension", "empathy"), ("item", "EMP1")]
    assert [c["text"] for c in rows[0]["cells"]] == ["-0.28", "0.30", "-1.20", "-0.60", "-0.90"]
    assert [c["text"] for c in rows[3]["cells"]] == ["no data"] * 4 + ["-0.70"]
    assert rows[3]["cells"][0]["cls"] == "num sev-none"
    assert rows[4]["cells"][1]["text"] == "no data"  # empathy has no gap-2 figure
    assert rows[2]["detail"] == "Keeps its promises on time"


def test_short_text_counts_wide_characters_double():
    assert five_gaps.short_text("short") == "short"
    assert five_gaps.short_text("a" * 40, 10) == "a" * 10 + "…"
    assert five_gaps.short_text("该服务机构拥有现代化的设备。", 10) == "该服务机构…"


# ------------------------------------------------------------------ one gap
def test_item_chart_is_worst_first_with_ci_error_bars_and_leaves_nulls_out():
    fig = gap_charts.gap_item_chart(result()["gap4"]["items"], ITEMS,
                                    {"title": "T", "axis": "A", "ci": "95% CI"}).to_plotly_json()
    bar = fig["data"][0]
    assert bar["y"] == ["REL1", "EMP1"]  # −0.7 before −0.5; REL2 (null) is not drawn
    assert bar["x"] == [-0.7, -0.5]
    assert bar["error_x"]["array"] == pytest.approx([-0.13 + 0.7, 0.77 + 0.5])  # ci_high − gap
    assert bar["error_x"]["arrayminus"] == pytest.approx([-0.7 + 1.27, -0.5 + 1.77])  # gap − ci_low
    assert bar["marker"]["color"] == ["#ea7a1e", "#e0a81e"]  # moderate, minor (−0.5 is minor)
    assert bar["customdata"][0] == ["Keeps its promises on time", "-0.70  (95% CI: -1.27 … -0.13); n = 12"]


def test_gap_2_chart_has_no_error_bars():
    fig = gap_charts.gap_item_chart(result()["gap2"]["items"], ITEMS, {"title": "T", "axis": "A", "ci": "CI"})
    bar = fig.to_plotly_json()["data"][0]
    assert bar["y"] == ["REL1"] and bar["x"] == [0.3]
    assert "error_x" not in bar
    assert bar["customdata"][0][1] == "0.30"


def test_item_chart_orders_gap_5_items_worst_first():
    fig = five_gaps.detail_figure(5, result(), ITEMS)
    assert fig["data"][0]["y"] == ["REL1", "REL2"]
    assert fig["layout"]["title"]["text"] == "Gap 5 by item, worst first, with 95% CI"


def test_no_chart_when_no_item_has_a_figure():
    empty = result()
    for row in empty["gap3"]["items"].values():
        row["gap"] = None
    assert five_gaps.detail_figure(3, empty, ITEMS) is None


@pytest.mark.parametrize(("n", "row", "reason"), [
    (1, {"gap": None, "n_managers": 0, "n_customers": 38}, "no manager answers"),
    (1, {"gap": None, "n_managers": 2, "n_customers": 0}, "no customer expectations"),
    (2, {"gap": None, "standard": None, "mean_m": 5.0}, "no standard"),
    (2, {"gap": None, "standard": 6.0, "mean_m": None}, "no manager answers"),
    (2, {"gap": None, "standard": None, "mean_m": None}, "no standard; no manager answers"),
    (3, {**G_NULL, "standard": 6.0}, "no delivery evidence"),
    (3, {**G_NULL, "mean_d": 5.0, "n": 4}, "no standard"),
    (3, G_NULL, "no standard; no delivery evidence"),
    (4, {**G_NULL, "promised": 5.0}, "no delivery evidence"),
    (4, {**G_NULL, "mean_d": 5.0, "n": 3, "promised": None}, "no promise"),
    (4, {**G_NULL, "promised": None}, "no promise; no delivery evidence"),
    (5, {"gap": None, "n": 0}, "no customer answered both expectation and perception"),
    (3, None, "no standard; no delivery evidence"),
])
def test_null_items_say_which_input_is_missing(n, row, reason):
    assert five_gaps.null_reason(n, row) == reason


def test_missing_items_are_listed_in_instrument_order_with_reasons():
    assert five_gaps.missing_items(3, result(), ITEMS) == [
        {"code": "REL2", "text": "Right the first time", "reason": "no delivery evidence"},
        {"code": "EMP1", "text": "Individual attention", "reason": "no standard"},
    ]
    assert five_gaps.missing_items(2, result(), ITEMS)[1]["reason"] == "no standard"
    assert five_gaps.missing_items(1, result(), ITEMS) == [
        {"code": "REL2", "text": "Right the first time", "reason": "no manager answers"}]


def test_detail_rows_of_gap_3_hold_every_item_figure_rounded():
    rows = five_gaps.detail_rows(3, result(), SNAPSHOT, DIMS, ITEMS)
    assert [c["label"] for c in five_gaps.detail_columns(3)] == ["Gap", "Delivered", "Standard", "n", "sd",
                                                                 "95% CI", "p"]
    rel1 = rows[2]
    assert [c["text"] for c in rel1["cells"]] == ["-1.20", "4.30", "5.50", "12", "0.90", "[-1.77, -0.63]", "0.001"]
    assert rel1["low_sample"] is False and rel1["reason"] == ""
    rel2 = rows[3]
    assert [c["text"] for c in rel2["cells"]] == ["no data", "—", "6.00", "0", "—", "—", "—"]
    assert rel2["reason"] == "no delivery evidence" and rel2["low_sample"] is False
    # the dimension row of gaps 1–4 has only its gap
    assert [c["text"] for c in rows[1]["cells"]] == ["-1.20", "", "", "", "", "", ""]
    assert [c["text"] for c in rows[4]["cells"]][0] == "no data"


def test_detail_rows_of_gap_4_add_the_promise_and_flag_a_low_sample():
    rows = five_gaps.detail_rows(4, result(), SNAPSHOT, DIMS, ITEMS)
    assert [c["key"] for c in five_gaps.detail_columns(4)] == [
        "gap", "mean_d", "promised", "standard", "n", "sd", "ci", "p_value"]
    emp1 = rows[5]
    assert [c["text"] for c in emp1["cells"]] == ["-0.50", "5.00", "5.50", "—", "4", "0.80", "[-1.77, 0.77]", "0.300"]
    assert emp1["low_sample"] is True
    assert rows[3]["reason"] == "no promise; no delivery evidence"


def test_detail_rows_of_gaps_1_2_and_5():
    gap1 = five_gaps.detail_rows(1, result(), SNAPSHOT, DIMS, ITEMS)
    assert [c["text"] for c in gap1[2]["cells"]] == ["-0.80", "5.20", "6.00", "3", "40", "[-1.50, -0.10]", "0.012"]
    assert [c["text"] for c in gap1[3]["cells"]] == ["no data", "—", "5.50", "0", "38", "—", "—"]
    gap2 = five_gaps.detail_rows(2, result(), SNAPSHOT, DIMS, ITEMS)
    assert [c["text"] for c in gap2[2]["cells"]] == ["0.30", "5.50", "5.20"]
    assert gap2[5]["reason"] == "no standard"
    gap5 = five_gaps.detail_rows(5, result(), SNAPSHOT, DIMS, ITEMS)
    assert [c["text"] for c in gap5[0]["cells"]] == ["-0.90", "6.00", "5.10", "40", "1.00", "0.20", "—", "0.040"]
    assert gap5[5]["reason"] == "no customer answered both expectation and perception"


def test_dimension_badges_follow_the_instrument():
    badges = five_gaps.dimension_badges(2, result(), SNAPSHOT, DIMS)
    assert [(b["label"], b["text"], b["severity"]) for b in badges] == [
        ("Reliability", "0.30", "good"), ("Empathy", "no data", "none")]
