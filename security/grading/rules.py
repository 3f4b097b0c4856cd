"""The result scales: which conclusion a score (or conformity rate) and the risks found give.

Bands and switches come from the policy file (``mlps.result.*``, ``crypto.result.*``); nothing here
holds a regulation's number.
"""

from __future__ import annotations

import datetime as dt

from security.grading.choices import CONCLUSIONS_BY_TEMPLATE, CryptoConclusion, MlpsConclusion, MlpsTemplate
from taizhang.errors import Invalid
from taizhang.policy import Policy


def template_for(policy: Policy, report_date: dt.date) -> MlpsTemplate:
    return MlpsTemplate(policy.mlps_result_template(report_date))


def mlps_conclusion(
    policy: Policy,
    template: MlpsTemplate,
    *,
    score: float | None,
    conformity_rate: float | None,
    high_risk_count: int,
) -> MlpsConclusion:
    """The conclusion a report of ``template`` must carry for these figures."""
    if template is MlpsTemplate.V2021:
        if score is None:
            raise Invalid("2021 版模板的测评结果须填写综合得分", field="score")
        if high_risk_count > 0:
            return MlpsConclusion.POOR
        if score >= policy.number("mlps.result.v2021_excellent_min"):
            return MlpsConclusion.EXCELLENT
        if score >= policy.number("mlps.result.v2021_good_min"):
            return MlpsConclusion.GOOD
        if score >= policy.number("mlps.result.v2021_fair_min"):
            return MlpsConclusion.FAIR
        return MlpsConclusion.POOR
    if conformity_rate is None:
        raise Invalid("2025 版模板的测评结果须填写符合率", field="conformity_rate")
    basic = conformity_rate >= policy.number("mlps.result.v2025_basic_conform_min")
    if high_risk_count > 0:
        with_risk = MlpsConclusion(policy.text("mlps.result.v2025_major_risk_conclusion"))
        return with_risk if basic else MlpsConclusion.NONCONFORM
    if conformity_rate > policy.number("mlps.result.v2025_conform_min"):
        return MlpsConclusion.CONFORM
    return MlpsConclusion.BASIC_CONFORM if basic else MlpsConclusion.NONCONFORM


def check_mlps_result(
    policy: Policy,
    *,
    assessed_on: dt.date,
    template: MlpsTemplate | None,
    score: float | None,
    conformity_rate: float | None,
    high_risk_count: int,
    conclusion: MlpsConclusion | None,
) -> tuple[MlpsTemplate, MlpsConclusion]:
    """The template and conclusion to store; Invalid (naming the field) when they do not fit."""
    expected_template = template_for(policy, assessed_on)
    switch = policy.date_value("mlps.result.template_switch_date").isoformat()
    if template is not None and template is not expected_template:
        raise Invalid(
            f"报告日期 {assessed_on.isoformat()} 的测评报告应采用{expected_template.label}"
            f"（{switch} 起采用 2025 版模板），不能登记为{template.label}",
            field="template_version",
        )
    if expected_template is MlpsTemplate.V2021 and conformity_rate is not None:
        raise Invalid("2021 版模板以综合得分给出结果，不填写符合率", field="conformity_rate")
    if expected_template is MlpsTemplate.V2025 and score is not None:
        raise Invalid("2025 版模板以符合率给出结果，不填写综合得分", field="score")
    expected = mlps_conclusion(
        policy,
        expected_template,
        score=score,
        conformity_rate=conformity_rate,
        high_risk_count=high_risk_count,
    )
    if conclusion is not None and conclusion not in CONCLUSIONS_BY_TEMPLATE[expected_template]:
        allowed = "/".join(c.label for c in CONCLUSIONS_BY_TEMPLATE[expected_template])
        raise Invalid(
            f"{expected_template.label}的结论只能是 {allowed}，收到“{conclusion.label}”", field="conclusion"
        )
    if conclusion is not None and conclusion is not expected:
        raise Invalid(
            f"测评结论“{conclusion.label}”与{_figures(score, conformity_rate, high_risk_count)}不符，"
            f"按{expected_template.label}应为“{expected.label}”",
            field="conclusion",
        )
    return expected_template, expected


def _figures(score: float | None, rate: float | None, high: int) -> str:
    shown = f"得分 {score:g}" if score is not None else f"符合率 {rate:g}%"
    return f"{shown}、高风险问题 {high} 个"


def crypto_conclusion(policy: Policy, *, score: float, high_risk_count: int) -> CryptoConclusion:
    if high_risk_count == 0 and score >= policy.number("crypto.result.conform_score"):
        return CryptoConclusion.CONFORM
    if high_risk_count == 0 and score >= policy.number("crypto.result.basic_conform_min"):
        return CryptoConclusion.BASIC_CONFORM
    return CryptoConclusion.NONCONFORM


def check_crypto_result(
    policy: Policy, *, score: float, high_risk_count: int, conclusion: CryptoConclusion | None
) -> CryptoConclusion:
    expected = crypto_conclusion(policy, score=score, high_risk_count=high_risk_count)
    if conclusion is not None and conclusion is not expected:
        raise Invalid(
            f"密评结论“{conclusion.label}”与得分 {score:g}、高风险问题 {high_risk_count} 个不符，"
            f"按量化评估规则应为“{expected.label}”",
            field="conclusion",
        )
    return expected
