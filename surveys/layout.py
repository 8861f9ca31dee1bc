"""The frozen layout of an audit's answers and how they are packed into bytes.

Pure: no Django. A response's answers are one byte per answer (0 = no opinion),
all expectations in item order, then all perceptions, then, for three-column
audits, all adequate levels. Importance is one byte per dimension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

COLUMNS_TWO = ("expectation", "perception")
COLUMNS_THREE = ("expectation", "perception", "adequate")


@dataclass(frozen=True)
class Layout:
    item_codes: tuple[str, ...]
    item_dimensions: tuple[int, ...]  # index into dimension_codes, per item
    dimension_codes: tuple[str, ...]
    scale: int
    three_column: bool

    @classmethod
    def from_snapshot(cls, snapshot: dict[str, Any], *, scale: int, three_column: bool) -> Layout:
        items, dims, dim_codes = [], [], []
        for d_index, dimension in enumerate(snapshot["dimensions"]):
            dim_codes.append(dimension["code"])
            for item in dimension["items"]:
                items.append(item["code"])
                dims.append(d_index)
        return cls(tuple(items), tuple(dims), tuple(dim_codes), scale, three_column)

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS_THREE if self.three_column else COLUMNS_TWO

    @property
    def n_items(self) -> int:
        return len(self.item_codes)

    @property
    def width(self) -> int:
        return self.n_items * len(self.columns)

    def pack_answers(self, answers: dict[str, dict[str, int | None]]) -> bytes:
        """Pack {item: {column: value}} (already validated) into bytes."""
        buf = bytearray(self.width)
        for c_index, column in enumerate(self.columns):
            base = c_index * self.n_items
            for i_index, code in enumerate(self.item_codes):
                value = answers.get(code, {}).get(column)
                buf[base + i_index] = value or 0
        return bytes(buf)

    def unpack_answers(self, data: bytes) -> dict[str, dict[str, int | None]]:
        raw = bytes(data)
        out: dict[str, dict[str, int | None]] = {}
        for i_index, code in enumerate(self.item_codes):
            out[code] = {
                column: (raw[c_index * self.n_items + i_index] or None)
                for c_index, column in enumerate(self.columns)
            }
        return out

    def pack_importance(self, points: dict[str, int] | None) -> bytes | None:
        if not points:
            return None
        return bytes(points[code] for code in self.dimension_codes)

    def unpack_importance(self, data: bytes | None) -> dict[str, int] | None:
        if data is None:
            return None
        return dict(zip(self.dimension_codes, bytes(data), strict=True))


# ---------------------------------------------------------------- validation
# Errors are {field path: [message]} so the API, the survey form and the importer
# can all show them beside the offending field.

ANSWER_COLUMNS = COLUMNS_THREE


def answer_value_error(value: Any, scale: int) -> str | None:
    """Why a single answer is not an integer in 1..K or null, else None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be an integer from 1 to {scale}, or null for no opinion"
    if not 1 <= value <= scale:
        return f"{value} is outside the scale 1..{scale}"
    return None


def validate_answers(layout: Layout, answers: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if answers is None:
        return errors
    if not isinstance(answers, dict):
        return {"answers": ["must be an object keyed by item code"]}
    known = set(layout.item_codes)
    for code, columns in answers.items():
        path = f"answers.{code}"
        if code not in known:
            errors[path] = [f'unknown item "{code}"']
            continue
        if not isinstance(columns, dict):
            errors[path] = ["must be an object with expectation, perception" +
                            (" and adequate" if layout.three_column else "")]
            continue
        for column, value in columns.items():
            if column not in ANSWER_COLUMNS:
                errors[f"{path}.{column}"] = [f'unknown answer "{column}"']
            elif column == "adequate" and not layout.three_column and value is not None:
                errors[f"{path}.{column}"] = ["this audit is two-column: it has no adequate level"]
            elif message := answer_value_error(value, layout.scale):
                errors[f"{path}.{column}"] = [message]
    return errors


def validate_importance(layout: Layout, importance: Any) -> dict[str, list[str]]:
    """All dimensions, integers ≥ 0 summing to exactly 100; None or {} means none (§3)."""
    if importance is None or importance == {}:
        return {}
    if not isinstance(importance, dict):
        return {"importance": ["must be an object of points keyed by dimension code, or null"]}
    errors: dict[str, list[str]] = {}
    for code, points in importance.items():
        if code not in layout.dimension_codes:
            errors[f"importance.{code}"] = [f'unknown dimension "{code}"']
        elif isinstance(points, bool) or not isinstance(points, int) or not 0 <= points <= 100:
            errors[f"importance.{code}"] = ["must be a whole number of points from 0 to 100"]
    if errors:
        return errors
    missing = [c for c in layout.dimension_codes if c not in importance]
    if missing:
        return {"importance": [f"give points to every dimension (missing: {', '.join(missing)})"]}
    total = sum(importance.values())
    if total != 100:
        return {"importance": [f"points must sum to exactly 100 (they sum to {total})"]}
    return {}
