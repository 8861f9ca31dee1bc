"""Instrument files: the default SERVQUAL instrument, validation, import, export, commands."""

import copy
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from surveys.instruments import (
    InstrumentError,
    instrument_export,
    instrument_from_json_text,
    instrument_import,
    instrument_validate,
)
from surveys.models import Dimension, Instrument, Item

SERVQUAL_CODES = {
    "tangibles": ["TAN1", "TAN2", "TAN3", "TAN4"],
    "reliability": ["REL1", "REL2", "REL3", "REL4", "REL5"],
    "responsiveness": ["RES1", "RES2", "RES3", "RES4"],
    "assurance": ["ASS1", "ASS2", "ASS3", "ASS4"],
    "empathy": ["EMP1", "EMP2", "EMP3", "EMP4", "EMP5"],
}

KIOSK = {
    "code": "kiosk-2024",
    "languages": ["en", "zh-hans"],
    "name": {"en": "Kiosk survey", "zh-hans": "自助终端调查"},
    "dimensions": [
        {
            "code": "speed",
            "name": {"en": "Speed", "zh-hans": "速度"},
            "items": [
                {"code": "SPD1", "text": {"en": "The kiosk responds quickly.", "zh-hans": "终端响应迅速。"}},
                {"code": "SPD2", "text": {"en": "Paying takes little time."}},
            ],
        },
        {
            "code": "clarity",
            "name": {"zh-hans": "清晰度"},
            "items": [{"code": "CLR_1", "text": {"en": "The screens are easy to read."}}],
        },
    ],
}


def kiosk() -> dict:
    return copy.deepcopy(KIOSK)


@pytest.mark.django_db
def test_the_migration_creates_servqual_with_22_items_in_5_dimensions():
    instrument = Instrument.objects.get(code="servqual")
    assert instrument.languages == ["en", "zh-hans"]
    assert instrument.name["en"] == "SERVQUAL (22 items)"
    exported = instrument_export(instrument=instrument)
    codes = {d["code"]: [i["code"] for i in d["items"]] for d in exported["dimensions"]}
    assert list(codes) == list(SERVQUAL_CODES)
    assert codes == SERVQUAL_CODES
    assert Item.objects.filter(instrument=instrument).count() == 22
    for dimension in exported["dimensions"]:
        assert set(dimension["name"]) == {"en", "zh-hans"}
        for item in dimension["items"]:
            assert set(item["text"]) == {"en", "zh-hans"}
            assert all(text.strip() for text in item["text"].values())
    assert instrument_validate(exported) == []


@pytest.mark.django_db
def test_a_valid_file_imports_and_round_trips_through_export():
    instrument = instrument_import(data=kiosk())
    assert Dimension.objects.filter(instrument=instrument).count() == 2
    assert Item.objects.filter(instrument=instrument).count() == 3
    exported = instrument_export(instrument=instrument)
    assert exported == KIOSK
    assert json.dumps(exported, ensure_ascii=False) == json.dumps(KIOSK, ensure_ascii=False)

    copied = dict(exported, code="kiosk-copy")
    again = instrument_export(instrument=instrument_import(data=copied))
    assert again == copied


@pytest.mark.django_db
def test_export_orders_texts_by_the_instrument_languages():
    data = kiosk()
    data["name"] = {"zh-hans": "自助终端调查", "en": "Kiosk survey"}
    exported = instrument_export(instrument=instrument_import(data=data))
    assert list(exported["name"]) == ["en", "zh-hans"]
    assert list(exported) == ["code", "languages", "name", "dimensions"]


@pytest.mark.django_db
def test_the_servqual_export_round_trips_under_a_new_code():
    exported = instrument_export(instrument=Instrument.objects.get(code="servqual"))
    copied = dict(copy.deepcopy(exported), code="servqual-copy")
    assert instrument_export(instrument=instrument_import(data=copied)) == copied


def test_a_valid_instrument_has_no_problems():
    assert instrument_validate(kiosk()) == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "instrument: expected an object, got null"),
        ([], "instrument: expected an object, got a list"),
        ("kiosk", "instrument: expected an object, got a string"),
    ],
)
def test_it_reports_a_top_level_that_is_not_an_object(data, message):
    assert instrument_validate(data) == [message]


