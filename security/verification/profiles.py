"""Per-host verification profile (TLS endpoints, required agents, SSH port, Python): CRUD entity."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator
from sqlalchemy import select

from inventory.entities import hosts_in_scope
from inventory.models import Host
from security.verification.models import HostVerificationProfile
from taizhang.auth.principal import Scope
from taizhang.crud import Entity, Filter, Reference
from taizhang.schemas import ReadSchema, RowMeta, Schema, partial_model

_ENDPOINT = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")
_PROCESS = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")


class ProfileCreate(Schema):
    host_id: int = Field(description="主机")
    tls_endpoints: list[str] = Field(default_factory=list, description="声明的 TLS 端点（主机:端口）")
    security_agents: list[str] = Field(default_factory=list, description="须运行的安全代理进程名")
    ssh_port: int | None = Field(default=None, ge=1, le=65535, description="SSH 端口")
    python_interpreter: str = Field(default="", max_length=200, description="Ansible 使用的 Python 解释器")

    @field_validator("tls_endpoints")
    @classmethod
    def _endpoints(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _ENDPOINT.match(item):
                raise ValueError(f"TLS 端点“{item}”应为 主机:端口")
        return value

    @field_validator("security_agents")
    @classmethod
    def _agents(cls, value: list[str]) -> list[str]:
        for item in value:
            if not _PROCESS.match(item):
                raise ValueError(f"进程名“{item}”只能包含字母、数字、点、下划线和连字符")
        return value


ProfileUpdate = partial_model(ProfileCreate, "ProfileUpdate")


class ProfileRead(ProfileCreate, RowMeta):
    model_config = ReadSchema.model_config


class ProfileBrief(ReadSchema):
    id: int
    host_id: int


def _in_scope(scope: Scope) -> Any:
    return HostVerificationProfile.host_id.in_(select(Host.id).where(hosts_in_scope(scope)))


def _host_scope(scope: Scope) -> Any:
    return hosts_in_scope(scope)


PROFILES = Entity(
    path="profiles",
    label="主机核验配置",
    model=HostVerificationProfile,
    create=ProfileCreate,
    update=ProfileUpdate,
    read=ProfileRead,
    brief=ProfileBrief,
    unique=[("host_id",)],
    references={"host_id": Reference(Host, "主机", scoped_by=_host_scope)},
    filters={
        "host_id": Filter(int, lambda stmt, v: stmt.where(HostVerificationProfile.host_id == v), "主机")
    },
    order_by=[HostVerificationProfile.host_id],
    scope_clause=_in_scope,
)
