"""Sync state: when each kind of NetBox object was last synced, for incremental runs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from taizhang.db import Base, IdMixin, TimestampMixin


class NetboxSyncState(IdMixin, TimestampMixin, Base):
    """One row per (NetBox URL, object kind); ``synced_at`` is the start of the last successful sync."""

    __tablename__ = "netbox_sync_state"
    __table_args__ = (UniqueConstraint("netbox_url", "object_kind", name="uq_netbox_sync_state_kind"),)

    netbox_url: Mapped[str] = mapped_column(String(255))
    object_kind: Mapped[str] = mapped_column(String(32))
    synced_at: Mapped[dt.datetime]
    objects_seen: Mapped[int] = mapped_column(default=0)
