"""OAuth 2.0 request building with authlib, shared by the adapters."""

from __future__ import annotations

import base64
from typing import Any

import httpx
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request

from herald_platforms.common import body_of, call
from herald_platforms.errors import AuthFailed, RateLimited, Transient

FORM = "application/x-www-form-urlencoded"


def grant_uri(
    endpoint: str,
    *,
    client_id: str,
    redirect_uri: str,
    scope: str,
    state: str,
    code_challenge: str | None = None,
    **extra: str,
) -> str:
    kwargs: dict[str, Any] = dict(extra)
    if code_challenge:
        kwargs.update(code_challenge=code_challenge, code_challenge_method="S256")
    return str(
        prepare_grant_uri(
            endpoint,
            client_id,
            "code",
            redirect_uri=redirect_uri,
            scope=scope,
            state=state,
            **kwargs,
        )
    )


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


async def token_request(
    client: httpx.AsyncClient,
    url: str,
    grant_type: str,
    *,
    auth_header: str | None = None,
    **params: Any,
) -> dict[str, Any]:
    """POST a token request; refusals are AuthFailed, outages Transient."""
    body = prepare_token_request(grant_type, **{k: v for k, v in params.items() if v is not None})
    headers = {"content-type": FORM, "accept": "application/json"}
    if auth_header:
        headers["authorization"] = auth_header
    response = await call(lambda: client.post(url, content=body, headers=headers))
    return token_response(response)


def token_response(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 500:
        raise Transient(f"The token endpoint answered {response.status_code}")
    if response.status_code == 429:
        raise RateLimited("The token endpoint is rate limited", retry_after=60)
    data = body_of(response)
    if response.status_code != 200 or not isinstance(data, dict) or "access_token" not in data:
        reason = (
            data.get("error_description") or data.get("error") if isinstance(data, dict) else ""
        )
        raise AuthFailed(
            f"The platform refused the token request: {reason or response.status_code}"
        )
    return data
