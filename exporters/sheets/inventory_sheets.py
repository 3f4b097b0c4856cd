"""The inventory's worksheets: units, systems, hosts, networks, products, usages, projects, resources."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from exporters.sheets.spec import Column, Ref, SheetSpec, register_sheet
from inventory import entities as e
from inventory.choices import (
    BaseLibrary,
    Classification,
    Controllability,
    CpuArch,
    DataSharing,
    Hosting,
    HostKind,
    HostLifecycle,
    Network,
    OpennessAttr,
    ProductClass,
    ProjectKind,
    ResourceFormat,
    SharingAttr,
    SystemLifecycle,
    UnitKind,
    UpdateCycle,
)

Owner = Callable[[str, int], int | None]


def _system_owner(data: dict[str, Any], owner: Owner) -> set[int]:
    unit = owner("信息系统", data["system_id"]) if data.get("system_id") else None
    return {unit} if unit is not None else set()


def _host_owners(data: dict[str, Any], owner: Owner) -> set[int]:
    units = {owner("信息系统", sid) for sid in data.get("system_ids") or []}
    if data.get("unit_id") is not None:
        units.add(data["unit_id"])
    return {u for u in units if u is not None}


def _field_owner(name: str) -> Callable[[dict[str, Any], Owner], set[int]]:
    return lambda data, owner: {data[name]} if data.get(name) is not None else set()


def _unit_ref(field: str, key: str, header: str, *synonyms: str) -> tuple[Column, Ref]:
    return Column(key, header, synonyms, kind="text"), Ref(field, "单位", (key,))


def _system_ref(
    field: str = "system_id", header: str = "信息系统目录编号", *synonyms: str
) -> tuple[Column, Ref]:
    names = synonyms or ("目录编号", "系统目录编号", "系统编号", "信息系统", "所属系统")
    return Column("system", header, names, kind="code"), Ref(field, "信息系统", ("system",))


_OWNER_UNIT, _OWNER_UNIT_REF = _unit_ref(
    "owner_unit_id", "owner_unit", "主管单位", "责任单位", "所属单位", "使用单位"
)
_PARENT, _PARENT_REF = _unit_ref("parent_id", "parent", "上级单位", "上级主管单位", "上级部门")

UNITS = register_sheet(
    SheetSpec(
        name="单位",
        aliases=("单位列表", "单位信息", "县直单位"),
        entity=e.UNITS,
        key=("code",),
        lookups=[("name",), ("code",)],
        owner_column="id",
        columns=[
            Column("code", "单位编码", ("单位代码", "编码", "统一社会信用代码"), kind="code"),
            Column("name", "单位名称", ("单位", "单位全称", "部门名称")),
            Column("kind", "单位类型", ("类型", "单位性质"), kind="enum", enum=UnitKind),
            _PARENT,
            Column("contact_person", "联系人", ("联系人姓名", "负责人")),
            Column("contact_phone", "联系电话", ("电话", "联系方式", "手机"), kind="code"),
        ],
        refs=[_PARENT_REF],
    )
)

SYSTEMS = register_sheet(
    SheetSpec(
        name="信息系统",
        aliases=("系统", "信息系统目录", "政务信息系统", "政务信息系统目录", "系统台账"),
        entity=e.SYSTEMS,
        key=("catalogue_number",),
        lookups=[("catalogue_number",)],
        owner_column="owner_unit_id",
        owners=_field_owner("owner_unit_id"),
        columns=[
            Column("catalogue_number", "目录编号", ("系统目录编号", "系统编号", "目录号"), kind="code"),
            Column("name", "系统名称", ("信息系统名称", "政务信息系统名称", "名称")),
            _OWNER_UNIT,
            Column("purpose", "主要用途", ("用途", "系统用途", "主要功能", "系统功能")),
            Column(
                "classification",
                "涉密属性",
                ("是否涉密", "密级"),
                kind="enum",
                enum=Classification,
                aliases={"否": "non_classified", "不涉密": "non_classified", "是": "classified"},
            ),
            Column(
                "lifecycle",
                "生命周期",
                ("系统状态", "运行状态", "状态"),
                kind="enum",
                enum=SystemLifecycle,
                aliases={"在用": "running", "运行中": "running", "已停用": "retired", "下线": "retired"},
            ),
            Column("go_live_date", "上线日期", ("上线时间", "投运日期", "投入使用时间"), kind="date"),
            Column(
                "mlps_level",
                "等保级别",
                ("安全保护等级", "等级保护级别", "等保等级", "定级级别", "定级"),
                kind="level",
            ),
            Column(
                "critical_infrastructure", "关键信息基础设施", ("是否关键信息基础设施", "关基"), kind="bool"
            ),
            Column("data_sharing", "数据共享情况", ("数据共享", "共享情况"), kind="enum", enum=DataSharing),
            Column("base_libraries_fed", "汇入的基础库", ("汇入基础库",), kind="enum_list", enum=BaseLibrary),
            Column(
                "base_libraries_used", "使用的基础库", ("使用基础库",), kind="enum_list", enum=BaseLibrary
            ),
            Column(
                "hosting",
                "部署位置",
                ("部署方式", "部署环境", "托管方式"),
                kind="enum",
                enum=Hosting,
                aliases={"政务云": "city_cloud", "本地": "legacy", "自建机房": "legacy"},
            ),
            Column("needs_crypto_assessment", "需开展密评", ("是否需密评", "需密评"), kind="bool"),
        ],
        refs=[_OWNER_UNIT_REF],
    )
)

_HOST_UNIT, _HOST_UNIT_REF = _unit_ref("unit_id", "unit", "所属单位", "使用单位", "责任单位")

HOSTS = register_sheet(
    SheetSpec(
        name="主机",
        aliases=("主机列表", "服务器", "服务器台账", "主机台账", "设备"),
        entity=e.HOSTS,
        key=("hostname",),
        lookups=[("hostname",)],
        owners=_host_owners,
        columns=[
            Column("hostname", "主机名", ("主机名称", "计算机名", "服务器名称"), kind="code"),
            Column(
                "kind",
                "主机类型",
                ("类型", "设备类型", "服务器类型"),
                kind="enum",
                enum=HostKind,
                aliases={"实体机": "physical", "物理服务器": "physical", "虚机": "virtual"},
            ),
            Column("ip_addresses", "IP 地址", ("IP", "IP地址", "管理IP", "业务IP"), kind="ip_list"),
            Column("os_name", "操作系统", ("OS", "操作系统名称")),
            Column("os_version", "操作系统版本", ("系统版本", "OS版本"), kind="code"),
            Column(
                "cpu_arch",
                "CPU 架构",
                ("CPU", "处理器架构", "CPU架构"),
                kind="enum",
                enum=CpuArch,
                aliases={
                    "ARM": "aarch64",
                    "鲲鹏": "aarch64",
                    "飞腾": "aarch64",
                    "海光": "x86_64",
                    "兆芯": "x86_64",
                    "龙芯": "loongarch64",
                    "x86": "x86_64",
                },
            ),
            Column("location", "位置", ("机房位置", "物理位置", "存放位置", "部署地点")),
            Column("role", "主机角色", ("角色", "用途")),
            _HOST_UNIT,
            Column(
                "systems", "承载的信息系统", ("承载系统", "关联系统", "所属系统", "系统目录编号"), kind="list"
            ),
            Column("netbox_kind", "NetBox 对象类型", ("NetBox类型",), kind="code"),
            Column("netbox_id", "NetBox 编号", ("NetBox ID",), kind="int"),
            Column(
                "lifecycle",
                "状态",
                ("主机状态", "使用状态"),
                kind="enum",
                enum=HostLifecycle,
                aliases={"运行": "active", "在线": "active", "下线": "retired", "停用": "retired"},
            ),
            Column("replacement_plan", "替代计划", ("替换计划",)),
            Column("replacement_date", "计划替代日期", ("替代日期", "计划替换日期"), kind="date"),
        ],
        refs=[_HOST_UNIT_REF, Ref("system_ids", "信息系统", ("systems",), many=True)],
    )
)

_NET_SYSTEM, _NET_SYSTEM_REF = _system_ref()

NETWORK_ATTACHMENTS = register_sheet(
    SheetSpec(
        name="网络接入",
        aliases=("网络", "接入网络", "网络接入情况"),
        entity=e.NETWORK_ATTACHMENTS,
        key=("system_id", "network", "name"),
        owners=_system_owner,
        columns=[
            _NET_SYSTEM,
            Column(
                "network",
                "网络",
                ("网络类型", "接入网络", "网络性质"),
                kind="enum",
                enum=Network,
                aliases={"政务外网": "extranet", "外网": "extranet", "专网": "private"},
            ),
            Column("name", "网络名称", ("专网名称",)),
            Column("approval_reference", "专网批准文号", ("批准文号", "审批文号")),
            Column("approval_date", "专网批准日期", ("批准日期", "审批日期"), kind="date"),
            Column("description", "说明", ("备注", "描述")),
        ],
        refs=[_NET_SYSTEM_REF],
    )
)

PRODUCTS = register_sheet(
    SheetSpec(
        name="产品",
        aliases=("产品清单", "关键产品", "软硬件产品", "产品台账"),
        entity=e.PRODUCTS,
        key=("vendor", "model", "product_version"),
        lookups=[("vendor", "model", "product_version")],
        columns=[
            Column("product_class", "产品类别", ("类别", "产品分类"), kind="enum", enum=ProductClass),
            Column("category", "品类", ("产品品类", "细类")),
            Column("vendor", "厂商", ("生产厂商", "厂家", "品牌", "供应商")),
            Column("model", "型号", ("产品型号", "产品名称")),
            Column("product_version", "版本", ("版本号", "产品版本")),
            Column("cpu_arch", "CPU 架构", ("CPU", "处理器架构", "CPU架构"), kind="enum", enum=CpuArch),
            Column(
                "controllability",
                "安全可控情况",
                ("安全可控", "是否自主可控", "可控情况"),
                kind="enum",
                enum=Controllability,
                aliases={"是": "controllable", "否": "uncontrollable"},
            ),
            Column("evidence_reference", "证明材料编号", ("证书编号", "认证证书编号")),
            Column("evidence_expiry", "证明有效期至", ("证书有效期", "有效期至"), kind="date"),
            Column("end_of_support", "停止支持日期", ("停服日期", "EOS日期"), kind="date"),
            Column("replacement_plan", "替代计划", ("替换计划",)),
            Column("replacement_date", "计划替代日期", ("替代日期",), kind="date"),
        ],
    )
)

_USAGE_SYSTEM, _USAGE_SYSTEM_REF = _system_ref()

PRODUCT_USAGES = register_sheet(
    SheetSpec(
        name="产品使用",
        aliases=("产品使用情况", "系统使用产品"),
        entity=e.PRODUCT_USAGES,
        key=("system_id", "product_id"),
        owners=_system_owner,
        columns=[
            _USAGE_SYSTEM,
            Column("product_vendor", "厂商", ("生产厂商", "厂家", "品牌")),
            Column("product_model", "型号", ("产品型号",)),
            Column("product_version", "版本", ("版本号", "产品版本")),
            Column("quantity", "数量", ("使用数量", "台数", "套数"), kind="int"),
        ],
        refs=[
            _USAGE_SYSTEM_REF,
            Ref("product_id", "产品", ("product_vendor", "product_model", "product_version")),
        ],
    )
)

_PROJECT_UNIT, _PROJECT_UNIT_REF = _unit_ref(
    "implementing_unit_id", "implementing_unit", "实施单位", "项目实施单位", "项目单位", "主管单位"
)

PROJECTS = register_sheet(
    SheetSpec(
        name="项目",
        aliases=("项目列表", "信息化项目", "政务信息化项目", "项目台账"),
        entity=e.PROJECTS,
        key=("implementing_unit_id", "name"),
        owners=_field_owner("implementing_unit_id"),
        columns=[
            Column("name", "项目名称", ("名称",)),
            _PROJECT_UNIT,
            Column("kind", "建设性质", ("项目类型", "项目性质"), kind="enum", enum=ProjectKind),
            Column(
                "total_budget",
                "总预算（元）",
                ("总预算", "总投资", "预算金额", "项目总投资（元）"),
                kind="decimal",
            ),
            Column("yearly_budgets", "分年度预算（元）", ("分年度预算", "年度预算"), kind="year_decimals"),
            Column("contractor", "建设单位", ("承建单位", "中标单位")),
            Column("supervision_unit", "监理单位", ("监理",)),
            Column("construction_started_on", "开工日期", ("开工时间",), kind="date"),
            Column("approved_on", "立项批复日期", ("立项日期", "批复日期"), kind="date"),
            Column("budget_reviewed_on", "预算评审日期", ("评审日期",), kind="date"),
            Column("contract_signed_on", "合同签订日期", ("签订日期", "合同日期"), kind="date"),
            Column("contract_filed_on", "合同备案日期", ("合同备案时间",), kind="date"),
            Column("supervision_filed_on", "监理备案日期", (), kind="date"),
            Column("accepted_on", "竣工验收日期", ("验收日期", "验收时间"), kind="date"),
            Column("acceptance_report_filed_on", "验收报告备案日期", ("验收备案日期",), kind="date"),
            Column("controllability_checked", "已开展安全可控检查", ("安全可控检查",), kind="bool"),
            Column("self_evaluations", "年度自评价报送日期", ("自评价报送日期",), kind="year_dates"),
            Column("systems", "建设的信息系统", ("建设系统", "涉及系统", "系统目录编号"), kind="list"),
        ],
        refs=[_PROJECT_UNIT_REF, Ref("system_ids", "信息系统", ("systems",), many=True)],
    )
)

_RES_SYSTEM, _RES_SYSTEM_REF = _system_ref(
    "system_id", "来源系统目录编号", "来源系统", "目录编号", "系统目录编号"
)
_RES_UNIT, _RES_UNIT_REF = _unit_ref("owner_unit_id", "owner_unit", "提供单位", "资源提供单位", "责任单位")

RESOURCES = register_sheet(
    SheetSpec(
        name="信息资源",
        aliases=("信息资源目录", "资源目录", "数据目录"),
        entity=e.RESOURCES,
        key=("system_id", "name"),
        owners=_system_owner,
        columns=[
            _RES_SYSTEM,
            Column("name", "资源名称", ("信息资源名称", "数据资源名称")),
            _RES_UNIT,
            Column("format", "资源格式", ("格式", "数据格式"), kind="enum", enum=ResourceFormat),
            Column("update_cycle", "更新周期", ("更新频率",), kind="enum", enum=UpdateCycle),
            Column("sharing", "共享属性", ("共享类型",), kind="enum", enum=SharingAttr),
            Column("sharing_condition", "共享条件或不予共享依据", ("共享条件",)),
            Column("openness", "开放属性", ("开放类型",), kind="enum", enum=OpennessAttr),
            Column("openness_condition", "开放条件或不予开放依据", ("开放条件",)),
            Column("data_owner", "采集责任人", ("数据采集责任人",)),
            Column("data_checker", "校核责任人", ("数据校核责任人",)),
            Column("registered_on_platform", "已在共享平台登记", ("是否登记", "平台登记"), kind="bool"),
            Column("registered_on", "登记日期", ("登记时间",), kind="date"),
        ],
        refs=[_RES_SYSTEM_REF, _RES_UNIT_REF],
    )
)
