"""analytics.charts: pure figure builders, checked on hand-written payload parts (no database)."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from analytics import charts

NO_DATA = "no data"
EP = {"title": "E and P", "expectation": "Expectation", "perception": "Perception", "axis": "Mean"}
ITEMS = {"title": "Item gaps", "axis": "Gap", "ci": "95% CI", "no_data": NO_DATA}
ZONE = {"title": "Zone", "zone": "Zone", "below": "Below", "within": "Within", "above": "Above",
        "axis": "Mean", "no_data": NO_DATA}
IPA = {"title": "IPA", "x": "Performance", "y": "Importance", "concentrate_here": "Concentrate here",
       "keep_up": "Keep up the good work", "possible_overkill": "Possible overkill",
       "low_priority": "Low priority"}
HEAT = {"title": "Units", "gap": "Gap", "no_data": NO_DATA}


def item(gap, low=None, high=None, n=10):
    return {"gap": gap, "ci_low": low, "ci_high": high, "n": n}


def test_expectation_perception_bars_follow_instrument_order_with_names():
    dims = {"tangibles": {"mean_e": 6.0, "mean_p": 5.5}, "empathy": {"mean_e": 5.0, "mean_p": None}}
    fig = charts.expectation_perception_chart(dims, {"tangibles": "有形性", "empathy": "Empathy"}, EP, scale=7)
    e, p = fig.data
    assert fig.layout.barmode == "group"
    assert list(e.x) == ["有形性", "Empathy"] and list(p.x) == ["有形性", "Empathy"]
    assert list(e.y) == [6.0, 5.0]
    assert list(p.y) == [5.5, None]
    assert (e.name, p.name) == ("Expectation", "Perception")
    assert list(fig.layout.yaxis.range) == [0, 7]
    assert fig.layout.title.text == "E and P"


def test_item_gaps_are_sorted_worst_first_with_missing_gaps_last():
    items = {"A": item(-0.5, -1.0, 0.25), "B": item(None), "C": item(-2.0, -2.5, -1.25), "D": item(0.75, 0.5, 1.0)}
    fig = charts.item_gap_chart(items, {}, ITEMS)
    bar = fig.data[0]
    assert list(bar.y) == ["C", "A", "D", "B"]
    assert list(bar.x) == [-2.0, -0.5, 0.75, None]
    assert bar.orientation == "h"
    assert fig.layout.yaxis.autorange == "reversed"  # first category at the top


def test_item_gap_error_bars_are_asymmetric_ci_distances_and_null_without_ci():
    items = {"A": item(-0.5, -1.25, 0.0), "B": item(-1.0, None, None, n=1), "C": item(0.5, 0.25, 1.5)}
    bar = charts.item_gap_chart(items, {}, ITEMS).data[0]
    # order: B (-1.0), A (-0.5), C (0.5)
    assert bar.error_x.symmetric is False
    assert list(bar.error_x.array) == [None, 0.5, 1.0]  # ci_high − gap
    assert list(bar.error_x.arrayminus) == [None, 0.75, 0.25]  # gap − ci_low


def test_item_gap_bars_are_red_when_negative():
    items = {"A": item(-0.5, -1, 0), "B": item(0.5, 0, 1), "C": item(None)}
    colours = list(charts.item_gap_chart(items, {}, ITEMS).data[0].marker.color)
    assert colours == [charts.RED, charts.GREEN, charts.GREY]


def test_zone_band_runs_from_adequate_to_desired_and_markers_split_by_position():
    zone = {
        "I1": {"mean_adequate": 4.0, "mean_desired": 6.0, "mean_p": 3.5, "position": "below"},
        "I2": {"mean_adequate": 3.0, "mean_desired": 5.5, "mean_p": 4.0, "position": "within"},
        "I3": {"mean_adequate": 2.0, "mean_desired": 4.0, "mean_p": 4.5, "position": "above"},
        "I4": {"mean_adequate": None, "mean_desired": None, "mean_p": None, "position": None},
    }
    fig = charts.zone_chart(zone, {}, ZONE, scale=7)
    band, below, within, above = fig.data
    assert list(band.y) == ["I1", "I2", "I3", "I4"]
    assert list(band.base) == [4.0, 3.0, 2.0, None]
    assert list(band.x) == [2.0, 2.5, 2.0, None]
    assert (list(below.y), list(below.x)) == (["I1"], [3.5])
    assert (list(within.y), list(within.x)) == (["I2"], [4.0])
    assert (list(above.y), list(above.x)) == (["I3"], [4.5])
    assert below.marker.color == charts.RED and above.marker.color == charts.GREEN
    assert [t.name for t in fig.data] == ["Zone", "Below", "Within", "Above"]


def test_zone_band_of_an_inverted_zone_still_spans_both_levels():
    zone = {"I1": {"mean_adequate": 5.0, "mean_desired": 4.0, "mean_p": 4.5, "position": "below"}}
    band = charts.zone_chart(zone, {}, ZONE, scale=7).data[0]
    assert list(band.base) == [4.0] and list(band.x) == [1.0]


def ipa_payload():
    return {
        "tangibles": {"importance": 10.0, "performance": 6.0, "quadrant": "possible_overkill"},
        "reliability": {"importance": 40.0, "performance": 4.0, "quadrant": "concentrate_here"},
        "empathy": {"importance": 25.0, "performance": 5.0, "quadrant": "keep_up"},
        "assurance": {"importance": None, "performance": 5.5, "quadrant": None},
    }


def test_ipa_points_and_dashed_lines_at_the_axis_means_of_defined_dimensions():
    fig = charts.ipa_chart(ipa_payload(), {"reliability": "Reliability"}, IPA)
    points = fig.data[0]
    assert list(points.x) == [6.0, 4.0, 5.0]
    assert list(points.y) == [10.0, 40.0, 25.0]
    assert list(points.text) == ["tangibles", "Reliability", "empathy"]
    vertical, horizontal = fig.layout.shapes
    assert vertical.x0 == vertical.x1 == pytest.approx(5.0)  # (6 + 4 + 5) / 3; assurance left out
    assert horizontal.y0 == horizontal.y1 == pytest.approx(25.0)  # (10 + 40 + 25) / 3
    assert vertical.line.dash == horizontal.line.dash == "dash"
    # both lines inside the axis ranges, so each corner label sits in its quadrant
    assert fig.layout.xaxis.range[0] < 5.0 < fig.layout.xaxis.range[1]
    assert fig.layout.yaxis.range[0] < 25.0 < fig.layout.yaxis.range[1]
    corners = {(a.x, a.y): a.text for a in fig.layout.annotations}
    assert corners == {(0, 1): "Concentrate here", (1, 1): "Keep up the good work",
                       (1, 0): "Possible overkill", (0, 0): "Low priority"}


def test_ipa_without_importance_has_no_points_and_no_lines():
    ipa = {"a": {"importance": None, "performance": 5.0, "quadrant": None}}
    assert charts.has_importance(ipa) is False
    assert charts.has_importance(None) is False
    assert charts.has_importance(ipa_payload()) is True
    fig = charts.ipa_chart(ipa, {}, IPA)
    assert list(fig.data[0].x) == []
    assert fig.layout.shapes == ()
    assert charts.ipa_axis_means(ipa) == (None, None)


def test_heatmap_keeps_null_cells_null_and_centres_the_scale_at_zero():
    rows = [
        ("north", "North", {"tangibles": {"gap": -1.5, "n": 8}, "empathy": {"gap": 0.5, "n": 8}}),
        ("· hall-a", "Hall A", {"tangibles": {"gap": None, "n": 0}, "empathy": {"gap": -0.25, "n": 3}}),
        ("· hall-b", "Hall B", None),
    ]
    fig = charts.unit_heatmap(rows, ["tangibles", "empathy"], {"tangibles": "Tangibles"}, HEAT)
    heat = fig.data[0]
    assert [list(r) for r in heat.z] == [[-1.5, 0.5], [None, -0.25], [None, None]]
    assert list(heat.y) == ["north", "· hall-a", "· hall-b"]
    assert list(heat.x) == ["Tangibles", "empathy"]
    assert heat.zmid == 0
    assert (heat.zmin, heat.zmax) == (-1.5, 1.5)
    assert [list(r) for r in heat.text] == [
        ["North<br>Tangibles<br>Gap -1.50 (n = 8)", "North<br>empathy<br>Gap 0.50 (n = 8)"],
        ["Hall A<br>Tangibles<br>no data", "Hall A<br>empathy<br>Gap -0.25 (n = 3)"],
        ["Hall B<br>Tangibles<br>no data", "Hall B<br>empathy<br>no data"],
    ]
    assert heat.hoverongaps is True
    # the serialised figure carries null, never 0, for the blank cells
    assert json.loads(fig.to_json())["data"][0]["z"][2] == [None, None]


def test_every_builder_returns_a_figure_that_serialises():
    figures = [
        charts.expectation_perception_chart({"a": {"mean_e": 5.0, "mean_p": 4.0}}, {}, EP, scale=5),
        charts.item_gap_chart({"A": item(-1.0, -2.0, 0.0)}, {}, ITEMS),
        charts.zone_chart({"A": {"mean_adequate": 3.0, "mean_desired": 5.0, "mean_p": 4.0,
                                 "position": "within"}}, {}, ZONE, scale=7),
        charts.ipa_chart(ipa_payload(), {}, IPA),
        charts.unit_heatmap([("U", "Unit", {"a": {"gap": 1.0, "n": 5}})], ["a"], {}, HEAT),
    ]
    for fig in figures:
        assert isinstance(fig, go.Figure)
        assert "data" in json.loads(fig.to_json())
