"""The five-gap pages: /audits/<slug>/gaps/ and /audits/<slug>/gaps/<n>/, rendered from
a stored result written by hand in the METHOD.md §8 shape."""

from __future__ import annotations

import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import GapResult
from analytics.selectors import empty_figures
from surveys.models import Instrument, Unit
from surveys.services import audit_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def signed_in_as_admin(client, admin_user):
    """Results pages are for admins and managers (managers' scopes: tests/access)."""
    client.force_login(admin_user)


@pytest.fixture
def units(db):
    north = Unit.objects.create(code="north", name="North region")
    hall_a = Unit.objects.create(code="hall-a", name="Hall A", parent=north)
    return north, hall_a


@pytest.fixture
def audit(units):
    return audit_create(slug="halls", title="Service halls 2025", instrument=Instrument.objects.get(code="servqual"),
                        units=[units[0]])


def full_payload(audit) -> dict:
    """empty_figures' shape (every gap null, as today's recompute stores gaps 1–4), with
    hand-written figures for a few items of every gap."""
    p = empty_figures(audit=audit)
    p["n_responses"] = 40
    p["gap1"]["overall"]["gap"] = -0.4567
    p["gap1"]["dimensions"]["reliability"]["gap"] = -0.91
    p["gap1"]["items"]["REL1"].update(gap=-0.91, mean_m=5.09, mean_e=6.0, n_managers=3, n_customers=40,
                                      p_value=0.021, ci_low=-1.6, ci_high=-0.22)
    p["gap1"]["items"]["REL2"].update(mean_e=5.5, n_customers=38)  # customers answered, no manager yet
    p["gap2"]["overall"]["gap"] = 0.25
    p["gap2"]["dimensions"]["reliability"]["gap"] = 0.25
    p["gap2"]["items"]["REL1"].update(gap=0.25, standard=5.34, mean_m=5.09)
    p["gap2"]["items"]["REL2"].update(standard=6.0)  # a standard but no manager answers
    p["gap3"]["overall"]["gap"] = -1.23456
    p["gap3"]["dimensions"]["reliability"]["gap"] = -1.23456
    p["gap3"]["items"]["REL1"].update(gap=-1.23456, mean_d=4.10544, standard=5.34, n=12, sd=0.9, se=0.26,
                                      ci_low=-1.806, ci_high=-0.663, p_value=0.0004, low_sample=False)
    p["gap3"]["items"]["REL2"].update(standard=6.0)  # a standard but no delivery evidence
    p["gap4"]["overall"]["gap"] = -0.5
    p["gap4"]["dimensions"]["reliability"]["gap"] = -0.5
    p["gap4"]["items"]["REL1"].update(gap=-0.5, mean_d=4.5, standard=5.34, promised=5.0, n=3, sd=1.0, se=0.577,
                                      ci_low=-2.98, ci_high=1.98, p_value=0.47, low_sample=True)
    p["gap5"]["overall"].update(gap=-0.8765, mean_e=6.0, mean_p=5.1235, n=40, low_sample=False)
    p["gap5"]["items"]["REL1"].update(gap=-1.5, mean_e=6.2, mean_p=4.7, n=39, sd=1.0, se=0.16,
                                      ci_low=-1.82, ci_high=-1.18, p_value=0.0001, low_sample=False)
    return p


def store(audit, payload, unit=None) -> GapResult:
    return GapResult.objects.create(audit=audit, unit=unit, payload=payload, computed_at=timezone.now())


def overview(client, audit, **params):
    return client.get(reverse("audit-five-gaps", kwargs={"slug": audit.slug}), params)


def detail(client, audit, n, **params):
    return client.get(reverse("audit-gap-detail", kwargs={"slug": audit.slug, "n": n}), params)


