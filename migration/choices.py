"""Choices of the migration domain, each with its Chinese label."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class PlanState(LabeledEnum):
    """Where a migration plan stands: the step in progress, or a final / paused state.

    The seven steps run in order; a plan *in* a step is working on it, and advancing to the next
    state completes it. ``done`` means 原环境下线 is complete.
    """

    PLANNED = "planned", "待启动"
    ASSESSMENT = "assessment", "评估"
    DESIGN = "design", "方案"
    RESOURCES = "resources", "资源申请"
    IMPLEMENTATION = "implementation", "迁移实施"
    CUTOVER = "cutover", "割接"
    VERIFICATION = "verification", "验证"
    DECOMMISSION = "decommission", "原环境下线"
    DONE = "done", "已完成"
    ON_HOLD = "on_hold", "暂停"
    CANCELLED = "cancelled", "已取消"


@register
class CloudServiceCategory(LabeledEnum):
    """Kinds of service in 《临汾市市级政务云平台服务目录》 (第十二条)."""

    COMPUTE = "compute", "云主机"
    DATABASE = "database", "云数据库"
    OBJECT_STORAGE = "object_storage", "对象存储"
    BLOCK_STORAGE = "block_storage", "云硬盘"
    LOAD_BALANCER = "load_balancer", "负载均衡"
    SECURITY = "security", "云安全服务"
    BACKUP = "backup", "云备份"
    NETWORK = "network", "网络服务"
    OTHER = "other", "其他"
