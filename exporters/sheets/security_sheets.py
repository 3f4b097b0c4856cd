"""The security worksheets: 等保 grading, filing, assessment, self-check, rectification, 密评, risk
assessments, emergency plans, drills and incidents — systems by catalogue number, units by name/code.

Values go through the same Create schemas and entity ``validate`` hooks as the API (the importer
applies both), so a sheet cannot store what the API would refuse.
"""

from __future__ import annotations

from typing import Any

from exporters.sheets.inventory_sheets import Owner, _field_owner, _system_owner, _system_ref, _unit_ref
from exporters.sheets.spec import Column, Ref, SheetSpec, register_sheet
from security.grading import entities as g
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
from security.response import entities as r
from security.response.choices import DrillType, IncidentCategory, IncidentGrade

_NOTES = Column("notes", "备注", ("说明", "附注"))
_LEVEL_SYNONYMS = ("安全保护等级", "等保级别", "等保等级", "等级保护级别", "定级级别", "保护等级", "级别")


def _system(*synonyms: str) -> tuple[Column, Ref]:
    return _system_ref("system_id", "信息系统目录编号", "目录编号", "系统目录编号", "系统编号", *synonyms)


_G_SYS, _G_SYS_REF = _system()
MLPS_GRADINGS = register_sheet(
    SheetSpec(
        name="等保定级",
        aliases=("定级", "定级记录", "等级保护定级", "等保定级情况"),
        entity=g.MLPS_GRADINGS,
        key=("system_id", "graded_on"),
        owners=_system_owner,
        columns=[
            _G_SYS,
            Column("level", "安全保护等级", _LEVEL_SYNONYMS[1:], kind="level"),
            Column("business_level", "业务信息安全保护等级", ("业务信息等级", "业务等级"), kind="level"),
            Column("service_level", "系统服务安全保护等级", ("系统服务等级", "服务等级"), kind="level"),
            Column("graded_on", "定级日期", ("定级时间",), kind="date"),
            Column(
                "status",
                "定级状态",
                ("状态",),
                kind="enum",
                enum=GradingStatus,
                aliases={"正式定级": "final", "已完成": "final", "草拟": "draft"},
            ),
            Column("reason", "定级原因", ("定级类型",), kind="enum", enum=GradingReason),
            Column("expert_review_on", "专家评审日期", ("专家评审时间", "评审日期"), kind="date"),
            Column("approving_authority", "审核（主管）部门", ("主管部门", "审核部门", "行业主管部门")),
            _NOTES,
        ],
        refs=[_G_SYS_REF],
    )
)

_F_SYS, _F_SYS_REF = _system()
MLPS_FILINGS = register_sheet(
    SheetSpec(
        name="等保备案",
        aliases=("备案", "备案记录", "等级保护备案", "等保备案情况"),
        entity=g.MLPS_FILINGS,
        key=("system_id", "submitted_on"),
        owners=_system_owner,
        columns=[
            _F_SYS,
            Column("submitted_on", "提交备案日期", ("备案日期", "备案时间", "提交日期"), kind="date"),
            Column("police_authority", "受理公安机关", ("备案机关", "公安机关", "受理机关")),
            Column("certificate_number", "备案证明编号", ("备案编号", "备案证明号", "备案号"), kind="code"),
            Column("issued_on", "备案证明发放日期", ("发证日期", "备案证明日期"), kind="date"),
            _NOTES,
        ],
        refs=[_F_SYS_REF],
    )
)

_A_SYS, _A_SYS_REF = _system()
MLPS_ASSESSMENTS = register_sheet(
    SheetSpec(
        name="等保测评",
        aliases=("等级测评", "测评", "等级测评情况", "等保测评情况"),
        entity=g.MLPS_ASSESSMENTS,
        key=("report_number",),
        lookups=[("report_number",)],
        owners=_system_owner,
        columns=[
            _A_SYS,
            Column("assessed_on", "测评报告日期", ("测评日期", "测评时间", "报告日期"), kind="date"),
            Column("agency", "测评机构", ("测评单位", "测评机构名称")),
            Column("report_number", "报告编号", ("测评报告编号", "报告号"), kind="code"),
            Column(
                "template_version",
                "报告模板版本",
                ("模板版本",),
                kind="enum",
                enum=MlpsTemplate,
                aliases={"2021版": "2021", "2025版": "2025"},
            ),
            Column("level", "测评时安全保护等级", _LEVEL_SYNONYMS, kind="level"),
            Column("score", "综合得分", ("得分", "测评得分", "分数"), kind="decimal"),
            Column("conformity_rate", "符合率（%）", ("符合率",), kind="decimal"),
            Column("conclusion", "测评结论", ("结论", "等级测评结论"), kind="enum", enum=MlpsConclusion),
            Column("high_risk_count", "高风险问题数", ("高风险数", "高风险"), kind="int"),
            Column("medium_risk_count", "中风险问题数", ("中风险数", "中风险"), kind="int"),
            Column("low_risk_count", "低风险问题数", ("低风险数", "低风险"), kind="int"),
            _NOTES,
        ],
        refs=[_A_SYS_REF],
    )
)

