"""Every rule fires on the problem it names and keeps quiet otherwise (both databases)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inventory.choices import (
    Controllability,
    DataSharing,
    HostLifecycle,
    Network,
    ProductClass,
    SystemLifecycle,
)
from security.findings.choices import Severity, SubjectType
from security.findings.rules import all_rules

D = dt.date
TODAY = D(2026, 11, 20)


def test_every_rule_cites_an_article_and_ids_are_unique() -> None:
    rules = all_rules()
    assert len({r.id for r in rules}) == len(rules)
    for r in rules:
        assert "第" in r.citation and "条" in r.citation, r.id
        assert r.title and r.description


# --- 第十条 ---------------------------------------------------------------------------------


def test_system_without_catalogue_number(ledger: Any) -> None:
    unit = ledger.unit()
    blank = ledger.system(unit, catalogue_number=" ")
    ledger.system(unit)
    hits = ledger.hits("art10.system_without_catalogue_number", TODAY)
    assert [(h.subject_type, h.subject_id) for h in hits] == [(SubjectType.SYSTEM, blank.id)]
    assert hits[0].unit_id == unit.id


def test_host_without_system(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    orphan = ledger.host([], unit_id=unit.id)
    ledger.host([], lifecycle=HostLifecycle.RETIRED)
    ledger.host([system])
    hits = ledger.hits("art10.host_without_system", TODAY)
    assert [h.subject_id for h in hits] == [orphan.id]
    assert hits[0].unit_id == unit.id
    assert ledger.hits("art10.host_without_system", TODAY, system_ids=[system.id]) == []


def test_project_without_catalogued_system(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    empty = ledger.project(unit, [], approved_on=D(2025, 3, 1))
    uncatalogued = ledger.project(unit, [ledger.system(unit, catalogue_number="")], approved_on=D(2025, 3, 1))
    ledger.project(unit, [system], approved_on=D(2025, 3, 1))
    ledger.project(unit, [])  # not approved yet: nothing to say
    hits = ledger.hits("art10.project_without_catalogued_system", TODAY)
    assert sorted(h.subject_id for h in hits) == [empty.id, uncatalogued.id]


def test_built_before_approval(ledger: Any) -> None:
    unit = ledger.unit()
    early = ledger.project(unit, [], approved_on=D(2025, 3, 1), construction_started_on=D(2025, 2, 28))
    unapproved = ledger.project(unit, [], construction_started_on=D(2025, 2, 28))
    ledger.project(unit, [], approved_on=D(2025, 3, 1), construction_started_on=D(2025, 3, 1))
    ledger.project(unit, [], approved_on=D(2025, 3, 1))
    hits = ledger.hits("art10.built_before_approval", TODAY)
    assert sorted(h.subject_id for h in hits) == [early.id, unapproved.id]


# --- 第九、二十三条 ----------------------------------------------------------------------------


def test_approved_project_without_resources(ledger: Any) -> None:
    unit = ledger.unit()
    bare, documented = ledger.system(unit), ledger.system(unit)
    ledger.resource(documented)
    project = ledger.project(unit, [bare, documented], approved_on=D(2025, 3, 1))
    ledger.project(unit, [ledger.system(unit)])  # not approved
    hits = ledger.hits("art9.approved_project_without_resources", TODAY)
    assert [(h.subject_id, h.system_id, h.discriminator) for h in hits] == [
        (project.id, bare.id, f"system:{bare.id}")
    ]


def test_accepted_resources_not_registered(ledger: Any) -> None:
    unit = ledger.unit()
    accepted, building = ledger.system(unit), ledger.system(unit)
    missing = ledger.resource(accepted, registered_on_platform=False)
    ledger.resource(accepted, registered_on_platform=True)
    ledger.resource(building, registered_on_platform=False)
    ledger.project(unit, [accepted], approved_on=D(2024, 1, 5), accepted_on=D(2025, 6, 1))
    ledger.project(unit, [building], approved_on=D(2025, 1, 5))
    hits = ledger.hits("art23.accepted_resources_not_registered", TODAY)
    assert [(h.subject_type, h.subject_id) for h in hits] == [(SubjectType.RESOURCE, missing.id)]


# --- 第十一条 -------------------------------------------------------------------------------


def test_private_network_unapproved(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    bad = ledger.attachment(system, Network.PRIVATE, name="专网甲")
    ledger.attachment(
        system,
        Network.PRIVATE,
        name="专网乙",
        approval_reference="襄政信函〔2024〕3号",
        approval_date=D(2024, 3, 1),
    )
    ledger.attachment(system, Network.EXTRANET)
    retired = ledger.system(unit, lifecycle=SystemLifecycle.RETIRED)
    ledger.attachment(retired, Network.PRIVATE)
    hits = ledger.hits("art11.private_network_unapproved", TODAY)
    assert [h.subject_id for h in hits] == [bad.id]


def test_data_not_shared(ledger: Any) -> None:
    unit = ledger.unit()
    none = ledger.system(unit, data_sharing=DataSharing.NOT_SHARING)
    part = ledger.system(unit, data_sharing=DataSharing.PARTIAL, lifecycle=SystemLifecycle.BUILDING)
    ledger.system(unit, data_sharing=DataSharing.SHARING)
    ledger.system(unit, data_sharing=DataSharing.NOT_SHARING, lifecycle=SystemLifecycle.RETIRED)
    hits = {h.subject_id: h for h in ledger.hits("art11.data_not_shared", TODAY)}
    assert set(hits) == {none.id, part.id}
    assert hits[none.id].severity is None and hits[part.id].severity is Severity.MEDIUM


# --- 第十八条: 5 working days, counted over the National Day holiday ----------------------------


def test_contract_filing_counts_working_days(ledger: Any) -> None:
    unit = ledger.unit()
    signed = D(2026, 10, 1)  # holiday; the 5th working day after is 2026-10-13 (10-10 is a 调休 Saturday)
    on_time = ledger.project(unit, [], contract_signed_on=signed, contract_filed_on=D(2026, 10, 13))
    late = ledger.project(unit, [], contract_signed_on=signed, contract_filed_on=D(2026, 10, 14))
    pending = ledger.project(unit, [], contract_signed_on=signed)

    on_due_day = ledger.hits("art18.contract_filing_late", D(2026, 10, 13))
    assert [h.subject_id for h in on_due_day] == [late.id]
    assert on_due_day[0].severity is Severity.LOW
    assert on_due_day[0].due_date == D(2026, 10, 13)

    next_day = {h.subject_id: h for h in ledger.hits("art18.contract_filing_late", D(2026, 10, 14))}
    assert set(next_day) == {late.id, pending.id}
    assert next_day[pending.id].severity is None
    assert next_day[pending.id].facts["policy_citation"].endswith("第十八条")
    assert on_time.id not in next_day


# --- 第二十一条 ------------------------------------------------------------------------------


def test_supervision_not_filed(ledger: Any) -> None:
    unit = ledger.unit()
    none = ledger.project(unit, [], construction_started_on=D(2026, 5, 1))
    unfiled = ledger.project(unit, [], construction_started_on=D(2026, 5, 1), supervision_unit="某监理公司")
    ledger.project(
        unit,
        [],
        construction_started_on=D(2026, 5, 1),
        supervision_unit="某监理公司",
        supervision_filed_on=D(2026, 5, 8),
    )
    ledger.project(unit, [], construction_started_on=D(2025, 5, 1), accepted_on=D(2026, 4, 1))
    ledger.project(unit, [], construction_started_on=D(2026, 12, 1))  # not started yet
    hits = ledger.hits("art21.supervision_not_filed", TODAY)
    assert sorted(h.subject_id for h in hits) == [none.id, unfiled.id]


# --- 第二十五条: 30 working days ------------------------------------------------------------------


def test_acceptance_report_deadline(ledger: Any, session: Any) -> None:
    from taizhang.workdays import get_calendar

    accepted = D(2026, 3, 2)
    due = get_calendar().add_workdays(accepted, 30)
    unit = ledger.unit()
    on_time = ledger.project(unit, [], accepted_on=accepted, acceptance_report_filed_on=due)
    late = ledger.project(
        unit, [], accepted_on=accepted, acceptance_report_filed_on=due + dt.timedelta(days=1)
    )
    pending = ledger.project(unit, [], accepted_on=accepted)

    assert [h.subject_id for h in ledger.hits("art25.acceptance_report_late", due)] == [late.id]
    after = {h.subject_id: h for h in ledger.hits("art25.acceptance_report_late", due + dt.timedelta(days=1))}
    assert set(after) == {late.id, pending.id}
    assert after[pending.id].due_date == due and after[late.id].severity is Severity.LOW
    assert on_time.id not in after


# --- 第二十六条 ------------------------------------------------------------------------------


def test_self_evaluation_missing(ledger: Any) -> None:
    unit = ledger.unit()
    missing = ledger.project(
        unit, [], yearly_budgets={"2024": "100", "2025": "100"}, self_evaluations={"2025": "2026-03-01"}
    )
    ledger.project(unit, [], yearly_budgets={"2024": "100"}, self_evaluations={"2024": "2025-03-20"})
    assert ledger.hits("art26.self_evaluation_missing", D(2025, 3, 31)) == []  # due day itself
    hits = ledger.hits("art26.self_evaluation_missing", D(2025, 4, 1))
    assert [(h.subject_id, h.discriminator, h.due_date) for h in hits] == [
        (missing.id, "year:2024", D(2025, 3, 31))
    ]


# --- 第二十四条 and end of support ------------------------------------------------------------


def test_uncontrollable_key_product(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    bad = ledger.usage(system, ledger.product(controllability=Controllability.UNCONTROLLABLE))
    ledger.usage(system, ledger.product(controllability=Controllability.CONTROLLABLE))
    ledger.usage(
        system,
        ledger.product(product_class=ProductClass.HARDWARE, controllability=Controllability.UNCONTROLLABLE),
    )
    retired = ledger.system(unit, lifecycle=SystemLifecycle.RETIRED)
    ledger.usage(retired, ledger.product(controllability=Controllability.UNCONTROLLABLE))
    hits = ledger.hits("art24.uncontrollable_key_product", TODAY)
    assert [(h.subject_type, h.subject_id, h.unit_id) for h in hits] == [
        (SubjectType.PRODUCT_USAGE, bad.id, unit.id)
    ]


def test_acceptance_without_controllability_check(ledger: Any) -> None:
    unit = ledger.unit()
    unchecked = ledger.project(unit, [], accepted_on=D(2026, 1, 5))
    ledger.project(unit, [], accepted_on=D(2026, 1, 5), controllability_checked=True)
    ledger.project(unit, [])
    hits = ledger.hits("art24.acceptance_without_controllability_check", TODAY)
    assert [h.subject_id for h in hits] == [unchecked.id]


def test_host_past_support(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    old = ledger.host([system], os_name="CentOS Linux", os_version="7.9.2009")  # support ended 2024-06-30
    ledger.host([system], os_name="CentOS Linux", os_version="7.9.2009", replacement_plan="迁移至 openEuler")
    ledger.host([system], os_name="CentOS Linux", os_version="7.9.2009", lifecycle=HostLifecycle.RETIRED)
    ledger.host([system], os_name="银河麒麟高级服务器操作系统", os_version="V10")
    hits = ledger.hits("eos.host_past_support", TODAY)
    assert [(h.subject_id, h.unit_id, h.due_date) for h in hits] == [(old.id, unit.id, D(2024, 6, 30))]
    assert ledger.hits("eos.host_past_support", D(2024, 6, 30)) == []  # the last day of support


def test_product_past_support(ledger: Any) -> None:
    unit = ledger.unit()
    system = ledger.system(unit)
    old = ledger.usage(system, ledger.product(end_of_support=D(2025, 1, 1)))
    listed = ledger.usage(system, ledger.product(vendor="Oracle", model="Database 11g"))  # policy EOS list
    ledger.usage(system, ledger.product(end_of_support=D(2025, 1, 1), replacement_plan="替换为达梦"))
    ledger.usage(system, ledger.product(end_of_support=D(2030, 1, 1)))
    hits = ledger.hits("eos.product_past_support", TODAY)
    assert sorted(h.subject_id for h in hits) == sorted([old.id, listed.id])
