"""Users, their units and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from taizhang.auth.roles import Role
from taizhang.db import Base, IdMixin, TimestampMixin, Tracked
from taizhang.enum_type import EnumColumn

if TYPE_CHECKING:
    from inventory.models import Unit

user_units = Table(
    "user_units",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("units.id", ondelete="CASCADE"), primary_key=True),
)


class User(Tracked, IdMixin, TimestampMixin, Base):
    __tablename__ = "users"
    __changelog_exclude__ = frozenset({"password_hash", "failed_logins", "locked_until", "last_login_at"})
    __changelog_collections__ = ("units",)

    username: Mapped[str] = mapped_column(String(150), unique=True)
    full_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[Role] = mapped_column(EnumColumn(Role))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    last_login_at: Mapped[dt.datetime | None] = mapped_column()

    units: Mapped[list[Unit]] = relationship("Unit", secondary=user_units, lazy="selectin")

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"


class ApiToken(Tracked, IdMixin, TimestampMixin, Base):
    __tablename__ = "api_tokens"
    __changelog_exclude__ = frozenset({"token_hash", "last_used_at"})

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[dt.datetime | None] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    last_used_at: Mapped[dt.datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")
