"""Reads: units in an audit's scope, layouts, response matrices."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from django.db import connection
from django.db.models import F

from surveys.layout import Layout
from surveys.models import Audit, Response, Unit


def audit_layout(*, audit: Audit) -> Layout:
    return Layout.from_snapshot(audit.instrument_snapshot, scale=audit.scale, three_column=audit.three_column)


def unit_tree() -> tuple[dict[int, Unit], dict[int | None, list[int]]]:
    """All units by id, and the children ids of each unit id (None: top level)."""
    units = {u.pk: u for u in Unit.objects.only("id", "code", "name", "parent_id")}
    children: dict[int | None, list[int]] = defaultdict(list)
    for unit in units.values():
        children[unit.parent_id].append(unit.pk)
    return units, children


def descendant_ids(unit_id: int, children: dict[int | None, list[int]]) -> list[int]:
    """The unit and every unit below it."""
    out, stack, seen = [], [unit_id], set()
    while stack:
        current = stack.pop()
        if current in seen:  # a cycle written around the model's checks
            continue
        seen.add(current)
        out.append(current)
        stack.extend(children.get(current, ()))
    return out


def tree_order(units: dict[int, Unit]) -> list[tuple[Unit, int]]:
    """These units in tree order (siblings by code), each with its depth; a unit
    whose parent is not among them starts a tree of its own."""
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in units.values():
        children[unit.parent_id if unit.parent_id in units else None].append(unit)
    out: list[tuple[Unit, int]] = []
    seen: set[int] = set()
    stack = [(u, 0) for u in sorted(children[None], key=lambda u: u.code, reverse=True)]
    while stack:
        unit, depth = stack.pop()
        if unit.pk in seen:
            continue
        seen.add(unit.pk)
        out.append((unit, depth))
        stack.extend((c, depth + 1) for c in sorted(children[unit.pk], key=lambda u: u.code, reverse=True))
    return out


def audit_unit_ids(*, audit: Audit) -> dict[str, int]:
    """Codes → ids of the units that may answer the audit: its units and their descendants."""
    cached = getattr(audit, "_unit_ids", None)
    if cached is None:
        units, children = unit_tree()
        cached = {}
        for root in audit.units.values_list("id", flat=True):
            for uid in descendant_ids(root, children):
                cached[units[uid].code] = uid
        audit._unit_ids = cached
    return cached


def audit_scope_units(*, audit: Audit) -> tuple[dict[int, Unit], dict[int, list[int]]]:
    """Every unit the audit reports on (its units, their descendants and ancestors),
    each with the ids of the units its figures cover (itself and its descendants)."""
    units, children = unit_tree()
    member_ids = set(audit_unit_ids(audit=audit).values())
    scoped = set(member_ids)
    for uid in member_ids:
        parent = units[uid].parent_id
        while parent is not None and parent not in scoped and parent in units:
            scoped.add(parent)
            parent = units[parent].parent_id
    return {uid: units[uid] for uid in scoped}, {uid: descendant_ids(uid, children) for uid in scoped}


def audits_with_counts():
    return Audit.objects.select_related("instrument").annotate(n_responses=F("response_count"))


PARALLEL_READ_MIN_ROWS = 100_000
RESPONSE_BLOB_SQL = (
    "SELECT count(*), string_agg(int4send(unit_id::int) || answers"
    " || coalesce(importance, decode(repeat('ff', %s), 'hex')), ''::bytea)"
    " FROM surveys_response WHERE audit_id = %s AND id BETWEEN %s AND %s"
)


def _pg_response_blob(cursor, audit_id: int, nd: int, id_range: tuple[int, int]) -> tuple[int, bytes]:
    cursor.execute(RESPONSE_BLOB_SQL, [nd, audit_id, *id_range], binary=True)
    n, blob = cursor.fetchone()
    return n, bytes(blob or b"")


def _pg_response_blob_own_connection(params: dict, audit_id: int, nd: int, id_range: tuple[int, int]):
    import psycopg

    with psycopg.connect(**params) as conn, conn.cursor() as cursor:
        return _pg_response_blob(cursor, audit_id, nd, id_range)


def response_matrix(*, audit: Audit, layout: Layout) -> tuple[np.ndarray, np.ndarray]:
    """(unit ids, rows): one uint8 row per response holding its packed answers
    followed by its importance points (255 = none given).

    On PostgreSQL the rows travel as aggregated bytea values, a few instead of a
    million tuples, read over two connections at once for large audits.
    """
    nd = len(layout.dimension_codes)
    row = 4 + layout.width + nd
    if connection.vendor == "postgresql":
        from concurrent.futures import ThreadPoolExecutor

        import psycopg
        from django.db.models import Max, Min

        span = Response.objects.filter(audit=audit).aggregate(lo=Min("id"), hi=Max("id"))
        lo, hi = span["lo"] or 0, span["hi"] or 0
        if hi - lo < PARALLEL_READ_MIN_ROWS or connection.in_atomic_block:
            # Inside a transaction only this connection sees its uncommitted rows.
            connection.ensure_connection()
            # Django's cursors bind client-side, which cannot fetch binary results.
            with psycopg.Cursor(connection.connection) as cursor:
                n, blob = _pg_response_blob(cursor, audit.pk, nd, (lo, hi))
        else:
            half = lo + (hi - lo + 1) // 2
            params = {k: v for k, v in connection.get_connection_params().items() if k != "cursor_factory"}
            with ThreadPoolExecutor(2) as pool:
                chunks = list(pool.map(
                    lambda r: _pg_response_blob_own_connection(params, audit.pk, nd, r),
                    [(lo, half - 1), (half, hi)],
                ))
            n = sum(c[0] for c in chunks)
            blob = b"".join(c[1] for c in chunks)
    else:
        parts, n = [], 0
        filler = b"\xff" * nd
        for unit_id, answers, importance in Response.objects.filter(audit=audit).values_list(
            "unit_id", "answers", "importance"
        ).iterator(chunk_size=5000):
            parts.append(
                int(unit_id).to_bytes(4, "big") + bytes(answers)
                + (bytes(importance) if importance is not None else filler)
            )
            n += 1
        blob = b"".join(parts)
    data = np.frombuffer(blob, dtype=np.uint8).reshape(n, row) if n else np.zeros((0, row), np.uint8)
    unit_ids = np.ascontiguousarray(data[:, :4]).view(">i4").ravel().astype(np.int64)
    return unit_ids, data[:, 4:]