def _problems_after(change) -> list[str]:
    data = kiosk()
    change(data)
    return instrument_validate(data)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("code"), "code: is required"),
        (lambda d: d.update(code="kiosk 2024"),
         'code: "kiosk 2024" is not a valid code (1-32 letters, digits, _ or -)'),
        (lambda d: d.update(code="x" * 33), "is not a valid code (1-32 letters, digits, _ or -)"),
        (lambda d: d.update(code="kiosk\n"),
         'code: "kiosk\\n" is not a valid code (1-32 letters, digits, _ or -)'),
        (lambda d: d.update(code=7), "code: 7 is not a valid code (1-32 letters, digits, _ or -)"),
        (lambda d: d.update(extra=1), "extra: unknown key (expected code, languages, name, dimensions)"),
        (lambda d: d.pop("languages"), "languages: is required"),
        (lambda d: d.update(languages="en"), "languages: expected a list of language codes, got a string"),
        (lambda d: d.update(languages=[]), "languages: at least one language is required"),
        (lambda d: d.update(languages=["en", ""]),
         'languages[1]: expected a non-empty language code, got ""'),
        (lambda d: d.update(languages=["en", "zh-hans", "en"]), 'languages[2]: "en" is listed twice'),
        (lambda d: d.update(languages=["en", "zh_Hans"]),
         'languages[1]: "zh_Hans" is not a Django language code (lowercase, such as "en" or "zh-hans")'),
        (lambda d: d.update(name="Kiosk"), "name: expected an object {language: text}, got a string"),
        (lambda d: d.update(name={}), "name: needs a text in at least one language (en, zh-hans)"),
        (lambda d: d["name"].update(fr="Borne"), 'name.fr: language "fr" is not declared in languages'),
        (lambda d: d["name"].update(en="  "), 'name.en: expected a non-empty string, got "  "'),
        (lambda d: d["name"].update(en=None), "name.en: expected a non-empty string, got null"),
        (lambda d: d.pop("dimensions"), "dimensions: is required"),
        (lambda d: d.update(dimensions={}), "dimensions: expected a list, got an object"),
        (lambda d: d.update(dimensions=[]), "dimensions: at least one dimension is required"),
        (lambda d: d["dimensions"].append("speed"), "dimensions[2]: expected an object, got a string"),
        (lambda d: d["dimensions"][0].update(weight=2),
         "dimensions[0].weight: unknown key (expected code, name, items)"),
        (lambda d: d["dimensions"][1].pop("name"), "dimensions[1].name: is required"),
        (lambda d: d["dimensions"][1].update(code="speed"),
         'dimensions[1].code: duplicate dimension code "speed" (also dimensions[0])'),
        (lambda d: d["dimensions"][1].update(code="Clarity!"),
         'dimensions[1].code: "Clarity!" is not a valid code (1-32 letters, digits, _ or -)'),
        (lambda d: d["dimensions"][1].update(name={"en": ""}),
         "dimensions[1].name: needs a text in at least one language (en, zh-hans)"),
        (lambda d: d["dimensions"][1].update(items=[]), "dimensions[1].items: at least one item is required"),
        (lambda d: d["dimensions"][1].update(items=None), "dimensions[1].items: expected a list, got null"),
        (lambda d: d["dimensions"][1].pop("items"), "dimensions[1].items: is required"),
        (lambda d: d["dimensions"][1]["items"].append(3),
         "dimensions[1].items[1]: expected an object, got a number"),
        (lambda d: d["dimensions"][1]["items"][0].update(code="REL 1"),
         'dimensions[1].items[0].code: "REL 1" is not a valid code (1-32 letters, digits, _ or -)'),
        (lambda d: d["dimensions"][1]["items"][0].update(code="SPD2"),
         'dimensions[1].items[0].code: duplicate item code "SPD2" (also dimensions[0].items[1])'),
        (lambda d: d["dimensions"][0]["items"][1].update(text={"de": "Schnell"}),
         'dimensions[0].items[1].text.de: language "de" is not declared in languages'),
        (lambda d: d["dimensions"][0]["items"][1].update(text=["fast"]),
         "dimensions[0].items[1].text: expected an object {language: text}, got a list"),
        (lambda d: d["dimensions"][0]["items"][1].pop("text"), "dimensions[0].items[1].text: is required"),
        (lambda d: d["dimensions"][0]["items"][1].update(note="x"),
         "dimensions[0].items[1].note: unknown key (expected code, text)"),
    ],
)
def test_each_rule_has_its_own_message(change, message):
    problems = _problems_after(change)
    assert any(message in problem for problem in problems), problems


def test_item_and_dimension_codes_may_coincide():
    data = kiosk()
    data["dimensions"][0]["items"][0]["code"] = "speed"
    assert instrument_validate(data) == []


def test_it_lists_every_problem_at_once():
    data = kiosk()
    data["code"] = "bad code"
    data["languages"] = ["en", "en"]
    data["dimensions"][0]["items"][0]["code"] = ""
    data["dimensions"][1]["items"] = []
    data["surprise"] = True
    assert instrument_validate(data) == [
        "surprise: unknown key (expected code, languages, name, dimensions)",
        'code: "bad code" is not a valid code (1-32 letters, digits, _ or -)',
        'languages[1]: "en" is listed twice',
        'name.zh-hans: language "zh-hans" is not declared in languages',
        'dimensions[0].name.zh-hans: language "zh-hans" is not declared in languages',
        'dimensions[0].items[0].code: "" is not a valid code (1-32 letters, digits, _ or -)',
        'dimensions[0].items[0].text.zh-hans: language "zh-hans" is not declared in languages',
        'dimensions[1].name.zh-hans: language "zh-hans" is not declared in languages',
        "dimensions[1].name: needs a text in at least one language (en)",
        "dimensions[1].items: at least one item is required",
    ]


