"""API schemas of emergency plans, drills, follow-up actions and incidents."""

from __future__ import annotations

import datetime as dt

from pydantic import AwareDatetime, BaseModel, Field, field_validator

from security.response.choices import DrillType, IncidentCategory, IncidentGrade
from taizhang.schemas import ReadSchema, RowMeta, Schema, partial_model

# ---------------------------------------------------------------- plans


class PlanCreate(Schema):
    name: str = Field(min_length=1, max_length=200, description="预案名称")
    unit_id: int = Field(description="所属单位")
    system_id: int | None = Field(default=None, description="信息系统（单位级预案为空）")
    plan_version: str = Field(default="", max_length=50, description="预案版本")
    approved_on: dt.date = Field(description="批准日期")
    last_reviewed_on: dt.date | None = Field(default=None, description="最近评审修订日期")
    description: str = Field(default="", description="说明")


PlanUpdate = partial_model(PlanCreate, "PlanUpdate")


class PlanBrief(ReadSchema):
    id: int
    name: str
    plan_version: str


class PlanRead(PlanCreate, RowMeta):
    model_config = ReadSchema.model_config
    scope_kind: str = Field(description="预案范围：system 系统级，unit 单位级")


# ---------------------------------------------------------------- drills


class DrillCreate(Schema):
    plan_id: int = Field(description="应急预案")
    drill_type: DrillType = Field(description="演练类型")
    scenario: str = Field(min_length=1, max_length=300, description="演练场景")
    held_on: dt.date = Field(description="演练日期")
    participants: list[str] = Field(default_factory=list, description="参演人员或单位")
    findings: str = Field(default="", description="发现的问题")

    @field_validator("participants")
    @classmethod
    def _clean(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        cleaned = [p.strip() for p in value]
        for index, item in enumerate(cleaned):
            if not item or len(item) > 100:
                raise ValueError(f"第 {index + 1} 个参演人员不能为空且不超过 100 字")
        return list(dict.fromkeys(cleaned))


DrillUpdate = partial_model(DrillCreate, "DrillUpdate")


class DrillBrief(ReadSchema):
    id: int
    plan_id: int
    held_on: dt.date
    drill_type: DrillType


class DrillRead(DrillCreate, RowMeta):
    model_config = ReadSchema.model_config


class DrillActionCreate(Schema):
    drill_id: int = Field(description="演练")
    action: str = Field(min_length=1, max_length=300, description="整改措施")
    owner: str = Field(min_length=1, max_length=100, description="责任人")
    due_on: dt.date = Field(description="完成期限")
    completed_on: dt.date | None = Field(default=None, description="完成日期")


DrillActionUpdate = partial_model(DrillActionCreate, "DrillActionUpdate")


class DrillActionBrief(ReadSchema):
    id: int
    action: str
    due_on: dt.date


class DrillActionRead(DrillActionCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- incidents


class TimelineEntry(BaseModel):
    at: AwareDatetime = Field(description="时间（须带时区）")
    action: str = Field(min_length=1, max_length=500, description="处置情况")


class IncidentCreate(Schema):
    title: str = Field(min_length=1, max_length=200, description="事件名称")
    unit_id: int = Field(description="报告单位")
    system_ids: list[int] = Field(default_factory=list, description="受影响的信息系统")
    category: IncidentCategory = Field(description="事件类别（GB/T 20986-2023）")
    grade: IncidentGrade = Field(description="事件级别")
    critical_infrastructure: bool = Field(default=False, description="运营者属关键信息基础设施")
    occurred_at: AwareDatetime = Field(description="发生时间")
    detected_at: AwareDatetime = Field(description="发现时间")
    handling_ended_at: AwareDatetime | None = Field(default=None, description="处置结束时间")
    timeline: list[TimelineEntry] = Field(default_factory=list, description="处置经过")
    report_recipient: str = Field(default="", max_length=200, description="报告对象")
    reported_at: AwareDatetime | None = Field(default=None, description="报告时间")
    summary_reported_at: AwareDatetime | None = Field(default=None, description="总结报告报送时间")
    description: str = Field(default="", description="事件描述")


IncidentUpdate = partial_model(IncidentCreate, "IncidentUpdate")


class IncidentBrief(ReadSchema):
    id: int
    title: str
    grade: IncidentGrade
    detected_at: dt.datetime


class IncidentRead(IncidentCreate, RowMeta):
    model_config = ReadSchema.model_config
    occurred_at: dt.datetime = Field(description="发生时间")
    detected_at: dt.datetime = Field(description="发现时间")
    handling_ended_at: dt.datetime | None = Field(default=None, description="处置结束时间")
    reported_at: dt.datetime | None = Field(default=None, description="报告时间")
    summary_reported_at: dt.datetime | None = Field(default=None, description="总结报告报送时间")
    timeline: list[TimelineEntry] = Field(default_factory=list, description="处置经过")


# ---------------------------------------------------------------- computed answers


class PlanScheduleOut(BaseModel):
    plan_id: int = Field(description="应急预案")
    name: str = Field(description="预案名称")
    unit_id: int = Field(description="所属单位")
    system_id: int | None = Field(description="信息系统（单位级预案为空）")
    level: int | None = Field(description="适用的等保级别（单位级预案取本单位运行系统的最高级别）")
    last_drill_on: dt.date | None = Field(description="最近演练日期")
    next_drill_due: dt.date = Field(description="下次演练期限")
    drill_provisional: bool = Field(description="期限所在年份的工作日安排未知，未顺延")
    drill_overdue: bool = Field(description="演练已逾期")
    review_required: bool = Field(description="须年度评审修订")
    review_due: dt.date | None = Field(description="评审修订期限")
    review_overdue: bool = Field(description="评审已逾期")


class SystemStatusOut(BaseModel):
    system_id: int = Field(description="信息系统")
    unit_id: int = Field(description="主管单位")
    level: int | None = Field(description="等保级别")
    has_plan: bool = Field(description="有应急预案（本系统或本单位）")
    plan_ids: list[int] = Field(description="适用的应急预案")
    last_drill_on: dt.date | None = Field(description="最近演练日期")
    next_drill_due: dt.date | None = Field(description="下次演练期限")
    drill_overdue: bool = Field(description="演练已逾期")
    review_required: bool = Field(description="须年度评审修订")
    review_due: dt.date | None = Field(description="评审修订期限")
    review_overdue: bool = Field(description="评审已逾期")


class IncidentDeadlinesOut(BaseModel):
    incident_id: int | None = Field(description="事件")
    title: str | None = Field(default=None, description="事件名称")
    must_report: bool = Field(description="须在时限内报告")
    operator_kind: str = Field(description="运营者类型：county_unit / critical_infrastructure")
    report_hours: int | None = Field(description="报告时限（小时）")
    report_due: dt.datetime | None = Field(description="报告期限（Asia/Shanghai）")
    report_state: str = Field(description="报告状态")
    report_state_label: str = Field(description="报告状态（中文）")
    summary_due: dt.date | None = Field(description="总结报告期限")
    summary_provisional: bool = Field(description="期限所在年份的工作日安排未知，未顺延")
    summary_state: str = Field(description="总结报告状态")
    summary_state_label: str = Field(description="总结报告状态（中文）")
    citations: list[str] = Field(description="依据")
    flagged: bool = Field(description="已逾期或逾期完成")
