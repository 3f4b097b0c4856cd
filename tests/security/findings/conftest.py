"""A small ledger factory for findings tests: rows are built with the ORM and flushed."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from sqlalchemy.orm import Session

from inventory.choices import (
    Controllability,
    Hosting,
    HostKind,
    Network,
    OpennessAttr,
    ProductClass,
    ProjectKind,
    ResourceFormat,
    SharingAttr,
    SystemLifecycle,
    UnitKind,
    UpdateCycle,
)
from inventory.models import Host, NetworkAttachment, Product, ProductUsage, Project, Resource, System, Unit
from security.findings.engine import evaluate
from security.findings.rules import Hit, get_rule
from security.findings.snapshot import LedgerSnapshot


class Ledger:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._n = itertools.count(1)

    def add(self, obj: Any) -> Any:
        self.session.add(obj)
        self.session.flush()
        return obj

    def unit(self, **kw: Any) -> Unit:
        n = next(self._n)
        values = {"code": f"U{n:03d}", "name": f"测试单位{n}", "kind": UnitKind.COUNTY_DEPARTMENT, **kw}
        return self.add(Unit(**values))  # type: ignore[no-any-return]

    def system(self, unit: Unit, **kw: Any) -> System:
        n = next(self._n)
        values = {
            "catalogue_number": f"XF-T-{n:04d}",
            "name": f"测试系统{n}",
            "owner_unit_id": unit.id,
            "lifecycle": SystemLifecycle.RUNNING,
            "hosting": Hosting.CITY_CLOUD,  # compliant with 第三十五条 unless a test says otherwise
            **kw,
        }
        return self.add(System(**values))  # type: ignore[no-any-return]

    def host(self, systems: list[System], **kw: Any) -> Host:
        n = next(self._n)
        values = {"hostname": f"host-{n}", "kind": HostKind.VIRTUAL, "systems": systems, **kw}
        return self.add(Host(**values))  # type: ignore[no-any-return]

    def project(self, unit: Unit, systems: list[System], **kw: Any) -> Project:
        n = next(self._n)
        values = {
            "name": f"测试项目{n}",
            "implementing_unit_id": unit.id,
            "kind": ProjectKind.NEW,
            "systems": systems,
            **kw,
        }
        return self.add(Project(**values))  # type: ignore[no-any-return]

    def resource(self, system: System, **kw: Any) -> Resource:
        n = next(self._n)
        values = {
            "system_id": system.id,
            "name": f"资源{n}",
            "format": ResourceFormat.DATABASE,
            "update_cycle": UpdateCycle.DAILY,
            "sharing": SharingAttr.UNCONDITIONAL,
            "openness": OpennessAttr.CLOSED,
            **kw,
        }
        return self.add(Resource(**values))  # type: ignore[no-any-return]

    def attachment(self, system: System, network: Network, **kw: Any) -> NetworkAttachment:
        return self.add(NetworkAttachment(system_id=system.id, network=network, **kw))  # type: ignore[no-any-return]

    def product(self, **kw: Any) -> Product:
        n = next(self._n)
        values = {
            "product_class": ProductClass.BASE_SOFTWARE,
            "vendor": "厂商",
            "model": f"型号{n}",
            "controllability": Controllability.CONTROLLABLE,
            **kw,
        }
        return self.add(Product(**values))  # type: ignore[no-any-return]

    def usage(self, system: System, product: Product) -> ProductUsage:
        return self.add(ProductUsage(system_id=system.id, product_id=product.id))  # type: ignore[no-any-return]

    def hits(self, rule_id: str, today: dt.date, system_ids: list[int] | None = None) -> list[Hit]:
        rule = get_rule(rule_id)
        assert rule is not None, rule_id
        snap = LedgerSnapshot(self.session, today=today, system_ids=system_ids)
        return list(rule.check(snap))

    def evaluate(self, today: dt.date, **kw: Any) -> Any:
        return evaluate(self.session, today=today, **kw)


@pytest.fixture
def ledger(session: Session) -> Ledger:
    return Ledger(session)
