"""The response exchange format (METHOD.md §9): import rules, rejections, export round trip."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

import pytest
from openpyxl import Workbook, load_workbook

from surveys.exchange import ImportRejected, ImportReport, responses_export, responses_import
from surveys.models import Audit, Instrument, Response, Unit
from surveys.selectors import audit_layout
from surveys.services import audit_create

ITEMS = [f"{p}{i}" for p, k in (("TAN", 4), ("REL", 5), ("RES", 4), ("ASS", 4), ("EMP", 5)) for i in range(1, k + 1)]
DIMENSIONS = ["tangibles", "reliability", "responsiveness", "assurance", "empathy"]
SID = [str(uuid.UUID(int=k + 1)) for k in range(2000)]


def make_audit(slug: str = "bank", *, three_column: bool = False, units=("U1", "U2"), **kwargs) -> Audit:
    unit_objects = [Unit.objects.get_or_create(code=c, defaults={"name": c})[0] for c in units]
    return audit_create(
        slug=slug, title=slug, instrument=Instrument.objects.get(code="servqual"), units=unit_objects,
        format=Audit.Format.THREE_COLUMN if three_column else Audit.Format.TWO_COLUMN, **kwargs,
    )


def header(*, three_column: bool = False, weights: bool = True) -> list[str]:
    columns = ["submission_id", "unit", "channel", "submitted_at"]
    prefixes = ("E", "P", "A") if three_column else ("E", "P")
    columns += [f"{p}_{item}" for p in prefixes for item in ITEMS]
    return columns + ([f"W_{d}" for d in DIMENSIONS] if weights else [])


def csv_bytes(rows: list[dict], columns: list[str] | None = None) -> bytes:
    columns = columns or header()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return out.getvalue().encode()


def rejected(audit: Audit, content: bytes, filename: str = "r.csv") -> list[tuple]:
    before = Response.objects.count()
    with pytest.raises(ImportRejected) as info:
        responses_import(audit=audit, filename=filename, content=content)
    assert Response.objects.count() == before
    return [(e.row, e.column, e.message) for e in info.value.errors]


def answers_of(audit: Audit, submission_id: str) -> dict:
    response = Response.objects.get(audit=audit, submission_id=submission_id)
    return audit_layout(audit=audit).unpack_answers(response.answers)


@pytest.mark.django_db
def test_it_imports_a_small_csv_with_exactly_the_given_answers():
    audit = make_audit()
    version = Audit.objects.get(pk=audit.pk).data_version
    rows = [
        {"submission_id": SID[0], "unit": "U1", "channel": "kiosk", "submitted_at": "2024-05-01T10:00:00",
         "E_TAN1": "7", "P_TAN1": "5", "E_EMP5": "1", "P_REL3": "2",
         "W_tangibles": "10", "W_reliability": "30", "W_responsiveness": "20", "W_assurance": "20",
         "W_empathy": "20"},
        {"submission_id": SID[1].upper(), "unit": "U2", "submitted_at": "2024-05-01T12:30:00+02:00",
         "P_TAN1": "3"},
    ]
    report = responses_import(audit=audit, filename="march.CSV", content=csv_bytes(rows))
    assert report == ImportReport(created=2, skipped_existing=0, skipped_repeated=0)
    first = answers_of(audit, SID[0])
    assert first["TAN1"] == {"expectation": 7, "perception": 5}
    assert first["EMP5"] == {"expectation": 1, "perception": None}
    assert first["REL3"] == {"expectation": None, "perception": 2}
    assert sum(v is not None for a in first.values() for v in a.values()) == 4
    stored = Response.objects.get(submission_id=SID[0])
    assert stored.unit.code == "U1" and stored.channel == "kiosk"
    assert stored.submitted_at == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert audit_layout(audit=audit).unpack_importance(stored.importance) == {
        "tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20}
    second = Response.objects.get(submission_id=SID[1])
    assert second.importance is None and second.channel == ""
    assert second.submitted_at == dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.UTC)
    assert answers_of(audit, SID[1])["TAN1"] == {"expectation": None, "perception": 3}
    assert Audit.objects.get(pk=audit.pk).data_version == version + 1


@pytest.mark.django_db
def test_an_empty_submitted_at_is_now_and_w_columns_are_optional():
    audit = make_audit()
    before = dt.datetime.now(dt.UTC)
    content = csv_bytes([{"submission_id": SID[0], "unit": "U1"}], header(weights=False))
    responses_import(audit=audit, filename="r.csv", content=content)
    stored = Response.objects.get()
    assert before - dt.timedelta(seconds=1) <= stored.submitted_at <= dt.datetime.now(dt.UTC)
    assert stored.importance is None


@pytest.mark.django_db
def test_a_three_column_audit_stores_adequate_desired_and_perceived():
    audit = make_audit(three_column=True)
    row = {"submission_id": SID[0], "unit": "U1", "A_REL1": "3", "E_REL1": "6", "P_REL1": "5"}
    responses_import(audit=audit, filename="r.csv", content=csv_bytes([row], header(three_column=True)))
    assert answers_of(audit, SID[0])["REL1"] == {"expectation": 6, "perception": 5, "adequate": 3}


@pytest.mark.django_db
def test_a_bom_integral_decimals_and_surrounding_whitespace_are_accepted():
    audit = make_audit()
    rows = [{"submission_id": f" {SID[0]} ", "unit": " U1 ", "E_TAN1": "7.0", "P_TAN1": " 5 ",
             "E_TAN2": "3.", "P_TAN2": "+2"}]
    responses_import(audit=audit, filename="r.csv", content=b"\xef\xbb\xbf" + csv_bytes(rows))
    tan = answers_of(audit, SID[0])
    assert tan["TAN1"] == {"expectation": 7, "perception": 5}
    assert tan["TAN2"] == {"expectation": 3, "perception": 2}


@pytest.mark.django_db
def test_it_imports_xlsx_with_numbers_as_spreadsheets_store_them():
    audit = make_audit()
    book = Workbook()
    sheet = book.active
    columns = header()
    sheet.append(columns)
    values = {"submission_id": SID[0], "unit": "U2", "submitted_at": dt.datetime(2024, 3, 1, 9, 15),
              "E_TAN1": 7, "P_TAN1": 6.0, "W_tangibles": 100, "W_reliability": 0,
              "W_responsiveness": 0, "W_assurance": 0, "W_empathy": 0}
    sheet.append([values.get(c) for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    report = responses_import(audit=audit, filename="r.xlsx", content=buffer.getvalue())
    assert report.created == 1
    stored = Response.objects.get()
    assert stored.submitted_at == dt.datetime(2024, 3, 1, 9, 15, tzinfo=dt.UTC)
    assert answers_of(audit, SID[0])["TAN1"] == {"expectation": 7, "perception": 6}
    assert list(bytes(stored.importance)) == [100, 0, 0, 0, 0]


@pytest.mark.django_db
def test_repeated_and_already_stored_submission_ids_are_skipped_and_counted():
    audit = make_audit()
    responses_import(audit=audit, filename="r.csv", content=csv_bytes([
        {"submission_id": SID[0], "unit": "U1", "P_TAN1": "1"}]))
    report = responses_import(audit=audit, filename="r.csv", content=csv_bytes([
        {"submission_id": SID[0], "unit": "U1", "P_TAN1": "7"},
        {"submission_id": SID[1], "unit": "U1", "P_TAN1": "2"},
        {"submission_id": SID[1].replace("-", ""), "unit": "U2", "P_TAN1": "3"},
        {"submission_id": SID[2], "unit": "U1"},
    ]))
    assert report == ImportReport(created=2, skipped_existing=1, skipped_repeated=1)
    assert answers_of(audit, SID[0])["TAN1"]["perception"] == 1
    assert answers_of(audit, SID[1])["TAN1"]["perception"] == 2
    assert Response.objects.count() == 3


@pytest.mark.django_db
def test_a_header_only_file_imports_nothing_and_blank_rows_are_skipped():
    audit = make_audit()
    assert responses_import(audit=audit, filename="r.csv", content=csv_bytes([])) == ImportReport(0, 0, 0)
    content = csv_bytes([{}, {"submission_id": SID[0], "unit": "U1"}]) + b"\n"
    assert responses_import(audit=audit, filename="r.csv", content=content).created == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("cells", "expected"), [
    ({"P_REL1": "9"}, ("P_REL1", "9 is outside the scale 1..7")),
    ({"E_TAN1": "0"}, ("E_TAN1", "0 is outside the scale 1..7")),
    ({"E_TAN1": "abc"}, ("E_TAN1", '"abc" is not an integer from 1 to 7')),
    ({"E_TAN1": "6.5"}, ("E_TAN1", '"6.5" is not an integer from 1 to 7')),
    ({"unit": "ZZ"}, ("unit", 'unknown unit "ZZ" for this audit')),
    ({"unit": ""}, ("unit", "a unit code is required")),
    ({"submission_id": "not-a-uuid"}, ("submission_id", '"not-a-uuid" is not a valid UUID')),
    ({"submission_id": ""}, ("submission_id", "a submission_id is required")),
    ({"submitted_at": "yesterday"}, ("submitted_at", '"yesterday" is not an ISO 8601 date and time')),
    ({"submitted_at": "2024-13-01"}, ("submitted_at", '"2024-13-01" is not an ISO 8601 date and time')),
    ({"channel": "x" * 65}, ("channel", "at most 64 characters (this one has 65)")),
    ({"W_tangibles": "50", "W_empathy": "50"},
     ("W_*", "give points to every dimension or leave every W_ cell empty (missing: W_reliability, "
             "W_responsiveness, W_assurance)")),
    ({f"W_{d}": "18" for d in DIMENSIONS}, ("W_*", "importance points must sum to exactly 100 (they sum to 90)")),
    ({"W_tangibles": "101"}, ("W_tangibles", '"101" is not a whole number of points from 0 to 100')),
])
def test_a_bad_cell_rejects_the_file_naming_row_and_column(cells, expected):
    audit = make_audit()
    good = {"submission_id": SID[0], "unit": "U1", "P_TAN1": "4"}
    errors = rejected(audit, csv_bytes([good, {"submission_id": SID[1], "unit": "U2", **cells}]))
    assert len(errors) == 1
    row, column, message = errors[0]
    assert (row, column) == (3, expected[0])
    assert message.startswith(expected[1])


@pytest.mark.django_db
@pytest.mark.parametrize(("columns", "expected"), [
    (header() + ["X_FOO"], (1, "X_FOO", "unknown column")),
    (header() + ["E_TAN1"], (1, "E_TAN1", "duplicate column (first at column 5)")),
    ([c for c in header() if c != "P_REL1"], (1, "P_REL1", "missing column")),
    ([c for c in header() if c != "unit"], (1, "unit", "missing column")),
    (header() + ["A_TAN1"], (1, "A_TAN1", "this audit is two-column: it has no A_ (adequate) columns")),
    ([c for c in header() if c != "W_empathy"],
     (1, "W_empathy", "missing column (give W_ columns for every dimension or none)")),
])
def test_a_bad_header_rejects_the_file(columns, expected):
    audit = make_audit()
    assert rejected(audit, csv_bytes([{"submission_id": SID[0], "unit": "U1"}], columns)) == [expected]


@pytest.mark.django_db
def test_every_error_is_reported_in_row_order_and_the_list_is_capped():
    audit = make_audit()
    errors = rejected(audit, csv_bytes([
        {"submission_id": SID[0], "unit": "U1", "P_TAN1": "8"},
        {"submission_id": SID[1], "unit": "U1"},
        {"submission_id": SID[2], "unit": "nope", "E_TAN1": "x"},
    ]))
    assert [(r, c) for r, c, _ in errors] == [(2, "P_TAN1"), (4, "unit"), (4, "E_TAN1")]
    many = rejected(audit, csv_bytes([{"submission_id": SID[k], "unit": "U1", "E_TAN1": "8", "P_TAN1": "9"}
                                      for k in range(600)]))
    assert len(many) == 1001
    assert many[999][:2] == (501, "P_TAN1")
    assert many[-1] == (None, None, "… and 200 more errors")


@pytest.mark.django_db
def test_file_level_problems_reject_the_file():
    audit = make_audit()
    good = csv_bytes([{"submission_id": SID[0], "unit": "U1"}])
    assert rejected(audit, good, "r.txt") == [(None, None, '"r.txt": use a .csv or .xlsx file')]
    assert rejected(audit, b"") == [(None, None, "the file is empty")]
    assert rejected(audit, b"\xef\xbb\xbf\n") == [(None, None, "the file is empty")]
    assert rejected(audit, good + b"x,y" + b",z" * 60 + b"\n")[0][:2] == (3, None)
    assert rejected(audit, b"not a zip", "r.xlsx")[0][0] is None
    assert rejected(audit, "unit\n\xe9".encode("latin-1"))[0][0] is None
    audit.is_open = False
    audit.save()
    assert rejected(audit, good) == [(None, None, "this audit is closed and accepts no more responses")]


def damaged_xlsx(part: str, replacement: bytes) -> bytes:
    """A valid workbook with one of its zip members replaced."""
    import zipfile

    book = Workbook()
    book.active.append(header())
    good = io.BytesIO()
    book.save(good)
    out = io.BytesIO()
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, replacement if item.filename == part else src.read(item.filename))
    return out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/styles.xml", "xl/workbook.xml"])
def test_a_damaged_xlsx_is_rejected_as_unreadable(part):
    audit = make_audit()
    errors = rejected(audit, damaged_xlsx(part, b"<not xml"), "r.xlsx")
    assert len(errors) == 1 and errors[0][:2] == (None, None)
    assert errors[0][2].startswith("not a readable XLSX file")


@pytest.mark.django_db
def test_a_csv_cell_longer_than_the_csv_module_allows_is_rejected():
    audit = make_audit()
    content = csv_bytes([{"submission_id": SID[0], "unit": "U1", "channel": "a,b" + "x" * 200_000}])  # quoted
    assert rejected(audit, content)[0][:2] == (None, None)


@pytest.mark.django_db
def test_a_channel_with_control_characters_is_rejected():
    audit = make_audit()
    content = csv_bytes([{"submission_id": SID[0], "unit": "U1", "channel": "we\x00b"}])
    assert rejected(audit, content) == [(2, "channel", "must not contain control characters")]


@pytest.mark.django_db
@pytest.mark.parametrize("quoted", [False, True])
def test_a_csv_row_with_too_few_or_too_many_cells_rejects_the_file(quoted):
    audit = make_audit()
    width = len(header())
    good = csv_bytes([{"submission_id": SID[0], "unit": "U1", "channel": "a,b" if quoted else "web"}])
    short = f"{SID[1]},U1,web".encode() + b"\n"
    long = f"{SID[2]},U1,web,".encode() + b"5," * (width - 3) + b"\n"
    assert rejected(audit, good + short + b"\n" + long) == [
        (3, None, f"this row has 3 cells but the header has {width}"),
        (5, None, f"this row has {width + 1} cells but the header has {width}"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_reimports_unchanged(fmt):
    source = make_audit("source", three_column=True)
    rows = [
        {"submission_id": SID[0], "unit": "U1", "channel": "web, mobile", "submitted_at": "2024-05-01T10:00:00.25",
         "A_TAN1": "2", "E_TAN1": "6", "P_TAN1": "4", "P_EMP5": "7",
         **{f"W_{d}": "20" for d in DIMENSIONS}},
        {"submission_id": SID[1], "unit": "U2", "channel": "call\\centre\tline 2",
         "submitted_at": "2024-05-02T08:00:00-03:00", "E_RES2": "1"},
        {"submission_id": SID[2], "unit": "U1", "submitted_at": "2024-05-03"},
    ]
    responses_import(audit=source, filename="r.csv", content=csv_bytes(rows, header(three_column=True)))
    exported = responses_export(audit=source, fmt=fmt)
    copy = make_audit("copy", three_column=True)
    report = responses_import(audit=copy, filename=f"export.{fmt}", content=exported)
    assert report.created == 3
    again = responses_export(audit=copy, fmt=fmt)
    if fmt == "xlsx":
        exported, again = (list(load_workbook(io.BytesIO(b), read_only=True).active.values)
                           for b in (exported, again))
    assert again == exported
    if fmt == "csv":
        lines = exported.decode().splitlines()
        assert lines[0].startswith("submission_id,unit,channel,submitted_at,E_TAN1,P_TAN1,A_TAN1,E_TAN2")
        assert lines[1].startswith(f'{SID[0]},U1,"web, mobile",2024-05-01T10:00:00.250000+00:00,6,4,2,,')
        assert lines[2].startswith(f"{SID[1]},U2,call\\centre\tline 2,2024-05-02T11:00:00+00:00,")
        assert lines[1].endswith(",20,20,20,20,20") and lines[2].endswith(",,,,,")


@pytest.mark.django_db
def test_export_of_an_audit_without_responses_is_the_header():
    audit = make_audit()
    assert responses_export(audit=audit, fmt="csv").decode() == ",".join(
        ["submission_id", "unit", "channel", "submitted_at"]
        + [f"{p}_{i}" for i in ITEMS for p in ("E", "P")] + [f"W_{d}" for d in DIMENSIONS]) + "\n"
    with pytest.raises(ValueError):
        responses_export(audit=audit, fmt="ods")
