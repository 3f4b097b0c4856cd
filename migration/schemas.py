"""API schemas of the migration domain."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from inventory.choices import Hosting
from migration.choices import CloudServiceCategory, PlanState
from taizhang.schemas import ReadSchema, RowMeta, Schema, partial_model

# ---------------------------------------------------------------- waves


class WaveCreate(Schema):
    name: str = Field(min_length=1, max_length=100, description="批次名称")
    target_date: dt.date = Field(description="目标完成日期")
    description: str = Field(default="", description="说明")


WaveUpdate = partial_model(WaveCreate, "WaveUpdate")


class WaveBrief(ReadSchema):
    id: int
    name: str
    target_date: dt.date


class WaveRead(WaveCreate, RowMeta):
    model_config = ReadSchema.model_config


class WaveSystemRead(ReadSchema):
    plan_id: int
    system_id: int
    catalogue_number: str = Field(description="目录编号")
    name: str = Field(description="系统名称")
    owner_unit_id: int = Field(description="主管单位")
    hosting: Hosting = Field(description="部署位置")
    state: PlanState = Field(description="迁移计划状态")
    owner: str = Field(description="负责人")
    planned_cutover: dt.date | None = Field(description="计划割接日期")
    cutover_overdue: bool = Field(description="割接逾期")


# ---------------------------------------------------------------- plans


class PlanCreate(Schema):
    system_id: int = Field(description="信息系统")
    wave_id: int | None = Field(default=None, description="迁移批次")
    owner: str = Field(min_length=1, max_length=100, description="负责人")
    planned_start: dt.date | None = Field(default=None, description="计划开始日期")
    planned_cutover: dt.date | None = Field(default=None, description="计划割接日期")
    note: str = Field(default="", description="备注")


PlanUpdate = partial_model(PlanCreate, "PlanUpdate")


class PlanBrief(ReadSchema):
    id: int
    system_id: int
    state: PlanState


class PlanRead(PlanCreate, RowMeta):
    model_config = ReadSchema.model_config

    state: PlanState = Field(description="当前状态")
    held_from: PlanState | None = Field(default=None, description="暂停前所处状态")
    original_hosting: Hosting = Field(description="迁移前部署位置")


class PlanDetail(PlanRead):
    allowed_transitions: list[PlanState] = Field(description="可转入的状态")
    hosting: Hosting = Field(description="系统当前部署位置")


class TransitionCreate(Schema):
    to: PlanState = Field(description="目标状态")
    note: str = Field(default="", max_length=2000, description="说明")
    version: int | None = Field(default=None, description="期望的计划版本号（并发修改检测）")


class TransitionRead(ReadSchema):
    id: int
    plan_id: int
    from_state: PlanState
    to_state: PlanState
    actor: str
    at: dt.datetime
    note: str


# ---------------------------------------------------------------- blockers


class BlockerCreate(Schema):
    plan_id: int = Field(description="迁移计划")
    description: str = Field(min_length=1, description="阻碍事项")
    owner: str = Field(min_length=1, max_length=100, description="责任人")
    due_date: dt.date = Field(description="解决期限")
    resolved_on: dt.date | None = Field(default=None, description="解决日期")
    resolution: str = Field(default="", description="解决情况")


BlockerUpdate = partial_model(BlockerCreate, "BlockerUpdate")


class BlockerBrief(ReadSchema):
    id: int
    plan_id: int
    due_date: dt.date


class BlockerRead(BlockerCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- exemptions


class ExemptionCreate(Schema):
    system_id: int = Field(description="信息系统")
    reason: str = Field(min_length=1, description="豁免理由")
    approver: str = Field(min_length=1, max_length=100, description="批准人")
    approval_reference: str = Field(min_length=1, max_length=100, description="批准文号")
    approved_on: dt.date = Field(description="批准日期")
    expires_on: dt.date = Field(description="有效期至")


ExemptionUpdate = partial_model(ExemptionCreate, "ExemptionUpdate")


class ExemptionBrief(ReadSchema):
    id: int
    system_id: int
    expires_on: dt.date


class ExemptionRead(ExemptionCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- catalogue


class CatalogueVersionCreate(Schema):
    name: str = Field(min_length=1, max_length=50, description="目录版本")
    effective_from: dt.date = Field(description="施行日期")
    source_document: str = Field(default="", max_length=200, description="发布文件")


CatalogueVersionUpdate = partial_model(CatalogueVersionCreate, "CatalogueVersionUpdate")


class CatalogueVersionBrief(ReadSchema):
    id: int
    name: str


class CatalogueVersionRead(CatalogueVersionCreate, RowMeta):
    model_config = ReadSchema.model_config


class CatalogueItemCreate(Schema):
    catalogue_version_id: int = Field(description="目录版本")
    code: str = Field(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9._\-]+$", description="服务编码")
    name: str = Field(min_length=1, max_length=100, description="服务名称")
    category: CloudServiceCategory = Field(description="服务类别")
    specs: dict[str, str] = Field(default_factory=dict, description="规格")
    unit_of_measure: str = Field(default="", max_length=20, description="计量单位")


CatalogueItemUpdate = partial_model(CatalogueItemCreate, "CatalogueItemUpdate")


class CatalogueItemBrief(ReadSchema):
    id: int
    code: str
    name: str


class CatalogueItemRead(CatalogueItemCreate, RowMeta):
    model_config = ReadSchema.model_config


class SubscriptionCreate(Schema):
    system_id: int = Field(description="信息系统")
    item_id: int = Field(description="云服务")
    quantity: int = Field(default=1, ge=1, le=1_000_000, description="数量")
    since: dt.date = Field(description="开通日期")
    approved_exception: bool = Field(default=False, description="经批准的目录外服务")
    exception_reference: str = Field(default="", max_length=100, description="目录外服务批准文号")
    note: str = Field(default="", description="备注")


SubscriptionUpdate = partial_model(SubscriptionCreate, "SubscriptionUpdate")


class SubscriptionBrief(ReadSchema):
    id: int
    system_id: int
    item_id: int


class SubscriptionRead(SubscriptionCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- summary


class FiguresRead(ReadSchema):
    candidates: int = Field(description="非涉密在用系统")
    in_scope: int = Field(description="应上云系统（不含豁免）")
    city_cloud: int = Field(description="已上市级政务云")
    migrating: int = Field(description="迁移中")
    legacy: int = Field(description="本地机房")
    industry_cloud: int = Field(description="行业云")
    exempt: int = Field(description="豁免")
    overdue_cutovers: int = Field(description="割接逾期")
    cloud_rate: float | None = Field(description="上云率（已上云 ÷ 应上云）")


class GroupFiguresRead(FiguresRead):
    id: int | None
    name: str


class SummaryRead(ReadSchema):
    as_of: dt.date = Field(description="统计日期")
    unit_id: int | None = None
    wave_id: int | None = None
    total: FiguresRead
    by_unit: list[GroupFiguresRead]
    by_wave: list[GroupFiguresRead]
