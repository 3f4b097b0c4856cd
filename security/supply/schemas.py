"""Shapes of the supply-chain answers, for the API documentation and validation."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class SupplyFigureOut(BaseModel):
    key: str = Field(description="分组键")
    label: str = Field(description="分组名称")
    items: int = Field(description="数量（按使用数量加权）")
    controllable: int = Field(description="自主可控数量")
    partial: int = Field(description="部分可控数量")
    uncontrollable: int = Field(description="不可控数量")
    without_evidence: int = Field(description="缺少佐证的数量")
    evidence_expired: int = Field(description="佐证已过期的数量")
    evidence_expiring: int = Field(description="佐证即将到期的数量")
    replacement_rate: float | None = Field(description="替代率（0–1）")


class SupplySummaryOut(BaseModel):
    group_by: str = Field(description="分组方式")
    definition: str = Field(description="替代率的口径")
    total: SupplyFigureOut = Field(description="合计")
    results: list[SupplyFigureOut] = Field(description="各分组")


class ProductGapOut(BaseModel):
    product_id: int = Field(description="产品")
    product_class: str = Field(description="产品类别")
    vendor: str = Field(description="厂商")
    model: str = Field(description="型号")
    product_version: str = Field(description="版本")
    evidence_reference: str = Field(description="测评名单或证书编号")
    evidence_expiry: dt.date | None = Field(description="佐证到期日")
    items: int = Field(description="在用数量")
    systems: int = Field(description="使用的系统数")
    state: str = Field(description="missing 缺少佐证 / expired 已过期 / expiring 即将到期")


class HostEosOut(BaseModel):
    host_id: int = Field(description="主机")
    hostname: str = Field(description="主机名")
    unit_id: int | None = Field(description="所属单位")
    os_name: str = Field(description="操作系统")
    os_version: str = Field(description="版本")
    product: str = Field(description="停止支持表中的产品")
    end_of_support: dt.date = Field(description="停止支持日期")
    state: str = Field(description="ended 已停止支持 / ending 即将停止支持")
    state_label: str = Field(description="状态（中文）")
    replacement_plan: str = Field(description="替代计划")
    replacement_date: dt.date | None = Field(description="计划替代日期")
    suggested_replacement: str = Field(description="建议的替代产品")
    source: str = Field(description="停止支持日期的来源")
    has_plan: bool = Field(description="已有替代计划")


class ProductEosOut(BaseModel):
    product_id: int = Field(description="产品")
    vendor: str = Field(description="厂商")
    model: str = Field(description="型号")
    product_version: str = Field(description="版本")
    end_of_support: dt.date = Field(description="停止支持日期")
    state: str = Field(description="ended / ending")
    state_label: str = Field(description="状态（中文）")
    replacement_plan: str = Field(description="替代计划")
    replacement_date: dt.date | None = Field(description="计划替代日期")
    items: int = Field(description="在用数量")
    systems: int = Field(description="使用的系统数")