def figure(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, chart_id
    return json.loads(match.group(1))


def reasons(html: str) -> dict[str, str]:
    """The "no data" list of a detail page: item code → its reason."""
    missing = html.split('id="missing-items"')[1].split("</section>")[0]
    return dict(re.findall(r'<li data-code="([^"]+)">.*?<span class="reason">([^<]*)</span></li>', missing))


def badge(html: str, n: int) -> tuple[str, ...]:
    return re.search(rf'<a class="gd-badge ([^"]+)" id="gap-badge-{n}" href="([^"]+)"[^>]*data-value="([^"]*)"',
                     html).groups()


# ------------------------------------------------------------------ overview
def test_overview_draws_each_gap_on_the_diagram_rounded_coloured_and_linked(client, audit):
    store(audit, full_payload(audit))
    response = overview(client, audit)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<svg class="gaps-diagram"' in html
    for label in ("Expected service", "Perceived service", "Service delivery", "Translation of perceptions into",
                  "service quality standards", "Management perceptions of", "communications"):
        assert label in html
    assert badge(html, 1) == ("sev-minor", "/audits/halls/gaps/1/", "-0.46")
    assert badge(html, 2) == ("sev-good", "/audits/halls/gaps/2/", "0.25")
    assert badge(html, 3) == ("sev-severe", "/audits/halls/gaps/3/", "-1.23")
    assert badge(html, 4) == ("sev-minor", "/audits/halls/gaps/4/", "-0.50")
    assert badge(html, 5) == ("sev-moderate", "/audits/halls/gaps/5/", "-0.88")


def test_overview_cards_name_what_each_gap_is_computed_from(client, audit):
    store(audit, full_payload(audit))
    html = overview(client, audit).content.decode()
    card = {n: html.split(f'id="gap-card-{n}"')[1].split("</article>")[0] for n in range(1, 6)}
    assert "From the manager survey and customer expectations" in card[1]
    assert "Computed from quality standards" in card[2]
    assert "Computed from delivery evidence (self-assessments, inspections)" in card[3]
    assert "Computed from the promise register" in card[4]
    assert "From the customer survey" in card[5]
    assert "Gap 4 = delivered − promised" in card[4]
    assert "Gap 1 = management&#x27;s belief of what customers expect − customers&#x27; expectation" in card[1]
    assert 'data-value="-1.23"' in card[3]
    assert "1 of 22 items have data" in card[3]


def test_overview_of_todays_results_reads_no_data_for_gaps_1_to_4(client, audit):
    payload = empty_figures(audit=audit)  # what the recompute stores today: gaps 1–4 null
    payload["n_responses"] = 8
    payload["gap5"]["overall"].update(gap=-1.25, n=8)
    store(audit, payload)
    html = overview(client, audit).content.decode()
    for n in (1, 2, 3, 4):
        assert badge(html, n)[0] == "sev-none" and badge(html, n)[2] == "no data"
    assert badge(html, 5)[2] == "-1.25"
    matrix = figure(html, "chart-gap-matrix")
    values = matrix["data"][1]
    assert len(values["y"]) == 22
    assert all(row[:4] == [None] * 4 for row in values["z"])
    assert all(row[:4] == [""] * 4 for row in values["text"])
    assert all(row[:4] == ["no data"] * 4 for row in matrix["data"][0]["text"])


def test_matrix_chart_and_table_hold_the_values_and_no_data_cells(client, audit):
    store(audit, full_payload(audit))
    html = overview(client, audit).content.decode()
    values = figure(html, "chart-gap-matrix")["data"][1]
    rel1 = 4  # after TAN1–TAN4
    assert values["y"][rel1].startswith("REL1 · ")
    assert values["z"][rel1] == [-0.91, 0.25, -1.23456, -0.5, -1.5]
    assert values["text"][rel1] == ["-0.91", "0.25", "-1.23", "-0.50", "-1.50"]
    assert values["z"][0] == [None] * 5  # TAN1: nothing stored
    table_rel1 = re.search(r'<tr class="row-item" data-code="REL1">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", table_rel1) == ["-0.91", "0.25", "-1.23", "-0.50", "-1.50"]
    table_rel2 = re.search(r'<tr class="row-item" data-code="REL2">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", table_rel2) == ["no data"] * 5
    links = json.loads(re.search(r'<script id="gap-matrix-links" type="application/json">(.*?)</script>',
                                 html, re.S).group(1))
    assert links == [f"/audits/halls/gaps/{n}/" for n in range(1, 6)]


def test_matrix_uses_the_item_texts_of_the_active_language(client, audit):
    store(audit, full_payload(audit))
    client.cookies["django_language"] = "zh-hans"
    values = figure(overview(client, audit).content.decode(), "chart-gap-matrix")["data"][1]
    assert values["y"][0] == "TAN1 · 该服务机构拥有现代化的设备。"


def test_overview_before_any_recompute_explains_and_still_draws_the_model(client, audit):
    response = overview(client, audit)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="not-computed"' in html
    assert badge(html, 5)[2] == "no data"


def test_overview_honours_the_unit_filter_and_keeps_it_in_the_links(client, audit, units):
    store(audit, full_payload(audit))
    hall = empty_figures(audit=audit)
    hall["gap3"]["overall"]["gap"] = -2.0
    store(audit, hall, unit=units[1])
    html = overview(client, audit, unit="hall-a").content.decode()
    assert badge(html, 3) == ("sev-severe", "/audits/halls/gaps/3/?unit=hall-a", "-2.00")
    assert '<option value="hall-a" selected>' in html
    assert 'href="/audits/halls/dashboard/?unit=hall-a"' in html


def test_overview_loads_plotly_locally_with_nonced_scripts(client, audit):
    store(audit, full_payload(audit))
    html = overview(client, audit).content.decode()
    sources = re.findall(r'<script[^>]*\ssrc="([^"]+)"', html)
    assert {"/static/vendor/plotly.min.js", "/static/js/dashboard.js", "/static/js/five_gaps.js"} <= set(sources)
    assert not any(s.startswith(("https://", "http://", "//")) for s in sources)
    assert all("nonce=" in tag for tag in re.findall(r"<script[^>]*\ssrc=[^>]*>", html))


# ------------------------------------------------------------------ detail
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_every_gap_has_a_detail_page(client, audit, n):
    store(audit, full_payload(audit))
    response = detail(client, audit, n)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Gap {n} ·" in html
    assert "a negative gap is a shortfall" in html.lower()


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5])
def test_every_detail_page_works_with_todays_null_gaps(client, audit, n):
    store(audit, empty_figures(audit=audit))
    response = detail(client, audit, n)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="chart-gap-items"' not in html and 'id="note-gap-items"' in html
    assert "22 items with no data" in html


def test_gap_3_detail_shows_overall_dimensions_bars_nulls_and_every_figure(client, audit):
    store(audit, full_payload(audit))
    html = detail(client, audit, 3).content.decode()
    overall = html.split('id="metric-gap-overall"')[1].split("</div>\n  </div>")[0]
    assert '<div class="value gap-value sev-severe">-1.23</div>' in overall
    reliability = re.search(r'data-code="reliability">\s*<div class="label">[^<]*</div>\s*<div[^>]*>([^<]*)<',
                            html).group(1)
    assert reliability == "-1.23"
    bars = figure(html, "chart-gap-items")["data"][0]
    assert bars["y"] == ["REL1"] and bars["x"] == [-1.23456]
    assert bars["error_x"]["array"] == pytest.approx([-0.663 + 1.23456])
    assert bars["error_x"]["arrayminus"] == pytest.approx([-1.23456 + 1.806])
    missing = html.split('id="missing-items"')[1].split("</section>")[0]
    assert "21 items with no data" in missing
    assert reasons(html)["REL2"] == "no data: no delivery evidence"
    assert reasons(html)["TAN1"] == "no data: no standard; no delivery evidence"
    row = re.search(r'<tr class="row-item" data-code="REL1">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == [
        "-1.23", "4.11", "5.34", "12", "0.90", "[-1.81, -0.66]", "&lt;0.001"]


def test_gap_4_detail_flags_a_low_sample_and_lists_the_promise(client, audit):
    store(audit, full_payload(audit))
    html = detail(client, audit, 4).content.decode()
    row = re.search(r'<tr class="row-item low-sample" data-code="REL1">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == [
        "-0.50", "4.50", "5.00", "5.34", "3", "1.00", "[-2.98, 1.98]", "0.470"]
    assert "fewer than 5 observations: read with care" in html
    assert reasons(html)["REL2"] == "no data: no promise; no delivery evidence"


def test_gap_2_detail_has_no_error_bars_and_gives_reasons(client, audit):
    store(audit, full_payload(audit))
    html = detail(client, audit, 2).content.decode()
    bars = figure(html, "chart-gap-items")["data"][0]
    assert bars["y"] == ["REL1"] and "error_x" not in bars
    assert reasons(html)["REL2"] == "no data: no manager answers"
    assert reasons(html)["REL3"] == "no data: no standard; no manager answers"
    row = re.search(r'<tr class="row-item" data-code="REL1">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == ["0.25", "5.34", "5.09"]


def test_gap_1_detail_lists_managers_and_customers(client, audit):
    store(audit, full_payload(audit))
    html = detail(client, audit, 1).content.decode()
    row = re.search(r'<tr class="row-item" data-code="REL1">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"<td[^>]*>([^<]*)</td>", row) == ["-0.91", "5.09", "6.00", "3", "40", "[-1.60, -0.22]",
                                                         "0.021"]
    assert reasons(html)["REL2"] == "no data: no manager answers"
    assert reasons(html)["TAN1"] == "no data: no manager answers; no customer expectations"
    assert "REL1" not in reasons(html)


def test_detail_keeps_the_unit_filter(client, audit, units):
    hall = empty_figures(audit=audit)
    hall["gap5"]["overall"].update(gap=0.1234, n=6)
    store(audit, hall, unit=units[1])
    html = detail(client, audit, 5, unit="hall-a").content.decode()
    assert '<div class="value gap-value sev-good">0.12</div>' in html
    assert 'href="/audits/halls/gaps/?unit=hall-a"' in html
    assert 'class="gap-tab active" href="/audits/halls/gaps/5/?unit=hall-a"' in html


# ------------------------------------------------------------------ errors
def test_there_is_no_gap_6_or_gap_0(client, audit):
    assert detail(client, audit, 6).status_code == 404
    assert detail(client, audit, 0).status_code == 404
    assert client.get("/audits/halls/gaps/x/").status_code == 404


def test_an_unknown_audit_is_404(client, db):
    assert client.get(reverse("audit-five-gaps", kwargs={"slug": "missing"})).status_code == 404
    assert client.get(reverse("audit-gap-detail", kwargs={"slug": "missing", "n": 3})).status_code == 404


def test_a_unit_not_in_the_audit_answers_400_like_the_dashboard(client, audit):
    Unit.objects.create(code="south", name="South")
    for response in (overview(client, audit, unit="south"), detail(client, audit, 2, unit="south"),
                     overview(client, audit, unit="nowhere")):
        assert response.status_code == 400
        assert "in this audit" in response.content.decode()
        assert 'id="gaps-diagram"' not in response.content.decode()


# ------------------------------------------------------------------ links and queries
def test_dashboard_and_audit_list_link_to_the_five_gap_view(client, audit):
    store(audit, full_payload(audit))
    dashboard = client.get(reverse("audit-dashboard", kwargs={"slug": audit.slug}), {"unit": "north"})
    assert 'href="/audits/halls/gaps/?unit=north" id="five-gaps-link"' in dashboard.content.decode()
    audits = client.get(reverse("audit-list")).content.decode()
    assert 'href="/audits/halls/gaps/"' in audits


def test_query_count_stays_bounded(client, audit, units, django_assert_max_num_queries):
    for i in range(20):
        Unit.objects.create(code=f"u{i:02d}", name=f"Unit {i}", parent=units[0])
    store(audit, full_payload(audit))
    store(audit, full_payload(audit), unit=units[1])
    # 2 of them read the session and its user (the pages are for signed-in admins and managers).
    for params in ({}, {"unit": "hall-a"}):
        with django_assert_max_num_queries(8):
            assert overview(client, audit, **params).status_code == 200
        for n in (1, 3, 5):
            with django_assert_max_num_queries(8):
                assert detail(client, audit, n, **params).status_code == 200
