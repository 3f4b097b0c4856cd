"""One worksheet of an import: rows read in chunks, checked, and created or updated.

Every row goes through the rules the entity declares for ``taizhang.crud`` — its Create schema,
its ``validate`` hook, its unique keys, unit scope (``unit_writable``, owning units) and its
references — with lookups answered from in-memory indexes instead of a query per row; new and
changed rows are then written in bulk per chunk.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from exporters.sheets.index import KeyIndex, RefIndex
from exporters.sheets.normalize import CellError, cell_text, is_blank
from exporters.sheets.problems import Problem, field_errors
from exporters.sheets.reader import Layout
from exporters.sheets.result import ImportResult, Mark, SheetResult
from exporters.sheets.spec import Ref, SheetSpec, all_sheets
from taizhang import bulk
from taizhang.auth.principal import Scope
from taizhang.errors import DomainError

CHUNK = 2000
_BLANK = object()
_NOTE = re.compile(r"^\s*(填表人|填报人|制表人|审核人|负责人|联系人|填报日期|制表日期|备注|说明|注)\s*[:：]")


def is_note_row(values: tuple[Any, ...]) -> bool:
    """A signature or note line under the table (填表人：… 审核人：…), not a record."""
    filled = 0
    for value in values:
        if is_blank(value):
            continue
        filled += 1
        if filled > 3 or not (isinstance(value, str) and _NOTE.match(value)):
            return False  # most rows: their first cell already says so
    return filled > 0


_IMMUTABLE = (str, int, float, bool, dt.date, dt.time, Decimal, enum.Enum)
_REMEMBERED = 4096


def _remembering(parse: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``parse`` remembering what it made of the first few thousand distinct cells.

    Sheets repeat the same labels, codes and names row after row (a unit, an operating system, a
    host type). Only values that cannot be changed afterwards are remembered; a cell that does
    not parse raises every time.
    """
    seen: dict[tuple[type, Any], Any] = {}

    def remembered(raw: Any) -> Any:
        try:
            token = (type(raw), raw)
            value = seen[token]
        except KeyError:
            value = parse(raw)
            if len(seen) < _REMEMBERED:
                if isinstance(value, _IMMUTABLE):
                    seen[token] = value
                elif type(value) is list and all(isinstance(v, _IMMUTABLE) for v in value):
                    seen[token] = tuple(value)  # handed out as a new list each time
            return value
        except TypeError:  # an unhashable cell
            return parse(raw)
        return list(value) if type(value) is tuple else value

    return remembered


@dataclass
class _Row:
    number: int
    cells: dict[str, Any]
    data: dict[str, Any]
    key: tuple[Any, ...]
    bad: set[str] = field(default_factory=set)


class Run:
    """State shared by the sheets of one import: indexes of referenced sheets, problems."""

    def __init__(self, session: Session, scope: Scope, result: ImportResult):
        self.session = session
        self.scope = scope
        self.result = result
        self.refs: dict[str, RefIndex] = {}

    def ref_index(self, name: str) -> RefIndex:
        if name not in self.refs:
            spec = next(s for s in all_sheets() if s.name == name)
            self.refs[name] = RefIndex(self.session, spec)
        return self.refs[name]

    def owner_of(self, target: str, object_id: int) -> int | None:
        return self.ref_index(target).owner.get(object_id)


