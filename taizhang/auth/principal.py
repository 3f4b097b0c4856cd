"""Who is calling, and which units they may see."""

from __future__ import annotations

from dataclasses import dataclass, field

from taizhang.auth.roles import Permission, Role, role_allows


@dataclass(frozen=True)
class Scope:
    """Unit visibility: ``unit_ids is None`` means every unit."""

    unit_ids: frozenset[int] | None = None

    @property
    def everything(self) -> bool:
        return self.unit_ids is None

    def allows_unit(self, unit_id: int | None) -> bool:
        return self.unit_ids is None or (unit_id is not None and unit_id in self.unit_ids)


ALL = Scope(None)


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    role: Role
    unit_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def scope(self) -> Scope:
        return Scope(self.unit_ids) if self.role is Role.UNIT else ALL

    def can(self, permission: Permission) -> bool:
        return role_allows(self.role, permission)


SYSTEM = Principal(user_id=None, username="system", role=Role.ADMIN)
