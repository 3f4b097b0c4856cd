"""Verification runs, the current result of every (host, check) and the history of results.

Results are high-volume (a province: a million host-checks a day), so they are not in the change
log; the history table is their log. Runs are tracked: who asked for which run is auditable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from security.verification.choices import CheckOutcome, RunStatus
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked, VersionedMixin
from taizhang.enum_type import EnumColumn


class VerificationRun(Tracked, IdMixin, TimestampMixin, Base):
    """One request to verify a set of hosts; a worker claims it from the queue."""

    __tablename__ = "verification_runs"
    __changelog_exclude__ = frozenset({"summary", "message", "worker", "heartbeat_at"})

    status: Mapped[RunStatus] = mapped_column(EnumColumn(RunStatus), default=RunStatus.QUEUED, index=True)
    requested_by: Mapped[str] = mapped_column(String(100))
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    timeout_seconds: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[dt.datetime | None] = mapped_column()
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column()
    finished_at: Mapped[dt.datetime | None] = mapped_column()
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text, default="")


class _ResultColumns:
    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"))
    check_id: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[CheckOutcome] = mapped_column(EnumColumn(CheckOutcome))
    evidence: Mapped[str] = mapped_column(Text, default="")
    observed: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    checked_at: Mapped[dt.datetime] = mapped_column()
    run_id: Mapped[int | None] = mapped_column(ForeignKey("verification_runs.id", ondelete="SET NULL"))


class CheckResult(_ResultColumns, IdMixin, Base):
    """The current state: the latest result of each check on each host.

    ``unit_id`` is a copy of the host's unit, kept so the exporter can count results by check,
    unit and outcome from one index, without joining 100,000 hosts at every scrape. Ingest writes
    it from the host row in the same statement; ORM inserts get it from ``_copy_host_unit``; a
    trigger on ``hosts`` (revision 0002) carries a change of a host's unit to its results.
    """

    __tablename__ = "check_results"
    __table_args__ = (
        UniqueConstraint("host_id", "check_id", name="uq_check_results_host_check"),
        # Serves lookups by outcome, and the exporter's count by outcome, check and unit: read in
        # index order, without a sort and without reading the table.
        Index("ix_check_results_outcome", "outcome", "check_id", "unit_id", "host_id"),
    )

    unit_id: Mapped[int | None] = mapped_column(Integer)


class CheckResultHistory(_ResultColumns, IdMixin, Base):
    """Every result ever recorded (evidence for 等保 assessments)."""

    __tablename__ = "check_result_history"
    __table_args__ = (
        Index("ix_check_result_history_host_check_time", "host_id", "check_id", "checked_at"),
        Index("ix_check_result_history_outcome", "outcome"),
    )


class HostVerificationProfile(Tracked, VersionedMixin, IdMixin, TimestampMixin, Base):
    """What a host declares for verification beyond the inventory: TLS endpoints, agents, SSH."""

    __tablename__ = "host_verification_profiles"

    host_id: Mapped[int] = mapped_column(ForeignKey("hosts.id", ondelete="CASCADE"), unique=True)
    tls_endpoints: Mapped[list[str]] = mapped_column(JSON, default=list)
    security_agents: Mapped[list[str]] = mapped_column(JSON, default=list)
    ssh_port: Mapped[int | None] = mapped_column(Integer)
    python_interpreter: Mapped[str] = mapped_column(String(200), default="")


@event.listens_for(CheckResult, "before_insert")
def _copy_host_unit(_mapper: Any, _connection: Any, target: CheckResult) -> None:
    """An ORM-inserted result takes its host's unit in the INSERT itself (a scalar subquery)."""
    from inventory.models import Host

    target.unit_id = select(Host.unit_id).where(Host.id == target.host_id).scalar_subquery()
