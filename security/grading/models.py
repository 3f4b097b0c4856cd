"""Tables of 等保, 密评 and risk assessments. Every record belongs to one information system.

One source of truth for a system's protection level: ``System.mlps_level`` (inventory) is the field
every other package reads. Recording a grading as final (``GradingStatus.FINAL``) sets it to the
level of the system's latest final grading — by grading date, then id — whatever path the write
takes (API, CLI, demo, jobs): a ``before_flush`` listener below keeps it in step, also when a final
grading is edited or deleted. When no final grading remains, the level recorded in the inventory
is left as it was (it may predate the grading records). While a final grading exists, an edit of
``System.mlps_level`` to another level (inventory API, CLI, sync) is refused with a 422 naming
``mlps_level``: the level changes by recording a new grading.
"""

from __future__ import annotations

import datetime as dt
from itertools import chain
from typing import Any

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Integer, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from inventory.models import System
from security.grading.choices import (
    CryptoConclusion,
    CryptoPlanConclusion,
    GradingReason,
    GradingStatus,
    MlpsConclusion,
    MlpsTemplate,
    RectificationStatus,
    RiskLevel,
    RiskMethod,
)
from taizhang import bulk
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin
from taizhang.enum_type import EnumColumn
from taizhang.errors import Invalid


def _system_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("systems.id", ondelete="CASCADE"), index=True)


