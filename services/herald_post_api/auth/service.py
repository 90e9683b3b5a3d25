"""Registration and login."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import Conflict, Unauthorized
from herald_db.models import User
from herald_db.repositories import users as users_repo
from herald_post_api.auth.schemas import UserRegister
from herald_post_api.auth.security import hash_password, verify_dummy, verify_password
from herald_post_api.cpu import CpuPool


class EmailTaken(Conflict):
    slug = "email-taken"
    title = "Email already registered"


class BadCredentials(Unauthorized):
    slug = "bad-credentials"
    title = "Wrong email or password"


async def register(session: AsyncSession, cpu: CpuPool, data: UserRegister) -> User:
    if await users_repo.get_by_email(session, data.email) is not None:
        raise EmailTaken("An account with this email already exists.", field="email")
    password_hash = await hash_password(cpu, data.password)
    try:
        async with session.begin_nested():
            return await users_repo.create(
                session, email=data.email, password_hash=password_hash, timezone=data.timezone
            )
    except IntegrityError as exc:
        raise EmailTaken("An account with this email already exists.", field="email") from exc


async def authenticate(session: AsyncSession, cpu: CpuPool, email: str, password: str) -> User:
    user = await users_repo.get_by_email(session, email)
    if user is None:
        # As slow as a wrong password: the answer's time tells nothing about the account.
        await verify_dummy(cpu, password)
        raise BadCredentials("The email or password is wrong.")
    if not await verify_password(cpu, user.password_hash, password):
        raise BadCredentials("The email or password is wrong.")
    return user
