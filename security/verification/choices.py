"""States of verification runs and outcomes of checks, each with its Chinese label."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class RunStatus(LabeledEnum):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "执行中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "执行失败"
    CANCELLED = "cancelled", "已取消"
    TIMED_OUT = "timed_out", "已超时"


FINISHED = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.TIMED_OUT})


@register
class CheckOutcome(LabeledEnum):
    PASS = "pass", "符合"
    FAIL = "fail", "不符合"
    ERROR = "error", "检查出错"
    NOT_APPLICABLE = "not_applicable", "不适用"
    NOT_CHECKED = "not_checked", "未能检查"


@register
class CheckSeverity(LabeledEnum):
    HIGH = "high", "高"
    MEDIUM = "medium", "中"
    LOW = "low", "低"