_S_SYS, _S_SYS_REF = _system()
MLPS_SELF_CHECKS = register_sheet(
    SheetSpec(
        name="等保自查",
        aliases=("自查", "等保自查情况"),
        entity=g.MLPS_SELF_CHECKS,
        key=("system_id", "checked_on"),
        owners=_system_owner,
        columns=[
            _S_SYS,
            Column("checked_on", "自查日期", ("自查时间",), kind="date"),
            Column("checked_by", "自查负责人", ("负责人",)),
            Column("issues_found", "发现问题数", ("问题数",), kind="int"),
            Column("report_reference", "自查报告编号", ("报告编号",), kind="code"),
            _NOTES,
        ],
        refs=[_S_SYS_REF],
    )
)

_R_SYS, _R_SYS_REF = _system()
MLPS_RECTIFICATIONS = register_sheet(
    SheetSpec(
        name="等保整改",
        aliases=("整改", "整改项", "整改台账"),
        entity=g.MLPS_RECTIFICATIONS,
        key=("system_id", "description"),
        owners=_system_owner,
        columns=[
            _R_SYS,
            Column("assessment", "来源测评报告编号", ("测评报告编号", "报告编号"), kind="code"),
            Column("description", "问题与整改要求", ("问题描述", "整改要求", "问题")),
            Column("risk_level", "风险等级", ("风险级别",), kind="enum", enum=RiskLevel),
            Column("owner", "整改责任人", ("责任人",)),
            Column("due_on", "整改期限", ("完成期限", "计划完成日期"), kind="date"),
            Column("status", "整改状态", ("状态",), kind="enum", enum=RectificationStatus),
            Column("completed_on", "完成日期", ("整改完成日期",), kind="date"),
        ],
        refs=[_R_SYS_REF, Ref("assessment_id", "等保测评", ("assessment",))],
    )
)

_P_SYS, _P_SYS_REF = _system()
CRYPTO_PLANS = register_sheet(
    SheetSpec(
        name="密码应用方案",
        aliases=("密码方案", "密码应用方案评估"),
        entity=g.CRYPTO_PLANS,
        key=("system_id", "drafted_on"),
        owners=_system_owner,
        columns=[
            _P_SYS,
            Column("title", "方案名称", ("名称",)),
            Column("drafted_on", "方案编制日期", ("编制日期",), kind="date"),
            Column("evaluated_on", "方案评估日期", ("评估日期",), kind="date"),
            Column("evaluation_agency", "评估机构", ("评估单位",)),
            Column("conclusion", "评估结论", ("结论",), kind="enum", enum=CryptoPlanConclusion),
            _NOTES,
        ],
        refs=[_P_SYS_REF],
    )
)

_C_SYS, _C_SYS_REF = _system()
CRYPTO_ASSESSMENTS = register_sheet(
    SheetSpec(
        name="密评",
        aliases=("密码测评", "商用密码应用安全性评估", "密评情况", "密码应用安全性评估"),
        entity=g.CRYPTO_ASSESSMENTS,
        key=("report_number",),
        owners=_system_owner,
        columns=[
            _C_SYS,
            Column("assessed_on", "密评报告日期", ("密评日期", "评估日期", "报告日期"), kind="date"),
            Column("agency", "密评机构", ("测评机构", "测评单位", "评估机构")),
            Column("report_number", "报告编号", ("密评报告编号", "报告号"), kind="code"),
            Column("score", "得分", ("评估得分", "密评得分", "分数"), kind="decimal"),
            Column("conclusion", "评估结论", ("密评结论", "结论"), kind="enum", enum=CryptoConclusion),
            Column("high_risk_count", "高风险问题数", ("高风险数",), kind="int"),
            Column("rule_version", "量化评估规则版本", ("评估规则版本", "规则版本"), kind="code"),
            Column("filed_on", "结果备案日期", ("备案日期", "报送备案日期"), kind="date"),
            _NOTES,
        ],
        refs=[_C_SYS_REF],
    )
)

