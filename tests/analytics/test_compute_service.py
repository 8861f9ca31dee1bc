"""audit_compute reads the stored responses back exactly and scopes them by unit."""

import uuid

import pytest

from analytics import gaps
from analytics.models import GapResult
from analytics.services import audit_compute, audit_design
from surveys import selectors
from surveys.models import Instrument, Unit
from surveys.services import audit_create, response_submit

DIMS = {"tangibles": 4, "reliability": 5, "responsiveness": 4, "assurance": 4, "empathy": 5}
PREFIX = {"tangibles": "TAN", "reliability": "REL", "responsiveness": "RES", "assurance": "ASS", "empathy": "EMP"}


def answers_for(seed: int, *, three: bool = False) -> dict:
    out = {}
    for dim, k in DIMS.items():
        for i in range(1, k + 1):
            v = (seed * 7 + i * 3 + len(dim)) % 9
            out[f"{PREFIX[dim]}{i}"] = {
                "expectation": None if v == 0 else min(7, 1 + v % 7),
                "perception": None if v == 8 else 1 + (seed + i) % 7,
                **({"adequate": 1 + (seed * i) % 5} if three else {}),
            }
    return out


@pytest.fixture
def tree(db):
    chain = Unit.objects.create(code="C", name="Chain")
    north = Unit.objects.create(code="N", name="North", parent=chain)
    halls = [Unit.objects.create(code=f"H{i}", name=f"Hall {i}", parent=north if i < 2 else chain) for i in range(3)]
    return chain, north, halls


@pytest.mark.parametrize("fmt", ["two_column", "three_column"])
@pytest.mark.django_db
def test_stored_results_equal_the_pure_computation_per_unit(tree, fmt):
    chain, north, halls = tree
    audit = audit_create(slug=f"a-{fmt}", title="A", instrument=Instrument.objects.get(code="servqual"),
                         units=[chain], format=fmt, min_sample=2)
    three = fmt == "three_column"
    records = []
    for s in range(9):
        hall = halls[s % 3]
        importance = {"tangibles": 10, "reliability": 30, "responsiveness": 20, "assurance": 20, "empathy": 20} \
            if s % 2 else None
        answers = answers_for(s, three=three)
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=hall.code, answers=answers,
                        importance=importance)
        records.append({"group": s % 3, "answers": answers, "importance": importance})
    audit_compute(audit_id=audit.pk)
    design = audit_design(audit=audit)
    stored = {r.unit_id: r.payload for r in GapResult.objects.filter(audit=audit)}

    def expected(groups):
        chosen = [r for r in records if r["group"] in groups]
        return gaps.compute_one(design, gaps.Responses.from_records(design, chosen))

    assert stored[None]["gap5"] == expected({0, 1, 2})["gap5"]
    assert stored[north.pk]["gap5"] == expected({0, 1})["gap5"]
    assert stored[halls[2].pk]["n_responses"] == 3
    assert stored[north.pk]["ipa"] == expected({0, 1})["ipa"]
    assert stored[north.pk]["zone"] == expected({0, 1})["zone"]
    assert (stored[None]["zone"] is not None) is three
    assert set(stored) == {None, chain.pk, north.pk, *(h.pk for h in halls)}


@pytest.mark.django_db(transaction=True)
def test_large_audits_read_in_two_halves_give_the_same_rows(tree, monkeypatch):
    chain, north, halls = tree
    audit = audit_create(slug="big", title="B", instrument=Instrument.objects.get(code="servqual"), units=[chain])
    for s in range(6):
        response_submit(audit=audit, submission_id=uuid.uuid4(), unit_code=halls[s % 3].code,
                        answers=answers_for(s), importance=None)
    layout = selectors.audit_layout(audit=audit)
    one = selectors.response_matrix(audit=audit, layout=layout)
    monkeypatch.setattr(selectors, "PARALLEL_READ_MIN_ROWS", 0)
    two = selectors.response_matrix(audit=audit, layout=layout)
    assert sorted(map(bytes, one[1])) == sorted(map(bytes, two[1]))
    assert sorted(one[0].tolist()) == sorted(two[0].tolist()) == sorted([halls[s % 3].pk for s in range(6)])
    assert bytes(one[1][0][-5:]) == b"\xff" * 5  # no importance given
