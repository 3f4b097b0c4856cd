"""API schemas of the 等保 / 密评 / risk-assessment records (XCreate / XUpdate / XRead / XBrief)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from security.grading.choices import (
    CryptoConclusion,
    CryptoPlanConclusion,
    GradingReason,
    GradingStatus,
    MlpsConclusion,
    MlpsTemplate,
    RectificationStatus,
    RiskLevel,
    RiskMethod,
)
from taizhang.schemas import ReadSchema, RowMeta, Schema, partial_model

COUNT_MAX = 100_000

# ---------------------------------------------------------------- 定级


class MlpsGradingCreate(Schema):
    system_id: int = Field(description="信息系统")
    level: int = Field(ge=1, le=5, description="安全保护等级")
    business_level: int | None = Field(default=None, ge=1, le=5, description="业务信息安全保护等级")
    service_level: int | None = Field(default=None, ge=1, le=5, description="系统服务安全保护等级")
    graded_on: dt.date = Field(description="定级日期")
    status: GradingStatus = Field(default=GradingStatus.FINAL, description="定级状态")
    reason: GradingReason = Field(default=GradingReason.INITIAL, description="定级原因")
    expert_review_on: dt.date | None = Field(default=None, description="专家评审日期")
    approving_authority: str = Field(default="", max_length=100, description="审核（主管）部门")
    notes: str = Field(default="", description="备注")


MlpsGradingUpdate = partial_model(MlpsGradingCreate, "MlpsGradingUpdate")


class MlpsGradingBrief(ReadSchema):
    id: int
    system_id: int
    level: int
    graded_on: dt.date


class MlpsGradingRead(MlpsGradingCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- 备案


class MlpsFilingCreate(Schema):
    system_id: int = Field(description="信息系统")
    grading_id: int | None = Field(default=None, description="对应的定级记录")
    submitted_on: dt.date = Field(description="提交备案日期")
    police_authority: str = Field(default="", max_length=100, description="受理公安机关")
    certificate_number: str | None = Field(default=None, max_length=64, description="备案证明编号")
    issued_on: dt.date | None = Field(default=None, description="备案证明发放日期")
    notes: str = Field(default="", description="备注")


MlpsFilingUpdate = partial_model(MlpsFilingCreate, "MlpsFilingUpdate")


class MlpsFilingBrief(ReadSchema):
    id: int
    system_id: int
    certificate_number: str | None


class MlpsFilingRead(MlpsFilingCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- 等级测评


class MlpsAssessmentCreate(Schema):
    system_id: int = Field(description="信息系统")
    assessed_on: dt.date = Field(description="测评报告日期")
    agency: str = Field(min_length=1, max_length=200, description="测评机构")
    report_number: str = Field(min_length=1, max_length=100, description="测评报告编号")
    template_version: MlpsTemplate | None = Field(
        default=None, description="报告模板版本（不填则按报告日期和策略确定）"
    )
    level: int | None = Field(default=None, ge=1, le=5, description="测评时的安全保护等级（不填取系统等级）")
    score: float | None = Field(default=None, ge=0, le=100, description="综合得分（2021 版模板）")
    conformity_rate: float | None = Field(default=None, ge=0, le=100, description="符合率 %（2025 版模板）")
    conclusion: MlpsConclusion | None = Field(default=None, description="测评结论（不填则按得分计算）")
    high_risk_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="高风险问题数")
    medium_risk_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="中风险问题数")
    low_risk_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="低风险问题数")
    notes: str = Field(default="", description="备注")


MlpsAssessmentUpdate = partial_model(MlpsAssessmentCreate, "MlpsAssessmentUpdate")


class MlpsAssessmentBrief(ReadSchema):
    id: int
    system_id: int
    assessed_on: dt.date
    conclusion: MlpsConclusion


class MlpsAssessmentRead(MlpsAssessmentCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- 自查


class MlpsSelfCheckCreate(Schema):
    system_id: int = Field(description="信息系统")
    checked_on: dt.date = Field(description="自查日期")
    checked_by: str = Field(default="", max_length=100, description="自查负责人")
    issues_found: int = Field(default=0, ge=0, le=COUNT_MAX, description="发现问题数")
    report_reference: str = Field(default="", max_length=200, description="自查报告编号")
    notes: str = Field(default="", description="备注")


MlpsSelfCheckUpdate = partial_model(MlpsSelfCheckCreate, "MlpsSelfCheckUpdate")


class MlpsSelfCheckBrief(ReadSchema):
    id: int
    system_id: int
    checked_on: dt.date


class MlpsSelfCheckRead(MlpsSelfCheckCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- 整改


class MlpsRectificationCreate(Schema):
    system_id: int = Field(description="信息系统")
    assessment_id: int | None = Field(default=None, description="来源测评")
    description: str = Field(min_length=1, description="问题与整改要求")
    risk_level: RiskLevel = Field(default=RiskLevel.MEDIUM, description="风险等级")
    owner: str = Field(min_length=1, max_length=100, description="整改责任人")
    due_on: dt.date = Field(description="整改期限")
    status: RectificationStatus = Field(default=RectificationStatus.OPEN, description="整改状态")
    completed_on: dt.date | None = Field(default=None, description="完成日期")


MlpsRectificationUpdate = partial_model(MlpsRectificationCreate, "MlpsRectificationUpdate")


class MlpsRectificationBrief(ReadSchema):
    id: int
    system_id: int
    due_on: dt.date
    status: RectificationStatus


class MlpsRectificationRead(MlpsRectificationCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- 密码应用方案


class CryptoPlanCreate(Schema):
    system_id: int = Field(description="信息系统")
    title: str = Field(default="", max_length=200, description="方案名称")
    drafted_on: dt.date = Field(description="方案编制日期")
    evaluated_on: dt.date | None = Field(default=None, description="方案评估日期")
    evaluation_agency: str = Field(default="", max_length=200, description="评估机构")
    conclusion: CryptoPlanConclusion | None = Field(default=None, description="评估结论")
    notes: str = Field(default="", description="备注")


CryptoPlanUpdate = partial_model(CryptoPlanCreate, "CryptoPlanUpdate")


class CryptoPlanBrief(ReadSchema):
    id: int
    system_id: int
    drafted_on: dt.date


class CryptoPlanRead(CryptoPlanCreate, RowMeta):
    model_config = ReadSchema.model_config


# ---------------------------------------------------------------- 密评


class CryptoAssessmentCreate(Schema):
    system_id: int = Field(description="信息系统")
    assessed_on: dt.date = Field(description="密评报告日期")
    agency: str = Field(min_length=1, max_length=200, description="密评机构")
    report_number: str = Field(min_length=1, max_length=100, description="密评报告编号")
    score: float = Field(ge=0, le=100, description="得分（技术 70 分 + 管理 30 分）")
    conclusion: CryptoConclusion | None = Field(default=None, description="评估结论（不填则按得分计算）")
    high_risk_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="高风险问题数")
    rule_version: str = Field(min_length=1, max_length=100, description="量化评估规则版本")
    filed_on: dt.date | None = Field(default=None, description="结果报送备案日期")
    notes: str = Field(default="", description="备注")


CryptoAssessmentUpdate = partial_model(CryptoAssessmentCreate, "CryptoAssessmentUpdate")


class CryptoAssessmentBrief(ReadSchema):
    id: int
    system_id: int
    assessed_on: dt.date
    conclusion: CryptoConclusion


class CryptoAssessmentRead(CryptoAssessmentCreate, RowMeta):
    model_config = ReadSchema.model_config

    level: int | None = Field(default=None, description="安全保护等级（随系统等保等级）")


# ---------------------------------------------------------------- 风险评估


class RiskAssessmentCreate(Schema):
    system_id: int = Field(description="信息系统")
    assessed_on: dt.date = Field(description="评估日期")
    scope: str = Field(min_length=1, description="评估范围")
    method: RiskMethod = Field(description="评估方式")
    assessor: str = Field(default="", max_length=200, description="评估单位")
    high_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="高风险数")
    medium_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="中风险数")
    low_count: int = Field(default=0, ge=0, le=COUNT_MAX, description="低风险数")
    report_reference: str = Field(default="", max_length=200, description="评估报告编号")
    notes: str = Field(default="", description="备注")


RiskAssessmentUpdate = partial_model(RiskAssessmentCreate, "RiskAssessmentUpdate")


class RiskAssessmentBrief(ReadSchema):
    id: int
    system_id: int
    assessed_on: dt.date


class RiskAssessmentRead(RiskAssessmentCreate, RowMeta):
    model_config = ReadSchema.model_config
