"""Choices of the findings domain, each with its Chinese label."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class Severity(LabeledEnum):
    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低"


SEVERITY_ORDER = (Severity.HIGH, Severity.MEDIUM, Severity.LOW)


@register
class FindingState(LabeledEnum):
    OPEN = "open", "未整改"
    WAIVED = "waived", "已豁免"
    RESOLVED = "resolved", "已解决"


@register
class SubjectType(LabeledEnum):
    """What a finding is about; the value names the ledger table's row kind."""

    UNIT = "unit", "单位"
    SYSTEM = "system", "信息系统"
    HOST = "host", "主机"
    NETWORK_ATTACHMENT = "network_attachment", "网络接入"
    PRODUCT_USAGE = "product_usage", "产品使用"
    PROJECT = "project", "项目"
    RESOURCE = "resource", "信息资源"


@register
class RectificationState(LabeledEnum):
    """第二十八条: 限期整改 → 暂停拨付 → 终止项目."""

    ISSUED = "issued", "已下发"
    RECTIFYING = "rectifying", "整改中"
    RECTIFIED = "rectified", "已整改"
    OVERDUE = "overdue", "逾期"
    FUNDS_SUSPENDED = "funds_suspended", "暂停拨付"
    TERMINATED = "terminated", "终止项目"


RECTIFICATION_TRANSITIONS: dict[RectificationState, frozenset[RectificationState]] = {
    RectificationState.ISSUED: frozenset(
        {RectificationState.RECTIFYING, RectificationState.RECTIFIED, RectificationState.OVERDUE}
    ),
    RectificationState.RECTIFYING: frozenset({RectificationState.RECTIFIED, RectificationState.OVERDUE}),
    RectificationState.OVERDUE: frozenset(
        {RectificationState.RECTIFYING, RectificationState.RECTIFIED, RectificationState.FUNDS_SUSPENDED}
    ),
    RectificationState.FUNDS_SUSPENDED: frozenset(
        {RectificationState.RECTIFIED, RectificationState.TERMINATED}
    ),
    RectificationState.RECTIFIED: frozenset(),
    RectificationState.TERMINATED: frozenset(),
}

#: States in which a notice still waits for the unit; past its deadline it becomes overdue.
RECTIFICATION_PENDING = frozenset({RectificationState.ISSUED, RectificationState.RECTIFYING})
