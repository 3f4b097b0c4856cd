"""Settings from the environment (prefix ``TAIZHANG_``), read once per process.

A bad value stops the process at the first ``get_settings()`` with ``SettingsError``: one Chinese
line per bad setting, naming the variable, never echoing a secret (``hide_input_in_errors``).
Outbound URLs (``TAIZHANG_NETBOX_URL``) go through ``check_outbound_url``: http(s) only, a host,
no ``user:password@`` and no ``#fragment``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TAIZHANG_"


class SettingsError(RuntimeError):
    """The environment holds an invalid setting; the message is Chinese and safe to print."""


class OutboundUrlError(ValueError):
    """An outbound URL setting is unusable; the message names the setting and a redacted value."""


def redact_url(value: str) -> str:
    """``value`` with any ``user:password@`` and every query value replaced by ``***``."""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        query = urlencode([(k, "***") for k, _ in parse_qsl(query, keep_blank_values=True)], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def check_outbound_url(value: str, *, setting: str, label: str) -> str:
    """An http(s) base URL this server connects to; raises ``OutboundUrlError`` when it is not.

    ``setting`` names where the value came from (``TAIZHANG_NETBOX_URL``, ``--url``) and ``label``
    what it is (``NetBox 地址``); the message shows the value with any credentials redacted.
    """
    text = value.strip()

    def bad(reason: str) -> OutboundUrlError:
        return OutboundUrlError(f"{label}无效（{setting}）：{redact_url(text)}，{reason}")

    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise bad("地址中不得包含空白或控制字符")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise bad("地址格式错误（主机名或端口无效）") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise bad("只支持以 http:// 或 https:// 开头的地址")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise bad("地址中不得包含用户名或口令（凭据请用对应的令牌设置）")
    if not parts.hostname:
        raise bad("缺少主机名")
    if port == 0:
        raise bad("端口无效")
    if parts.fragment or "#" in text:
        raise bad("地址中不得包含 # 片段")
    if parts.query or "?" in text:
        raise bad("地址中不得包含查询参数（? 之后的部分）")
    return text


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(
        default="sqlite:///taizhang.db",
        description="SQLAlchemy URL; sqlite:///path or postgresql+psycopg://user@host/db",
    )
    data_dir: Path = Field(default=Path("taizhang-data"), description="evidence files and other blobs")
    policy_file: Path | None = Field(default=None, description="county overrides of the default policy")
    workday_overrides_file: Path | None = Field(
        default=None, description="county table of working days for years chinesecalendar lacks"
    )
    secret_key: str = Field(default="change-me-in-production", description="signs session cookies")
    metrics_token: str | None = Field(default=None, description="bearer token required by /metrics")
    evidence_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1, description="largest evidence file accepted"
    )
    ssh_user: str = Field(default="root", description="SSH user for host verification")
    ssh_key_file: Path | None = Field(default=None, description="private key for host verification")
    ssh_config_file: Path | None = Field(default=None, description="operator's ssh_config for verification")
    ssh_host_key_checking: bool = Field(default=True, description="refuse hosts with unknown SSH keys")
    ansible_forks: int = Field(default=10, ge=1, le=500, description="hosts verified in parallel")
    verify_timeout_seconds: int = Field(default=1800, ge=10, description="a verification run's time limit")
    playbooks_dir: Path | None = Field(default=None, description="verification playbooks (default: shipped)")
    sqlite_busy_timeout_ms: int = 15000
    metrics_cache: bool = Field(
        default=True,
        description="keep /metrics groups between scrapes until a table they read changes "
        "(turn off when other programs write the database around the change log)",
    )
    sqlite_cache_mb: int = Field(
        default=64,
        ge=2,
        le=4096,
        description="SQLite page cache per connection, in MB (SQLite's own default is 2)",
    )
    sqlite_write_gate: bool = Field(
        default=True, description="queue SQLite writers fairly at a lock file beside the database"
    )
    log_sql: bool = False
    netbox_url: str | None = Field(
        default=None, description="NetBox base URL, e.g. https://netbox.example.gov"
    )
    netbox_token: SecretStr | None = Field(default=None, description="NetBox API token (v1 or v2 nbt_…)")
    netbox_unit_source: str = Field(default="tenant", description="tenant or tenant_group → unit")
    netbox_unit_kind: str = Field(
        default="county_department", description="kind of units created from NetBox"
    )
    netbox_system_tag_prefix: str = Field(default="tz-", description="tag slug prefix + catalogue number")
    netbox_system_field: str = Field(
        default="taizhang_systems", description="custom field of catalogue numbers"
    )
    netbox_retired_statuses: list[str] = Field(default=["offline", "decommissioning"])
    netbox_page_size: int = Field(default=1000, ge=1, le=1000)
    netbox_timeout: float = Field(default=30.0, gt=0)
    netbox_retries: int = Field(default=4, ge=0, le=10)

    @field_validator(
        "policy_file",
        "workday_overrides_file",
        "ssh_key_file",
        "ssh_config_file",
        "playbooks_dir",
        "netbox_url",
        "netbox_token",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("netbox_url")
    @classmethod
    def _outbound_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_outbound_url(value, setting=f"{ENV_PREFIX}NETBOX_URL", label="NetBox 地址")


def _settings_error(exc: ValidationError) -> SettingsError:
    lines = []
    for error in exc.errors(include_input=False):
        name = ENV_PREFIX + "_".join(str(part) for part in error["loc"]).upper()
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, OutboundUrlError):
            lines.append(str(cause))
        else:
            lines.append(f"配置 {name} 无效：{error['msg']}")
    return SettingsError("\n".join(lines))


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise _settings_error(exc) from None


def reset_settings_cache() -> None:
    get_settings.cache_clear()
