"""The audit dashboard page: rendered from the stored result, filterable by unit."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse

from analytics.models import GapResult
from surveys.models import Instrument, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create, response_submit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signed_in_as_admin(client, admin_user):
    """Results pages are for admins and managers (managers' scopes: tests/access)."""
    client.force_login(admin_user)

CHART_IDS = ("chart-expectation-perception", "chart-item-gaps", "chart-ipa", "chart-unit-heatmap")
# tangibles P offsets per item that cancel out within a response, so the dimension score
# stays p − E while the items disagree (a low Cronbach's alpha for tangibles).
TAN_OFFSETS = ((1, -1, 1, -1), (-1, 1, -1, 1), (1, 1, -1, -1))
IMPORTANCE = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}


def answers_for(audit, perception: int, offsets: tuple[int, ...], *, adequate: int | None = None) -> dict:
    """E = 6 on every item, P = perception on every item (tangibles shifted by offsets)."""
    layout = audit_layout(audit=audit)
    out, tan = {}, iter(offsets)
    for code in layout.item_codes:
        p = perception + next(tan) if code.startswith("TAN") else perception
        out[code] = {"expectation": 6, "perception": p}
        if adequate is not None:
            out[code]["adequate"] = adequate
    return out


@pytest.fixture
def units(db):
    north = Unit.objects.create(code="north", name="North region")
    hall_a = Unit.objects.create(code="hall-a", name="Hall A", parent=north)
    hall_b = Unit.objects.create(code="hall-b", name="Hall B", parent=north)
    return north, hall_a, hall_b


def make_audit(units, *, slug="kiosks", format="two_column", importance=True, extra_units=()):
    audit = audit_create(slug=slug, title="Kiosk audit 2025", instrument=Instrument.objects.get(code="servqual"),
                         units=[units[0], *extra_units], format=format)
    # hall-a: P = 3, 4, 5, 5, 6, 4 (gap −1.5); hall-b: P = 5, 6 (gap −0.5); all: gap −1.25
    plan = [("hall-a", p) for p in (3, 4, 5, 5, 6, 4)] + [("hall-b", p) for p in (5, 6)]
    for i, (unit, p) in enumerate(plan):
        response_submit(
            audit=audit, submission_id=uuid.uuid4(), unit_code=unit,
            answers=answers_for(audit, p, TAN_OFFSETS[i % 3], adequate=4 if format == "three_column" else None),
            importance=IMPORTANCE if importance and i % 2 == 0 else None,
        )
    return audit


def computed_audit(units, capture, **kwargs):
    """make_audit, with the recompute its writes enqueue run in-process."""
    with capture(execute=True):
        audit = make_audit(units, **kwargs)
    audit.refresh_from_db()
    return audit


@pytest.fixture
def audit(units, celery_eager, django_capture_on_commit_callbacks):
    return computed_audit(units, django_capture_on_commit_callbacks)


def dashboard(client, audit, **params):
    return client.get(reverse("audit-dashboard", kwargs={"slug": audit.slug}), params)


def chart_figure(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, chart_id
    return json.loads(match.group(1))


def test_it_renders_every_chart_with_a_stable_id_and_its_figure_json(client, audit):
    response = dashboard(client, audit)
    html = response.content.decode()
    assert response.status_code == 200
    for chart_id in CHART_IDS:
        assert f'id="{chart_id}"' in html
        assert chart_figure(html, chart_id)["data"]
    assert 'data-chart="item-gaps"' in html
    # two-column audit: a note instead of the zone chart
    assert 'id="chart-zone"' not in html and 'id="note-zone"' in html


def test_it_shows_the_headline_scores_and_table_figures_rounded(client, audit):
    html = dashboard(client, audit).content.decode()
    assert audit.result_status == "fresh"
    assert "Kiosk audit 2025" in html
    # overall (unweighted): mean of P − E = (3+4+5+5+6+4+5+6)/8 − 6 = −1.25, n = 8
    assert '<div class="value neg">-1.25</div>' in html
    assert "n = 8" in html
    # weighted: responses 0, 2, 4, 6 gave points; scores −3, −1, 0, −1 → −1.25
    weighted = re.search(r'id="metric-weighted".*?<div class="value[^"]*">([^<]*)</div>', html, re.S)
    assert weighted.group(1) == "-1.25"
    assert '<span id="n-responses">8 responses</span>' in html
    reliability = re.search(r'data-code="reliability">(.*?)</tr>', html, re.S).group(1)
    cells = re.findall(r'<td class="[^"]*">([^<]*)', reliability)
    assert cells[:5] == ["6.00", "4.75", "-1.25", "8", "1.04"]  # E, P, gap, n, sd
    assert cells[6] == "[-2.12, -0.38]"  # −1.25 ± t(0.975, 7)·1.035/√8
    assert cells[7] == "0.011"  # p to 3 decimals (paired t = −3.416, df 7)
    assert cells[8] == "30.00"  # importance: every giver put 30 points on reliability
    assert cells[9] == "1.00"  # alpha_p: the items agree exactly
    assert cells[10] == "—"  # alpha_e: every E is 6, s_T² = 0 → null, shown as a dash


def test_it_flags_a_low_alpha_with_a_marker_and_a_legend(client, audit):
    html = dashboard(client, audit).content.decode()
    tangibles = re.search(r'data-code="tangibles">(.*?)</tr>', html, re.S).group(1)
    reliability = re.search(r'data-code="reliability">(.*?)</tr>', html, re.S).group(1)
    assert "alpha-flag" in tangibles
    assert "alpha-flag" not in reliability  # items agree exactly: alpha 1
    assert "Cronbach's alpha below 0.7" in html


def test_unit_filter_shows_that_units_figures_and_its_low_sample_warning(client, audit):
    response = dashboard(client, audit, unit="hall-b")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span id="n-responses">2 responses</span>' in html
    assert '<div class="value neg">-0.50</div>' in html
    assert '<option value="hall-b" selected>' in html
    assert 'class="row-dimension low-sample"' in html
    assert "fewer than 5 responses: read with care" in html
    # whole audit: 8 responses, so only the weighted score (4 gave points) is low-sample
    whole = dashboard(client, audit).content.decode()
    assert "row-dimension low-sample" not in whole and "row-item low-sample" not in whole
    weighted_card = whole.split('id="metric-weighted"')[1].split('id="metric-responses"')[0]
    assert "read with care" in weighted_card


def test_unit_select_lists_the_scope_in_tree_order_indented(client, audit):
    html = dashboard(client, audit).content.decode()
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)
    scope = [(v, label) for v, label in options if v in ("", "north", "hall-a", "hall-b")]
    assert scope == [("", "All units"), ("north", "North region (north)"),
                     ("hall-a", "\u00a0" * 3 + "Hall A (hall-a)"), ("hall-b", "\u00a0" * 3 + "Hall B (hall-b)")]


