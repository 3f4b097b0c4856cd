"""Which ledger records evidence may be attached to, and how a caller's unit scope confines them.

An attachable type is named like the change log names objects (``inventory.project``,
``security.drill``). Every ``Entity`` in ``inventory.entities``, ``migration.entities`` and any
``security.<package>.entities`` module's ``ALL_ENTITIES`` is attachable without further wiring;
anything else calls ``register_attachable``.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session

from taizhang.auth.principal import Scope
from taizhang.changelog import object_type_of
from taizhang.crud import Entity
from taizhang.errors import Invalid, NotFound

ScopeClause = Callable[[Scope], ColumnElement[bool] | None]


@dataclass(frozen=True)
class Attachable:
    object_type: str
    label: str
    model: type[Any]
    scope_clause: ScopeClause


_REGISTRY: dict[str, Attachable] = {}
_loaded = False


def register_attachable(
    object_type: str, *, label: str, model: type[Any], scope_clause: ScopeClause = lambda scope: None
) -> None:
    _REGISTRY[object_type] = Attachable(object_type, label, model, scope_clause)


def register_entity(entity: Entity) -> None:
    register_attachable(
        object_type_of(entity.model), label=entity.label, model=entity.model, scope_clause=entity.scope_clause
    )


def _provider_modules() -> list[str]:
    names = ["inventory.entities", "migration.entities"]
    import security

    for info in pkgutil.iter_modules(security.__path__):
        if info.ispkg:
            names.append(f"security.{info.name}.entities")
    return names


def _load_providers() -> None:
    global _loaded
    if _loaded:
        return
    for name in _provider_modules():
        try:
            if importlib.util.find_spec(name) is None:
                continue
        except ModuleNotFoundError:
            continue
        module = importlib.import_module(name)
        for entity in getattr(module, "ALL_ENTITIES", ()):
            if object_type_of(entity.model) not in _REGISTRY:
                register_entity(entity)
    _loaded = True


def attachable_types() -> dict[str, Attachable]:
    _load_providers()
    return dict(sorted(_REGISTRY.items()))


def lookup(object_type: str) -> Attachable:
    types = attachable_types()
    if object_type not in types:
        raise Invalid(f"不能向“{object_type}”附加佐证材料（可选：{'、'.join(types)}）", field="object_type")
    return types[object_type]


def _visible(attachable: Attachable, scope: Scope) -> ColumnElement[bool] | None:
    return None if scope.everything else attachable.scope_clause(scope)


def check_target(session: Session, object_type: str, object_id: int, scope: Scope) -> Attachable:
    """The target's type, once the record exists and the caller may read it (else 404)."""
    attachable = lookup(object_type)
    stmt = select(attachable.model.id).where(attachable.model.id == object_id)
    clause = _visible(attachable, scope)
    if clause is not None:
        stmt = stmt.where(clause)
    if session.execute(stmt).first() is None:
        raise NotFound(f"{attachable.label} {object_id} 不存在")
    return attachable


def readable_clause(type_column: Any, id_column: Any, scope: Scope) -> ColumnElement[bool] | None:
    """Rows (object_type, object_id) whose target ``scope`` may read; None when it may read all."""
    if scope.everything:
        return None
    parts = []
    for object_type, attachable in attachable_types().items():
        clause = attachable.scope_clause(scope)
        if clause is None:
            parts.append(type_column == object_type)
        else:
            visible = select(attachable.model.id).where(clause)
            parts.append(and_(type_column == object_type, id_column.in_(visible)))
    return or_(*parts) if parts else false()
