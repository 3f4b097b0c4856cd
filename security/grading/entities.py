"""How each 等保 / 密评 / risk-assessment table is listed, filtered, scoped and checked.

Unit users read their units' records (scope through ``System.owner_unit_id``) and write none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.entities import SYSTEM_REF, systems_in_scope
from inventory.models import System
from security.grading import rules
from security.grading import schemas as s
from security.grading.choices import (
    CryptoConclusion,
    GradingStatus,
    MlpsConclusion,
    MlpsTemplate,
    RectificationStatus,
    RiskLevel,
    RiskMethod,
)
from security.grading.models import (
    CryptoAssessment,
    CryptoPlan,
    MlpsAssessment,
    MlpsFiling,
    MlpsGrading,
    MlpsRectification,
    MlpsSelfCheck,
    RiskAssessment,
)
from taizhang.auth.principal import Scope
from taizhang.crud import Entity, Filter, Reference
from taizhang.errors import Invalid
from taizhang.policy import get_policy


def _eq(column: Any) -> Any:
    return lambda stmt, value: stmt.where(column == value)


def _scoped(model: Any) -> Any:
    return lambda scope: model.system_id.in_(select(System.id).where(systems_in_scope(scope)))


def _not_future(obj: Any, *fields: str) -> None:
    from security.grading.dates import shanghai_today

    today = shanghai_today()
    for name in fields:
        value = getattr(obj, name)
        if value is not None and value > today:
            raise Invalid(
                f"{value.isoformat()} 晚于今天（{today.isoformat()}），已发生的事项不能登记未来日期",
                field=name,
            )


def _not_before(obj: Any, later: str, earlier: str, message: str) -> None:
    a, b = getattr(obj, later), getattr(obj, earlier)
    if a is not None and b is not None and a < b:
        raise Invalid(message, field=later)


def _same_system(
    session: Session, model: Any, ref_id: int | None, system_id: int, field: str, label: str
) -> None:
    if ref_id is None:
        return
    owner = session.execute(select(model.system_id).where(model.id == ref_id)).scalar_one_or_none()
    if owner is not None and owner != system_id:
        raise Invalid(f"{label} {ref_id} 属于其他信息系统（{owner}），不属于系统 {system_id}", field=field)


def _system_level(session: Session, system_id: int) -> int | None:
    return session.execute(select(System.mlps_level).where(System.id == system_id)).scalar_one_or_none()


def _validate_grading(session: Session, obj: MlpsGrading) -> None:
    _not_future(obj, "graded_on", "expert_review_on")
    parts = [lvl for lvl in (obj.business_level, obj.service_level) if lvl is not None]
    if len(parts) == 2 and obj.level != max(parts):
        raise Invalid(
            f"安全保护等级应取业务信息等级与系统服务等级中的较高者（{max(parts)}），收到 {obj.level}（GB/T 22240-2020）",
            field="level",
        )
    if obj.status is not GradingStatus.FINAL:
        return
    _not_before(
        obj, "graded_on", "expert_review_on", "专家评审应在正式定级之前：定级日期不能早于专家评审日期"
    )
    policy = get_policy()
    min_level = policy.int_value("mlps.grading.expert_review_min_level")
    if obj.level >= min_level and obj.expert_review_on is None:
        citation = policy.entry("mlps.grading.expert_review_min_level").citation
        raise Invalid(
            f"第{min_level}级以上系统正式定级前须经专家评审，请填写专家评审日期（{citation}）",
            field="expert_review_on",
        )
    if obj.level >= min_level and not obj.approving_authority:
        raise Invalid("第二级以上系统正式定级须填写审核（主管）部门", field="approving_authority")


def _validate_filing(session: Session, obj: MlpsFiling) -> None:
    _not_future(obj, "submitted_on", "issued_on")
    _not_before(obj, "issued_on", "submitted_on", "备案证明发放日期不能早于提交备案日期")
    if obj.issued_on is not None and not obj.certificate_number:
        raise Invalid("已发放备案证明时须填写备案证明编号", field="certificate_number")
    if obj.certificate_number and obj.issued_on is None:
        raise Invalid("填写备案证明编号时须填写发放日期", field="issued_on")
    _same_system(session, MlpsGrading, obj.grading_id, obj.system_id, "grading_id", "定级记录")
    if obj.grading_id is not None:
        graded_on = session.execute(
            select(MlpsGrading.graded_on).where(MlpsGrading.id == obj.grading_id)
        ).scalar()
        if graded_on is not None and obj.submitted_on < graded_on:
            raise Invalid(f"提交备案日期不能早于定级日期 {graded_on.isoformat()}", field="submitted_on")


def _validate_assessment(session: Session, obj: MlpsAssessment) -> None:
    _not_future(obj, "assessed_on")
    if obj.level is None:
        obj.level = _system_level(session, obj.system_id)
    template, conclusion = rules.check_mlps_result(
        get_policy(),
        assessed_on=obj.assessed_on,
        template=obj.template_version,
        score=obj.score,
        conformity_rate=obj.conformity_rate,
        high_risk_count=obj.high_risk_count or 0,
        conclusion=obj.conclusion,
    )
    obj.template_version, obj.conclusion = template, conclusion


def _validate_self_check(session: Session, obj: MlpsSelfCheck) -> None:
    _not_future(obj, "checked_on")


def _validate_rectification(session: Session, obj: MlpsRectification) -> None:
    _not_future(obj, "completed_on")
    if obj.status is RectificationStatus.DONE and obj.completed_on is None:
        raise Invalid("整改完成时须填写完成日期", field="completed_on")
    if obj.status is RectificationStatus.OPEN and obj.completed_on is not None:
        raise Invalid("整改未完成时不能填写完成日期（或将状态改为“已整改”）", field="completed_on")
    _same_system(session, MlpsAssessment, obj.assessment_id, obj.system_id, "assessment_id", "等级测评")


def _validate_crypto_plan(session: Session, obj: CryptoPlan) -> None:
    _not_future(obj, "drafted_on", "evaluated_on")
    _not_before(obj, "evaluated_on", "drafted_on", "方案评估日期不能早于编制日期")
    if obj.conclusion is not None and obj.evaluated_on is None:
        raise Invalid("填写评估结论时须填写方案评估日期", field="evaluated_on")


def _validate_crypto_assessment(session: Session, obj: CryptoAssessment) -> None:
    _not_future(obj, "assessed_on", "filed_on")
    _not_before(obj, "filed_on", "assessed_on", "密评结果备案日期不能早于密评报告日期")
    # GB/T 39786-2021 / 商用密码管理条例 第四十一条: the 密评 level is the system's MLPS level,
    # taken when the result is recorded (a later edit keeps the level it was assessed at).
    if obj.level is None:
        obj.level = _system_level(session, obj.system_id)
    obj.conclusion = rules.check_crypto_result(
        get_policy(), score=obj.score, high_risk_count=obj.high_risk_count or 0, conclusion=obj.conclusion
    )


def _validate_risk(session: Session, obj: RiskAssessment) -> None:
    _not_future(obj, "assessed_on")


def _entity(path: str, label: str, model: Any, schemas: str, **options: Any) -> Entity:
    filters = {"system_id": Filter(int, _eq(model.system_id), "信息系统"), **options.pop("filters", {})}
    return Entity(
        path=path,
        label=label,
        model=model,
        create=getattr(s, f"{schemas}Create"),
        update=getattr(s, f"{schemas}Update"),
        read=getattr(s, f"{schemas}Read"),
        brief=getattr(s, f"{schemas}Brief"),
        references={"system_id": SYSTEM_REF, **options.pop("references", {})},
        filters=filters,
        scope_clause=_scoped(model),
        unit_writable=False,
        **options,
    )


def _date_range(column: Any, after: bool) -> Any:
    return lambda stmt, value: stmt.where(column >= value if after else column <= value)


MLPS_GRADINGS = _entity(
    "mlps-gradings",
    "定级记录",
    MlpsGrading,
    "MlpsGrading",
    filters={
        "level": Filter(int, _eq(MlpsGrading.level), "安全保护等级"),
        "status": Filter(GradingStatus, _eq(MlpsGrading.status), "定级状态"),
    },
    order_by=[MlpsGrading.graded_on.desc(), MlpsGrading.id.desc()],
    validate=_validate_grading,
)
MLPS_FILINGS = _entity(
    "mlps-filings",
    "备案记录",
    MlpsFiling,
    "MlpsFiling",
    references={"grading_id": Reference(MlpsGrading, "定级记录")},
    unique=[("certificate_number",)],
    search=[MlpsFiling.certificate_number, MlpsFiling.police_authority],
    order_by=[MlpsFiling.submitted_on.desc(), MlpsFiling.id.desc()],
    validate=_validate_filing,
)
MLPS_ASSESSMENTS = _entity(
    "mlps-assessments",
    "等级测评",
    MlpsAssessment,
    "MlpsAssessment",
    filters={
        "template_version": Filter(MlpsTemplate, _eq(MlpsAssessment.template_version), "报告模板版本"),
        "conclusion": Filter(MlpsConclusion, _eq(MlpsAssessment.conclusion), "测评结论"),
        "assessed_after": Filter(dt.date, _date_range(MlpsAssessment.assessed_on, True), "报告日期不早于"),
        "assessed_before": Filter(dt.date, _date_range(MlpsAssessment.assessed_on, False), "报告日期不晚于"),
    },
    unique=[("report_number",)],
    search=[MlpsAssessment.agency, MlpsAssessment.report_number],
    order_by=[MlpsAssessment.assessed_on.desc(), MlpsAssessment.id.desc()],
    validate=_validate_assessment,
)
MLPS_SELF_CHECKS = _entity(
    "mlps-self-checks",
    "等保自查",
    MlpsSelfCheck,
    "MlpsSelfCheck",
    order_by=[MlpsSelfCheck.checked_on.desc(), MlpsSelfCheck.id.desc()],
    validate=_validate_self_check,
)
MLPS_RECTIFICATIONS = _entity(
    "mlps-rectifications",
    "整改项",
    MlpsRectification,
    "MlpsRectification",
    references={"assessment_id": Reference(MlpsAssessment, "等级测评")},
    filters={
        "status": Filter(RectificationStatus, _eq(MlpsRectification.status), "整改状态"),
        "risk_level": Filter(RiskLevel, _eq(MlpsRectification.risk_level), "风险等级"),
        "due_before": Filter(dt.date, _date_range(MlpsRectification.due_on, False), "整改期限不晚于"),
    },
    search=[MlpsRectification.description, MlpsRectification.owner],
    order_by=[MlpsRectification.due_on, MlpsRectification.id],
    validate=_validate_rectification,
)
CRYPTO_PLANS = _entity(
    "crypto-plans",
    "密码应用方案",
    CryptoPlan,
    "CryptoPlan",
    search=[CryptoPlan.title, CryptoPlan.evaluation_agency],
    order_by=[CryptoPlan.drafted_on.desc(), CryptoPlan.id.desc()],
    validate=_validate_crypto_plan,
)
CRYPTO_ASSESSMENTS = _entity(
    "crypto-assessments",
    "密评",
    CryptoAssessment,
    "CryptoAssessment",
    filters={"conclusion": Filter(CryptoConclusion, _eq(CryptoAssessment.conclusion), "评估结论")},
    unique=[("report_number",)],
    search=[CryptoAssessment.agency, CryptoAssessment.report_number],
    order_by=[CryptoAssessment.assessed_on.desc(), CryptoAssessment.id.desc()],
    validate=_validate_crypto_assessment,
)
RISK_ASSESSMENTS = _entity(
    "risk-assessments",
    "风险评估",
    RiskAssessment,
    "RiskAssessment",
    filters={"method": Filter(RiskMethod, _eq(RiskAssessment.method), "评估方式")},
    search=[RiskAssessment.scope, RiskAssessment.assessor, RiskAssessment.report_reference],
    order_by=[RiskAssessment.assessed_on.desc(), RiskAssessment.id.desc()],
    validate=_validate_risk,
)

ALL_ENTITIES = [
    MLPS_GRADINGS,
    MLPS_FILINGS,
    MLPS_ASSESSMENTS,
    MLPS_SELF_CHECKS,
    MLPS_RECTIFICATIONS,
    CRYPTO_PLANS,
    CRYPTO_ASSESSMENTS,
    RISK_ASSESSMENTS,
]

__all__ = ["ALL_ENTITIES", "Scope"]
