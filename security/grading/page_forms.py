"""The 等保 / 密评 / risk-assessment record forms: which fields each record kind shows, and how.

One ``RecordKind`` per form (its URL slug is the API path of its entity, ``mlps-assessments`` …);
the pages module renders every kind with the same template, so each field's label, widget and
options come from here and from the entity's schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

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
from security.grading.entities import (
    CRYPTO_ASSESSMENTS,
    CRYPTO_PLANS,
    MLPS_ASSESSMENTS,
    MLPS_FILINGS,
    MLPS_GRADINGS,
    MLPS_RECTIFICATIONS,
    MLPS_SELF_CHECKS,
    RISK_ASSESSMENTS,
)
from taizhang.crud import Entity
from taizhang.web.forms import FormField, FormState
from taizhang.web.record_forms import RecordForm
from taizhang.web.render import enum_choices

LEVELS = [(str(n), f"第{'一二三四五'[n - 1]}级") for n in range(1, 6)]


@dataclass(frozen=True)
class Widget:
    """A form field and how it is shown: ``input`` type, or ``select``/``textarea``."""

    name: str
    widget: str = "text"
    options: Sequence[tuple[str, str]] = ()
    blank: str = ""
    help: str = ""
    step: str = ""

    @property
    def form_field(self) -> FormField:
        kind: Any = {"select": "select", "textarea": "textarea", "date": "date", "number": "text"}.get(
            self.widget, "text"
        )
        return FormField(self.name, kind)


@dataclass(frozen=True)
class RecordKind:
    slug: str
    entity: Entity
    title: str
    summary_fields: tuple[str, ...]
    widgets: Sequence[Widget] = field(default_factory=tuple)
    # fields the service computes when left empty (the conclusion from the figures): an edit form
    # shows them empty, so changed figures give a new conclusion instead of a mismatch
    derived: tuple[str, ...] = ()

    @property
    def fields(self) -> list[FormField]:
        return [w.form_field for w in self.widgets]

    @property
    def form(self) -> RecordForm:
        return RecordForm(
            slug=self.slug,
            entity=self.entity,
            noun=f"{self.title}记录",
            fields=tuple(self.fields),
            template="security/record_form.html",
            url=f"/security/records/{self.slug}/{{id}}",
            values_of=self._values_of if self.derived else None,
        )

    def _values_of(self, record: Any, fields: Sequence[FormField]) -> FormState:
        form = FormState.from_object(record, fields)
        form.values.update(dict.fromkeys(self.derived, ""))
        return form

    def options(self) -> dict[str, Sequence[tuple[str, str]]]:
        return {w.name: w.options for w in self.widgets if w.options}

    def labels(self) -> dict[str, str]:
        return {w.name: self.entity.label_of(w.name) for w in self.widgets}

    def required(self) -> set[str]:
        return self.form.required()

    def new_form(self) -> FormState:
        return self.form.blank()


def _date(name: str, help: str = "") -> Widget:
    return Widget(name, "date", help=help)


def _count(name: str) -> Widget:
    return Widget(name, "number", step="1")


KINDS: dict[str, RecordKind] = {
    k.slug: k
    for k in [
        RecordKind(
            "mlps-assessments",
            MLPS_ASSESSMENTS,
            "等级测评",
            ("assessed_on", "agency", "report_number", "conclusion"),
            (
                _date("assessed_on", "以测评报告落款日期为准，不能晚于今天"),
                Widget("agency"),
                Widget("report_number", help="测评报告编号，全县唯一"),
                Widget(
                    "template_version",
                    "select",
                    enum_choices(MlpsTemplate),
                    "（按报告日期确定）",
                    "2021 版模板填综合得分，2025 版模板填符合率",
                ),
                Widget("score", "number", step="0.01"),
                Widget("conformity_rate", "number", step="0.01"),
                Widget(
                    "conclusion", "select", enum_choices(MlpsConclusion), "（按得分计算）", "须与所选模板一致"
                ),
                Widget("level", "select", LEVELS, "（取系统等级）"),
                _count("high_risk_count"),
                _count("medium_risk_count"),
                _count("low_risk_count"),
                Widget("notes", "textarea"),
            ),
            derived=("template_version", "conclusion"),
        ),
        RecordKind(
            "mlps-gradings",
            MLPS_GRADINGS,
            "定级",
            ("graded_on", "level", "status"),
            (
                Widget("level", "select", LEVELS, "（请选择）"),
                Widget("business_level", "select", LEVELS, "—"),
                Widget("service_level", "select", LEVELS, "—"),
                _date("graded_on"),
                Widget("status", "select", enum_choices(GradingStatus)),
                Widget("reason", "select", enum_choices(GradingReason)),
                _date("expert_review_on"),
                Widget("approving_authority"),
                Widget("notes", "textarea"),
            ),
        ),
        RecordKind(
            "mlps-filings",
            MLPS_FILINGS,
            "备案",
            ("submitted_on", "certificate_number", "issued_on"),
            (
                Widget("grading_id", "select", blank="（不关联）", help="提交日期不能早于所关联的定级日期"),
                _date("submitted_on", "第二级以上系统定级后 30 日内向公安机关备案"),
                Widget("police_authority"),
                Widget("certificate_number"),
                _date("issued_on"),
                Widget("notes", "textarea"),
            ),
        ),
        RecordKind(
            "mlps-self-checks",
            MLPS_SELF_CHECKS,
            "等保自查",
            ("checked_on", "checked_by", "issues_found"),
            (
                _date("checked_on", "已定级系统每年至少开展一次自查"),
                Widget("checked_by"),
                _count("issues_found"),
                Widget("report_reference"),
                Widget("notes", "textarea"),
            ),
        ),
        RecordKind(
            "mlps-rectifications",
            MLPS_RECTIFICATIONS,
            "整改项",
            ("description", "owner", "due_on", "status"),
            (
                Widget("assessment_id", "select", blank="（不关联）", help="发现该问题的等级测评"),
                Widget("description", "textarea"),
                Widget("risk_level", "select", enum_choices(RiskLevel)),
                Widget("owner"),
                _date("due_on"),
                Widget("status", "select", enum_choices(RectificationStatus)),
                _date("completed_on", "整改完成时填写，不能晚于今天"),
            ),
        ),
        RecordKind(
            "crypto-plans",
            CRYPTO_PLANS,
            "密码应用方案",
            ("drafted_on", "title", "conclusion"),
            (
                Widget("title"),
                _date("drafted_on", "方案应与系统同步规划，在项目审批前编制"),
                _date("evaluated_on"),
                Widget("evaluation_agency"),
                Widget("conclusion", "select", enum_choices(CryptoPlanConclusion), "（尚未评估）"),
                Widget("notes", "textarea"),
            ),
        ),
        RecordKind(
            "crypto-assessments",
            CRYPTO_ASSESSMENTS,
            "密评",
            ("assessed_on", "agency", "report_number", "conclusion"),
            (
                _date("assessed_on"),
                Widget("agency"),
                Widget("report_number"),
                Widget("score", "number", step="0.01"),
                Widget("conclusion", "select", enum_choices(CryptoConclusion), "（按得分计算）"),
                _count("high_risk_count"),
                Widget("rule_version", help="如《商用密码应用安全性评估量化评估规则》2023 版"),
                _date("filed_on"),
                Widget("notes", "textarea"),
            ),
            derived=("conclusion",),
        ),
        RecordKind(
            "risk-assessments",
            RISK_ASSESSMENTS,
            "风险评估",
            ("assessed_on", "method", "assessor"),
            (
                _date("assessed_on"),
                Widget("scope", "textarea"),
                Widget("method", "select", enum_choices(RiskMethod), "（请选择）"),
                Widget("assessor"),
                _count("high_count"),
                _count("medium_count"),
                _count("low_count"),
                Widget("report_reference"),
                Widget("notes", "textarea"),
            ),
        ),
    ]
}