_K_SYS, _K_SYS_REF = _system()
RISK_ASSESSMENTS = register_sheet(
    SheetSpec(
        name="风险评估",
        aliases=("风险评估情况", "安全风险评估"),
        entity=g.RISK_ASSESSMENTS,
        key=("system_id", "assessed_on"),
        owners=_system_owner,
        columns=[
            _K_SYS,
            Column("assessed_on", "评估日期", ("评估时间",), kind="date"),
            Column("scope", "评估范围", ("范围",)),
            Column("method", "评估方式", ("评估类型", "方式"), kind="enum", enum=RiskMethod),
            Column("assessor", "评估单位", ("评估机构",)),
            Column("high_count", "高风险数", ("高风险",), kind="int"),
            Column("medium_count", "中风险数", ("中风险",), kind="int"),
            Column("low_count", "低风险数", ("低风险",), kind="int"),
            Column("report_reference", "评估报告编号", ("报告编号",), kind="code"),
            _NOTES,
        ],
        refs=[_K_SYS_REF],
    )
)

_PLAN_UNIT, _PLAN_UNIT_REF = _unit_ref("unit_id", "unit", "所属单位", "制定单位", "责任单位", "单位")
_PLAN_SYS = Column("system", "信息系统目录编号", ("目录编号", "系统目录编号", "适用系统"), kind="code")
PLANS = register_sheet(
    SheetSpec(
        name="应急预案",
        aliases=("预案", "应急预案台账", "网络安全应急预案"),
        entity=r.PLANS,
        key=("unit_id", "name"),
        lookups=[("name",)],
        owner_column="unit_id",
        owners=_field_owner("unit_id"),
        columns=[
            Column("name", "预案名称", ("名称", "应急预案名称")),
            _PLAN_UNIT,
            _PLAN_SYS,
            Column("plan_version", "预案版本", ("版本", "版本号"), kind="code"),
            Column("approved_on", "批准日期", ("印发日期", "发布日期"), kind="date"),
            Column("last_reviewed_on", "最近评审修订日期", ("修订日期", "评审日期"), kind="date"),
            Column("description", "说明", ("备注",)),
        ],
        refs=[_PLAN_UNIT_REF, Ref("system_id", "信息系统", ("system",))],
    )
)


def _drill_owner(data: dict[str, Any], owner: Owner) -> set[int]:
    unit = owner("应急预案", data["plan_id"]) if data.get("plan_id") else None
    return {unit} if unit is not None else set()


DRILLS = register_sheet(
    SheetSpec(
        name="应急演练",
        aliases=("演练", "演练记录", "应急演练情况"),
        entity=r.DRILLS,
        key=("plan_id", "held_on", "scenario"),
        owners=_drill_owner,
        columns=[
            Column("plan", "应急预案", ("预案名称", "所属预案", "演练预案")),
            Column("drill_type", "演练类型", ("演练形式", "类型"), kind="enum", enum=DrillType),
            Column("scenario", "演练场景", ("演练科目", "演练内容", "场景")),
            Column("held_on", "演练日期", ("演练时间", "日期"), kind="date"),
            Column("participants", "参演人员或单位", ("参演人员", "参演单位", "参加人员"), kind="list"),
            Column("findings", "发现的问题", ("存在问题", "问题")),
        ],
        refs=[Ref("plan_id", "应急预案", ("plan",))],
    )
)

_INC_UNIT, _INC_UNIT_REF = _unit_ref("unit_id", "unit", "报告单位", "事发单位", "所属单位", "单位")
INCIDENTS = register_sheet(
    SheetSpec(
        name="安全事件",
        aliases=("网络安全事件", "事件", "安全事件台账", "网络安全事件台账"),
        entity=r.INCIDENTS,
        key=("unit_id", "title"),
        owners=_field_owner("unit_id"),
        columns=[
            Column("title", "事件名称", ("事件标题", "名称")),
            _INC_UNIT,
            Column("systems", "受影响的信息系统", ("涉及系统", "影响系统", "系统目录编号"), kind="list"),
            Column("category", "事件类别", ("事件类型", "类别"), kind="enum", enum=IncidentCategory),
            Column(
                "grade",
                "事件级别",
                ("事件等级", "级别"),
                kind="enum",
                enum=IncidentGrade,
                aliases={"一般事件": "general", "较大事件": "larger", "重大事件": "major"},
            ),
            Column(
                "critical_infrastructure", "关键信息基础设施", ("是否关键信息基础设施", "关基"), kind="bool"
            ),
            Column("occurred_at", "发生时间", ("发生时间点",), kind="datetime"),
            Column("detected_at", "发现时间", (), kind="datetime"),
            Column("handling_ended_at", "处置结束时间", ("处置完成时间",), kind="datetime"),
            Column("report_recipient", "报告对象", ("报送对象", "报告单位名称")),
            Column("reported_at", "报告时间", ("报送时间", "上报时间"), kind="datetime"),
            Column("summary_reported_at", "总结报告报送时间", ("总结报送时间",), kind="datetime"),
            Column("description", "事件描述", ("描述", "事件经过", "备注")),
        ],
        refs=[_INC_UNIT_REF, Ref("system_ids", "信息系统", ("systems",), many=True)],
    )
)
