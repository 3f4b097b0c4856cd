"""API schemas of the inventory."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from decimal import Decimal

from pydantic import Field, field_validator

from inventory.choices import (
    BaseLibrary,
    Classification,
    Controllability,
    CpuArch,
    DataSharing,
    Hosting,
    HostKind,
    HostLifecycle,
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
from taizhang.schemas import ReadSchema, RowMeta, Schema, partial_model

CLASSIFIED_REFUSED = "涉密信息系统不属于本台账管理范围（襄政办发〔2022〕2号 第三条），不得登记"

# ---------------------------------------------------------------- units


class UnitCreate(Schema):
    code: str = Field(min_length=1, max_length=32, description="单位编码")
    name: str = Field(min_length=1, max_length=100, description="单位名称")
    kind: UnitKind = Field(description="单位类型")
    parent_id: int | None = Field(default=None, description="上级单位")
    contact_person: str = Field(default="", max_length=50, description="联系人")
    contact_phone: str = Field(default="", max_length=30, pattern=r"^[0-9+\-() ]*$", description="联系电话")


UnitUpdate = partial_model(UnitCreate, "UnitUpdate")


class UnitBrief(ReadSchema):
    id: int
    code: str
    name: str


class UnitRead(UnitCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- systems


class SystemCreate(Schema):
    catalogue_number: str = Field(min_length=1, max_length=50, description="目录编号")
    name: str = Field(min_length=1, max_length=200, description="系统名称")
    owner_unit_id: int = Field(description="主管单位")
    purpose: str = Field(default="", description="主要用途")
    classification: Classification = Field(default=Classification.NON_CLASSIFIED, description="涉密属性")
    lifecycle: SystemLifecycle = Field(default=SystemLifecycle.RUNNING, description="生命周期")
    go_live_date: dt.date | None = Field(default=None, description="上线日期")
    mlps_level: int | None = Field(default=None, ge=1, le=5, description="等保级别（未定级为空）")
    critical_infrastructure: bool = Field(default=False, description="关键信息基础设施")
    data_sharing: DataSharing = Field(default=DataSharing.NOT_REQUIRED, description="数据共享情况")
    base_libraries_fed: list[BaseLibrary] = Field(default_factory=list, description="汇入的基础库")
    base_libraries_used: list[BaseLibrary] = Field(default_factory=list, description="使用的基础库")
    hosting: Hosting = Field(default=Hosting.LEGACY, description="部署位置")
    needs_crypto_assessment: bool = Field(default=True, description="需开展密评")

    @field_validator("classification")
    @classmethod
    def _refuse_classified(cls, value: Classification | None) -> Classification | None:
        if value is Classification.CLASSIFIED:
            raise ValueError(CLASSIFIED_REFUSED)
        return value

    @field_validator("base_libraries_fed", "base_libraries_used")
    @classmethod
    def _dedupe(cls, value: list[BaseLibrary] | None) -> list[BaseLibrary] | None:
        return None if value is None else sorted(set(value), key=list(BaseLibrary).index)


SystemUpdate = partial_model(SystemCreate, "SystemUpdate")


class SystemBrief(ReadSchema):
    id: int
    catalogue_number: str
    name: str


class SystemRead(SystemCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- hosts


_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_CANONICAL_IPV4 = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}", re.ASCII)


class HostCreate(Schema):
    hostname: str = Field(
        min_length=1, max_length=255, pattern=r"^[A-Za-z0-9][A-Za-z0-9.\-_]*$", description="主机名"
    )
    kind: HostKind = Field(description="主机类型")
    ip_addresses: list[str] = Field(default_factory=list, description="IP 地址")
    os_name: str = Field(default="", max_length=100, description="操作系统")
    os_version: str = Field(default="", max_length=50, description="操作系统版本")
    cpu_arch: CpuArch | None = Field(default=None, description="CPU 架构")
    location: str = Field(default="", max_length=200, description="位置")
    role: str = Field(default="", max_length=50, description="主机角色")
    unit_id: int | None = Field(default=None, description="所属单位")
    system_ids: list[int] = Field(default_factory=list, description="承载的信息系统")
    netbox_kind: str | None = Field(default=None, pattern=r"^(device|vm)$", description="NetBox 对象类型")
    netbox_id: int | None = Field(default=None, ge=1, description="NetBox 编号")
    lifecycle: HostLifecycle = Field(default=HostLifecycle.ACTIVE, description="状态")
    replacement_plan: str = Field(default="", max_length=200, description="替代计划")
    replacement_date: dt.date | None = Field(default=None, description="计划替代日期")

    @field_validator("ip_addresses")
    @classmethod
    def _valid_ips(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out: list[str] = []
        for index, raw in enumerate(value):
            text = raw.strip()
            if not _CANONICAL_IPV4.fullmatch(text):  # else ip_address() would give it back as it is
                try:
                    text = str(ipaddress.ip_address(text))
                except ValueError:
                    raise ValueError(f"第 {index + 1} 个 IP 地址“{raw}”不是有效的 IPv4/IPv6 地址") from None
            if text not in out:
                out.append(text)
        return out

    @field_validator("system_ids")
    @classmethod
    def _unique_ids(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else sorted(set(value))


HostUpdate = partial_model(HostCreate, "HostUpdate")


class HostBrief(ReadSchema):
    id: int
    hostname: str


class HostRead(HostCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- network attachments


class NetworkAttachmentCreate(Schema):
    system_id: int = Field(description="信息系统")
    network: Network = Field(description="网络")
    name: str = Field(default="", max_length=100, description="网络名称")
    approval_reference: str | None = Field(default=None, max_length=100, description="专网批准文号")
    approval_date: dt.date | None = Field(default=None, description="专网批准日期")
    description: str = Field(default="", description="说明")


NetworkAttachmentUpdate = partial_model(NetworkAttachmentCreate, "NetworkAttachmentUpdate")


class NetworkAttachmentBrief(ReadSchema):
    id: int
    system_id: int
    network: Network


class NetworkAttachmentRead(NetworkAttachmentCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- products


class ProductCreate(Schema):
    product_class: ProductClass = Field(description="产品类别")
    category: str = Field(default="", max_length=50, description="品类")
    vendor: str = Field(min_length=1, max_length=100, description="厂商")
    model: str = Field(min_length=1, max_length=100, description="型号")
    product_version: str = Field(default="", max_length=50, description="版本")
    cpu_arch: CpuArch | None = Field(default=None, description="CPU 架构")
    controllability: Controllability = Field(description="安全可控情况")
    evidence_reference: str = Field(default="", max_length=200, description="证明材料编号")
    evidence_expiry: dt.date | None = Field(default=None, description="证明有效期至")
    end_of_support: dt.date | None = Field(default=None, description="停止支持日期")
    replacement_plan: str = Field(default="", max_length=200, description="替代计划")
    replacement_date: dt.date | None = Field(default=None, description="计划替代日期")


ProductUpdate = partial_model(ProductCreate, "ProductUpdate")


class ProductBrief(ReadSchema):
    id: int
    vendor: str
    model: str
    product_version: str


class ProductRead(ProductCreate, RowMeta):
    model_config = ReadSchema.model_config


class ProductUsageCreate(Schema):
    system_id: int = Field(description="信息系统")
    product_id: int = Field(description="产品")
    quantity: int = Field(default=1, ge=1, le=1_000_000, description="数量")


ProductUsageUpdate = partial_model(ProductUsageCreate, "ProductUsageUpdate")


class ProductUsageBrief(ReadSchema):
    id: int
    system_id: int
    product_id: int


class ProductUsageRead(ProductUsageCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- projects


class ProjectCreate(Schema):
    name: str = Field(min_length=1, max_length=200, description="项目名称")
    implementing_unit_id: int = Field(description="实施单位")
    kind: ProjectKind = Field(description="建设性质")
    total_budget: Decimal = Field(
        default=Decimal("0"), ge=0, max_digits=14, decimal_places=2, description="总预算（元）"
    )
    yearly_budgets: dict[int, Decimal] = Field(default_factory=dict, description="分年度预算（元）")
    contractor: str = Field(default="", max_length=200, description="建设单位")
    supervision_unit: str = Field(default="", max_length=200, description="监理单位")
    construction_started_on: dt.date | None = Field(default=None, description="开工日期")
    approved_on: dt.date | None = Field(default=None, description="立项批复日期")
    budget_reviewed_on: dt.date | None = Field(default=None, description="预算评审日期")
    contract_signed_on: dt.date | None = Field(default=None, description="合同签订日期")
    contract_filed_on: dt.date | None = Field(default=None, description="合同备案日期")
    supervision_filed_on: dt.date | None = Field(default=None, description="监理备案日期")
    accepted_on: dt.date | None = Field(default=None, description="竣工验收日期")
    acceptance_report_filed_on: dt.date | None = Field(default=None, description="验收报告备案日期")
    controllability_checked: bool = Field(default=False, description="已开展安全可控检查")
    self_evaluations: dict[int, dt.date] = Field(default_factory=dict, description="年度自评价报送日期")
    system_ids: list[int] = Field(default_factory=list, description="建设的信息系统")

    @field_validator("yearly_budgets", "self_evaluations")
    @classmethod
    def _years(cls, value: dict[int, object] | None) -> dict[int, object] | None:
        if value is None:
            return None
        for year in value:
            if not 1990 <= year <= 2100:
                raise ValueError(f"年份 {year} 超出范围（1990–2100）")
        return dict(sorted(value.items()))

    @field_validator("system_ids")
    @classmethod
    def _unique_ids(cls, value: list[int] | None) -> list[int] | None:
        return None if value is None else sorted(set(value))


ProjectUpdate = partial_model(ProjectCreate, "ProjectUpdate")


class ProjectBrief(ReadSchema):
    id: int
    name: str


class ProjectRead(ProjectCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- resources


class ResourceCreate(Schema):
    system_id: int = Field(description="来源系统")
    name: str = Field(min_length=1, max_length=200, description="资源名称")
    owner_unit_id: int | None = Field(default=None, description="提供单位")
    format: ResourceFormat = Field(description="资源格式")
    update_cycle: UpdateCycle = Field(description="更新周期")
    sharing: SharingAttr = Field(description="共享属性")
    sharing_condition: str = Field(default="", description="共享条件或不予共享依据")
    openness: OpennessAttr = Field(description="开放属性")
    openness_condition: str = Field(default="", description="开放条件或不予开放依据")
    data_owner: str = Field(default="", max_length=100, description="采集责任人（谁采集谁负责）")
    data_checker: str = Field(default="", max_length=100, description="校核责任人（谁校核谁负责）")
    registered_on_platform: bool = Field(default=False, description="已在共享平台登记")
    registered_on: dt.date | None = Field(default=None, description="登记日期")


ResourceUpdate = partial_model(ResourceCreate, "ResourceUpdate")


class ResourceBrief(ReadSchema):
    id: int
    system_id: int
    name: str


class ResourceRead(ResourceCreate, RowMeta):
    model_config = ReadSchema.model_config
