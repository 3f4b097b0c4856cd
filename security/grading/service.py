"""The 等保 / 密评 / risk-assessment status of each system, loaded from the database.

``security_status`` / ``mlps_status`` / ``crypto_status`` / ``risk_status`` answer for one system;
``security_statuses`` and the ``*_statuses`` variants answer for every system in a scope with one
query per table (for findings, the Prometheus exporter and web pages). ``today`` (default: today in
Asia/Shanghai), ``policy`` and ``calendar`` are injectable keywords. The computation itself is in
``security.grading.dates``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from inventory.entities import systems_in_scope
from inventory.models import System
from security.grading.choices import RectificationStatus
from security.grading.dates import (
    Records,
    certificate_valid_until,
    compute_crypto_status,
    compute_mlps_status,
    compute_risk_status,
    crypto_in_scope,
    shanghai_today,
)
from security.grading.models import (
    CryptoAssessment,
    CryptoPlan,
    MlpsAssessment,
    MlpsFiling,
    MlpsGrading,
    MlpsRectification,
    MlpsSelfCheck,
    RiskAssessment,
)
from security.grading.status import CryptoStatus, MlpsStatus, RiskStatus, SecurityStatus
from taizhang.auth.principal import ALL, Scope
from taizhang.errors import NotFound
from taizhang.policy import Policy, get_policy
from taizhang.workdays import WorkdayCalendar, get_calendar

__all__ = [
    "Records",
    "certificate_valid_until",
    "compute_crypto_status",
    "compute_mlps_status",
    "compute_risk_status",
    "crypto_in_scope",
    "crypto_status",
    "crypto_statuses",
    "load_records",
    "mlps_status",
    "mlps_statuses",
    "risk_status",
    "risk_statuses",
    "security_status",
    "security_statuses",
    "shanghai_today",
]

# --- loading ---------------------------------------------------------------------------------

_TABLES: dict[str, Any] = {
    "gradings": MlpsGrading,
    "filings": MlpsFiling,
    "assessments": MlpsAssessment,
    "self_checks": MlpsSelfCheck,
    "rectifications": MlpsRectification,
    "crypto_plans": CryptoPlan,
    "crypto_assessments": CryptoAssessment,
    "risk_assessments": RiskAssessment,
}


def _system_filter(scope: Scope, system_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if not scope.everything:
        clauses.append(systems_in_scope(scope))
    if system_ids is not None:
        clauses.append(System.id.in_(list(system_ids)))
    return clauses


def load_records(
    session: Session,
    *,
    scope: Scope = ALL,
    system_ids: Sequence[int] | None = None,
    tables: Iterable[str] = tuple(_TABLES),
) -> tuple[list[System], dict[int, Records]]:
    """The systems (in catalogue order) and their records: one query per table."""
    clauses = _system_filter(scope, system_ids)
    systems = list(
        session.execute(select(System).where(*clauses).order_by(System.catalogue_number)).scalars()
    )
    records: dict[int, Records] = defaultdict(Records)
    wanted = select(System.id).where(*clauses)
    for name in tables:
        model = _TABLES[name]
        stmt = select(model).where(model.system_id.in_(wanted)) if clauses else select(model)
        if model is MlpsRectification:
            stmt = stmt.where(MlpsRectification.status == RectificationStatus.OPEN)
        for row in session.execute(stmt).scalars():
            getattr(records[row.system_id], name).append(row)
    return systems, {s.id: records[s.id] for s in systems}


def _defaults(
    today: dt.date | None, policy: Policy | None, calendar: WorkdayCalendar | None
) -> tuple[dt.date, Policy, WorkdayCalendar]:
    return today or shanghai_today(), policy or get_policy(), calendar or get_calendar()


def security_statuses(
    session: Session,
    *,
    today: dt.date | None = None,
    scope: Scope = ALL,
    system_ids: Sequence[int] | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[SecurityStatus]:
    """Status of every system in ``scope`` (or of ``system_ids``): nine queries in all."""
    day, pol, cal = _defaults(today, policy, calendar)
    systems, records = load_records(session, scope=scope, system_ids=system_ids)
    out = []
    for system in systems:
        rec = records[system.id]
        kwargs: dict[str, Any] = {"today": day, "policy": pol, "calendar": cal}
        out.append(
            SecurityStatus(
                system_id=system.id,
                catalogue_number=system.catalogue_number,
                name=system.name,
                owner_unit_id=system.owner_unit_id,
                today=day,
                mlps=compute_mlps_status(system, rec, **kwargs),
                crypto=compute_crypto_status(system, rec, **kwargs),
                risk=compute_risk_status(system, rec, **kwargs),
            )
        )
    return out


def security_status(
    session: Session,
    system_id: int,
    *,
    today: dt.date | None = None,
    scope: Scope = ALL,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> SecurityStatus:
    found = security_statuses(
        session, today=today, scope=scope, system_ids=[system_id], policy=policy, calendar=calendar
    )
    if not found:
        raise NotFound(f"信息系统 {system_id} 不存在")
    return found[0]


def mlps_status(
    session: Session, system: System | int, *, today: dt.date | None = None, **options: Any
) -> MlpsStatus:
    system_id = system if isinstance(system, int) else system.id
    return security_status(session, system_id, today=today, **options).mlps


def crypto_status(
    session: Session, system: System | int, *, today: dt.date | None = None, **options: Any
) -> CryptoStatus:
    system_id = system if isinstance(system, int) else system.id
    return security_status(session, system_id, today=today, **options).crypto


def risk_status(
    session: Session, system: System | int, *, today: dt.date | None = None, **options: Any
) -> RiskStatus:
    system_id = system if isinstance(system, int) else system.id
    return security_status(session, system_id, today=today, **options).risk


def mlps_statuses(session: Session, **options: Any) -> dict[int, MlpsStatus]:
    return {s.system_id: s.mlps for s in security_statuses(session, **options)}


def crypto_statuses(session: Session, **options: Any) -> dict[int, CryptoStatus]:
    return {s.system_id: s.crypto for s in security_statuses(session, **options)}


def risk_statuses(session: Session, **options: Any) -> dict[int, RiskStatus]:
    return {s.system_id: s.risk for s in security_statuses(session, **options)}