class SheetImport:
    def __init__(self, run: Run, layout: Layout):
        self.ctx = run
        self.session = run.session
        self.layout = layout
        self.spec: SheetSpec = layout.spec
        self.entity = self.spec.entity
        self.create_fields = self.entity.create.model_fields
        self.required = {name: info.is_required() for name, info in self.create_fields.items()}
        self.ref_columns = {k for ref in self.spec.refs for k in ref.columns}
        self.parsers = {key: _remembering(self.spec.column(key).parser()) for key in layout.positions}
        self.own = KeyIndex(self.session, self.entity.model, self.spec.key)
        self.uniques = [
            KeyIndex(self.session, self.entity.model, cols)
            for cols in self.entity.unique
            if tuple(cols) != self.spec.key
        ]
        self.referenced = self.spec.name in {r.target for s in all_sheets() for r in s.refs}
        self.seen: dict[tuple[Any, ...], int] = {}
        self.pending: list[tuple[_Row, dict[str, Any]]] = []
        self.changes: list[tuple[dict[str, Any], dict[str, Any]]] = []
        self.stats = SheetResult(layout.sheet.name, self.spec.name, ignored_columns=layout.ignored)
        self.problem_count = 0

    # ------------------------------------------------------------ problems

    def problem(self, row: int | None, column_key: str | None, reason: str, *, value: Any = None) -> None:
        header = self.layout.headers.get(column_key) if column_key else None
        if column_key and header is None:
            header = (
                self.spec.column(column_key).header
                if column_key in {c.key for c in self.spec.columns}
                else None
            )
        shown = None if is_blank(value) else cell_text(value)
        self.ctx.result.problems.append(
            Problem(self.layout.sheet.name, row, header, shown, reason, field=column_key)
        )
        position = self.layout.positions.get(column_key) if column_key else None
        if row is not None:
            self.ctx.result.marks.append(Mark(self.layout.sheet.name, row, position, reason))
        self.problem_count += 1

    def field_problem(self, row: _Row, field_name: str | None, reason: str) -> None:
        keys = self.spec.columns_of_field(field_name) if field_name else []
        present = [k for k in keys if k in self.layout.positions]
        # A rule may need a column the sheet does not have: the problem still names it (its header
        # and field), so the user knows which column to add.
        key = present[0] if present else (keys[0] if keys else None)
        self.row_problem(row, key, reason)

    def row_problem(self, row: _Row, column_key: str | None, reason: str) -> None:
        row.bad.add(column_key or "")
        self.problem(row.number, column_key, reason, value=row.cells.get(column_key) if column_key else None)

    # ------------------------------------------------------------ sheet

    def run(self) -> None:
        self.run_checks()
        if self.problem_count:
            return
        self.ctx.result.sheets.append(self.stats)
        for chunk in self._chunks():
            self._chunk(chunk)
        self._flush()

    def run_checks(self) -> None:
        for first, second in self.layout.duplicates:
            self.problem(self.layout.header_row, None, f"列“{second}”与列“{first}”是同一项，请删除其一")
        for name, info in self.create_fields.items():
            if info.is_required() and not any(
                k in self.layout.positions for k in self.spec.columns_of_field(name)
            ):
                headers = "、".join(self.spec.column(k).header for k in self.spec.columns_of_field(name))
                self.problem(self.layout.header_row, None, f"缺少必填列“{headers or name}”")

    def _chunks(self) -> Iterator[list[_Row]]:
        chunk: list[_Row] = []
        positions = self.layout.positions.items()
        for number, values in self.layout.sheet.rows():
            if number <= self.layout.header_row:
                continue
            width = len(values)
            cells = {k: (values[p] if p < width else None) for k, p in positions}
            # a row blank in every column read is skipped, and so is one blank everywhere
            if all(is_blank(v) for v in cells.values()) or is_note_row(values):
                continue
            chunk.append(_Row(number, cells, {}, ()))
            if len(chunk) >= CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _chunk(self, rows: list[_Row]) -> None:
        """New rows are queued at once (a later row may name them); changed rows are loaded in one go."""
        updates: list[tuple[_Row, int]] = []
        for row in rows:
            if not self._parse(row):
                continue
            object_id = self.own.get(row.key)
            if object_id is None:
                self._create(row)
            else:
                updates.append((row, object_id))
        loaded = self._load([object_id for _, object_id in updates])
        for row, object_id in updates:
            self._update(row, object_id, *loaded[object_id])
        self._flush()

    def _load(self, ids: list[int]) -> dict[int, tuple[dict[str, Any], dict[str, Any]]]:
        """Existing rows, read with plain queries (no ORM objects): their Create-schema fields, and
        every column as stored with each many-to-many relationship's ids (what the change log needs)."""
        table = self.entity.model.__table__
        fields = [name for name in self.create_fields if name in table.c]
        links = bulk.associations(self.entity)
        stored: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            for row in self.session.execute(select(*table.c).where(table.c.id.in_(part))):
                values = dict(row._mapping)
                values.update({link.attribute: [] for link in links})
                stored[values["id"]] = values
            for link in links:
                local, remote = link.table.c[link.local], link.table.c[link.remote]
                query = select(local, remote).where(local.in_(part)).order_by(remote)
                for object_id, target in self.session.execute(query):
                    stored[object_id][link.attribute].append(target)
        out: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        for object_id, values in stored.items():
            snapshot = {name: values[name] for name in fields}
            snapshot.update({link.field: list(values[link.attribute]) for link in links})
            out[object_id] = (snapshot, values)
        return out

    # ------------------------------------------------------------ one row

    def _parse(self, row: _Row) -> bool:
        """Read every cell and resolve references; a row with problems still reports all of them."""
        values: dict[str, Any] = {}
        for key, raw in row.cells.items():
            if is_blank(raw):
                values[key] = _BLANK
                continue
            try:
                values[key] = self.parsers[key](raw)
            except CellError as exc:
                self.row_problem(row, key, str(exc))
        row.data = self._fields(row, values)
        row.key = tuple(row.data[k] if k in row.data else self._default(k) for k in self.spec.key)
        if None not in row.key and row.key in self.seen:
            columns = [k for f in self.spec.key for k in self.spec.columns_of_field(f)]
            text = self._key_text(row, columns)
            self.field_problem(row, self.spec.key[0], f"与第 {self.seen[row.key]} 行重复（{text}）")
            return False
        if None not in row.key:
            self.seen[row.key] = row.number
        return True

    def _key_text(self, row: _Row, columns: list[str]) -> str:
        parts = [cell_text(row.cells[k]) for k in columns if k in row.cells and not is_blank(row.cells[k])]
        return "，".join(parts)

    def _default(self, name: str) -> Any:
        info = self.create_fields.get(name)
        return None if info is None or self.required[name] else info.get_default(call_default_factory=True)

    def _fields(self, row: _Row, values: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        ref_columns, required = self.ref_columns, self.required
        for key, value in values.items():
            if key in ref_columns or key not in required:
                continue
            if value is _BLANK:
                if required[key]:
                    self.row_problem(row, key, "必填，不能为空")
                    continue
                value = self._default(key)
            data[key] = value
        for ref in self.spec.refs:
            if ref.columns[0] in values:
                resolved = self._resolve(row, ref, values)
                if resolved is not _BLANK:
                    data[ref.field] = resolved
        return data

    def _resolve(self, row: _Row, ref: Ref, values: dict[str, Any]) -> Any:
        parts = [values.get(k, _BLANK) for k in ref.columns]
        if all(p is _BLANK for p in parts):
            if self.required[ref.field]:
                self.row_problem(row, ref.columns[0], "必填，不能为空")
                return _BLANK
            return self._default(ref.field)
        index = self.ctx.ref_index(ref.target)
        label = index.spec.entity.label
        if ref.many:
            found: list[int] = []
            missing: list[str] = []
            for code in parts[0]:
                object_id = self._find(index, (code,))
                if object_id is None:
                    missing.append(str(code))
                else:
                    found.append(object_id)
            if missing:
                self.row_problem(row, ref.columns[0], f"{label}“{'、'.join(missing)}”不存在")
                return _BLANK
            return found
        key = tuple("" if p is _BLANK else p for p in parts)
        object_id = self._find(index, key)
        if object_id is None:
            shown = " / ".join(str(p) for p in key if p != "")
            why = "所在行有错误" if index.is_failed(key) else "不存在"
            self.row_problem(row, ref.columns[0], f"{label}“{shown}”{why}")
            return _BLANK
        return object_id

    def _find(self, index: RefIndex, key: tuple[Any, ...]) -> int | None:
        if index.is_pending(key):
            self._flush()
        return index.resolve(key)

    def _mark_failed(self, row: _Row, values: dict[str, Any]) -> None:
        if self.referenced:
            index = self.ctx.ref_index(self.spec.name)
            clean = {k: v for k, v in values.items() if v is not _BLANK}
            index.failed.update(index.keys_of(clean))

    def _validate(self, row: _Row, data: dict[str, Any]) -> dict[str, Any] | None:
        """The Create schema's verdict; errors on cells that already failed are not repeated."""
        try:
            payload = self.entity.create.model_validate(data)
        except ValidationError as exc:
            for name, reason in field_errors(exc):
                columns = self.spec.columns_of_field(name) if name else []
                if not row.bad.intersection(columns):
                    self.field_problem(row, name, reason)
            payload = None
        if row.bad or payload is None:
            self._mark_failed(row, data)
            return None
        return payload.model_dump()

    def _check_scope(self, row: _Row, data: dict[str, Any], *, changing: bool) -> bool:
        scope = self.ctx.scope
        if scope.everything:
            return True
        if not self.entity.unit_writable:
            if changing:
                self.field_problem(row, self.spec.key[0], f"委办局用户不能导入或修改{self.entity.label}")
            return not changing
        owners = self.spec.owners(data, self.ctx.owner_of) if self.spec.owners else set()
        if not owners or not owners <= (scope.unit_ids or frozenset()):
            self.field_problem(row, self.spec.key[0], f"只能导入本单位的{self.entity.label}")
            return False
        return True

    def _create(self, row: _Row) -> None:
        payload = self._validate(row, row.data)
        if payload is None or not self._check_scope(row, payload, changing=True):
            return
        if not self._entity_checks(row, payload, None):
            return
        self.pending.append((row, payload))
        if self.referenced:
            index = self.ctx.ref_index(self.spec.name)
            index.pending.update(index.keys_of(payload))

    def _entity_checks(self, row: _Row, payload: dict[str, Any], object_id: int | None) -> bool:
        """The entity's own ``validate`` hook and its unique keys, as ``taizhang.crud`` applies them."""
        if self.entity.validate is not None:
            columns = {k: v for k, v in payload.items() if k in self.entity.model.__table__.c}
            obj = self.entity.model(id=object_id, **columns)
            try:
                self.entity.validate(self.session, obj)
            except DomainError as exc:
                self.field_problem(row, exc.field, exc.message)
                return False
            # Values the hook derives (a 测评结论 from the score, the level at assessment time):
            # on create every column it filled, on update only the columns the sheet gives.
            derived = columns if object_id is not None else self.entity.model.__table__.c.keys()
            payload.update(
                {k: getattr(obj, k) for k in derived if k != "id" and getattr(obj, k, None) is not None}
            )
        for unique in self.uniques:
            key = unique.key_of(payload)
            holder = unique.get(key) if key is not None else None
            if key is not None and holder is not None and holder != object_id:
                shown = "、".join(
                    f"{self.entity.label_of(c)}“{v}”" for c, v in zip(unique.columns, key, strict=True)
                )
                self.field_problem(row, unique.columns[-1], f"{self.entity.label}{shown}已存在")
                return False
            if key is not None:
                unique.add(key, object_id if object_id is not None else -row.number)
        return True

    def _flush(self) -> None:
        if self.changes:
            bulk.update_rows(self.session, self.entity, self.changes)
            self.stats.updated += len(self.changes)
            self.changes = []
        if not self.pending:
            return
        rows, payloads = zip(*self.pending, strict=True)
        self.pending = []
        ids = [written["id"] for written in bulk.insert_rows(self.session, self.entity, list(payloads))]
        index = self.ctx.ref_index(self.spec.name) if self.referenced else None
        for row, payload, object_id in zip(rows, payloads, ids, strict=True):
            self.own.add(row.key, object_id)
            if index is not None:
                index.add(payload, object_id)
        self.stats.created += len(ids)

    def _update(self, row: _Row, object_id: int, snapshot: dict[str, Any], stored: dict[str, Any]) -> None:
        payload = self._validate(row, {**snapshot, **row.data})
        if payload is None:
            return
        try:
            old = self.entity.create.model_validate(snapshot).model_dump()
        except ValidationError:
            old = {}
        diff = {k: payload[k] for k in row.data if payload[k] != old.get(k)}
        if not self._check_scope(row, old or payload, changing=bool(diff)):
            return
        if not diff:
            self.stats.unchanged += 1
            return
        if not self._check_scope(row, payload, changing=True) or not self._entity_checks(
            row, payload, object_id
        ):
            return
        self.changes.append((stored, payload))
        if self.referenced:
            self.ctx.ref_index(self.spec.name).add(payload, object_id)
