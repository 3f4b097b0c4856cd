"""Schemas of findings, comments, waivers and rectification notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from security.findings.choices import FindingState, RectificationState, Severity, SubjectType
from taizhang.schemas import ReadSchema, RowMeta, Schema


class RuleRead(ReadSchema):
    id: str
    title: str
    severity: Severity
    severity_label: str
    citation: str
    article: str
    description: str


class CommentCreate(Schema):
    body: str = Field(min_length=1, max_length=4000, description="意见")


class CommentRead(RowMeta):
    finding_id: int
    author: str
    body: str


class FindingBrief(ReadSchema):
    id: int
    rule_id: str
    severity: Severity
    state: FindingState
    subject_name: str


class FindingRead(RowMeta):
    rule_id: str = Field(description="规则")
    rule_title: str = Field(description="规则名称")
    severity: Severity = Field(description="严重程度")
    citation: str = Field(description="依据")
    subject_type: SubjectType = Field(description="对象类型")
    subject_id: int
    subject_name: str = Field(description="对象")
    discriminator: str
    unit_id: int | None = Field(description="单位")
    system_id: int | None = Field(description="信息系统")
    message: str = Field(description="问题描述")
    due_date: dt.date | None = Field(description="整改期限")
    facts: dict[str, Any] = Field(description="判定所用事实")
    state: FindingState = Field(description="状态")
    first_seen: dt.datetime
    last_seen: dt.datetime
    resolved_at: dt.datetime | None
    reopened_at: dt.datetime | None
    waiver_id: int | None
    assignee_id: int | None = Field(description="责任人")


class FindingDetail(FindingRead):
    comments: list[CommentRead]


class FindingUpdate(Schema):
    assignee_id: int | None = Field(None, description="责任人（用户编号；null 取消指派）")
    version: int | None = None


class WaiverCreate(Schema):
    rule_id: str = Field(min_length=1, max_length=64, description="规则")
    subject_type: SubjectType = Field(description="对象类型")
    subject_id: int = Field(description="对象编号")
    reason: str = Field(min_length=1, max_length=2000, description="豁免理由")
    approver: str = Field(min_length=1, max_length=100, description="批准人")
    approval_reference: str = Field("", max_length=100, description="批准文号")
    expires_on: dt.date = Field(description="到期日（含当日）")


class WaiverUpdate(Schema):
    reason: str | None = Field(None, min_length=1, max_length=2000, description="豁免理由")
    approver: str | None = Field(None, min_length=1, max_length=100, description="批准人")
    approval_reference: str | None = Field(None, max_length=100, description="批准文号")
    expires_on: dt.date | None = Field(None, description="到期日（含当日）")
    version: int | None = None


class WaiverRead(RowMeta):
    rule_id: str
    subject_type: SubjectType
    subject_id: int
    unit_id: int | None
    reason: str
    approver: str
    approval_reference: str
    expires_on: dt.date
    created_by: str


class RectificationCreate(Schema):
    number: str = Field(min_length=1, max_length=100, description="通知文号")
    unit_id: int = Field(description="整改单位")
    project_id: int | None = Field(None, description="涉及项目")
    title: str = Field(min_length=1, max_length=200, description="标题")
    requirements: str = Field("", max_length=4000, description="整改要求")
    issued_on: dt.date | None = Field(None, description="下发日期（默认今天）")
    deadline: dt.date = Field(description="整改期限")
    finding_ids: list[int] = Field(min_length=1, description="涉及的问题")


class RectificationTransition(Schema):
    to_state: RectificationState = Field(description="新状态")
    comment: str = Field("", max_length=2000, description="说明")
    version: int | None = None


class RectificationEventRead(ReadSchema):
    id: int
    from_state: RectificationState | None
    to_state: RectificationState
    at: dt.datetime
    actor: str
    comment: str


class RectificationRead(RowMeta):
    number: str
    unit_id: int
    project_id: int | None
    title: str
    requirements: str
    issued_on: dt.date
    deadline: dt.date
    state: RectificationState
    issued_by: str
    finding_ids: list[int]
    events: list[RectificationEventRead]


class EvaluationQueued(ReadSchema):
    queued: bool
    detail: str
