"""How each inventory table is listed, filtered, scoped and checked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from inventory import schemas as s
from inventory.choices import (
    Controllability,
    Hosting,
    HostKind,
    HostLifecycle,
    Network,
    ProductClass,
    ProjectKind,
    SystemLifecycle,
    UnitKind,
)
from inventory.models import (
    Host,
    NetworkAttachment,
    Product,
    ProductUsage,
    Project,
    Resource,
    System,
    Unit,
    host_systems,
)
from taizhang.auth.principal import Scope
from taizhang.crud import Entity, Filter, Reference, Relation
from taizhang.errors import Invalid


def _eq(column: Any) -> Any:
    return lambda stmt, value: stmt.where(column == value)


def _units(scope: Scope) -> frozenset[int]:
    return scope.unit_ids or frozenset()


def systems_in_scope(scope: Scope) -> ColumnElement[bool]:
    return System.owner_unit_id.in_(_units(scope))


def _system_child_scope(column: Any) -> Any:
    return lambda scope: column.in_(select(System.id).where(systems_in_scope(scope)))


def hosts_in_scope(scope: Scope) -> ColumnElement[bool]:
    linked = (
        select(host_systems.c.host_id)
        .join(System, System.id == host_systems.c.system_id)
        .where(systems_in_scope(scope))
    )
    return or_(Host.unit_id.in_(_units(scope)), Host.id.in_(linked))


UNIT_REF = Reference(Unit, "单位", scoped_by=lambda scope: Unit.id.in_(_units(scope)))
ANY_UNIT_REF = Reference(Unit, "单位")
SYSTEM_REF = Reference(System, "信息系统", scoped_by=systems_in_scope)
PRODUCT_REF = Reference(Product, "产品")


def _owner_of_system_child(session: Session, obj: Any) -> set[int]:
    if obj.system_id is None:
        return set()
    unit_id = session.execute(
        select(System.owner_unit_id).where(System.id == obj.system_id)
    ).scalar_one_or_none()
    return {unit_id} if unit_id is not None else set()


def _owner_of_host(session: Session, obj: Host) -> set[int]:
    owners = {system.owner_unit_id for system in obj.systems}
    if obj.unit_id is not None:
        owners.add(obj.unit_id)
    return owners


def _validate_unit(session: Session, unit: Unit) -> None:
    if unit.parent_id is None or unit.id is None:
        return
    seen = {unit.id}
    parent_id: int | None = unit.parent_id
    while parent_id is not None:
        if parent_id in seen:
            raise Invalid("上级单位不能形成循环", field="parent_id")
        seen.add(parent_id)
        parent_id = session.execute(select(Unit.parent_id).where(Unit.id == parent_id)).scalar_one_or_none()


def _validate_attachment(session: Session, attachment: NetworkAttachment) -> None:
    if attachment.network is Network.PRIVATE:
        if not attachment.approval_reference:
            raise Invalid(
                "接入业务专网须填写县政务信息化主管部门的批准文号（第十一条）", field="approval_reference"
            )
        if attachment.approval_date is None:
            raise Invalid("接入业务专网须填写批准日期（第十一条）", field="approval_date")


def _validate_project(session: Session, project: Project) -> None:
    if project.yearly_budgets:
        total = sum(float(v) for v in project.yearly_budgets.values())
        if project.total_budget is not None and total > float(project.total_budget) + 0.005:
            raise Invalid(
                f"分年度预算合计 {total:.2f} 元超过总预算 {float(project.total_budget):.2f} 元（第八条）",
                field="yearly_budgets",
            )
    pairs = [
        ("contract_filed_on", "contract_signed_on", "合同备案日期不能早于签订日期"),
        ("acceptance_report_filed_on", "accepted_on", "验收报告备案日期不能早于竣工验收日期"),
    ]
    for later, earlier, message in pairs:
        a, b = getattr(project, later), getattr(project, earlier)
        if a is not None and b is not None and a < b:
            raise Invalid(message, field=later)


def _host_has_system(stmt: Select[Any], system_id: int) -> Select[Any]:
    return stmt.where(
        exists().where(host_systems.c.host_id == Host.id, host_systems.c.system_id == system_id)
    )


def _system_has_network(stmt: Select[Any], network: Network) -> Select[Any]:
    return stmt.where(
        exists().where(NetworkAttachment.system_id == System.id, NetworkAttachment.network == network)
    )


def _project_has_system(stmt: Select[Any], system_id: int) -> Select[Any]:
    from inventory.models import project_systems

    return stmt.where(
        exists().where(project_systems.c.project_id == Project.id, project_systems.c.system_id == system_id)
    )


UNITS = Entity(
    path="units",
    label="单位",
    model=Unit,
    create=s.UnitCreate,
    update=s.UnitUpdate,
    read=s.UnitRead,
    brief=s.UnitBrief,
    unique=[("code",), ("name",)],
    references={"parent_id": Reference(Unit, "上级单位")},
    filters={
        "kind": Filter(UnitKind, _eq(Unit.kind), "单位类型"),
        "parent_id": Filter(int, _eq(Unit.parent_id), "上级单位"),
        "code": Filter(str, _eq(Unit.code), "单位编码"),
    },
    search=[Unit.name, Unit.code],
    order_by=[Unit.code],
    scope_clause=lambda scope: Unit.id.in_(_units(scope)),
    unit_writable=False,
    validate=_validate_unit,
)

SYSTEMS = Entity(
    path="systems",
    label="信息系统",
    model=System,
    create=s.SystemCreate,
    update=s.SystemUpdate,
    read=s.SystemRead,
    brief=s.SystemBrief,
    unique=[("catalogue_number",)],
    references={"owner_unit_id": UNIT_REF},
    filters={
        "owner_unit_id": Filter(int, _eq(System.owner_unit_id), "主管单位"),
        "lifecycle": Filter(SystemLifecycle, _eq(System.lifecycle), "生命周期"),
        "mlps_level": Filter(int, _eq(System.mlps_level), "等保级别"),
        "hosting": Filter(Hosting, _eq(System.hosting), "部署位置"),
        "network": Filter(Network, _system_has_network, "接入网络"),
        "critical_infrastructure": Filter(bool, _eq(System.critical_infrastructure), "关键信息基础设施"),
        "catalogue_number": Filter(str, _eq(System.catalogue_number), "目录编号"),
    },
    search=[System.name, System.catalogue_number, System.purpose],
    order_by=[System.catalogue_number],
    scope_clause=systems_in_scope,
    owner_units=lambda session, obj: {obj.owner_unit_id} if obj.owner_unit_id is not None else set(),
)

HOSTS = Entity(
    path="hosts",
    label="主机",
    model=Host,
    create=s.HostCreate,
    update=s.HostUpdate,
    read=s.HostRead,
    brief=s.HostBrief,
    unique=[("hostname",), ("netbox_kind", "netbox_id")],
    references={"unit_id": UNIT_REF},
    relations={"system_ids": Relation("systems", SYSTEM_REF)},
    filters={
        "unit_id": Filter(int, _eq(Host.unit_id), "所属单位"),
        "system_id": Filter(int, _host_has_system, "承载的信息系统"),
        "kind": Filter(HostKind, _eq(Host.kind), "主机类型"),
        "lifecycle": Filter(HostLifecycle, _eq(Host.lifecycle), "状态"),
        "os_name": Filter(str, _eq(Host.os_name), "操作系统"),
        "hostname": Filter(str, _eq(Host.hostname), "主机名"),
    },
    search=[Host.hostname, Host.os_name, Host.location],
    order_by=[Host.hostname],
    # Only the ids of the linked systems are read (HostRead.system_ids).
    load_options=[selectinload(Host.systems).load_only(System.id)],
    scope_clause=hosts_in_scope,
    owner_units=_owner_of_host,
)

NETWORK_ATTACHMENTS = Entity(
    path="network-attachments",
    label="网络接入",
    model=NetworkAttachment,
    create=s.NetworkAttachmentCreate,
    update=s.NetworkAttachmentUpdate,
    read=s.NetworkAttachmentRead,
    brief=s.NetworkAttachmentBrief,
    unique=[("system_id", "network", "name")],
    references={"system_id": SYSTEM_REF},
    filters={
        "system_id": Filter(int, _eq(NetworkAttachment.system_id), "信息系统"),
        "network": Filter(Network, _eq(NetworkAttachment.network), "网络"),
    },
    search=[NetworkAttachment.name, NetworkAttachment.approval_reference],
    scope_clause=_system_child_scope(NetworkAttachment.system_id),
    owner_units=_owner_of_system_child,
    validate=_validate_attachment,
)

PRODUCTS = Entity(
    path="products",
    label="产品",
    model=Product,
    create=s.ProductCreate,
    update=s.ProductUpdate,
    read=s.ProductRead,
    brief=s.ProductBrief,
    unique=[("vendor", "model", "product_version")],
    filters={
        "product_class": Filter(ProductClass, _eq(Product.product_class), "产品类别"),
        "controllability": Filter(Controllability, _eq(Product.controllability), "安全可控情况"),
        "vendor": Filter(str, _eq(Product.vendor), "厂商"),
    },
    search=[Product.vendor, Product.model, Product.category],
    order_by=[Product.vendor, Product.model, Product.product_version],
    unit_writable=False,
)

PRODUCT_USAGES = Entity(
    path="product-usages",
    label="产品使用",
    model=ProductUsage,
    create=s.ProductUsageCreate,
    update=s.ProductUsageUpdate,
    read=s.ProductUsageRead,
    brief=s.ProductUsageBrief,
    unique=[("system_id", "product_id")],
    references={"system_id": SYSTEM_REF, "product_id": PRODUCT_REF},
    filters={
        "system_id": Filter(int, _eq(ProductUsage.system_id), "信息系统"),
        "product_id": Filter(int, _eq(ProductUsage.product_id), "产品"),
    },
    scope_clause=_system_child_scope(ProductUsage.system_id),
    owner_units=_owner_of_system_child,
)

PROJECTS = Entity(
    path="projects",
    label="项目",
    model=Project,
    create=s.ProjectCreate,
    update=s.ProjectUpdate,
    read=s.ProjectRead,
    brief=s.ProjectBrief,
    references={"implementing_unit_id": UNIT_REF},
    relations={"system_ids": Relation("systems", SYSTEM_REF)},
    filters={
        "implementing_unit_id": Filter(int, _eq(Project.implementing_unit_id), "实施单位"),
        "kind": Filter(ProjectKind, _eq(Project.kind), "建设性质"),
        "system_id": Filter(int, _project_has_system, "建设的信息系统"),
    },
    search=[Project.name, Project.contractor],
    order_by=[Project.id],
    load_options=[selectinload(Project.systems)],
    scope_clause=lambda scope: Project.implementing_unit_id.in_(_units(scope)),
    owner_units=lambda session, obj: (
        {obj.implementing_unit_id} if obj.implementing_unit_id is not None else set()
    ),
    validate=_validate_project,
)

RESOURCES = Entity(
    path="resources",
    label="信息资源",
    model=Resource,
    create=s.ResourceCreate,
    update=s.ResourceUpdate,
    read=s.ResourceRead,
    brief=s.ResourceBrief,
    unique=[("system_id", "name")],
    references={"system_id": SYSTEM_REF, "owner_unit_id": ANY_UNIT_REF},
    filters={
        "system_id": Filter(int, _eq(Resource.system_id), "来源系统"),
        "registered_on_platform": Filter(bool, _eq(Resource.registered_on_platform), "已在共享平台登记"),
    },
    search=[Resource.name],
    scope_clause=_system_child_scope(Resource.system_id),
    owner_units=_owner_of_system_child,
)

ALL_ENTITIES = [UNITS, SYSTEMS, HOSTS, NETWORK_ATTACHMENTS, PRODUCTS, PRODUCT_USAGES, PROJECTS, RESOURCES]
