"""The operator commands of METHOD.md §11: one-line success summaries, one-line failures."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.models import Audit, Response, Unit
from tests.surveys.test_exchange import DIMENSIONS, SID, csv_bytes, make_audit


def run(*args, **options) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def good_rows(n: int = 6) -> list[dict]:
    return [
        {"submission_id": SID[k], "unit": "U1" if k % 2 else "U2", "E_TAN1": "6", "P_TAN1": str(1 + k % 7),
         "E_REL1": "5", "P_REL1": "4", **{f"W_{d}": "20" for d in DIMENSIONS}}
        for k in range(n)
    ]


@pytest.mark.django_db
def test_create_audit_creates_missing_units_at_the_top_level():
    Unit.objects.create(code="HQ", name="Head office")
    out, _ = run("create_audit", "bank-2024", "--instrument", "servqual", "--scale", "5",
                 "--format", "three_column", "--units", "HQ,branch-1", "--title", "Bank", "--min-sample", "3")
    assert out == ("Created audit bank-2024: instrument servqual, scale 1..5, three_column, "
                   "2 units (HQ, branch-1).\n")
    audit = Audit.objects.get(slug="bank-2024")
    assert (audit.title, audit.scale, audit.format, audit.min_sample) == ("Bank", 5, "three_column", 3)
    assert sorted(audit.units.values_list("code", flat=True)) == ["HQ", "branch-1"]
    assert Unit.objects.get(code="branch-1").parent is None
    assert Unit.objects.get(code="HQ").name == "Head office"


@pytest.mark.django_db
@pytest.mark.parametrize(("args", "message"), [
    (["bad slug!", "--instrument", "servqual"], '"bad slug!" is not a valid slug'),
    (["taken", "--instrument", "servqual"], 'an audit with slug "taken" already exists'),
    (["new", "--instrument", "nope"], 'unknown instrument "nope"'),
    (["new", "--instrument", "servqual", "--scale", "11"], "--scale must be from 2 to 10 (got 11)"),
    (["new", "--instrument", "servqual", "--scale", "1"], "--scale must be from 2 to 10 (got 1)"),
    (["new", "--instrument", "servqual", "--units", "ok,bad code"], "bad unit code bad code"),
    (["new", "--instrument", "servqual", "--format", "four_column"], "--format must be two_column or three_column"),
])
def test_create_audit_rejects_bad_input(args, message):
    make_audit("taken")
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run("create_audit", *args)
    assert not Audit.objects.filter(slug="new").exists()


@pytest.mark.django_db
def test_import_responses_prints_the_counts(tmp_path):
    audit = make_audit()
    path = tmp_path / "march.csv"
    path.write_bytes(csv_bytes(good_rows() + [good_rows()[0]]))
    out, _ = run("import_responses", "bank", str(path))
    assert out == "Imported 6 responses into bank (skipped: 0 already stored, 1 repeated in the file).\n"
    out, _ = run("import_responses", "bank", str(path))
    assert out == "Imported 0 responses into bank (skipped: 6 already stored, 1 repeated in the file).\n"
    assert audit.responses.count() == 6


@pytest.mark.django_db
def test_import_responses_lists_the_errors_and_fails_with_a_one_line_summary(tmp_path):
    make_audit()
    rows = good_rows(3)
    rows[2]["P_REL1"] = "9"
    rows[1]["unit"] = "ZZ"
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes(rows))
    err = StringIO()
    with pytest.raises(CommandError) as info:
        call_command("import_responses", "bank", str(path), stdout=StringIO(), stderr=err)
    assert str(info.value) == 'file rejected: 2 errors (first: row 3, column unit: unknown unit "ZZ" for this audit)'
    assert err.getvalue().splitlines() == [
        'row 3, column unit: unknown unit "ZZ" for this audit',
        "row 4, column P_REL1: 9 is outside the scale 1..7",
    ]
    assert Response.objects.count() == 0


@pytest.mark.django_db
def test_import_responses_rejects_an_unknown_audit_or_an_unreadable_file(tmp_path):
    make_audit()
    with pytest.raises(CommandError, match='no audit with slug "nope"'):
        run("import_responses", "nope", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="cannot read"):
        run("import_responses", "bank", str(tmp_path / "missing.csv"))


@pytest.mark.django_db
@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_export_responses_writes_a_file_that_reimports(tmp_path, extension):
    audit = make_audit()
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes(good_rows()))
    run("import_responses", "bank", str(source))
    target = tmp_path / f"out.{extension}"
    out, _ = run("export_responses", "bank", str(target))
    assert out == f"Exported 6 responses of bank to {target}.\n"
    make_audit("copy")
    out, _ = run("import_responses", "copy", str(target))
    assert out.startswith("Imported 6 responses into copy")
    assert audit.responses.count() == 6
    with pytest.raises(CommandError, match="use a .csv or .xlsx file name"):
        run("export_responses", "bank", str(tmp_path / "out.ods"))


@pytest.mark.django_db
def test_compute_gaps_then_export_gaps_prints_the_gap_json(tmp_path):
    make_audit()
    source = tmp_path / "in.csv"
    source.write_bytes(csv_bytes(good_rows()))
    run("import_responses", "bank", str(source))
    out, _ = run("compute_gaps", "bank")
    computed_at = Audit.objects.get(slug="bank").computed_at.isoformat()
    assert out == f"Computed bank: n_responses=6, computed_at={computed_at}.\n"
    out, _ = run("export_gaps", "bank")
    result = json.loads(out)
    assert out.startswith('{\n  "audit": "bank",')
    assert set(result) == {"audit", "unit", "scale", "format", "status", "computed_at", "n_responses",
                           "gap5", "gap1", "gap2", "gap3", "gap4", "zone", "ipa"}
    assert (result["n_responses"], result["status"], result["unit"]) == (6, "fresh", None)
    assert result["gap5"]["items"]["REL1"]["gap"] == pytest.approx(-1.0)
    assert set(result["gap5"]["overall"]) >= {"gap", "mean_e", "mean_p", "n", "sd", "se", "ci_low",
                                                 "ci_high", "p_value", "low_sample"}
    unit_result = json.loads(run("export_gaps", "bank", "--unit", "U1")[0])
    assert (unit_result["unit"], unit_result["n_responses"]) == ("U1", 3)


@pytest.mark.django_db
def test_compute_and_export_gaps_reject_unknown_audits_and_units():
    make_audit()
    Unit.objects.create(code="elsewhere", name="Elsewhere")
    run("compute_gaps", "bank")
    with pytest.raises(CommandError, match='no audit with slug "nope"'):
        run("compute_gaps", "nope")
    with pytest.raises(CommandError, match='no audit with slug "nope"'):
        run("export_gaps", "nope")
    with pytest.raises(CommandError, match='unknown unit "ZZ"'):
        run("export_gaps", "bank", "--unit", "ZZ")
    with pytest.raises(CommandError, match='unit "elsewhere" is not part of audit "bank"'):
        run("export_gaps", "bank", "--unit", "elsewhere")
