"""Choices of evidence files."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class EvidenceKind(LabeledEnum):
    FILING_CERTIFICATE = "filing_certificate", "备案证明"
    ASSESSMENT_REPORT = "assessment_report", "测评报告"
    CONTRACT = "contract", "合同"
    DRILL_MINUTES = "drill_minutes", "演练记录"
    INCIDENT_REPORT = "incident_report", "事件报告"
    PRODUCT_CERTIFICATE = "product_certificate", "产品证书或测评名单"
    PLAN_DOCUMENT = "plan_document", "预案文本"
    OTHER = "other", "其他"
