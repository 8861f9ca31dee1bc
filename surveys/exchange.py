"""The response exchange format (METHOD.md §9): import and export CSV and XLSX.

Checking lives in surveys.exchange_parse; here the checked rows are de-duplicated
and written in bulk (COPY on PostgreSQL), and stored responses are written out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from analytics.services import audit_data_changed
from surveys.exchange_parse import (
    ANSWER_PREFIX,
    CellError,
    ImportRejected,
    ParsedResponses,
    responses_parse,
)
from surveys.layout import Layout
from surveys.models import Audit, Response, Unit
from surveys.selectors import audit_layout, audit_unit_ids

__all__ = ["CellError", "ImportRejected", "ImportReport", "responses_export", "responses_import"]

COPY_CHUNK = 50_000
CREATE_BATCH = 2000


@dataclass
class ImportReport:
    created: int
    skipped_existing: int  # submission_ids already stored for the audit
    skipped_repeated: int  # repeats of a submission_id earlier in the file


def responses_import(*, audit: Audit, filename: str, content: bytes) -> ImportReport:
    """Import a whole file, all or nothing (METHOD.md §9).

    Raises ImportRejected (every error by row and column) and writes nothing when
    any cell is bad; repeated or already stored submission_ids are skipped.
    """
    if not audit.is_open:
        raise ImportRejected([CellError(None, None, "this audit is closed and accepts no more responses")])
    parsed = responses_parse(
        layout=audit_layout(audit=audit), unit_ids=audit_unit_ids(audit=audit),
        filename=filename, content=content, now=timezone.now(),
    )
    ids = pd.Series(parsed.submission_ids)
    repeated = ids.duplicated(keep="first").to_numpy()
    try:
        with transaction.atomic():
            # One import per audit at a time, so the stored ids stay current; and the
            # layout the file was checked against must still be the audit's.
            current = Audit.objects.select_for_update().get(pk=audit.pk)
            if audit_layout(audit=current) != audit_layout(audit=audit) or not current.is_open:
                raise ImportRejected([CellError(
                    None, None, "the audit changed (scale, format, instrument or closed) during the import; "
                    "import again")])
            stored_ids = {
                u.hex for u in Response.objects.filter(audit=audit).values_list("submission_id", flat=True)
            }
            stored = ids.isin(stored_ids).to_numpy() & ~repeated
            new = np.flatnonzero(~repeated & ~stored)
            if len(new):
                write = _copy_rows if connection.vendor == "postgresql" else _create_rows
                write(audit=audit, parsed=parsed, index=new)
                audit_data_changed(audit_id=audit.pk, added_responses=len(new))
    except IntegrityError as exc:
        raise ImportRejected([CellError(
            None, None, "some submission_ids were stored by another import meanwhile; import again"
        )]) from exc
    return ImportReport(
        created=len(new), skipped_existing=int(stored.sum()), skipped_repeated=int(repeated.sum())
    )


def _create_rows(*, audit: Audit, parsed: ParsedResponses, index: np.ndarray) -> None:
    """Portable bulk insert (SQLite in development and tests): one executemany per
    batch with values prepared by the model's fields, ~10× faster than model instances."""
    fields = [Response._meta.get_field(name) for name in
              ("audit", "unit", "submission_id", "channel", "submitted_at", "answers", "importance")]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        connection.ops.quote_name(Response._meta.db_table),
        ", ".join(connection.ops.quote_name(f.column) for f in fields),
        ", ".join(["%s"] * len(fields)),
    )
    prep_uuid, prep_stamp = (f.get_db_prep_value for f in (fields[2], fields[4]))
    with connection.cursor() as cursor:
        for start in range(0, len(index), CREATE_BATCH):
            chunk = index[start : start + CREATE_BATCH]
            answers, importance = parsed.answers[chunk], parsed.importance[chunk]
            rows = [
                (
                    audit.pk, unit,
                    prep_uuid(uuid.UUID(hex=sid), connection),
                    channel,
                    prep_stamp(stamp.replace(tzinfo=dt.UTC), connection),
                    answers[k].tobytes(),
                    importance[k].tobytes() if given else None,
                )
                for k, (unit, sid, channel, stamp, given) in enumerate(zip(
                    parsed.unit_ids[chunk].tolist(), parsed.submission_ids[chunk].tolist(),
                    parsed.channels[chunk].tolist(), parsed.submitted_at[chunk].tolist(),
                    parsed.has_importance[chunk].tolist(), strict=True,
                ))
            ]
            cursor.executemany(sql, rows)


