"""Roles and what each may do. Every route declares one permission from ``Permission``."""

from __future__ import annotations

from taizhang.enums import LabeledEnum, register


@register
class Role(LabeledEnum):
    ADMIN = "admin", "系统管理员"
    OPS = "ops", "运维人员"
    SECURITY = "security", "安全员"
    UNIT = "unit", "委办局用户"
    AUDITOR = "auditor", "审计员"


class Permission(LabeledEnum):
    INVENTORY_READ = "inventory.read", "查看台账"
    INVENTORY_WRITE = "inventory.write", "修改台账"
    MIGRATION_READ = "migration.read", "查看上云迁移"
    MIGRATION_WRITE = "migration.write", "修改上云迁移"
    SECURITY_READ = "security.read", "查看安全记录"
    SECURITY_WRITE = "security.write", "修改安全记录"
    VERIFY_RUN = "verify.run", "发起主机核验"
    CHANGELOG_READ = "changelog.read", "查看变更日志"
    ADMIN = "admin", "系统管理"
    AUTHENTICATED = "authenticated", "已登录用户"


_READ = {
    Permission.INVENTORY_READ,
    Permission.MIGRATION_READ,
    Permission.SECURITY_READ,
    Permission.AUTHENTICATED,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.OPS: frozenset(
        _READ
        | {
            Permission.INVENTORY_WRITE,
            Permission.MIGRATION_WRITE,
            Permission.CHANGELOG_READ,
            Permission.VERIFY_RUN,
        }
    ),
    Role.SECURITY: frozenset(
        _READ | {Permission.SECURITY_WRITE, Permission.CHANGELOG_READ, Permission.VERIFY_RUN}
    ),
    # Unit users read and write only their own units' systems, hosts and projects; the services
    # confine every query and write of a unit-scoped principal to its units.
    Role.UNIT: frozenset(_READ | {Permission.INVENTORY_WRITE}),
    Role.AUDITOR: frozenset(_READ | {Permission.CHANGELOG_READ}),
}


def role_allows(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
