"""Routes for logging in with a password to get a token, and for managing users (admin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from taizhang.api import DB, allow, public
from taizhang.auth import service
from taizhang.auth.models import ApiToken, User
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Permission, Role
from taizhang.db import utcnow
from taizhang.errors import Invalid, NotFound
from taizhang.schemas import ReadSchema, Schema

router = APIRouter(tags=["用户与令牌"])


def login_limits() -> tuple[int, dt.timedelta]:
    from taizhang.policy import get_policy

    policy = get_policy()
    return (
        policy.int_value("auth.login.max_failures"),
        dt.timedelta(minutes=policy.minutes("auth.login.lockout_minutes")),
    )


class TokenRequest(Schema):
    username: str = Field(min_length=1, max_length=150, description="用户名")
    password: str = Field(min_length=1, max_length=200, description="口令")
    description: str = Field(default="", max_length=200, description="用途说明")
    expires_days: int | None = Field(default=90, ge=1, le=3650, description="有效天数（空为不过期）")


class TokenCreated(BaseModel):
    key: str
    token: str = Field(description="只显示这一次，请妥善保存")
    expires_at: dt.datetime | None


@router.post(
    "/auth/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="用口令换取 API 令牌",
    dependencies=[Depends(public("login"))],
)
def issue_token(body: TokenRequest, session: Session = DB) -> TokenCreated:
    max_failures, lockout = login_limits()
    try:
        user = service.authenticate(
            session,
            username=body.username,
            password=body.password,
            max_failures=max_failures,
            lockout=lockout,
        )
    except Exception:
        session.commit()  # keep the failure count even though the request fails
        raise
    session.info["actor"] = user.username
    expires = utcnow() + dt.timedelta(days=body.expires_days) if body.expires_days else None
    token, plain = service.create_token(session, user=user, description=body.description, expires_at=expires)
    return TokenCreated(key=token.key, token=plain, expires_at=token.expires_at)


@router.delete("/auth/tokens/{key}", status_code=204, summary="吊销令牌（本人的，或管理员吊销任意令牌）")
def revoke(key: str, principal: Principal = allow(Permission.AUTHENTICATED), session: Session = DB) -> None:
    token = session.execute(select(ApiToken).where(ApiToken.key == key)).scalar_one_or_none()
    if token is None or (principal.role is not Role.ADMIN and token.user_id != principal.user_id):
        raise NotFound(f"令牌 {key} 不存在")
    service.revoke_token(session, key=key)


class UserRead(ReadSchema):
    id: int
    username: str
    full_name: str
    role: Role
    is_active: bool
    unit_ids: list[int]
    last_login_at: dt.datetime | None


def _user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        username=user.username,
        full_name=user.full_name,
        role=user.role,
        is_active=user.is_active,
        unit_ids=sorted(u.id for u in user.units),
        last_login_at=user.last_login_at,
    )


class UserCreate(Schema):
    username: str = Field(min_length=1, max_length=150, pattern=r"^[A-Za-z0-9_.\-]+$", description="用户名")
    full_name: str = Field(default="", max_length=100, description="姓名")
    role: Role = Field(description="角色")
    password: str | None = Field(default=None, max_length=200, description="口令")
    unit_ids: list[int] = Field(default_factory=list, description="所属单位")


class UserUpdate(Schema):
    full_name: str | None = Field(default=None, max_length=100)
    role: Role | None = None
    password: str | None = Field(default=None, max_length=200)
    unit_ids: list[int] | None = None
    is_active: bool | None = None


@router.get("/users", response_model=list[UserRead], summary="用户列表")
def users(principal: Principal = allow(Permission.ADMIN), session: Session = DB) -> list[UserRead]:
    return [_user_read(u) for u in service.list_users(session)]


@router.post("/users", response_model=UserRead, status_code=201, summary="新增用户")
def add_user(body: UserCreate, principal: Principal = allow(Permission.ADMIN), session: Session = DB) -> Any:
    user = service.create_user(
        session,
        username=body.username,
        role=body.role,
        password=body.password,
        unit_ids=body.unit_ids,
        full_name=body.full_name,
    )
    return _user_read(user)


@router.patch("/users/{user_id}", response_model=UserRead, summary="修改用户")
def edit_user(
    user_id: int, body: UserUpdate, principal: Principal = allow(Permission.ADMIN), session: Session = DB
) -> Any:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    service.update_user(session, user, **body.model_dump(exclude_unset=True))
    if user.role is Role.UNIT and not user.units:
        raise Invalid("委办局用户必须至少属于一个单位", field="unit_ids")
    return _user_read(user)
