"""Which ledger table each subject type names, and which unit a subject belongs to."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.models import (
    Host,
    NetworkAttachment,
    ProductUsage,
    Project,
    Resource,
    System,
    Unit,
    host_systems,
)
from security.findings.choices import SubjectType
from taizhang.errors import Invalid

SUBJECT_MODELS: dict[SubjectType, Any] = {
    SubjectType.UNIT: Unit,
    SubjectType.SYSTEM: System,
    SubjectType.HOST: Host,
    SubjectType.NETWORK_ATTACHMENT: NetworkAttachment,
    SubjectType.PRODUCT_USAGE: ProductUsage,
    SubjectType.PROJECT: Project,
    SubjectType.RESOURCE: Resource,
}


def subject_unit(session: Session, subject_type: SubjectType, subject_id: int) -> int | None:
    """The unit a subject belongs to; Invalid when the subject does not exist."""
    model = SUBJECT_MODELS[subject_type]
    table = model.__table__
    row = session.execute(select(table).where(table.c.id == subject_id)).first()
    if row is None:
        raise Invalid(f"{subject_type.label} {subject_id} 不存在", field="subject_id")
    if subject_type is SubjectType.UNIT:
        return subject_id
    if subject_type is SubjectType.PROJECT:
        return row.implementing_unit_id
    if subject_type is SubjectType.SYSTEM:
        return row.owner_unit_id
    if subject_type is SubjectType.HOST:
        if row.unit_id is not None:
            return row.unit_id
        owner = session.execute(
            select(System.owner_unit_id)
            .join(host_systems, host_systems.c.system_id == System.id)
            .where(host_systems.c.host_id == subject_id)
            .order_by(System.id)
            .limit(1)
        ).scalar_one_or_none()
        return owner
    return session.execute(  # tables hanging on a system
        select(System.owner_unit_id).where(System.id == row.system_id)
    ).scalar_one_or_none()