def _copy_escape(values: np.ndarray) -> list[str]:
    """Text COPY escaping of free text (backslash, tab, newlines)."""
    text = pd.Series(values, dtype=object).astype(str)
    if text.str.contains(r"[\\\t\n\r]", regex=True).any():
        for raw, escaped in (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r")):
            text = text.str.replace(raw, escaped, regex=False)
    return text.tolist()


def _hex_rows(matrix: np.ndarray) -> list[str]:
    """Each row of a uint8 matrix as a bytea literal in text COPY (`\\\\x` + hex)."""
    width = 2 * matrix.shape[1]
    blob = np.ascontiguousarray(matrix).tobytes().hex()
    return ["\\\\x" + blob[k : k + width] for k in range(0, len(blob), width)]


def _copy_rows(*, audit: Audit, parsed: ParsedResponses, index: np.ndarray) -> None:
    connection.ensure_connection()
    sql = (
        "COPY surveys_response (audit_id, unit_id, submission_id, channel, submitted_at, answers, importance)"
        " FROM STDIN"
    )
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for start in range(0, len(index), COPY_CHUNK):
            chunk = index[start : start + COPY_CHUNK]
            stamps = np.datetime_as_string(parsed.submitted_at[chunk], unit="us")
            answers = _hex_rows(parsed.answers[chunk])
            importance = [
                value if given else "\\N"
                for value, given in zip(
                    _hex_rows(parsed.importance[chunk]), parsed.has_importance[chunk].tolist(), strict=True
                )
            ]
            lines = [
                f"{audit.pk}\t{unit}\t{sid}\t{channel}\t{stamp}+00\t{ans}\t{imp}\n"
                for unit, sid, channel, stamp, ans, imp in zip(
                    parsed.unit_ids[chunk].tolist(), parsed.submission_ids[chunk].tolist(),
                    _copy_escape(parsed.channels[chunk]), stamps.tolist(), answers, importance, strict=True,
                )
            ]
            copy.write("".join(lines).encode())


# ---------------------------------------------------------------- export


def exchange_header(layout: Layout) -> list[str]:
    """submission_id, unit, channel, submitted_at, then E_/P_[/A_] per item, W_ per dimension."""
    answers = [f"{ANSWER_PREFIX[c]}_{item}" for item in layout.item_codes for c in layout.columns]
    return ["submission_id", "unit", "channel", "submitted_at", *answers,
            *(f"W_{d}" for d in layout.dimension_codes)]


def _stored_columns(*, audit: Audit, layout: Layout, numeric: bool) -> list[list]:
    """Every stored response as columns, in exchange_header order."""
    sids, unit_ids, channels, stamps, answer_parts, weights = [], [], [], [], [], []
    rows = Response.objects.filter(audit=audit).order_by("id").values_list(
        "submission_id", "unit_id", "channel", "submitted_at", "answers", "importance"
    )
    for sid, unit_id, channel, submitted_at, answers, importance in rows.iterator(chunk_size=10_000):
        sids.append(str(sid))
        unit_ids.append(unit_id)
        channels.append(channel)
        stamps.append(submitted_at.astimezone(dt.UTC).isoformat())
        answer_parts.append(bytes(answers))
        weights.append(None if importance is None else bytes(importance))
    n, m, n_dims = len(sids), layout.n_items, len(layout.dimension_codes)
    codes = dict(Unit.objects.filter(pk__in=set(unit_ids)).values_list("id", "code"))
    matrix = np.frombuffer(b"".join(answer_parts), dtype=np.uint8).reshape(n, layout.width)
    empty = None if numeric else ""
    labels = np.array([empty, *(v if numeric else str(v) for v in range(1, 256))], dtype=object)
    columns: list[list] = [sids, [codes[u] for u in unit_ids], channels, stamps]
    for i_index in range(m):
        for c_index in range(len(layout.columns)):
            columns.append(labels[matrix[:, c_index * m + i_index]].tolist())
    filler = bytes(n_dims)
    given = np.array([w is not None for w in weights], dtype=bool)
    points = np.frombuffer(b"".join(w or filler for w in weights), dtype=np.uint8).reshape(n, n_dims)
    for d_index in range(n_dims):
        values = points[:, d_index].astype(object) if numeric else points[:, d_index].astype(str).astype(object)
        values[~given] = empty
        columns.append(values.tolist())
    return columns


def responses_export(*, audit: Audit, fmt: str) -> bytes:
    """The audit's responses in the exchange format ("csv" or "xlsx"); re-imports unchanged."""
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f'unknown format "{fmt}": use "csv" or "xlsx"')
    layout = audit_layout(audit=audit)
    header = exchange_header(layout)
    columns = _stored_columns(audit=audit, layout=layout, numeric=fmt == "xlsx")
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(zip(*columns, strict=True))
        return out.getvalue().encode("utf-8")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("responses")
    sheet.append(header)
    for row in zip(*columns, strict=True):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