@pytest.mark.django_db
def test_an_invalid_instrument_writes_nothing():
    data = kiosk()
    data["dimensions"][1]["items"][0]["code"] = "SPD1"
    with pytest.raises(InstrumentError) as raised:
        instrument_import(data=data)
    assert raised.value.problems == [
        'dimensions[1].items[0].code: duplicate item code "SPD1" (also dimensions[0].items[0])'
    ]
    assert isinstance(raised.value, ValueError)
    assert not Instrument.objects.filter(code="kiosk-2024").exists()
    assert not Dimension.objects.filter(code="speed").exists()


@pytest.mark.django_db
def test_a_duplicate_code_is_rejected_without_replace():
    instrument_import(data=kiosk())
    changed = kiosk()
    changed["dimensions"] = changed["dimensions"][:1]
    with pytest.raises(InstrumentError, match='code: instrument "kiosk-2024" already exists'):
        instrument_import(data=changed)
    assert Item.objects.filter(instrument__code="kiosk-2024").count() == 3


@pytest.mark.django_db
def test_replace_overwrites_the_dimensions_and_items():
    first = instrument_import(data=kiosk())
    changed = kiosk()
    changed["name"] = {"en": "Kiosk survey v2"}
    changed["dimensions"] = changed["dimensions"][1:]
    second = instrument_import(data=changed, replace=True)
    assert second.pk == first.pk
    assert instrument_export(instrument=second) == changed
    assert Dimension.objects.filter(instrument=second).count() == 1


def test_json_text_errors_say_where():
    with pytest.raises(InstrumentError, match=r"^not valid JSON: .* at line 2 column 15$"):
        instrument_from_json_text('{"code": "x",\n "languages": }')
    with pytest.raises(InstrumentError, match="instrument: expected an object, got a list"):
        instrument_from_json_text("[]")
    assert instrument_from_json_text(json.dumps(KIOSK)) == KIOSK


@pytest.mark.django_db
def test_the_commands_import_and_export_a_file(tmp_path):
    source = tmp_path / "kiosk.json"
    source.write_text(json.dumps(KIOSK, ensure_ascii=False), encoding="utf-8")
    out = StringIO()
    call_command("import_instrument", str(source), stdout=out)
    assert out.getvalue() == "Imported instrument kiosk-2024: 2 dimensions, 3 items.\n"

    target = tmp_path / "out.json"
    call_command("export_instrument", "kiosk-2024", str(target))
    text = target.read_text(encoding="utf-8")
    assert "自助终端调查" in text
    assert text == json.dumps(KIOSK, ensure_ascii=False, indent=2) + "\n"

    out = StringIO()
    call_command("export_instrument", "kiosk-2024", stdout=out)
    assert json.loads(out.getvalue()) == KIOSK


@pytest.mark.django_db
def test_the_import_command_replaces_only_when_asked(tmp_path):
    source = tmp_path / "kiosk.json"
    source.write_text(json.dumps(KIOSK), encoding="utf-8")
    call_command("import_instrument", str(source), stdout=StringIO())
    with pytest.raises(CommandError, match='code: instrument "kiosk-2024" already exists'):
        call_command("import_instrument", str(source), stdout=StringIO())
    out = StringIO()
    call_command("import_instrument", str(source), "--replace", stdout=out)
    assert out.getvalue().startswith("Imported instrument kiosk-2024")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("{not json", "not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (b"\xff\xfe", "not UTF-8 text"),
        (json.dumps({"code": "x y", "languages": []}),
         'code: "x y" is not a valid code (1-32 letters, digits, _ or -); '
         "languages: at least one language is required; name: is required; dimensions: is required"),
    ],
)
def test_the_import_command_fails_with_one_line_on_a_bad_file(tmp_path, content, message):
    path = tmp_path / "bad.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        call_command("import_instrument", str(path), stdout=StringIO())
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)
    assert Instrument.objects.count() == 1  # only the migration's servqual


@pytest.mark.django_db
def test_the_export_command_rejects_an_unknown_code():
    with pytest.raises(CommandError, match='no instrument with code "nope"'):
        call_command("export_instrument", "nope", stdout=StringIO())


def test_unusable_languages_are_reported_once_not_for_every_text():
    data = kiosk()
    data["languages"] = ["EN"]
    assert instrument_validate(data) == [
        'languages[0]: "EN" is not a Django language code (lowercase, such as "en" or "zh-hans")'
    ]


@pytest.mark.django_db
def test_texts_with_control_characters_are_rejected():
    data = {"code": "k", "languages": ["en"], "name": {"en": "a\x00b"},
            "dimensions": [{"code": "d", "name": {"en": "D"}, "items": [{"code": "I1", "text": {"en": "x\x07"}}]}]}
    assert instrument_validate(data) == [
        "name.en: must not contain control characters",
        "name: needs a text in at least one language (en)",
        "dimensions[0].items[0].text.en: must not contain control characters",
        "dimensions[0].items[0].text: needs a text in at least one language (en)",
    ]
