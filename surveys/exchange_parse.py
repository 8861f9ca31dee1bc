"""Reading and checking a response exchange file (METHOD.md §9), column by column.

Pure: no Django. A million rows must be checked in seconds, so on the happy path
no cell is visited in Python: each column's distinct values are parsed once and
mapped back onto the rows with numpy, and messages are built only for the cells
that fail.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveys.layout import Layout

MAX_ERRORS = 1000
FIXED_COLUMNS = ("submission_id", "unit", "channel", "submitted_at")
REQUIRED_FIXED = ("submission_id", "unit")
ANSWER_PREFIX = {"expectation": "E", "perception": "P", "adequate": "A"}
# Nearly unique per row: kept as text; every other column is read as categories.
TEXT_COLUMNS = ("submission_id", "submitted_at")
MAX_CHANNEL = 64
# Row-level importance problems concern all the W_ cells of the row.
IMPORTANCE_COLUMNS = "W_*"

_integer_re = re.compile(r"[+-]?\d+(?:\.0*)?")
_UUID_HYPHENS = [8, 13, 18, 23]
_UUID_DIGITS = [k for k in range(36) if k not in _UUID_HYPHENS]
_TEXT = np.dtypes.StringDType()
_line_re = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass
class CellError:
    """One problem: `row` counts the header as row 1; None for file-level problems."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [f"row {self.row}"] if self.row is not None else []
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportRejected(ValueError):
    """A rejected file: `errors` lists every problem (capped), `total` counts them all."""

    def __init__(self, errors: list[CellError], total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        noun = "error" if self.total == 1 else "errors"
        super().__init__(f"file rejected: {self.total} {noun} (first: {errors[0]})")


@dataclass
class ParsedResponses:
    """The checked rows of a file, in file order, blank rows left out."""

    rows: np.ndarray  # spreadsheet row number of each response
    submission_ids: np.ndarray  # 32 lowercase hex digits (U32)
    unit_ids: np.ndarray  # int64
    channels: np.ndarray  # str (object array)
    submitted_at: np.ndarray  # datetime64[us], UTC
    answers: np.ndarray  # (n × layout.width) uint8, 0 = no opinion
    importance: np.ndarray  # (n × dimensions) uint8
    has_importance: np.ndarray  # bool


class _Errors:
    def __init__(self) -> None:
        self.items: list[CellError] = []
        self.total = 0

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.total += 1
        self.items.append(CellError(row, column, message))

    def cells(self, rows: np.ndarray, column: str, mask: np.ndarray, message: Callable[[int], str]) -> None:
        """One error per True in mask; only the first MAX_ERRORS get a message built
        (sorting by row later can only keep those)."""
        failing = np.flatnonzero(mask)
        self.total += len(failing)
        for i in failing[:MAX_ERRORS]:
            self.items.append(CellError(int(rows[i]), column, message(int(i))))

    def raise_if_any(self, order: dict[str, int]) -> None:
        if not self.total:
            return
        items = sorted(self.items, key=lambda e: (e.row or 0, order.get(e.column or "", -1)))
        capped = items[:MAX_ERRORS]
        if self.total > len(capped):
            capped.append(CellError(None, None, f"… and {self.total - len(capped)} more errors"))
        raise ImportRejected(capped, self.total)


# ---------------------------------------------------------------- reading


def _factor(series: pd.Series) -> tuple[np.ndarray, list[str]]:
    """(codes, distinct values) of a column; a missing cell is the empty string."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy().astype(np.int64)
        uniques = [str(u) for u in series.cat.categories]
    else:
        codes, found = pd.factorize(series.fillna(""))
        uniques = [str(u) for u in found]
    codes[codes < 0] = len(uniques)
    return codes, [*uniques, ""]


def _read_csv(content: bytes, errors: _Errors) -> tuple[list[str], list[pd.Series], np.ndarray] | None:
    try:
        head = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
        header = next(csv.reader(head), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        errors.add(None, None, f"not a readable UTF-8 CSV file ({exc})")
        return None
    header = [name.strip() for name in header]
    try:
        ragged = _ragged_rows(content, len(header))
    except csv.Error as exc:
        errors.add(None, None, f"not a readable CSV file ({exc})")
        return None
    if ragged:
        # pandas would pad a short row with empty cells or drop a long row's extras.
        for row, cells in ragged[:MAX_ERRORS]:
            errors.add(row, None, f"this row has {cells} cells but the header has {len(header)}")
        errors.total += max(len(ragged) - MAX_ERRORS, 0)
        return None
    names = list(range(len(header)))
    dtypes = {i: (str if name in TEXT_COLUMNS else "category") for i, name in enumerate(header)}
    try:
        frame = pd.read_csv(
            io.BytesIO(content), header=0, names=names, dtype=dtypes, index_col=False,
            keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig",
        )
    except UnicodeDecodeError as exc:
        errors.add(None, None, f"not UTF-8 text (bad byte at offset {exc.start})")
        return None
    except (pd.errors.ParserError, ValueError) as exc:
        if match := _line_re.search(str(exc)):
            expected, line, saw = match.groups()
            errors.add(int(line), None, f"this row has {saw} cells but the header has {expected}")
        else:
            errors.add(None, None, f"not a readable CSV file ({exc})")
        return None
    rows = np.arange(2, len(frame) + 2)
    return header, [frame[i] for i in names], rows


def _ragged_rows(content: bytes, width: int) -> list[tuple[int, int]]:
    """(row number, cells) of the CSV records whose number of cells is not the header's.

    Blank lines are left to the reader. Without quotes a record is a line, and
    the cells of a million lines are counted with numpy; quoted files (whose cells
    may hold commas and line breaks) go through the csv module.
    """
    text = content[3:] if content.startswith(b"\xef\xbb\xbf") else content
    if b'"' in text:
        reader = csv.reader(io.StringIO(text.decode("utf-8", errors="replace"), newline=""))
        out = []
        for record in reader:
            if reader.line_num > 1 and record and len(record) != width and any(c.strip() for c in record):
                out.append((reader.line_num, len(record)))
        return out
    buf = np.frombuffer(text, dtype=np.uint8)
    newlines = np.flatnonzero(buf == ord("\n"))
    starts = np.r_[0, newlines + 1]
    ends = np.r_[newlines, len(buf)]
    length = ends - starts
    if not len(buf):
        return []
    commas = np.add.reduceat(buf == ord(","), np.minimum(starts, len(buf) - 1), dtype=np.int32)
    commas[length == 0] = 0  # reduceat gives an empty segment its first element
    last = buf[np.maximum(ends - 1, 0)] if len(buf) else np.zeros(len(starts), np.uint8)
    blank = (length == 0) | ((length == 1) & (last == ord("\r")))
    bad = np.flatnonzero((commas + 1 != width) & ~blank)
    bad = bad[bad > 0]  # the header itself
    return [(int(i) + 1, int(commas[i]) + 1) for i in bad]


def _xlsx_text(value: object) -> str:
    """A cell as the text a CSV would hold: 7 → "7", 7.0 → "7.0", a date → ISO 8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(content: bytes, errors: _Errors) -> tuple[list[str], list[pd.Series], np.ndarray] | None:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        errors.add(None, None, f"not a readable XLSX file ({exc})")
        return None
    except Exception as exc:  # openpyxl fails on damaged parts in many ways of its own
        errors.add(None, None, f"not a readable XLSX file ({type(exc).__name__}: {exc})")
        return None
    try:
        return _xlsx_columns(book, errors)
    except Exception as exc:  # a damaged sheet only shows itself while its rows are read
        errors.add(None, None, f"not a readable XLSX file ({type(exc).__name__}: {exc})")
        return None
    finally:
        book.close()


def _xlsx_columns(book, errors: _Errors) -> tuple[list[str], list[pd.Series], np.ndarray] | None:
    lines = book.worksheets[0].iter_rows(values_only=True)
    header = [_xlsx_text(v).strip() for v in next(lines, ())]
    while header and header[-1] == "":
        header.pop()
    if not header:
        errors.add(None, None, "the file is empty")
        return None
    width = len(header)
    cells: list[tuple] = []
    for row_number, line in enumerate(lines, start=2):
        if len(line) > width and any(v not in (None, "") for v in line[width:]):
            errors.add(row_number, None, f"this row has cells beyond the header's {width} columns")
        cells.append(tuple(line[:width]) + (None,) * (width - len(line)))
    by_column = list(zip(*cells, strict=True)) if cells else [()] * width
    columns = []
    for name, values in zip(header, by_column, strict=True):
        series = pd.Series([_xlsx_text(v) for v in values], dtype=str)
        columns.append(series if name in TEXT_COLUMNS else series.astype("category"))
    return header, columns, np.arange(2, len(cells) + 2)


def _stripped(series: pd.Series) -> np.ndarray:
    """A text column as variable-width numpy strings, whitespace stripped (vectorized)."""
    return np.strings.strip(series.to_numpy(dtype=object, na_value="").astype(_TEXT))


# ---------------------------------------------------------------- cells


def _canonical_uuids(text: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(32 lowercase hex digits, ok) per cell, for the 8-4-4-4-12 form only."""
    hexes = np.full(len(text), "", dtype="U32")
    ok = np.zeros(len(text), dtype=bool)
    candidates = np.flatnonzero(np.strings.str_len(text) == 36)
    if len(candidates):
        chars = np.ascontiguousarray(text[candidates].astype("U36")).view(np.uint32).reshape(-1, 36)
        digits = chars[:, _UUID_DIGITS]
        upper = (digits >= ord("A")) & (digits <= ord("F"))
        is_hex = ((digits >= ord("0")) & (digits <= ord("9"))) | upper | (
            (digits >= ord("a")) & (digits <= ord("f")))
        good = is_hex.all(axis=1) & (chars[:, _UUID_HYPHENS] == ord("-")).all(axis=1)
        lower = np.ascontiguousarray(np.where(upper, digits + 32, digits)[good])
        hexes[candidates[good]] = lower.view("U32").ravel()
        ok[candidates[good]] = True
    return hexes, ok



def _integer(text: str) -> int | None:
    """'' → None, '7' or '7.0' → 7; anything else raises ValueError."""
    text = text.strip()
    if not text:
        return None
    if not _integer_re.fullmatch(text):
        raise ValueError(text)
    return int(text.split(".")[0])


def _lookup(uniques: list[str], parse: Callable[[str], tuple[int, str | None]]) -> tuple[np.ndarray, list]:
    """Parse each distinct value once: (values as int64, message or None per value)."""
    values = np.zeros(len(uniques), dtype=np.int64)
    messages: list[str | None] = []
    for k, text in enumerate(uniques):
        values[k], message = parse(text)
        messages.append(message)
    return values, messages


def _answer_parser(scale: int) -> Callable[[str], tuple[int, str | None]]:
    def parse(text: str) -> tuple[int, str | None]:
        try:
            value = _integer(text)
        except ValueError:
            return 0, f'"{text.strip()}" is not an integer from 1 to {scale} (leave empty for no opinion)'
        if value is not None and not 1 <= value <= scale:
            return 0, f"{value} is outside the scale 1..{scale}"
        return value or 0, None

    return parse


def _points(text: str) -> tuple[int, str | None]:
    """Importance points: -1 = empty cell."""
    try:
        value = _integer(text)
    except ValueError:
        value = -2
    if value is None:
        return -1, None
    if not 0 <= value <= 100:
        return -1, f'"{text.strip()}" is not a whole number of points from 0 to 100'
    return value, None


def _check_header(header: list[str], layout: Layout, errors: _Errors) -> dict[str, int]:
    """Column name → position of its first occurrence, for the recognized columns."""
    answer_names = [f"{ANSWER_PREFIX[c]}_{item}" for c in layout.columns for item in layout.item_codes]
    weight_names = [f"W_{d}" for d in layout.dimension_codes]
    known = set(FIXED_COLUMNS) | set(answer_names) | set(weight_names)
    seen: dict[str, int] = {}
    for pos, name in enumerate(header):
        if name == "":
            continue  # checked with the cells: a nameless column must be empty
        if name in seen:
            errors.add(1, name, f"duplicate column (first at column {seen[name] + 1})")
        elif name in known:
            seen[name] = pos
        elif name.startswith("A_") and name[2:] in layout.item_codes:
            errors.add(1, name, "this audit is two-column: it has no A_ (adequate) columns")
        else:
            errors.add(1, name, "unknown column")
    for name in (*REQUIRED_FIXED, *answer_names):
        if name not in seen:
            errors.add(1, name, "missing column")
    given = [w for w in weight_names if w in seen]
    if given and len(given) < len(weight_names):
        for name in weight_names:
            if name not in seen:
                errors.add(1, name, "missing column (give W_ columns for every dimension or none)")
        for name in given:
            del seen[name]
    return seen


def responses_parse(*, layout: Layout, unit_ids: dict[str, int], filename: str, content: bytes,
                    now: dt.datetime) -> ParsedResponses:
    """Read and check a whole file; raise ImportRejected listing every problem."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in ("csv", "xlsx"):
        raise ImportRejected([CellError(None, None, f'"{filename}": use a .csv or .xlsx file')])
    if not content.removeprefix(b"\xef\xbb\xbf").strip():
        raise ImportRejected([CellError(None, None, "the file is empty")])
    errors = _Errors()
    table = (_read_csv if extension == "csv" else _read_xlsx)(content, errors)
    if table is None:  # unreadable: the reader said why
        raise ImportRejected(errors.items)
    header, columns, rows = table
    order = {name: pos for pos, name in reversed(list(enumerate(header)))}
    seen = _check_header(header, layout, errors)

    # Rows with no value in any cell are spreadsheet padding: left out.
    factors: dict[int, tuple[np.ndarray, list[str]]] = {}
    texts: dict[int, np.ndarray] = {}
    blank = np.ones(len(rows), dtype=bool)
    for pos, (name, series) in enumerate(zip(header, columns, strict=True)):
        if name in TEXT_COLUMNS:
            texts[pos] = _stripped(series)
            blank &= texts[pos] == ""
        else:
            factors[pos] = codes, uniques = _factor(series)
            blank &= np.array([u.strip() == "" for u in uniques], dtype=bool)[codes]
    keep = ~blank
    rows = rows[keep]
    n = len(rows)

    def codes_of(pos: int) -> tuple[np.ndarray, list[str]]:
        codes, uniques = factors[pos]
        return codes[keep], uniques

    def text_of(name: str) -> np.ndarray:
        return texts[seen[name]][keep] if name in seen else np.full(n, "", dtype=_TEXT)

    for pos, name in enumerate(header):
        if name == "" and pos in factors:
            codes, uniques = codes_of(pos)
            empty = np.array([u.strip() == "" for u in uniques], dtype=bool)
            errors.cells(rows, f"#{pos + 1}", ~empty[codes], lambda i: "a column without a header holds data")

    # Answers, packed in layout order: E block, P block, [A block].
    answers = np.zeros((n, layout.width), dtype=np.uint8)
    parse_answer = _answer_parser(layout.scale)
    for c_index, column in enumerate(layout.columns):
        for i_index, item in enumerate(layout.item_codes):
            name = f"{ANSWER_PREFIX[column]}_{item}"
            if name not in seen:
                continue
            codes, uniques = codes_of(seen[name])
            values, messages = _lookup(uniques, parse_answer)
            answers[:, c_index * layout.n_items + i_index] = values[codes]
            bad = np.array([m is not None for m in messages], dtype=bool)
            errors.cells(rows, name, bad[codes], lambda i, c=codes, m=messages: m[c[i]])

    # Importance: every dimension or none, summing to exactly 100 (§3).
    n_dims = len(layout.dimension_codes)
    weight_names = [f"W_{d}" for d in layout.dimension_codes]
    points = np.full((n, n_dims), -1, dtype=np.int64)
    bad_points = np.zeros(n, dtype=bool)
    if all(w in seen for w in weight_names):
        for d_index, name in enumerate(weight_names):
            codes, uniques = codes_of(seen[name])
            values, messages = _lookup(uniques, _points)
            points[:, d_index] = values[codes]
            bad = np.array([m is not None for m in messages], dtype=bool)[codes]
            bad_points |= bad
            errors.cells(rows, name, bad, lambda i, c=codes, m=messages: m[c[i]])
    given = points >= 0
    n_given = given.sum(axis=1)
    partial = (n_given > 0) & (n_given < n_dims) & ~bad_points
    errors.cells(rows, IMPORTANCE_COLUMNS, partial, lambda i: (
        "give points to every dimension or leave every W_ cell empty (missing: "
        + ", ".join(w for w, g in zip(weight_names, given[i], strict=True) if not g) + ")"))
    full = (n_given == n_dims) & ~bad_points
    sums = np.where(given, points, 0).sum(axis=1)
    wrong_sum = full & (sums != 100)
    errors.cells(rows, IMPORTANCE_COLUMNS, wrong_sum,
                 lambda i: f"importance points must sum to exactly 100 (they sum to {sums[i]})")

    # Unit and channel.
    unit_column = np.full(n, -1, dtype=np.int64)
    if "unit" in seen:
        codes, uniques = codes_of(seen["unit"])
        lut = np.array([unit_ids.get(u.strip(), -1) for u in uniques], dtype=np.int64)
        unit_column = lut[codes]
        errors.cells(rows, "unit", unit_column < 0, lambda i, c=codes, u=uniques: (
            "a unit code is required" if not u[c[i]].strip()
            else f'unknown unit "{u[c[i]].strip()}" for this audit'))
    channels = np.full(n, "", dtype=object)
    if "channel" in seen:
        codes, uniques = codes_of(seen["channel"])
        stripped = np.array([u.strip() for u in uniques], dtype=object)
        lengths = np.array([len(u) for u in stripped], dtype=np.int64)
        channels = stripped[codes]
        errors.cells(rows, "channel", lengths[codes] > MAX_CHANNEL, lambda i, c=codes: (
            f"at most {MAX_CHANNEL} characters (this one has {lengths[c[i]]})"))
        # PostgreSQL text cannot hold NUL, and no channel name needs control characters.
        control = np.array([any(ord(ch) < 32 and ch not in "\t\n\r" for ch in u) for u in stripped], dtype=bool)
        errors.cells(rows, "channel", control[codes] & (lengths[codes] <= MAX_CHANNEL),
                     lambda i: "must not contain control characters")

    # Submission ids: canonical forms vectorized, anything else through uuid.UUID.
    sid_text = text_of("submission_id")
    sid_hex, sid_ok = _canonical_uuids(sid_text)
    sid_missing = (sid_text == "") & ("submission_id" in seen)
    for i in np.flatnonzero(~sid_ok & ~sid_missing):
        try:
            sid_hex[i] = uuid.UUID(str(sid_text[i])).hex
            sid_ok[i] = True
        except ValueError:
            pass
    errors.cells(rows, "submission_id", ~sid_ok & ("submission_id" in seen), lambda i: (
        f'"{sid_text[i]}" is not a valid UUID' if sid_text[i] else "a submission_id is required"))

    # submitted_at: ISO 8601, no offset = UTC, empty = now. Starting with a digit
    # keeps out the words pandas would read ("now", "today").
    at_text = text_of("submitted_at")
    empty_at = at_text == ""
    looks_iso = np.strings.isdigit(np.strings.slice(at_text, 0, 1))
    parsed = pd.to_datetime(
        pd.Series(np.where(looks_iso, at_text, "").astype(object), dtype=object),
        format="ISO8601", utc=True, errors="coerce",
    )
    bad_at = parsed.isna().to_numpy() & ~empty_at
    errors.cells(rows, "submitted_at", bad_at,
                 lambda i: f'"{at_text[i]}" is not an ISO 8601 date and time')
    stamps = parsed.dt.tz_localize(None).to_numpy(dtype="datetime64[us]", copy=True)
    stamps[empty_at] = np.datetime64(now.astimezone(dt.UTC).replace(tzinfo=None), "us")

    errors.raise_if_any(order)
    return ParsedResponses(
        rows=rows, submission_ids=sid_hex, unit_ids=unit_column, channels=channels,
        submitted_at=stamps, answers=answers,
        importance=np.where(full[:, None], points, 0).astype(np.uint8), has_importance=full,
    )
