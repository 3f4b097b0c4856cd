"""The 等保 / 密评 / risk-assessment status of each system, loaded from the database.

``security_status`` / ``mlps_status`` / ``crypto_status`` / ``risk_status`` answer for one system;
``security_statuses`` and the ``*_statuses`` variants answer for every system in a scope with one
query per table (for findings, reports and web pages). ``security_digests`` answers the few flags
the Prometheus gauges count, for every system, in two queries that return each system's facts
rather than its records. ``today`` (default: today in Asia/Shanghai), ``policy`` and ``calendar``
are injectable keywords. The computation itself is in ``security.grading.dates``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, or_, select
from sqlalchemy.orm import Session

from inventory.entities import systems_in_scope
from inventory.models import System
from security.grading.choices import GradingStatus, RectificationStatus
from security.grading.dates import (
    CryptoDigest,
    DateContext,
    Facts,
    MlpsDigest,
    Records,
    certificate_valid_until,
    compute_crypto_status,
    compute_mlps_status,
    compute_risk_status,
    crypto_in_scope,
    digest,
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
    "load_facts",
    "load_records",
    "mlps_status",
    "mlps_statuses",
    "risk_status",
    "risk_statuses",
    "security_digests",
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


#: system ids as a list, or as a statement selecting them (a filtered list without its rows)
SystemIds = Sequence[int] | Select[Any]


def _system_filter(scope: Scope, system_ids: SystemIds | None) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if not scope.everything:
        clauses.append(systems_in_scope(scope))
    if isinstance(system_ids, Select):
        clauses.append(System.id.in_(system_ids))
    elif system_ids is not None:
        clauses.append(System.id.in_(list(system_ids)))
    return clauses


def load_records(
    session: Session,
    *,
    scope: Scope = ALL,
    system_ids: SystemIds | None = None,
    tables: Iterable[str] = tuple(_TABLES),
    closed_rectifications: bool = False,
) -> tuple[list[System], dict[int, Records]]:
    """The systems (in catalogue order) and their records: one query per table.

    Rectifications are the open ones (what the status rules count) unless ``closed_rectifications``
    (the system's history shows them all)."""
    clauses = _system_filter(scope, system_ids)
    systems = list(
        session.execute(select(System).where(*clauses).order_by(System.catalogue_number)).scalars()
    )
    records: dict[int, Records] = defaultdict(Records)
    wanted = select(System.id).where(*clauses)
    for name in tables:
        model = _TABLES[name]
        stmt = select(model).where(model.system_id.in_(wanted)) if clauses else select(model)
        if model is MlpsRectification and not closed_rectifications:
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
    system_ids: SystemIds | None = None,
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


# --- facts, for the counts over every system --------------------------------------------------


def _latest(model: Any, day: Any, value: Any, *where: Any) -> Any:
    """Each system's latest row of ``model`` by ``day``, then id (as ``dates._latest`` picks it)."""
    rank = func.row_number().over(partition_by=model.system_id, order_by=(day.desc(), model.id.desc()))
    ranked = (
        select(model.system_id, model.id, day, value, rank.label("rank"))
        .where(day.is_not(None), *where)
        .subquery()
    )
    return select(ranked).where(ranked.c.rank == 1)


def _certificates() -> Subquery:
    """Each system's latest certificate: the filing issued last."""
    return (
        select(MlpsFiling.system_id, func.max(MlpsFiling.issued_on).label("issued_on"))
        .where(MlpsFiling.issued_on.is_not(None))
        .group_by(MlpsFiling.system_id)
        .subquery()
    )


def _facts(clauses: list[ColumnElement[bool]]) -> Subquery:
    """One row per system: its id, owner unit and the ``Facts`` fields, under their names."""
    grading = _latest(
        MlpsGrading, MlpsGrading.graded_on, MlpsGrading.level, MlpsGrading.status == GradingStatus.FINAL
    ).cte("latest_grading")
    filed = (
        select(grading.c.system_id, func.min(MlpsFiling.submitted_on).label("filed_on"))
        .join(
            MlpsFiling,
            and_(
                MlpsFiling.system_id == grading.c.system_id,
                or_(MlpsFiling.grading_id == grading.c.id, MlpsFiling.submitted_on >= grading.c.graded_on),
            ),
        )
        .group_by(grading.c.system_id)
        .subquery()
    )
    assessed = (
        select(MlpsAssessment.system_id, func.max(MlpsAssessment.assessed_on).label("last"))
        .group_by(MlpsAssessment.system_id)
        .subquery()
    )
    certificate = _certificates()
    crypto = _latest(CryptoAssessment, CryptoAssessment.assessed_on, CryptoAssessment.conclusion).subquery()
    return (
        select(
            System.id.label("system_id"),
            System.owner_unit_id.label("unit_id"),
            System.mlps_level,
            System.go_live_date,
            System.lifecycle,
            System.needs_crypto_assessment,
            System.critical_infrastructure,
            grading.c.level.label("grading_level"),
            grading.c.graded_on,
            filed.c.filed_on,
            assessed.c.last.label("last_assessed_on"),
            certificate.c.issued_on.label("certificate_issued_on"),
            crypto.c.assessed_on.label("crypto_assessed_on"),
            crypto.c.conclusion.label("crypto_conclusion"),
        )
        .outerjoin(grading, grading.c.system_id == System.id)
        .outerjoin(filed, filed.c.system_id == System.id)
        .outerjoin(assessed, assessed.c.system_id == System.id)
        .outerjoin(certificate, certificate.c.system_id == System.id)
        .outerjoin(crypto, crypto.c.system_id == System.id)
        .where(*clauses)
        .subquery("facts")
    )


def _facts_of_row(values: Sequence[Any]) -> Facts:
    """``Facts`` from the columns of ``_facts`` in their order (the lifecycle as its value)."""
    level, live, lifecycle, *rest = values
    return Facts(level, live, str(lifecycle), *rest)


def _extension_dates(session: Session) -> dict[int, list[dt.date]]:
    """The 等级测评 report dates after each system's latest certificate was issued (they may extend it)."""
    certificate = _certificates()
    later = select(MlpsAssessment.system_id, MlpsAssessment.assessed_on).join(
        certificate,
        and_(
            certificate.c.system_id == MlpsAssessment.system_id,
            MlpsAssessment.assessed_on > certificate.c.issued_on,
        ),
    )
    out: dict[int, list[dt.date]] = defaultdict(list)
    for system_id, day in session.execute(later):
        out[system_id].append(day)
    return out


def load_facts(
    session: Session, *, scope: Scope = ALL, system_ids: Sequence[int] | None = None
) -> tuple[list[tuple[int, int, Facts]], dict[int, list[dt.date]]]:
    """Each system's (id, owner unit, ``Facts``), and the 等级测评 dates after its certificate's issue.

    The facts are what ``dates.facts_of`` picks out of the records, picked by the database.
    """
    facts = _facts(_system_filter(scope, system_ids))
    columns = (facts.c.system_id, facts.c.unit_id, *(facts.c[name] for name in Facts._fields))
    rows = [(row[0], row[1], _facts_of_row(row[2:])) for row in session.execute(select(*columns))]
    return rows, _extension_dates(session)


def security_digests(
    session: Session,
    *,
    today: dt.date | None = None,
    policy: Policy | None = None,
    calendar: WorkdayCalendar | None = None,
) -> list[tuple[int, MlpsDigest, CryptoDigest, int]]:
    """(owner unit, 等保 digest, 密评 digest, number of systems) over every system: two queries.

    The digests are what ``compute_mlps_status`` / ``compute_crypto_status`` say of those fields.
    Systems of one unit with the same facts are counted in one row (a certificate's holder stays on
    a row of its own, since the assessments after its issue extend it), and the rules run once per
    distinct facts.
    """
    day, pol, cal = _defaults(today, policy, calendar)
    ctx = DateContext(pol, cal, day)
    facts = _facts([])
    holder = case((facts.c.certificate_issued_on.is_not(None), facts.c.system_id)).label("holder")
    keys = [facts.c.unit_id, *(facts.c[name] for name in Facts._fields), holder]
    grouped = session.execute(select(*keys, func.count().label("systems")).group_by(*keys)).all()
    extensions = _extension_dates(session)
    known: dict[tuple[Facts, tuple[dt.date, ...]], tuple[MlpsDigest, CryptoDigest]] = {}
    out = []
    width = len(Facts._fields)
    for row in grouped:
        key = (_facts_of_row(row[1 : 1 + width]), tuple(extensions.get(row.holder, ())))
        found = known.get(key)
        if found is None:
            found = known[key] = digest(*key, ctx)
            ctx.notes.clear()
        out.append((row.unit_id, *found, row.systems))
    return out
