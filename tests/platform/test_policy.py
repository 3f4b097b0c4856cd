"""The versioned policy: shipped defaults, county overrides, domain accessors, EOS lookup, CLI."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from taizhang.cli_policy import policy_app
from taizhang.policy import PolicyError, get_policy, load_policy, reset_policy_cache
from taizhang.settings import reset_settings_cache
from taizhang.workdays import WorkdayCalendar, reset_calendar_cache

CAL = WorkdayCalendar()

REQUIRED_KEYS = [
    "project.contract_filing",
    "project.acceptance_report_filing",
    "project.self_evaluation_due",
    "mlps.filing.mode",
    "mlps.filing.calendar_days",
    "mlps.filing.workdays",
    "mlps.certificate.validity_years",
    "mlps.certificate.extension_years",
    "mlps.certificate.renewal_window_months",
    "mlps.certificate.expiring_warning_days",
    "mlps.assessment.level2_months",
    "mlps.assessment.level3_months",
    "mlps.assessment.level4_mode",
    "mlps.assessment.level4_months",
    "mlps.assessment.level4_half_yearly_months",
    "mlps.assessment.level5_months",
    "mlps.self_check.months",
    "mlps.grading.regrade_after_major_change",
    "mlps.result.template_switch_date",
    "mlps.result.v2021_excellent_min",
    "mlps.result.v2025_basic_conform_min",
    "crypto.assessment.months",
    "crypto.result_filing.days",
    "crypto.result.basic_conform_min",
    "incident.report.min_grade",
    "incident.report_hours.default",
    "incident.report_hours.critical_infrastructure",
    "incident.report_hours.central_organ",
    "incident.summary_report.days",
    "emergency.drill.months",
    "emergency.plan_review.months",
    "risk.assessment.months",
    "evidence.expiring_warning_days",
    "auth.login.max_failures",
    "auth.login.lockout_minutes",
    "auth.session.idle_timeout_minutes",
    "log.retention_days",
]


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    def apply(**env: object) -> None:
        for name, value in env.items():
            monkeypatch.setenv(f"TAIZHANG_{name.upper()}", str(value))
        reset_settings_cache()
        reset_policy_cache()
        reset_calendar_cache()

    monkeypatch.delenv("TAIZHANG_POLICY_FILE", raising=False)
    monkeypatch.delenv("TAIZHANG_WORKDAY_OVERRIDES_FILE", raising=False)
    apply()
    yield apply
    reset_settings_cache()
    reset_policy_cache()
    reset_calendar_cache()


def county(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "county-policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


# --- defaults -------------------------------------------------------------------------------


def test_defaults_load_with_citations() -> None:
    policy = load_policy()
    keys = [entry.key for entry in policy.entries()]
    assert set(REQUIRED_KEYS) <= set(keys)
    assert len(keys) == len(set(keys))
    for entry in policy.entries():
        assert entry.citation.strip() and entry.description.strip(), entry.key
        assert entry.source == "default" and entry.value == entry.default_value
    assert policy.entry("project.contract_filing").citation == "襄政办发〔2022〕2号 第十八条"
    assert "第二十五条" in policy.entry("project.acceptance_report_filing").citation
    assert policy.version == policy.default_version


def test_typed_accessors() -> None:
    policy = load_policy()
    assert policy.workdays("project.contract_filing") == 5
    assert policy.workdays("project.acceptance_report_filing") == 30
    assert policy.days("log.retention_days") == 180
    assert policy.minutes("auth.login.lockout_minutes") == 30
    assert policy.int_value("auth.login.max_failures") == 5
    assert policy.flag("mlps.grading.regrade_after_major_change") is True
    assert policy.date_value("mlps.result.template_switch_date") == date(2025, 3, 20)
    with pytest.raises(PolicyError, match="单位"):
        policy.workdays("log.retention_days")
    with pytest.raises(PolicyError, match="未知的策略项"):
        policy.value("project.no_such_rule")


def test_deadlines() -> None:
    policy = load_policy()
    assert policy.deadline("project.contract_filing", date(2026, 10, 1), calendar=CAL) == date(2026, 10, 13)
    assert policy.deadline("mlps.certificate.validity_years", date(2026, 5, 31), calendar=CAL) == date(
        2029, 5, 31
    )
    assert policy.self_evaluation_due(2025) == date(2026, 3, 31)
    # 30 calendar days from 09-24 is Saturday 10-24: rolls to Monday 10-26.
    assert policy.mlps_filing_deadline(date(2026, 9, 24), calendar=CAL) == date(2026, 10, 26)


def test_result_template_switch() -> None:
    policy = load_policy()
    assert policy.mlps_result_template(date(2025, 3, 19)) == "2021"
    assert policy.mlps_result_template(date(2025, 3, 20)) == "2025"


def test_assessment_interval_and_l4_switch(tmp_path: Path) -> None:
    policy = load_policy()
    assert policy.assessment_interval_months(1) is None
    assert policy.assessment_interval_months(2) == 24
    assert policy.assessment_interval_months(3) == 12
    assert policy.assessment_interval_months(4) == 12
    assert policy.assessment_interval_months(5) == 12
    with pytest.raises(PolicyError):
        policy.assessment_interval_months(6)
    switched = load_policy(county(tmp_path, '[mlps.assessment]\nlevel4_mode = "half_yearly"\n'))
    assert switched.assessment_interval_months(4) == 6
    assert switched.assessment_interval_months(3) == 12


def test_incident_report_hours_by_operator_kind() -> None:
    policy = load_policy()
    assert policy.incident_report_hours("county_unit") == 4
    assert policy.incident_report_hours("default") == 4
    assert policy.incident_report_hours("critical_infrastructure") == 1
    assert policy.incident_report_hours("central_organ") == 2
    with pytest.raises(PolicyError, match="未知的运营者类型"):
        policy.incident_report_hours("startup")


# --- county overrides -----------------------------------------------------------------------


def test_county_override_changes_value_and_keeps_provenance(tmp_path: Path) -> None:
    path = county(
        tmp_path,
        'version = "襄汾-2026-1"\n'
        '[project.contract_filing]\nvalue = 3\ncitation = "县政务信息管理局通知（示例）"\n'
        "[log]\nretention_days = 184\n",
    )
    policy = load_policy(path)
    entry = policy.entry("project.contract_filing")
    assert (entry.value, entry.default_value, entry.source) == (3, 5, "county")
    assert entry.citation == "县政务信息管理局通知（示例）"
    assert entry.description.startswith("签订正式合同后")
    retention = policy.entry("log.retention_days")
    assert (retention.value, retention.citation, retention.overridden) == (
        184,
        "网络安全法（2016）第二十一条",
        True,
    )
    assert not policy.entry("project.acceptance_report_filing").overridden
    assert policy.version == f"{policy.default_version}+襄汾-2026-1"


def test_mlps_filing_mode_switch(tmp_path: Path) -> None:
    policy = load_policy(county(tmp_path, 'mlps.filing.mode = "workdays_10"\n'))
    start = date(2026, 9, 24)
    assert policy.mlps_filing_deadline(start, calendar=CAL) == CAL.add_workdays(start, 10)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[project.contract_filling]\nvalue = 3\n", "project.contract_filling"),
        ("[nonsense]\nrule = 1\n", "nonsense"),
        ("[mlps.assesment]\nlevel3_months = 6\n", "是否指 mlps.assessment"),
        ("project.contract_filing.value.extra = 1\n", "project.contract_filing"),
        ('project.contract_filing = "five"\n', "project.contract_filing"),
        ("project.contract_filing = true\n", "project.contract_filing"),
        ("project.contract_filing = 0\n", "project.contract_filing"),
        ("project.contract_filing = 2.5\n", "project.contract_filing"),
        ('[project.contract_filing]\nunit = "day"\n', "project.contract_filing.unit"),
        ("[project.contract_filing]\nvalu = 3\n", "project.contract_filing.valu"),
        ('mlps.assessment.level4_mode = "quarterly"\n', "mlps.assessment.level4_mode"),
        ('mlps.result.template_switch_date = "2025-03-20"\n', "mlps.result.template_switch_date"),
        ("crypto.result.basic_conform_min = 120\n", "crypto.result.basic_conform_min"),
        ('project.self_evaluation_due = "02-30"\n', "project.self_evaluation_due"),
        ("version = 3\n", "version"),
        ('[eos.kylin-v10]\nproduct = "Kylin"\n', "eos.kylin-v10"),
        ('[eos.centos-7]\nend_of_support = "2024-06-30"\n', "eos.centos-7.end_of_support"),
        ("project = [\n", "TOML"),
    ],
)
def test_bad_override_is_a_policy_error_naming_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    path = county(tmp_path, text)
    with pytest.raises(PolicyError) as excinfo:
        load_policy(path)
    assert str(path) in str(excinfo.value)
    assert fragment in str(excinfo.value)


def test_get_policy_reads_settings(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    assert get_policy().workdays("project.contract_filing") == 5
    settings_env(policy_file=county(tmp_path, "project.contract_filing = 7\n"))
    assert get_policy().workdays("project.contract_filing") == 7
    assert get_policy() is get_policy()


# --- end of support -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("os_name", "version", "expected"),
    [
        ("CentOS Linux", "7.9.2009", "centos-7"),
        ("CentOS", "7", "centos-7"),
        ("centos linux 8 (Core)", "", "centos-8"),
        ("CentOS Stream", "8", "centos-stream-8"),
        ("CentOS Stream", "9", None),
        ("RedHat", "7.9", "rhel-7"),
        ("Red Hat Enterprise Linux Server", "6.10", "rhel-6"),
        ("Ubuntu", "18.04.6 LTS", "ubuntu-18-04"),
        ("Ubuntu", "22.04", None),
        ("Debian", "10.13", "debian-10"),
        ("Microsoft Windows Server 2012 R2 Standard", "6.3.9600.0", "windows-server-2012"),
        ("Windows Server 2008 R2 Enterprise", "", "windows-server-2008"),
        ("Microsoft Windows 7 Professional", "6.1.7601", "windows-7"),
        ("Microsoft Windows 11 Pro", "10.0.22631", None),
        ("Oracle Database 11g Enterprise Edition", "11.2.0.4.0", "oracle-database-11g"),
        ("Oracle Database", "19.3", None),
        ("PostgreSQL", "9.6.24", "postgresql-9-6"),
        ("PostgreSQL", "96", None),
        ("Kylin Linux Advanced Server", "V10", None),
        ("", "", None),
    ],
)
def test_eos_matching(os_name: str, version: str, expected: str | None) -> None:
    found = load_policy().eos_for(os_name, version)
    assert (found.id if found else None) == expected


def test_eos_dates() -> None:
    policy = load_policy()
    centos7 = policy.eos_for("CentOS Linux", "7.9.2009")
    assert centos7 is not None and centos7.end_of_support == date(2024, 6, 30)
    assert "麒麟" in centos7.replacement and centos7.source
    ws2012 = policy.eos_for("Windows Server 2012 R2", "")
    assert ws2012 is not None and ws2012.end_of_support == date(2023, 10, 10)


def test_county_extends_and_corrects_eos(tmp_path: Path) -> None:
    path = county(
        tmp_path,
        "[eos.neokylin-7]\n"
        'product = "中标麒麟 7"\nnames = ["NeoKylin"]\nversion = "7"\nend_of_support = 2025-12-31\n'
        'category = "操作系统"\nreplacement = "银河麒麟 V10"\nsource = "县信创办核实"\n'
        '[eos.centos-7]\nend_of_support = 2024-06-30\nsource = "县级复核"\n',
    )
    policy = load_policy(path)
    neokylin = policy.eos_for("NeoKylin Linux Advanced Server", "7.0")
    assert neokylin is not None and neokylin.origin == "county"
    centos7 = policy.eos_for("CentOS", "7.9")
    assert centos7 is not None and (centos7.source, centos7.origin) == ("县级复核", "county")
    assert centos7.names == ("CentOS Linux", "CentOS")


# --- CLI ------------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_show_table(settings_env: Callable[..., None]) -> None:
    result = runner.invoke(policy_app, ["show"])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[1]
    for column in ("键", "取值", "来源", "说明", "依据"):
        assert column in header
    line = next(row for row in result.stdout.splitlines() if row.startswith("project.contract_filing "))
    assert "5 个工作日" in line and "默认" in line and "第十八条" in line


def test_cli_show_json_marks_county_override(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env(
        policy_file=county(tmp_path, 'version = "v9"\nmlps.assessment.level4_mode = "half_yearly"\n')
    )
    result = runner.invoke(policy_app, ["show", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["version"].endswith("+v9")
    entries = {entry["key"]: entry for entry in payload["entries"]}
    assert entries["mlps.assessment.level4_mode"]["source"] == "county"
    assert entries["mlps.assessment.level4_mode"]["default_value"] == "yearly"
    assert entries["mlps.result.template_switch_date"]["value"] == "2025-03-20"
    assert entries["project.contract_filing"]["source"] == "default"
    table = runner.invoke(policy_app, ["show"]).stdout
    assert "县级覆盖" in next(
        row for row in table.splitlines() if row.startswith("mlps.assessment.level4_mode")
    )


def test_cli_show_bad_county_file_exits_2(tmp_path: Path, settings_env: Callable[..., None]) -> None:
    settings_env(policy_file=county(tmp_path, "project.contract_filling = 3\n"))
    result = runner.invoke(policy_app, ["show"])
    assert result.exit_code == 2
    assert "project.contract_filling" in result.stderr and "未知的策略项" in result.stderr
    assert "Traceback" not in result.output
