"""Export the ledger: one sheet per entity, Chinese headers, references by natural key.

What is exported imports back unchanged (``tests/exporters/test_sheets_roundtrip.py`` compares
every field). A unit user's export holds only their units' rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.sheets.spec import SheetSpec, all_sheets
from exporters.sheets.writer import SheetData, write_csv_zip, write_workbook
from taizhang import crud
from taizhang.auth.principal import ALL, Scope

FORMATS = ("xlsx", "csv")


class _Names:
    """id → natural key of referenced rows, loaded once per export."""

    def __init__(self, session: Session):
        self.session = session
        self.maps: dict[str, dict[int, tuple[Any, ...]]] = {}

    def of(self, target: str, object_id: int) -> tuple[Any, ...]:
        if target not in self.maps:
            spec = next(s for s in all_sheets() if s.name == target)
            model = spec.entity.model
            columns = [getattr(model, c) for c in spec.lookups[0]]
            rows = self.session.execute(select(model.id, *columns))
            self.maps[target] = {row[0]: tuple(row[1:]) for row in rows}
        return self.maps[target][object_id]


def _objects(session: Session, spec: SheetSpec, scope: Scope) -> Iterator[Any]:
    stmt = crud.list_query(spec.entity, scope=scope).options(*spec.entity.load_options)
    objects = session.execute(stmt.execution_options(yield_per=1000)).scalars()
    if spec.name == "单位":
        yield from _parents_first(list(objects))
    else:
        yield from objects


def _parents_first(units: list[Any]) -> Iterator[Any]:
    """Units ordered so that a parent precedes its children: the import resolves parents in order."""
    remaining = {u.id: u for u in units}
    emitted: set[int] = set()
    while remaining:
        ready = [
            u
            for u in remaining.values()
            if u.parent_id is None or u.parent_id in emitted or u.parent_id not in remaining
        ]
        if not ready:  # a cycle cannot be stored, but never loop forever
            ready = list(remaining.values())
        for unit in ready:
            emitted.add(unit.id)
            del remaining[unit.id]
            yield unit


def _rows(
    session: Session, spec: SheetSpec, scope: Scope, names: _Names, *, for_csv: bool
) -> Iterator[list[Any]]:
    ref_of_column = {key: ref for ref in spec.refs for key in ref.columns}
    for obj in _objects(session, spec, scope):
        data = spec.entity.read.model_validate(obj).model_dump()
        row: list[Any] = []
        for column in spec.columns:
            ref = ref_of_column.get(column.key)
            if ref is None:
                row.append(column.to_cell(data.get(column.key), for_csv=for_csv))
                continue
            value = data.get(ref.field)
            if ref.many:
                row.append("、".join(str(names.of(ref.target, i)[0]) for i in value or []) or None)
            elif value is None:
                row.append(None)
            else:
                key = names.of(ref.target, value)
                row.append(key[ref.columns.index(column.key)] if len(key) > 1 else key[0])
        yield row


def ledger_sheets(session: Session, *, scope: Scope = ALL, for_csv: bool = False) -> Iterator[SheetData]:
    names = _Names(session)
    for spec in all_sheets():
        yield SheetData(
            name=spec.name,
            headers=[c.header for c in spec.columns],
            rows=_rows(session, spec, scope, names, for_csv=for_csv),
            choices={i: c.choices() for i, c in enumerate(spec.columns) if c.choices()},
        )


def export_ledger(session: Session, out: IO[bytes] | Path, *, fmt: str = "xlsx", scope: Scope = ALL) -> None:
    if fmt == "csv":
        write_csv_zip(ledger_sheets(session, scope=scope, for_csv=True), out)
    else:
        write_workbook(ledger_sheets(session, scope=scope), out)
