"""Seeded 等保 / 密评 records in random combinations over every system of a ledger, for any test.

Draft and final gradings, re-gradings at another level, filings tied to a grading or only by date,
certificates of every age (and some exactly at the expiry-window edges), assessments before and
after issue, crypto plans and assessments of every conclusion; the systems' go-live dates and 密评
flags are varied too. The rows are a function of the generator and ``today`` only.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from inventory.choices import SystemLifecycle
from inventory.models import System
from security.grading import rules
from security.grading.choices import CryptoConclusion, CryptoPlanConclusion, GradingReason, GradingStatus
from security.grading.dates import certificate_valid_until
from security.grading.models import CryptoAssessment, CryptoPlan, MlpsAssessment, MlpsFiling, MlpsGrading
from taizhang.policy import get_policy


def vary_security(session: Session, *, today: dt.date, rng: random.Random) -> None:
    policy = get_policy()
    systems = list(session.execute(select(System).order_by(System.catalogue_number)).scalars())
    for index, system in enumerate(systems):
        if rng.random() < 0.3:
            system.go_live_date = (
                None if rng.random() < 0.3 else today - dt.timedelta(rng.randrange(-60, 900))
            )
            if system.go_live_date is None and rng.random() < 0.5:
                system.lifecycle = rng.choice([SystemLifecycle.PLANNING, SystemLifecycle.BUILDING])
        if rng.random() < 0.25:
            system.needs_crypto_assessment = not system.needs_crypto_assessment
        if rng.random() < 0.1:
            system.critical_infrastructure = not system.critical_infrastructure
        if rng.random() < 0.55:
            _vary_mlps(session, system, index, today, rng)
        if rng.random() < 0.4:
            _vary_crypto(session, system, index, today, rng, policy)
    session.flush()
    _certificates_at_the_window_edges(session, today)


def _certificates_at_the_window_edges(session: Session, today: dt.date) -> None:
    """Certificates with -1, 0, 29, 30, 89 and 90 days left, on systems without filings or assessments."""
    policy = get_policy()
    bare = session.execute(
        select(System)
        .where(
            ~exists().where(MlpsFiling.system_id == System.id),
            ~exists().where(MlpsAssessment.system_id == System.id),
        )
        .order_by(System.catalogue_number)
    ).scalars()
    for n, (system, days_left) in enumerate(zip(bare, (-1, 0, 29, 30, 89, 90), strict=False)):
        target = today + dt.timedelta(days=days_left)
        issued = next(
            day
            for day in (target.replace(year=target.year - 3) + dt.timedelta(days=k) for k in range(-3, 4))
            if certificate_valid_until(day, [], policy) == target
        )
        session.add(
            MlpsFiling(
                system_id=system.id,
                submitted_on=issued - dt.timedelta(days=10),
                police_authority="测试",
                issued_on=issued,
                certificate_number=f"SNAP-EDGE-{n}",
            )
        )
    session.flush()


def _day(today: dt.date, rng: random.Random, back: int, ahead: int = 0) -> dt.date:
    return today - dt.timedelta(days=rng.randrange(-ahead, back))


def _vary_mlps(session: Session, system: System, index: int, today: dt.date, rng: random.Random) -> None:
    policy = get_policy()
    gradings = []
    for n in range(rng.choice([1, 1, 2, 3])):
        grading = MlpsGrading(
            system_id=system.id,
            level=rng.choice([1, 2, 2, 3, 3, 4]),
            graded_on=rng.choice([_day(today, rng, 2000), _day(today, rng, 60)]),
            status=GradingStatus.DRAFT if rng.random() < 0.2 else GradingStatus.FINAL,
            reason=GradingReason.INITIAL if n == 0 else GradingReason.MAJOR_CHANGE,
            approving_authority="测试",
        )
        session.add(grading)
        gradings.append(grading)
    session.flush()
    for n in range(rng.choice([0, 1, 1, 2])):
        grading = rng.choice(gradings)
        submitted = grading.graded_on + dt.timedelta(days=rng.randrange(-20, 90))
        issued = submitted + dt.timedelta(days=rng.randrange(3, 60)) if rng.random() < 0.7 else None
        session.add(
            MlpsFiling(
                system_id=system.id,
                grading_id=grading.id if rng.random() < 0.6 else None,
                submitted_on=submitted,
                police_authority="测试",
                issued_on=issued,
                certificate_number=f"SNAP-{index:04d}-{n}" if issued else None,
            )
        )
    for n in range(rng.choice([0, 1, 2, 3])):
        day = _day(today, rng, 1600)
        template = rules.template_for(policy, day)
        score, rate = (float(rng.randrange(60, 99)), None) if template.value == "2021" else (None, 85.0)
        _, conclusion = rules.check_mlps_result(
            policy,
            assessed_on=day,
            template=template,
            score=score,
            conformity_rate=rate,
            high_risk_count=0,
            conclusion=None,
        )
        session.add(
            MlpsAssessment(
                system_id=system.id,
                assessed_on=day,
                agency="测试",
                report_number=f"SNAP-CP-{index:04d}-{n}",
                template_version=template,
                level=system.mlps_level,
                score=score,
                conformity_rate=rate,
                conclusion=conclusion,
            )
        )


def _vary_crypto(
    session: Session, system: System, index: int, today: dt.date, rng: random.Random, policy: Any
) -> None:
    if rng.random() < 0.6:
        session.add(
            CryptoPlan(
                system_id=system.id,
                title="测试方案",
                drafted_on=_day(today, rng, 1500),
                conclusion=rng.choice([None, CryptoPlanConclusion.PASSED, CryptoPlanConclusion.FAILED]),
            )
        )
    for n in range(rng.choice([0, 1, 1, 2])):
        day = _day(today, rng, 800)
        session.add(
            CryptoAssessment(
                system_id=system.id,
                assessed_on=day,
                agency="测试",
                report_number=f"SNAP-MP-{index:04d}-{n}",
                score=float(rng.randrange(40, 99)),
                conclusion=rng.choice(list(CryptoConclusion)),
                rule_version="测试",
                filed_on=day + dt.timedelta(days=rng.randrange(3, 40)) if rng.random() < 0.7 else None,
            )
        )