def _level_check(column: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IS NULL OR ({column} BETWEEN 1 AND 5)", name=column)


class MlpsGrading(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """定级: the protection level of a system (GB/T 22240-2020), with its expert review and approval."""

    __tablename__ = "mlps_gradings"
    __table_args__ = (
        _level_check("level"),
        _level_check("business_level"),
        _level_check("service_level"),
    )

    system_id: Mapped[int] = _system_fk()
    level: Mapped[int] = mapped_column(Integer)
    business_level: Mapped[int | None] = mapped_column(Integer)
    service_level: Mapped[int | None] = mapped_column(Integer)
    graded_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[GradingStatus] = mapped_column(EnumColumn(GradingStatus), default=GradingStatus.FINAL)
    reason: Mapped[GradingReason] = mapped_column(EnumColumn(GradingReason), default=GradingReason.INITIAL)
    expert_review_on: Mapped[dt.date | None] = mapped_column(Date)
    approving_authority: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class MlpsFiling(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """备案: submitted to the public-security organ; the certificate's validity is computed, not stored."""

    __tablename__ = "mlps_filings"

    system_id: Mapped[int] = _system_fk()
    grading_id: Mapped[int | None] = mapped_column(
        ForeignKey("mlps_gradings.id", ondelete="SET NULL"), index=True
    )
    submitted_on: Mapped[dt.date] = mapped_column(Date)
    police_authority: Mapped[str] = mapped_column(String(100), default="")
    certificate_number: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


class MlpsAssessment(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """等级测评: one report, with its result on the scale of the template it was written on."""

    __tablename__ = "mlps_assessments"
    __table_args__ = (
        _level_check("level"),
        CheckConstraint("score IS NULL OR (score BETWEEN 0 AND 100)", name="score"),
        CheckConstraint(
            "conformity_rate IS NULL OR (conformity_rate BETWEEN 0 AND 100)", name="conformity_rate"
        ),
    )

    system_id: Mapped[int] = _system_fk()
    assessed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    agency: Mapped[str] = mapped_column(String(200))
    report_number: Mapped[str] = mapped_column(String(100), unique=True)
    template_version: Mapped[MlpsTemplate] = mapped_column(EnumColumn(MlpsTemplate))
    level: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float | None] = mapped_column(Float)
    conformity_rate: Mapped[float | None] = mapped_column(Float)
    conclusion: Mapped[MlpsConclusion] = mapped_column(EnumColumn(MlpsConclusion))
    high_risk_count: Mapped[int] = mapped_column(Integer, default=0)
    medium_risk_count: Mapped[int] = mapped_column(Integer, default=0)
    low_risk_count: Mapped[int] = mapped_column(Integer, default=0)
    notes: Mapped[str] = mapped_column(Text, default="")


class MlpsSelfCheck(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """自查: the unit's own yearly security check of a graded system."""

    __tablename__ = "mlps_self_checks"

    system_id: Mapped[int] = _system_fk()
    checked_on: Mapped[dt.date] = mapped_column(Date, index=True)
    checked_by: Mapped[str] = mapped_column(String(100), default="")
    issues_found: Mapped[int] = mapped_column(Integer, default=0)
    report_reference: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


class MlpsRectification(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """整改项: a problem found by an assessment or self-check, with its owner and due date."""

    __tablename__ = "mlps_rectifications"

    system_id: Mapped[int] = _system_fk()
    assessment_id: Mapped[int | None] = mapped_column(
        ForeignKey("mlps_assessments.id", ondelete="SET NULL"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    risk_level: Mapped[RiskLevel] = mapped_column(EnumColumn(RiskLevel), default=RiskLevel.MEDIUM)
    owner: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[RectificationStatus] = mapped_column(
        EnumColumn(RectificationStatus), default=RectificationStatus.OPEN, index=True
    )
    completed_on: Mapped[dt.date | None] = mapped_column(Date)

    assessment: Mapped[MlpsAssessment | None] = relationship(lazy="raise")


class CryptoPlan(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """密码应用方案: written and evaluated before the project is approved (同步规划)."""

    __tablename__ = "crypto_plans"

    system_id: Mapped[int] = _system_fk()
    title: Mapped[str] = mapped_column(String(200), default="")
    drafted_on: Mapped[dt.date] = mapped_column(Date)
    evaluated_on: Mapped[dt.date | None] = mapped_column(Date)
    evaluation_agency: Mapped[str] = mapped_column(String(200), default="")
    conclusion: Mapped[CryptoPlanConclusion | None] = mapped_column(EnumColumn(CryptoPlanConclusion))
    notes: Mapped[str] = mapped_column(Text, default="")


class CryptoAssessment(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """密评 (GB/T 39786-2021); ``level`` is the system's MLPS level when the assessment was recorded."""

    __tablename__ = "crypto_assessments"
    __table_args__ = (
        _level_check("level"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
    )

    system_id: Mapped[int] = _system_fk()
    assessed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    agency: Mapped[str] = mapped_column(String(200))
    report_number: Mapped[str] = mapped_column(String(100), unique=True)
    level: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    conclusion: Mapped[CryptoConclusion] = mapped_column(EnumColumn(CryptoConclusion))
    high_risk_count: Mapped[int] = mapped_column(Integer, default=0)
    rule_version: Mapped[str] = mapped_column(String(100))
    filed_on: Mapped[dt.date | None] = mapped_column(Date)
    notes: Mapped[str] = mapped_column(Text, default="")


class RiskAssessment(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """网络与信息安全风险评估 (第三十六条)."""

    __tablename__ = "risk_assessments"

    system_id: Mapped[int] = _system_fk()
    assessed_on: Mapped[dt.date] = mapped_column(Date, index=True)
    scope: Mapped[str] = mapped_column(Text)
    method: Mapped[RiskMethod] = mapped_column(EnumColumn(RiskMethod))
    assessor: Mapped[str] = mapped_column(String(200), default="")
    high_count: Mapped[int] = mapped_column(Integer, default=0)
    medium_count: Mapped[int] = mapped_column(Integer, default=0)
    low_count: Mapped[int] = mapped_column(Integer, default=0)
    report_reference: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")


# --- keeping System.mlps_level in step with the final gradings ---------------------------------


def _grading_system_ids(session: Session) -> set[int]:
    from sqlalchemy import inspect

    touched: set[int] = set()
    for obj in chain(session.new, session.dirty, session.deleted):
        if not isinstance(obj, MlpsGrading):
            continue
        history = inspect(obj).attrs.system_id.history
        touched.update(i for i in chain(history.added, history.unchanged, history.deleted) if i is not None)
    return touched


def _latest_final_level(session: Session, system_id: int, in_session: list[MlpsGrading]) -> int | None:
    """Level of the latest final grading, reading unsaved and edited gradings from the session."""
    local = [g for g in in_session if g.system_id == system_id]
    skip = {g.id for g in in_session if g.id is not None}  # their in-memory state is the truth
    skip |= {g.id for g in session.deleted if isinstance(g, MlpsGrading) and g.id is not None}
    stmt = select(MlpsGrading.id, MlpsGrading.graded_on, MlpsGrading.level).where(
        MlpsGrading.system_id == system_id, MlpsGrading.status == GradingStatus.FINAL
    )
    if skip:
        stmt = stmt.where(MlpsGrading.id.not_in(skip))
    candidates: list[tuple[dt.date, int, int]] = [(r.graded_on, r.id, r.level) for r in session.execute(stmt)]
    for obj in local:
        final = (obj.status or GradingStatus.FINAL) is GradingStatus.FINAL
        if final and obj.graded_on is not None:
            candidates.append((obj.graded_on, obj.id or 1 << 62, obj.level))
    return max(candidates)[2] if candidates else None


def _set_latest_levels(session: Session, system_ids: set[int], in_session: list[MlpsGrading]) -> bool:
    """Set each system's level to its latest final grading's (where one exists); True if any changed."""
    changed = False
    for system_id in sorted(system_ids):
        level = _latest_final_level(session, system_id, in_session)
        system = session.get(System, system_id)
        if level is not None and system is not None and system.mlps_level != level:
            system.mlps_level = level
            changed = True
    return changed


def _edited_levels(session: Session) -> list[System]:
    from sqlalchemy import inspect

    return [
        obj
        for obj in session.dirty
        if isinstance(obj, System) and inspect(obj).attrs.mlps_level.history.has_changes()
    ]


def _sync_system_levels(session: Session, _ctx: Any, _instances: Any) -> None:
    system_ids = _grading_system_ids(session)
    edited = _edited_levels(session)
    if not system_ids and not edited:
        return
    in_session = [
        obj
        for obj in {*session.new, *session.identity_map.values()}
        if isinstance(obj, MlpsGrading) and obj not in session.deleted
    ]
    with session.no_autoflush:
        _set_latest_levels(session, system_ids, in_session)
        for system in edited:
            if system.id in system_ids:
                continue
            level = _latest_final_level(session, system.id, in_session)
            if level is not None and system.mlps_level != level:
                raise Invalid(
                    f"等保级别以正式定级记录为准（当前为第{level}级）：请登记新的定级记录，不能直接修改",
                    field="mlps_level",
                )


# Runs before the change log collects the flush, so the system's level change is logged too.
event.listen(Session, "before_flush", _sync_system_levels, insert=True)


@bulk.on_write
def _sync_levels_after_batch(
    session: Session, model: type, rows: list[dict[str, Any]], before: list[dict[str, Any]] | None
) -> None:
    """Gradings written in batches (a spreadsheet import) set the level as ORM writes do.

    Batches bypass flush listeners; the systems they touch are set here through the ORM, so the
    change of level is flushed and logged like any other edit of a system.
    """
    if model is not MlpsGrading:
        return
    system_ids = {row["system_id"] for row in chain(rows, before or ()) if row.get("system_id") is not None}
    with session.no_autoflush:
        changed = _set_latest_levels(session, system_ids, [])
    if changed:
        session.flush()
