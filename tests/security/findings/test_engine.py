"""Storing findings: idempotent re-evaluation, resolution, recurrence, waivers, partial runs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from inventory.choices import DataSharing
from security.findings import waivers
from security.findings.choices import FindingState, Severity, SubjectType
from security.findings.engine import evaluate
from security.findings.models import Finding
from security.findings.rules import Hit, Rule
from taizhang.changelog import ChangeLogEntry

D = dt.date
TODAY = D(2026, 11, 20)


def _state(session: Any) -> list[tuple[Any, ...]]:
    rows = session.execute(select(Finding).order_by(Finding.id)).scalars()
    return [
        (f.id, f.rule_id, f.subject_id, f.state, f.message, f.due_date, f.facts, f.version, f.updated_at)
        for f in rows
    ]


def _log_count(session: Any) -> int:
    return int(session.execute(select(func.count()).select_from(ChangeLogEntry)).scalar_one())


def _finding(session: Any, rule_id: str) -> Finding:
    return session.execute(select(Finding).where(Finding.rule_id == rule_id)).scalar_one()  # type: ignore[no-any-return]


def test_evaluating_twice_changes_nothing(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    ledger.project(unit, [system], approved_on=D(2025, 3, 1), contract_signed_on=D(2025, 3, 3))
    first = ledger.evaluate(TODAY)
    assert first.created >= 3 and not first.errors
    session.commit()
    before, log_before = _state(session), _log_count(session)
    seen_before = {f.id: f.last_seen for f in session.execute(select(Finding)).scalars()}

    second = ledger.evaluate(TODAY)
    session.commit()
    session.expire_all()
    assert (second.created, second.updated, second.reopened, second.resolved) == (0, 0, 0, 0)
    assert second.unchanged == first.created
    assert _state(session) == before
    assert _log_count(session) == log_before  # last_seen moves outside the change log
    after = {f.id: f.last_seen for f in session.execute(select(Finding)).scalars()}
    assert all(after[i] >= seen_before[i] for i in after)


def test_fixed_problem_resolves_and_recurrence_reopens_the_same_finding(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    ledger.evaluate(TODAY)
    finding = _finding(session, "art11.data_not_shared")
    first_seen, finding_id = finding.first_seen, finding.id
    assert finding.state is FindingState.OPEN and finding.severity is Severity.HIGH
    assert finding.citation == "襄政办发〔2022〕2号 第十一条" and finding.unit_id == unit.id

    system.data_sharing = DataSharing.SHARING
    report = ledger.evaluate(TODAY)
    assert report.resolved == 1
    assert finding.state is FindingState.RESOLVED and finding.resolved_at is not None

    system.data_sharing = DataSharing.NOT_SHARING
    report = ledger.evaluate(TODAY)
    assert report.reopened == 1 and report.created == 0
    again = _finding(session, "art11.data_not_shared")
    assert again.id == finding_id and again.first_seen == first_seen
    assert again.state is FindingState.OPEN and again.resolved_at is None and again.reopened_at is not None


def test_changed_facts_update_the_finding(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    ledger.evaluate(TODAY)
    system.data_sharing = DataSharing.PARTIAL
    report = ledger.evaluate(TODAY)
    assert report.updated == 1
    assert _finding(session, "art11.data_not_shared").severity is Severity.MEDIUM


def test_waiver_holds_until_it_expires(ledger: Any, session: Any) -> None:
    from inventory.choices import Controllability

    unit = ledger.unit()
    system = ledger.system(unit)
    usage = ledger.usage(system, ledger.product(controllability=Controllability.UNCONTROLLABLE))
    rule_id = "art24.uncontrollable_key_product"
    ledger.evaluate(TODAY)
    expires = TODAY + dt.timedelta(days=10)
    waiver = waivers.create_waiver(
        session,
        {
            "rule_id": rule_id,
            "subject_type": SubjectType.PRODUCT_USAGE,
            "subject_id": usage.id,
            "reason": "维保期内过渡使用",
            "approver": "县政务信息管理局",
            "expires_on": expires,
        },
        actor="test",
        today=TODAY,
    )
    assert waiver.unit_id == unit.id
    finding = _finding(session, rule_id)
    assert finding.state is FindingState.WAIVED and finding.waiver_id == waiver.id  # applied at once

    ledger.evaluate(expires)  # the expiry day itself is still covered
    assert finding.state is FindingState.WAIVED
    report = ledger.evaluate(expires + dt.timedelta(days=1))
    assert finding.state is FindingState.OPEN and finding.waiver_id is None and report.updated == 1

    waivers.update_waiver(
        session, waiver.id, {"expires_on": TODAY + dt.timedelta(days=60)}, today=TODAY, expected_version=None
    )
    assert finding.state is FindingState.WAIVED
    waivers.delete_waiver(session, waiver.id, today=TODAY)
    assert finding.state is FindingState.OPEN and finding.waiver_id is None


def test_waiver_validation(ledger: Any, session: Any) -> None:
    import pytest

    from taizhang.errors import Invalid

    unit = ledger.unit()
    system = ledger.system(unit)
    base = {
        "subject_type": SubjectType.SYSTEM,
        "subject_id": system.id,
        "reason": "理由",
        "approver": "批准人",
    }
    with pytest.raises(Invalid) as err:
        waivers.create_waiver(
            session, {**base, "rule_id": "no.such", "expires_on": TODAY}, actor="t", today=TODAY
        )
    assert err.value.field == "rule_id"
    with pytest.raises(Invalid) as err:
        waivers.create_waiver(
            session,
            {**base, "rule_id": "art11.data_not_shared", "expires_on": TODAY - dt.timedelta(days=1)},
            actor="t",
            today=TODAY,
        )
    assert err.value.field == "expires_on"
    with pytest.raises(Invalid) as err:
        waivers.create_waiver(
            session,
            {**base, "subject_id": 99999, "rule_id": "art11.data_not_shared", "expires_on": TODAY},
            actor="t",
            today=TODAY,
        )
    assert err.value.field == "subject_id"


def test_partial_evaluation_touches_only_its_systems(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    one = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    two = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    orphan = ledger.host([])
    ledger.evaluate(TODAY)
    one.data_sharing = two.data_sharing = DataSharing.SHARING
    session.flush()

    report = ledger.evaluate(TODAY, system_ids=[one.id])
    assert report.partial and report.resolved == 1
    states = {
        f.system_id: f.state
        for f in session.execute(select(Finding).where(Finding.rule_id == "art11.data_not_shared")).scalars()
    }
    assert states == {one.id: FindingState.RESOLVED, two.id: FindingState.OPEN}
    host_finding = _finding(session, "art10.host_without_system")
    assert (
        host_finding.subject_id == orphan.id and host_finding.state is FindingState.OPEN
    )  # outside the scope

    ledger.evaluate(TODAY, system_ids=[two.id])
    assert {
        f.state
        for f in session.execute(select(Finding).where(Finding.rule_id == "art11.data_not_shared")).scalars()
    } == {FindingState.RESOLVED}


def test_partial_evaluation_sees_a_project_through_any_of_its_systems(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    one, two = ledger.system(unit), ledger.system(unit)
    project = ledger.project(unit, [one, two], approved_on=D(2025, 3, 1))
    ledger.evaluate(TODAY)
    assert {
        f.system_id
        for f in session.execute(select(Finding).where(Finding.subject_id == project.id)).scalars()
    } == {one.id, two.id}
    ledger.resource(two)
    report = ledger.evaluate(TODAY, system_ids=[one.id])
    assert report.resolved == 1 and report.created == 0


def test_a_failing_rule_leaves_its_findings_alone(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    ledger.project(unit, [], contract_signed_on=D(2026, 3, 2))
    ledger.evaluate(TODAY)
    finding = _finding(session, "art18.contract_filing_late")

    def broken(_snap: Any) -> Any:
        raise RuntimeError("boom")
        yield Hit(SubjectType.UNIT, unit.id, "", unit.id, "")  # pragma: no cover

    rule = Rule("art18.contract_filing_late", "合同备案", Severity.MEDIUM, "第十八条", "第十八条", broken)
    report = evaluate(session, today=TODAY, rules=[rule])
    assert "boom" in report.errors["art18.contract_filing_late"]
    assert finding.state is FindingState.OPEN and report.resolved == 0


def test_a_year_the_calendar_does_not_know_is_refused_not_guessed(ledger: Any, session: Any) -> None:
    unit = ledger.unit()
    ledger.project(unit, [], contract_signed_on=D(2031, 3, 3))
    report = ledger.evaluate(D(2031, 6, 1))
    assert "2031" in report.errors["art18.contract_filing_late"]
    assert "art11.data_not_shared" not in report.errors
