"""Routes under ``/api/v1/inventory/``."""

from __future__ import annotations

from fastapi import APIRouter

from inventory.entities import ALL_ENTITIES
from taizhang.auth.roles import Permission
from taizhang.routes import crud_router

router = APIRouter(prefix="/inventory", tags=["台账"])
for _entity in ALL_ENTITIES:
    router.include_router(
        crud_router(_entity, read=Permission.INVENTORY_READ, write=Permission.INVENTORY_WRITE)
    )
