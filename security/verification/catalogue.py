"""The check catalogue (playbooks/checks.yml) and the role allow-list of listening ports."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from security.verification.choices import CheckSeverity
from taizhang.settings import get_settings

CHECK_ID = re.compile(r"^TZ-[A-Z]+-\d{3}$")
PLAYBOOK = "verify.yml"


def playbooks_dir() -> Path:
    configured = get_settings().playbooks_dir
    return configured if configured is not None else Path(__file__).resolve().parents[2] / "playbooks"


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    severity: CheckSeverity
    requirement: str
    os_families: tuple[str, ...]
    rationale: str
    remediation: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "severity": self.severity.value,
            "severity_label": self.severity.label,
            "requirement": self.requirement,
            "os_families": list(self.os_families),
            "rationale": self.rationale,
            "remediation": self.remediation,
        }


class CatalogueError(ValueError):
    pass


def _check_of(index: int, raw: Any) -> Check:
    where = f"checks.yml 第 {index + 1} 项"
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where} 不是映射")
    missing = [
        k
        for k in ("id", "title", "severity", "requirement", "os_families", "rationale", "remediation")
        if not raw.get(k)
    ]
    if missing:
        raise CatalogueError(f"{where} 缺少字段：{'、'.join(missing)}")
    if not CHECK_ID.match(str(raw["id"])):
        raise CatalogueError(f"{where} 的 id “{raw['id']}” 不符合 TZ-XXX-000 格式")
    try:
        severity = CheckSeverity(raw["severity"])
    except ValueError:
        raise CatalogueError(f"{where} 的 severity “{raw['severity']}” 无效") from None
    return Check(
        id=str(raw["id"]),
        title=str(raw["title"]),
        severity=severity,
        requirement=str(raw["requirement"]),
        os_families=tuple(str(f) for f in raw["os_families"]),
        rationale=str(raw["rationale"]),
        remediation=str(raw["remediation"]),
    )


def load_catalogue(directory: Path | None = None) -> dict[str, Check]:
    path = (directory or playbooks_dir()) / "checks.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    checks = [_check_of(i, raw) for i, raw in enumerate((data or {}).get("checks") or [])]
    by_id = {c.id: c for c in checks}
    if len(by_id) != len(checks):
        raise CatalogueError("checks.yml 中有重复的检查项编号")
    return by_id


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Check]:
    return load_catalogue()


def load_allowlist(directory: Path | None = None) -> dict[str, list[int]]:
    path = (directory or playbooks_dir()) / "service-allowlist.yml"
    roles = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("roles") or {}
    return {str(role): sorted(int(p) for p in ports) for role, ports in roles.items()}
