"""Choices of the 等保 / 密评 / risk-assessment records, each with its Chinese label."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class GradingStatus(LabeledEnum):
    DRAFT = "draft", "拟定级"
    FINAL = "final", "已定级"


@register
class GradingReason(LabeledEnum):
    INITIAL = "initial", "首次定级"
    MAJOR_CHANGE = "major_change", "重大变更后重新定级"
    REVIEW = "review", "定期复核"


@register
class MlpsTemplate(LabeledEnum):
    """Version of the 等级测评报告 template a result was written on."""

    V2021 = "2021", "2021 版模板（优/良/中/差）"
    V2025 = "2025", "2025 版模板（符合/基本符合/不符合）"


@register
class MlpsConclusion(LabeledEnum):
    EXCELLENT = "excellent", "优"
    GOOD = "good", "良"
    FAIR = "fair", "中"
    POOR = "poor", "差"
    CONFORM = "conform", "符合"
    BASIC_CONFORM = "basic_conform", "基本符合"
    NONCONFORM = "nonconform", "不符合"


CONCLUSIONS_BY_TEMPLATE: dict[MlpsTemplate, tuple[MlpsConclusion, ...]] = {
    MlpsTemplate.V2021: (
        MlpsConclusion.EXCELLENT,
        MlpsConclusion.GOOD,
        MlpsConclusion.FAIR,
        MlpsConclusion.POOR,
    ),
    MlpsTemplate.V2025: (MlpsConclusion.CONFORM, MlpsConclusion.BASIC_CONFORM, MlpsConclusion.NONCONFORM),
}


@register
class RectificationStatus(LabeledEnum):
    OPEN = "open", "整改中"
    DONE = "done", "已整改"


@register
class RiskLevel(LabeledEnum):
    HIGH = "high", "高风险"
    MEDIUM = "medium", "中风险"
    LOW = "low", "低风险"


@register
class CryptoPlanConclusion(LabeledEnum):
    PASSED = "passed", "通过"
    FAILED = "failed", "未通过"


@register
class CryptoConclusion(LabeledEnum):
    CONFORM = "conform", "符合"
    BASIC_CONFORM = "basic_conform", "基本符合"
    NONCONFORM = "nonconform", "不符合"


@register
class RiskMethod(LabeledEnum):
    SELF = "self", "自评估"
    COMMISSIONED = "commissioned", "委托评估"
    INSPECTION = "inspection", "检查评估"
