"""What an import found and did: per-sheet counts, problems, and the cells to mark."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exporters.sheets.problems import Problem


@dataclass
class SheetResult:
    sheet: str
    entity: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored_columns: list[str] = field(default_factory=list)


@dataclass
class Mark:
    sheet: str
    row: int
    position: int | None
    reason: str


@dataclass
class ImportResult:
    dry_run: bool
    sheets: list[SheetResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "written": self.ok and not self.dry_run,
            "sheets": [vars(s) for s in self.sheets],
            "skipped_sheets": self.skipped_sheets,
            "problems": [p.as_dict() for p in self.problems],
        }
