"""The status objects the service computes per system: every due date and flag, with its policy version.

Consumed by the API (``GET /api/v1/security/systems/{id}/status``), the CLI, and other packages
(findings, Prometheus exporter, web pages). Field descriptions are the Chinese labels.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field, computed_field

from security.grading.choices import CryptoConclusion, CryptoPlanConclusion, MlpsConclusion, MlpsTemplate


class MlpsStatus(BaseModel):
    system_id: int
    level: int | None = Field(default=None, description="安全保护等级（系统台账）")
    policy_version: str = Field(description="计算所用策略版本")
    grading_id: int | None = Field(default=None, description="最近的正式定级记录")
    graded_on: dt.date | None = Field(default=None, description="定级日期")
    filing_required: bool = Field(default=False, description="须向公安机关备案")
    filing_deadline: dt.date | None = Field(default=None, description="备案期限")
    filed_on: dt.date | None = Field(default=None, description="提交备案日期")
    filing_overdue: bool = Field(default=False, description="逾期未备案")
    filed_late: bool = Field(default=False, description="超期备案")
    certificate_number: str | None = Field(default=None, description="备案证明编号")
    certificate_issued_on: dt.date | None = Field(default=None, description="备案证明发放日期")
    certificate_valid_until: dt.date | None = Field(
        default=None, description="备案证明有效期至（含测评延期）"
    )
    certificate_days_left: int | None = Field(default=None, description="备案证明剩余天数")
    certificate_expired: bool = Field(default=False, description="备案证明已过期")
    certificate_expiring: bool = Field(default=False, description="备案证明即将到期")
    renewal_window_opens: dt.date | None = Field(default=None, description="可申请换证起始日")
    last_assessment_id: int | None = Field(default=None, description="最近一次等级测评")
    last_assessment_on: dt.date | None = Field(default=None, description="最近测评报告日期")
    last_template: MlpsTemplate | None = Field(default=None, description="最近测评报告模板")
    last_conclusion: MlpsConclusion | None = Field(default=None, description="最近测评结论")
    last_score: float | None = Field(default=None, description="最近测评得分")
    last_conformity_rate: float | None = Field(default=None, description="最近测评符合率")
    last_high_risk_count: int | None = Field(default=None, description="最近测评高风险问题数")
    assessment_interval_months: int | None = Field(default=None, description="测评周期（月）")
    next_assessment_due: dt.date | None = Field(default=None, description="下次等级测评期限")
    days_until_assessment: int | None = Field(default=None, description="距下次测评天数")
    assessment_overdue: bool = Field(default=False, description="等级测评逾期")
    prelaunch_assessment_missing: bool = Field(default=False, description="上线前未通过等级测评")
    retest_required: bool = Field(default=False, description="等级变化后须重新测评")
    last_self_check_on: dt.date | None = Field(default=None, description="最近自查日期")
    next_self_check_due: dt.date | None = Field(default=None, description="下次自查期限")
    self_check_overdue: bool = Field(default=False, description="自查逾期")
    open_rectifications: int = Field(default=0, description="未完成整改项")
    overdue_rectifications: int = Field(default=0, description="逾期整改项")
    overdue_rectification_ids: list[int] = Field(default_factory=list, description="逾期整改项编号")
    notes: list[str] = Field(default_factory=list, description="说明")


class CryptoStatus(BaseModel):
    system_id: int
    level: int | None = Field(default=None, description="密评等级（随系统等保等级）")
    policy_version: str = Field(description="计算所用策略版本")
    in_scope: bool = Field(default=False, description="须开展密评")
    plan_id: int | None = Field(default=None, description="最近的密码应用方案")
    plan_drafted_on: dt.date | None = Field(default=None, description="方案编制日期")
    plan_evaluated_on: dt.date | None = Field(default=None, description="方案评估日期")
    plan_conclusion: CryptoPlanConclusion | None = Field(default=None, description="方案评估结论")
    plan_missing: bool = Field(default=False, description="缺少通过评估的密码应用方案")
    last_assessment_id: int | None = Field(default=None, description="最近一次密评")
    last_assessment_on: dt.date | None = Field(default=None, description="最近密评报告日期")
    last_score: float | None = Field(default=None, description="最近密评得分")
    last_conclusion: CryptoConclusion | None = Field(default=None, description="最近密评结论")
    last_rule_version: str | None = Field(default=None, description="量化评估规则版本")
    failing: bool = Field(default=False, description="最近密评结论为不符合")
    result_filing_deadline: dt.date | None = Field(default=None, description="密评结果备案期限")
    result_filed_on: dt.date | None = Field(default=None, description="密评结果备案日期")
    result_filing_overdue: bool = Field(default=False, description="密评结果逾期未备案")
    result_filed_late: bool = Field(default=False, description="密评结果超期备案")
    next_assessment_due: dt.date | None = Field(default=None, description="下次密评期限")
    days_until_assessment: int | None = Field(default=None, description="距下次密评天数")
    assessment_overdue: bool = Field(default=False, description="密评逾期")
    notes: list[str] = Field(default_factory=list, description="说明")


class RiskStatus(BaseModel):
    system_id: int
    policy_version: str = Field(description="计算所用策略版本")
    last_assessment_id: int | None = Field(default=None, description="最近一次风险评估")
    last_assessment_on: dt.date | None = Field(default=None, description="最近风险评估日期")
    high_count: int | None = Field(default=None, description="高风险数")
    medium_count: int | None = Field(default=None, description="中风险数")
    low_count: int | None = Field(default=None, description="低风险数")
    report_reference: str | None = Field(default=None, description="评估报告编号")
    never_assessed: bool = Field(default=True, description="从未开展风险评估")
    next_assessment_due: dt.date | None = Field(default=None, description="下次风险评估期限")
    days_until_assessment: int | None = Field(default=None, description="距下次风险评估天数")
    assessment_overdue: bool = Field(default=False, description="风险评估逾期")


class SecurityStatus(BaseModel):
    system_id: int
    catalogue_number: str = Field(description="目录编号")
    name: str = Field(description="系统名称")
    owner_unit_id: int = Field(description="主管单位")
    today: dt.date = Field(description="计算基准日")
    mlps: MlpsStatus
    crypto: CryptoStatus
    risk: RiskStatus

    @computed_field(description="逾期、即将到期或须处理的问题")  # type: ignore[prop-decorator]
    @property
    def problems(self) -> list[str]:
        return problem_labels(self)


_PROBLEMS: list[tuple[str, str, str]] = [
    ("mlps", "filing_overdue", "逾期未备案"),
    ("mlps", "certificate_expired", "备案证明过期"),
    ("mlps", "certificate_expiring", "备案证明即将到期"),
    ("mlps", "assessment_overdue", "等级测评逾期"),
    ("mlps", "prelaunch_assessment_missing", "上线前未测评"),
    ("mlps", "retest_required", "须重新测评"),
    ("mlps", "self_check_overdue", "自查逾期"),
    ("crypto", "plan_missing", "缺密码应用方案"),
    ("crypto", "assessment_overdue", "密评逾期"),
    ("crypto", "result_filing_overdue", "密评结果未备案"),
    ("crypto", "failing", "密评不符合"),
    ("risk", "assessment_overdue", "风险评估逾期"),
]


def problem_items(
    row: SecurityStatus, parts: tuple[str, ...] = ("mlps", "crypto", "risk")
) -> list[tuple[str, str]]:
    """``("part.flag", 中文标签)`` of every overdue or expiring item of ``row`` (limited to ``parts``)."""
    found = [
        (f"{part}.{flag}", label)
        for part, flag, label in _PROBLEMS
        if part in parts and getattr(getattr(row, part), flag)
    ]
    if "mlps" in parts and row.mlps.overdue_rectifications:
        found.append(("mlps.overdue_rectifications", f"整改逾期 {row.mlps.overdue_rectifications} 项"))
    return found


def problem_labels(row: SecurityStatus, parts: tuple[str, ...] = ("mlps", "crypto", "risk")) -> list[str]:
    """Chinese labels of every overdue or expiring item of ``row`` (limited to ``parts``)."""
    return [label for _, label in problem_items(row, parts)]
