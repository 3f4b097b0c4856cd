"""Settings from the environment (prefix ``TAIZHANG_``), read once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TAIZHANG_", env_file=".env", extra="ignore")

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
