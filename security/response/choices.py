"""Choices of emergency response, each with its Chinese label."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class DrillType(LabeledEnum):
    TABLETOP = "tabletop", "桌面推演"
    LIVE = "live", "实战"
    RED_BLUE = "red_blue", "红蓝对抗"


@register
class IncidentCategory(LabeledEnum):
    """GB/T 20986-2023 网络安全事件分类分级指南: the top-level categories."""

    MALWARE = "malware", "恶意程序"
    ATTACK = "attack", "网络攻击"
    DATA_SECURITY = "data_security", "数据安全"
    CONTENT_SECURITY = "content_security", "信息内容安全"
    EQUIPMENT_FAILURE = "equipment_failure", "设备设施故障"
    VIOLATION = "violation", "违规操作"
    HIDDEN_DANGER = "hidden_danger", "安全隐患"
    ABNORMAL_BEHAVIOUR = "abnormal_behaviour", "异常行为"
    FORCE_MAJEURE = "force_majeure", "不可抗力"
    OTHER = "other", "其他"


@register
class IncidentGrade(LabeledEnum):
    """Listed from least to most severe; ``rank`` orders them."""

    GENERAL = "general", "一般"
    LARGER = "larger", "较大"
    MAJOR = "major", "重大"
    ESPECIALLY_MAJOR = "especially_major", "特别重大"

    @property
    def rank(self) -> int:
        return list(type(self)).index(self)
