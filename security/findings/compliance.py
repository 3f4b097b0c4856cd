"""The per-host compliance view other systems show (NetBox custom fields): findings and verification.

``host_compliance(session, host_ids)`` is the ``ComplianceProvider`` of ``inventory.netbox.push``:

- ``open_findings``: open findings whose subject is the host itself, or one of the systems it
  serves (a finding about a system concerns every host running it); waived findings do not count;
- ``last_verification``: the outcome of the host's latest verification results, worst first
  (不符合 > 检查出错 > 符合), with the local date of the latest check, e.g. ``不符合（2026-11-20）``;
  None (left as it is in NetBox) for a host never verified.

A fixed number of queries per 900 hosts, whatever the number of findings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from inventory.models import host_systems
from inventory.netbox.push import HostCompliance
from security.findings.choices import FindingState, SubjectType
from security.findings.models import Finding
from security.verification.choices import CheckOutcome
from security.verification.models import CheckResult

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
_CHUNK = 900
#: Worst outcome first: one failing check makes the host 不符合.
_ORDER = (CheckOutcome.FAIL, CheckOutcome.ERROR, CheckOutcome.NOT_CHECKED, CheckOutcome.PASS)


def _chunks(ids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield list(ids[start : start + _CHUNK])


def _open_findings(session: Session, host_ids: list[int]) -> dict[int, int]:
    systems_of: dict[int, set[int]] = defaultdict(set)
    for host_id, system_id in session.execute(
        select(host_systems.c.host_id, host_systems.c.system_id).where(host_systems.c.host_id.in_(host_ids))
    ):
        systems_of[host_id].add(system_id)
    system_ids = sorted({s for ids in systems_of.values() for s in ids})
    by_subject: dict[tuple[SubjectType, int], int] = defaultdict(int)
    stmt = select(Finding.subject_type, Finding.subject_id).where(
        Finding.state == FindingState.OPEN,
        or_(
            and_(Finding.subject_type == SubjectType.HOST, Finding.subject_id.in_(host_ids)),
            and_(Finding.subject_type == SubjectType.SYSTEM, Finding.subject_id.in_(system_ids or [-1])),
        ),
    )
    for subject_type, subject_id in session.execute(stmt):
        by_subject[(subject_type, subject_id)] += 1
    return {
        h: by_subject.get((SubjectType.HOST, h), 0)
        + sum(by_subject.get((SubjectType.SYSTEM, s), 0) for s in systems_of.get(h, ()))
        for h in host_ids
    }


def _last_verification(session: Session, host_ids: list[int]) -> dict[int, str]:
    outcomes: dict[int, set[CheckOutcome]] = defaultdict(set)
    latest: dict[int, dt.datetime] = {}
    stmt = select(CheckResult.host_id, CheckResult.outcome, CheckResult.checked_at).where(
        CheckResult.host_id.in_(host_ids)
    )
    for host_id, outcome, checked_at in session.execute(stmt):
        outcomes[host_id].add(outcome)
        if host_id not in latest or checked_at > latest[host_id]:
            latest[host_id] = checked_at
    out = {}
    for host_id, seen in outcomes.items():
        worst = next((o for o in _ORDER if o in seen), None)
        if worst is None:  # only 不适用
            continue
        day = latest[host_id].astimezone(LOCAL_TZ).date()
        out[host_id] = f"{worst.label}（{day.isoformat()}）"
    return out


def host_compliance(session: Session, host_ids: Sequence[int]) -> Mapping[int, HostCompliance]:
    """Open findings and the latest verification outcome of each host (see the module docstring)."""
    out: dict[int, HostCompliance] = {}
    for chunk in _chunks(sorted(set(host_ids))):
        findings = _open_findings(session, chunk)
        verified = _last_verification(session, chunk)
        for host_id in chunk:
            out[host_id] = HostCompliance(
                open_findings=findings.get(host_id, 0), last_verification=verified.get(host_id)
            )
    return out
