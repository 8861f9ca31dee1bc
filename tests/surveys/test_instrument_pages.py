import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from surveys.models import Instrument

KIOSK = {
    "code": "kiosk", "languages": ["en"], "name": {"en": "Kiosk"},
    "dimensions": [{"code": "speed", "name": {"en": "Speed"}, "items": [{"code": "SPD1", "text": {"en": "Fast"}}]}],
}


@pytest.fixture(autouse=True)
def signed_in_as_admin(client, admin_user):
    """The instrument pages are for admins (others: tests/access)."""
    client.force_login(admin_user)


@pytest.mark.django_db
def test_instrument_page_lists_servqual_with_its_counts(client):
    body = client.get("/instruments/").content.decode()
    assert "servqual" in body and ">22<" in body and ">5<" in body


@pytest.mark.django_db
def test_a_valid_json_file_imports_and_exports_back(client):
    upload = SimpleUploadedFile("kiosk.json", json.dumps(KIOSK).encode(), "application/json")
    response = client.post("/instruments/", {"file": upload})
    assert response.status_code == 302
    assert Instrument.objects.get(code="kiosk").items.count() == 1
    assert json.loads(client.get("/instruments/kiosk.json").content) == KIOSK


@pytest.mark.django_db
def test_a_bad_file_lists_every_problem_and_writes_nothing(client):
    bad = {**KIOSK, "code": "bad code", "dimensions": []}
    upload = SimpleUploadedFile("bad.json", json.dumps(bad).encode(), "application/json")
    body = client.post("/instruments/", {"file": upload}).content.decode()
    assert "2 problems" in body and "bad code" in body and "dimensions" in body
    assert not Instrument.objects.filter(code="bad code").exists()
