"""Findings, comments, waivers, rectification notices and the queue of evaluation requests.

A finding is identified by ``(rule_id, subject_type, subject_id, discriminator)``: re-evaluating
finds the same row again, so a persisting problem keeps its history. ``last_seen`` is refreshed
with one bulk UPDATE per evaluation and is kept out of the change log; every other change of a
finding (new, resolved, reopened, waived, assigned) is logged like any other write.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column, Date, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from security.findings.choices import FindingState, RectificationState, Severity, SubjectType
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin, utcnow
from taizhang.enum_type import EnumColumn

rectification_findings = Table(
    "rectification_findings",
    Base.metadata,
    Column("notice_id", ForeignKey("rectification_notices.id", ondelete="CASCADE"), primary_key=True),
    Column("finding_id", ForeignKey("findings.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Finding(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """One problem a rule found, for one subject, with its history."""

    __tablename__ = "findings"
    __table_args__ = (
        UniqueConstraint("rule_id", "subject_type", "subject_id", "discriminator", name="uq_findings_key"),
        Index("ix_findings_subject", "subject_type", "subject_id"),
    )
    __changelog_exclude__ = frozenset({"last_seen", "fingerprint"})

    rule_id: Mapped[str] = mapped_column(String(64), index=True)
    rule_title: Mapped[str] = mapped_column(String(200))
    severity: Mapped[Severity] = mapped_column(EnumColumn(Severity), index=True)
    citation: Mapped[str] = mapped_column(String(300))
    subject_type: Mapped[SubjectType] = mapped_column(EnumColumn(SubjectType))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject_name: Mapped[str] = mapped_column(String(300), default="")
    discriminator: Mapped[str] = mapped_column(String(100), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    system_id: Mapped[int | None] = mapped_column(Integer, index=True)
    message: Mapped[str] = mapped_column(Text)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    fingerprint: Mapped[str] = mapped_column(String(40), default="", doc="hash of the fields a rule sets")
    state: Mapped[FindingState] = mapped_column(EnumColumn(FindingState), index=True)
    first_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[dt.datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column()
    reopened_at: Mapped[dt.datetime | None] = mapped_column()
    waiver_id: Mapped[int | None] = mapped_column(ForeignKey("waivers.id", ondelete="SET NULL"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    comments: Mapped[list[FindingComment]] = relationship(
        back_populates="finding", lazy="raise", passive_deletes=True, order_by="FindingComment.id"
    )


class FindingComment(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    __tablename__ = "finding_comments"

    finding_id: Mapped[int] = mapped_column(ForeignKey("findings.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(150))
    body: Mapped[str] = mapped_column(Text)

    finding: Mapped[Finding] = relationship(back_populates="comments", lazy="raise")


class Waiver(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """豁免/例外: a rule does not count against one subject until ``expires_on`` (inclusive)."""

    __tablename__ = "waivers"
    __table_args__ = (Index("ix_waivers_scope", "rule_id", "subject_type", "subject_id"),)

    rule_id: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[SubjectType] = mapped_column(EnumColumn(SubjectType))
    subject_id: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    approver: Mapped[str] = mapped_column(String(100))
    approval_reference: Mapped[str] = mapped_column(String(100), default="")
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)
    created_by: Mapped[str] = mapped_column(String(150), default="")


class RectificationNotice(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """整改通知 to a unit (第二十八条) covering some of its findings."""

    __tablename__ = "rectification_notices"
    __changelog_collections__ = ("findings",)

    number: Mapped[str] = mapped_column(String(100), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="RESTRICT"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    requirements: Mapped[str] = mapped_column(Text, default="")
    issued_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date, index=True)
    state: Mapped[RectificationState] = mapped_column(EnumColumn(RectificationState), index=True)
    issued_by: Mapped[str] = mapped_column(String(150), default="")

    findings: Mapped[list[Finding]] = relationship(
        secondary=rectification_findings, lazy="raise", passive_deletes=True, order_by="Finding.id"
    )
    events: Mapped[list[RectificationEvent]] = relationship(
        back_populates="notice", lazy="raise", passive_deletes=True, order_by="RectificationEvent.id"
    )

    @property
    def finding_ids(self) -> list[int]:
        return sorted(f.id for f in self.findings)


class RectificationEvent(Tracked, IdMixin, Base):
    """One state change of a notice: who moved it, from what, to what, when and why."""

    __tablename__ = "rectification_events"

    notice_id: Mapped[int] = mapped_column(
        ForeignKey("rectification_notices.id", ondelete="CASCADE"), index=True
    )
    from_state: Mapped[RectificationState | None] = mapped_column(EnumColumn(RectificationState))
    to_state: Mapped[RectificationState] = mapped_column(EnumColumn(RectificationState))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(150))
    comment: Mapped[str] = mapped_column(Text, default="")

    notice: Mapped[RectificationNotice] = relationship(back_populates="events", lazy="raise")


class FindingEvaluationRequest(Base):
    """A write that matters asks for re-evaluation; ``system_id`` NULL asks for the whole ledger.

    Written in the writer's own transaction (so a rolled-back write asks for nothing) and consumed
    by ``security.findings.triggers.process_pending``.
    """

    __tablename__ = "finding_evaluation_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    system_id: Mapped[int | None] = mapped_column(Integer)
    requested_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    reason: Mapped[str] = mapped_column(String(100), default="")
