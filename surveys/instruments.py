"""Instruments as files: validate, import and export the METHOD.md §10 JSON format.

`instrument_export` also produces the snapshot an audit freezes, so its output is
deterministic: keys in a fixed order, texts in the instrument's language order,
dimensions and items in position order.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import get_language

from surveys.models import CODE_PATTERN, Dimension, Instrument, Item

TOP_LEVEL_KEYS = ("code", "languages", "name", "dimensions")
DIMENSION_KEYS = ("code", "name", "items")
ITEM_KEYS = ("code", "text")
# Django's language codes are lowercase, with a hyphen before the region or
# script: "en", "pt-br", "zh-hans".
LANGUAGE_PATTERN = r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$"

_code_re = re.compile(CODE_PATTERN)
_language_re = re.compile(LANGUAGE_PATTERN)


class InstrumentError(ValueError):
    """A rejected instrument file; `problems` lists every reason, one per entry."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("; ".join(self.problems))


def _kind(value: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _show(value: Any) -> str:
    """A short JSON rendering of a bad value."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_keys(obj: dict, *, path: str, allowed: tuple[str, ...], problems: list[str]) -> None:
    """Report unknown keys; missing ones are reported by _has, in field order."""
    prefix = f"{path}." if path else ""
    for key in obj:
        if key not in allowed:
            problems.append(f"{prefix}{key}: unknown key (expected {', '.join(allowed)})")


def _has(obj: dict, key: str, *, path: str, problems: list[str]) -> bool:
    if key in obj:
        return True
    problems.append(f"{path}.{key}: is required" if path else f"{key}: is required")
    return False


def _check_code(value: Any, *, path: str, problems: list[str]) -> bool:
    if isinstance(value, str) and _code_re.fullmatch(value):
        return True
    problems.append(f"{path}: {_show(value)} is not a valid code (1-32 letters, digits, _ or -)")
    return False


def _check_unique_code(
    obj: dict, *, path: str, kind: str, seen: dict[str, str], problems: list[str]
) -> None:
    """A valid code not used by an earlier dimension (or item) of the instrument."""
    if not _has(obj, "code", path=path, problems=problems):
        return
    code = obj["code"]
    if not _check_code(code, path=f"{path}.code", problems=problems):
        return
    if code in seen:
        problems.append(f"{path}.code: duplicate {kind} code {_show(code)} (also {seen[code]})")
    else:
        seen[code] = path


def _check_languages(value: Any, *, problems: list[str]) -> list[str] | None:
    """The declared languages, or None when the list is unusable."""
    if not isinstance(value, list):
        problems.append(f"languages: expected a list of language codes, got {_kind(value)}")
        return None
    if not value:
        problems.append("languages: at least one language is required")
        return None
    declared: list[str] = []
    for index, language in enumerate(value):
        path = f"languages[{index}]"
        if not isinstance(language, str) or not language.strip():
            problems.append(f"{path}: expected a non-empty language code, got {_show(language)}")
        elif not _language_re.fullmatch(language):
            problems.append(
                f"{path}: {_show(language)} is not a Django language code "
                '(lowercase, such as "en" or "zh-hans")'
            )
        elif language in declared:
            problems.append(f"{path}: {_show(language)} is listed twice")
        else:
            declared.append(language)
    # With no usable language, every text key would be "undeclared": say it once.
    return declared or None


def _check_texts(value: Any, *, path: str, languages: list[str] | None, problems: list[str]) -> None:
    """A {language: text} dict with at least one non-empty text in a declared language."""
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object {{language: text}}, got {_kind(value)}")
        return
    present = 0
    for language, text in value.items():
        key_path = f"{path}.{language}"
        if languages is not None and language not in languages:
            problems.append(f"{key_path}: language {_show(language)} is not declared in languages")
            continue
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{key_path}: expected a non-empty string, got {_show(text)}")
            continue
        if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in text):
            # PostgreSQL cannot store NUL, and no question needs control characters.
            problems.append(f"{key_path}: must not contain control characters")
            continue
        present += 1
    if not present:
        wanted = ", ".join(languages) if languages else "a declared language"
        problems.append(f"{path}: needs a text in at least one language ({wanted})")


def instrument_validate(data: Any) -> list[str]:
    """Every problem with an instrument dict (METHOD.md §10); empty when it is valid."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"instrument: expected an object, got {_kind(data)}"]
    _check_keys(data, path="", allowed=TOP_LEVEL_KEYS, problems=problems)
    if _has(data, "code", path="", problems=problems):
        _check_code(data["code"], path="code", problems=problems)
    languages = None
    if _has(data, "languages", path="", problems=problems):
        languages = _check_languages(data["languages"], problems=problems)
    if _has(data, "name", path="", problems=problems):
        _check_texts(data["name"], path="name", languages=languages, problems=problems)
    if not _has(data, "dimensions", path="", problems=problems):
        return problems

    dimensions = data["dimensions"]
    if not isinstance(dimensions, list):
        problems.append(f"dimensions: expected a list, got {_kind(dimensions)}")
        return problems
    if not dimensions:
        problems.append("dimensions: at least one dimension is required")
    dimension_seen: dict[str, str] = {}
    item_seen: dict[str, str] = {}
    for d_index, dimension in enumerate(dimensions):
        d_path = f"dimensions[{d_index}]"
        if not isinstance(dimension, dict):
            problems.append(f"{d_path}: expected an object, got {_kind(dimension)}")
            continue
        _check_keys(dimension, path=d_path, allowed=DIMENSION_KEYS, problems=problems)
        _check_unique_code(dimension, path=d_path, kind="dimension", seen=dimension_seen, problems=problems)
        if _has(dimension, "name", path=d_path, problems=problems):
            _check_texts(dimension["name"], path=f"{d_path}.name", languages=languages, problems=problems)
        if not _has(dimension, "items", path=d_path, problems=problems):
            continue
        items = dimension["items"]
        if not isinstance(items, list):
            problems.append(f"{d_path}.items: expected a list, got {_kind(items)}")
            continue
        if not items:
            problems.append(f"{d_path}.items: at least one item is required")
        for i_index, item in enumerate(items):
            i_path = f"{d_path}.items[{i_index}]"
            if not isinstance(item, dict):
                problems.append(f"{i_path}: expected an object, got {_kind(item)}")
                continue
            _check_keys(item, path=i_path, allowed=ITEM_KEYS, problems=problems)
            _check_unique_code(item, path=i_path, kind="item", seen=item_seen, problems=problems)
            if _has(item, "text", path=i_path, problems=problems):
                _check_texts(item["text"], path=f"{i_path}.text", languages=languages, problems=problems)
    return problems


def _ordered_texts(texts: dict[str, str], languages: list[str]) -> dict[str, str]:
    """Texts in the instrument's language order, so snapshots compare equal."""
    ordered = {language: texts[language] for language in languages if language in texts}
    ordered.update({key: texts[key] for key in sorted(texts) if key not in ordered})
    return ordered


def instrument_import(*, data: dict, replace: bool = False) -> Instrument:
    """Create an instrument from a §10 dict; with replace, overwrite the one with that code.

    Nothing is written unless the whole file is valid. Replacing is safe for
    audits: they answer against their frozen snapshot, not the live rows.
    """
    problems = instrument_validate(data)
    if problems:
        raise InstrumentError(problems)
    code, languages = data["code"], list(data["languages"])
    name = _ordered_texts(data["name"], languages)
    try:
        with transaction.atomic():
            instrument = Instrument.objects.select_for_update().filter(code=code).first()
            if instrument is None:
                instrument = Instrument.objects.create(code=code, name=name, languages=languages)
            elif not replace:
                raise InstrumentError([f'code: instrument "{code}" already exists'])
            else:
                instrument.dimensions.all().delete()  # items go with their dimension
                instrument.name, instrument.languages = name, languages
                instrument.save(update_fields=["name", "languages", "updated_at"])
            dimensions = Dimension.objects.bulk_create(
                Dimension(
                    instrument=instrument,
                    code=dimension["code"],
                    name=_ordered_texts(dimension["name"], languages),
                    position=d_index,
                )
                for d_index, dimension in enumerate(data["dimensions"], start=1)
            )
            Item.objects.bulk_create(
                Item(
                    instrument=instrument,
                    dimension=dimension_row,
                    code=item["code"],
                    text=_ordered_texts(item["text"], languages),
                    position=i_index,
                )
                for dimension_row, dimension in zip(dimensions, data["dimensions"], strict=True)
                for i_index, item in enumerate(dimension["items"], start=1)
            )
    except IntegrityError as exc:  # another import created the same code meanwhile
        raise InstrumentError([f'code: instrument "{code}" already exists']) from exc
    return instrument


def instrument_export(*, instrument: Instrument) -> dict:
    """The §10 dict of an instrument; also the snapshot an audit freezes."""
    languages = list(instrument.languages)
    items_by_dimension: dict[int, list[dict]] = defaultdict(list)
    for dimension_id, code, text in (
        Item.objects.filter(instrument=instrument)
        .order_by("position", "id")
        .values_list("dimension_id", "code", "text")
    ):
        items_by_dimension[dimension_id].append(
            {"code": code, "text": _ordered_texts(text, languages)}
        )
    dimensions = [
        {
            "code": code,
            "name": _ordered_texts(name, languages),
            "items": items_by_dimension[dimension_id],
        }
        for dimension_id, code, name in Dimension.objects.filter(instrument=instrument)
        .order_by("position", "id")
        .values_list("id", "code", "name")
    ]
    return {
        "code": instrument.code,
        "languages": languages,
        "name": _ordered_texts(instrument.name, languages),
        "dimensions": dimensions,
    }


def instrument_from_json_text(text: str) -> dict:
    """Parse an instrument file's text; the content is checked by instrument_validate."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InstrumentError(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    if not isinstance(data, dict):
        raise InstrumentError(f"instrument: expected an object, got {_kind(data)}")
    return data


def localized(texts: Any, language: str | None = None) -> str:
    """A text in the active language, else English, else the first language given."""
    if not isinstance(texts, dict):
        return str(texts or "")
    language = language or get_language() or "en"
    for code in (language, language.split("-")[0], "en"):
        if texts.get(code):
            return texts[code]
    return next((t for t in texts.values() if t), "")