def test_heatmap_has_a_row_per_unit_and_null_cells_stay_null(client, audit):
    GapResult.objects.filter(audit=audit, unit__code="hall-b").delete()
    figure = chart_figure(dashboard(client, audit).content.decode(), "chart-unit-heatmap")
    heat = figure["data"][0]
    assert heat["y"] == ["north", "· hall-a", "· hall-b"]
    assert heat["z"][0][1] == pytest.approx(-1.25)  # north, reliability
    assert heat["z"][1][1] == pytest.approx(-1.5)  # hall-a
    assert heat["z"][2] == [None] * 5  # hall-b has no stored result: blank, not 0
    assert heat["text"][2][0] == "Hall B (hall-b)<br>Tangibles<br>no data"


def test_an_unknown_unit_answers_400_with_a_message(client, audit):
    response = dashboard(client, audit, unit="nowhere")
    assert response.status_code == 400
    assert 'There is no unit &quot;nowhere&quot; in this audit' in response.content.decode()


def test_a_unit_outside_the_audit_answers_400(client, audit):
    Unit.objects.create(code="south", name="South")
    assert dashboard(client, audit, unit="south").status_code == 400


def test_an_unknown_audit_is_404(client, db):
    assert client.get(reverse("audit-dashboard", kwargs={"slug": "missing"})).status_code == 404


def test_an_audit_without_a_result_shows_the_empty_state(client, units):
    audit = audit_create(slug="fresh", title="New audit", instrument=Instrument.objects.get(code="servqual"),
                         units=[units[0]])
    response = dashboard(client, audit)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="empty-state"' in html and "No results yet" in html
    assert 'class="chart"' not in html


def test_an_audit_without_responses_shows_the_no_responses_state(client, units, celery_eager,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        audit = audit_create(slug="quiet", title="Quiet", instrument=Instrument.objects.get(code="servqual"),
                             units=[units[0]])
    html = dashboard(client, audit).content.decode()
    assert "No responses yet" in html and 'class="chart"' not in html


def test_three_column_audit_draws_the_zone_and_a_note_when_there_is_no_importance(
    client, units, celery_eager, django_capture_on_commit_callbacks
):
    audit = computed_audit(units, django_capture_on_commit_callbacks, slug="zones", format="three_column",
                           importance=False)
    html = dashboard(client, audit).content.decode()
    zone = chart_figure(html, "chart-zone")
    band = zone["data"][0]
    assert band["base"][4] == pytest.approx(4.0)  # REL1: adequate 4, desired 6
    assert band["x"][4] == pytest.approx(2.0)
    assert 'id="chart-ipa"' not in html and 'id="note-ipa"' in html


def test_it_uses_the_instrument_text_of_the_active_language(client, audit):
    client.cookies["django_language"] = "zh-hans"
    html = dashboard(client, audit).content.decode()
    figure = chart_figure(html, "chart-expectation-perception")
    assert figure["data"][0]["x"][:2] == ["有形性", "可靠性"]
    assert "该服务机构拥有现代化的设备。" in html


def test_it_loads_plotly_locally_and_never_from_a_cdn(client, audit):
    html = dashboard(client, audit).content.decode()
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert "/static/vendor/plotly.min.js" in sources and "/static/js/dashboard.js" in sources
    assert not any("cdn" in s.lower() or s.startswith(("https://", "http://", "//")) for s in sources)


def test_figure_json_cannot_close_its_script_tag(client, units, celery_eager, django_capture_on_commit_callbacks):
    Unit.objects.filter(code="hall-a").update(name="</script><script>alert(1)</script>")
    audit = computed_audit(units, django_capture_on_commit_callbacks, slug="xss")
    html = dashboard(client, audit).content.decode()
    assert "<script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_query_count_stays_bounded_as_units_grow(client, units, celery_eager, django_capture_on_commit_callbacks,
                                                 django_assert_max_num_queries):
    many = [Unit.objects.create(code=f"u{i:02d}", name=f"Unit {i}", parent=units[0]) for i in range(20)]
    audit = computed_audit(units, django_capture_on_commit_callbacks, slug="big", extra_units=many)
    # 2 of them read the session and its user (the page is for signed-in admins and managers).
    with django_assert_max_num_queries(10):
        assert dashboard(client, audit).status_code == 200
    with django_assert_max_num_queries(10):
        assert dashboard(client, audit, unit="hall-a").status_code == 200
