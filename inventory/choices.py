"""Choices of the inventory, each with its Chinese label."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class UnitKind(LabeledEnum):
    COUNTY_DEPARTMENT = "county_department", "县直单位"
    DEVELOPMENT_ZONE = "development_zone", "开发区"
    TOWNSHIP = "township", "乡镇"


@register
class Classification(LabeledEnum):
    NON_CLASSIFIED = "non_classified", "非涉密"
    CLASSIFIED = "classified", "涉密"


@register
class SystemLifecycle(LabeledEnum):
    PLANNING = "planning", "规划"
    BUILDING = "building", "在建"
    RUNNING = "running", "运行"
    RETIRED = "retired", "停用"


@register
class DataSharing(LabeledEnum):
    SHARING = "sharing", "已按要求共享"
    PARTIAL = "partial", "部分共享"
    NOT_SHARING = "not_sharing", "未按要求共享"
    NOT_REQUIRED = "not_required", "无共享要求"


@register
class BaseLibrary(LabeledEnum):
    """第三十三条: the six base resource libraries."""

    NATURAL_PERSON = "natural_person", "自然人"
    LEGAL_PERSON = "legal_person", "法人"
    SPATIAL = "spatial", "空间地理信息"
    E_LICENSE = "e_license", "电子证照"
    SOCIAL_CREDIT = "social_credit", "社会信用"
    MACRO_ECONOMY = "macro_economy", "宏观经济"


@register
class Hosting(LabeledEnum):
    LEGACY = "legacy", "本地机房"
    INDUSTRY_CLOUD = "industry_cloud", "行业云"
    MIGRATING = "migrating", "迁移中"
    CITY_CLOUD = "city_cloud", "市级政务云"


@register
class HostKind(LabeledEnum):
    PHYSICAL = "physical", "物理机"
    VIRTUAL = "virtual", "虚拟机"
    CLOUD = "cloud", "云主机"


@register
class HostLifecycle(LabeledEnum):
    ACTIVE = "active", "在用"
    RETIRED = "retired", "已下线"


@register
class CpuArch(LabeledEnum):
    X86_64 = "x86_64", "x86_64（海光/兆芯/Intel/AMD）"
    AARCH64 = "aarch64", "ARM64（鲲鹏/飞腾）"
    LOONGARCH64 = "loongarch64", "LoongArch（龙芯）"
    MIPS64 = "mips64el", "MIPS64（龙芯）"
    SW64 = "sw_64", "申威"
    OTHER = "other", "其他"


@register
class Network(LabeledEnum):
    EXTRANET = "extranet", "电子政务外网"
    INTERNET = "internet", "互联网"
    PRIVATE = "private", "业务专网"


@register
class ProductClass(LabeledEnum):
    """第二十四条's five key-product classes, plus the hardware underneath."""

    SECURITY_DEVICE = "security_device", "安全设备"
    CORE_NETWORK = "core_network", "核心网络设备"
    BASE_SOFTWARE = "base_software", "基础软件"
    SYSTEM_SOFTWARE = "system_software", "系统软件"
    APPLICATION = "application", "业务应用软件"
    HARDWARE = "hardware", "硬件"


KEY_PRODUCT_CLASSES = frozenset(ProductClass) - {ProductClass.HARDWARE}


@register
class Controllability(LabeledEnum):
    CONTROLLABLE = "controllable", "自主可控"
    PARTIAL = "partial", "部分可控"
    UNCONTROLLABLE = "uncontrollable", "不可控"


@register
class ProjectKind(LabeledEnum):
    NEW = "new", "新建"
    EXPANSION = "expansion", "扩建"
    UPGRADE = "upgrade", "升级改造"
    OPERATION = "operation", "运维"


@register
class ResourceFormat(LabeledEnum):
    DATABASE = "database", "数据库"
    FILE = "file", "电子文件"
    API = "api", "接口"
    OTHER = "other", "其他"


@register
class UpdateCycle(LabeledEnum):
    REALTIME = "realtime", "实时"
    DAILY = "daily", "每日"
    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    QUARTERLY = "quarterly", "每季度"
    YEARLY = "yearly", "每年"
    OTHER = "other", "其他"


@register
class SharingAttr(LabeledEnum):
    UNCONDITIONAL = "unconditional", "无条件共享"
    CONDITIONAL = "conditional", "有条件共享"
    NONE = "none", "不予共享"


@register
class OpennessAttr(LabeledEnum):
    UNCONDITIONAL = "unconditional", "无条件开放"
    CONDITIONAL = "conditional", "有条件开放"
    CLOSED = "closed", "不予开放"
