"""User and token services. Passwords are argon2-hashed; tokens are shown once and stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from taizhang.auth.models import ApiToken, User
from taizhang.auth.principal import Principal
from taizhang.auth.roles import Role
from taizhang.db import utcnow
from taizhang.errors import Conflict, Invalid, NotFound, Unauthorized
from taizhang.generation import GenerationCache

_hasher = PasswordHasher()
TOKEN_PREFIX = "tz_"
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_strength(password: str) -> None:
    """GB/T 22239-2019 身份鉴别: passwords have length and complexity."""
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if len(password) < MIN_PASSWORD_LENGTH or classes < 3:
        raise Invalid(
            f"口令至少 {MIN_PASSWORD_LENGTH} 位，且包含大写字母、小写字母、数字、特殊字符中的至少三类",
            field="password",
        )


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id, username=user.username, role=user.role, unit_ids=frozenset(u.id for u in user.units)
    )


def get_user(session: Session, username: str) -> User:
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"用户“{username}”不存在")
    return user


def list_users(session: Session) -> Sequence[User]:
    return session.execute(select(User).order_by(User.username)).scalars().all()


def create_user(
    session: Session,
    *,
    username: str,
    role: Role,
    password: str | None = None,
    unit_ids: Sequence[int] = (),
    full_name: str = "",
) -> User:
    from inventory.models import Unit

    if not username.strip():
        raise Invalid("用户名不能为空", field="username")
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"用户“{username}”已存在", field="username")
    if role is Role.UNIT and not unit_ids:
        raise Invalid("委办局用户必须至少属于一个单位", field="units")
    units = []
    for unit_id in unit_ids:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise Invalid(f"单位 {unit_id} 不存在", field="units")
        units.append(unit)
    if password is not None:
        check_password_strength(password)
    user = User(
        username=username,
        role=role,
        full_name=full_name,
        password_hash=hash_password(password) if password else None,
        units=units,
        is_active=True,
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return user


def verify_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def authenticate(
    session: Session, *, username: str, password: str, max_failures: int, lockout: dt.timedelta
) -> User:
    """Check a password, counting failures and locking the account after ``max_failures``."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    failure = Unauthorized("用户名或口令错误")
    if user is None or not user.is_active:
        raise failure
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        raise Unauthorized(f"连续登录失败次数过多，账号已锁定，请 {minutes} 分钟后再试")
    if not verify_password(user, password):
        user.failed_logins = (user.failed_logins or 0) + 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
        session.flush()
        raise failure
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    session.flush()
    return user


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    session: Session, *, user: User, description: str = "", expires_at: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token; the returned plain text is shown once and never stored."""
    key = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id, key=key, token_hash=_digest(secret), description=description, expires_at=expires_at
    )
    session.add(token)
    session.flush()
    return token, f"{TOKEN_PREFIX}{key}.{secret}"


def revoke_token(session: Session, *, key: str) -> ApiToken:
    token = session.execute(select(ApiToken).where(ApiToken.key == key)).scalar_one_or_none()
    if token is None:
        raise NotFound(f"令牌 {key} 不存在")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def user_for_token(session: Session, plain: str) -> User:
    return _valid_token(session, plain).user


def _valid_token(session: Session, plain: str) -> ApiToken:
    invalid = Unauthorized("令牌无效、已过期或已吊销")
    if not plain.startswith(TOKEN_PREFIX) or "." not in plain:
        raise invalid
    key, _, secret = plain[len(TOKEN_PREFIX) :].partition(".")
    token = session.execute(select(ApiToken).where(ApiToken.key == key)).scalar_one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, _digest(secret)):
        raise invalid
    now = utcnow()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        raise invalid
    if not token.user.is_active:
        raise invalid
    return token


_token_principals = GenerationCache(max_entries=1024)


def principal_for_token(session: Session, plain: str) -> Principal:
    """The principal behind an API token, remembered until the ledger's generation moves.

    A revoked token, a changed role or unit list, a disabled user all write the change log, which
    moves the generation; expiry is checked on every use.
    """
    digest = _digest(plain)

    def compute() -> tuple[Principal, dt.datetime | None]:
        token = _valid_token(session, plain)
        return principal_of(token.user), token.expires_at

    principal, expires_at = _token_principals.get_or_compute(session, digest, compute)
    if expires_at is not None and expires_at <= utcnow():
        raise Unauthorized("令牌无效、已过期或已吊销")
    return principal


def update_user(
    session: Session,
    user: User,
    *,
    full_name: str | None = None,
    role: Role | None = None,
    password: str | None = None,
    unit_ids: Sequence[int] | None = None,
    is_active: bool | None = None,
) -> User:
    from inventory.models import Unit

    if full_name is not None:
        user.full_name = full_name
    if role is not None:
        user.role = role
    if password is not None:
        check_password_strength(password)
        user.password_hash = hash_password(password)
    if unit_ids is not None:
        units = []
        for unit_id in unit_ids:
            unit = session.get(Unit, unit_id)
            if unit is None:
                raise Invalid(f"单位 {unit_id} 不存在", field="unit_ids")
            units.append(unit)
        user.units = units
    if is_active is not None:
        user.is_active = is_active
    session.flush()
    return user
