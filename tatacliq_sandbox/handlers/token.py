"""The token route: ``POST /security/createJWTToken``."""

from __future__ import annotations

import hmac

from ..auth import basic_credentials
from ..clock import india_time
from ..errors import ApiError
from ..registry import Request, handles

REQUIRED_FIELDS = ("username", "password", "sellerCode")


@handles("token", auth=False)
def create_token(request: Request) -> dict:
    """Issue a token to a slave login; HTTP Basic carries the integrator key pair."""
    key_pair = basic_credentials(request.headers)
    if key_pair is None:
        raise ApiError(
            "Missing HTTP Basic authentication; send the API key as user and the "
            "API secret as password.",
            401,
        )
    body = request.body if isinstance(request.body, dict) else {}
    missing = [
        name for name in REQUIRED_FIELDS if not str(body.get(name) or "").strip()
    ]
    if missing:
        raise ApiError(
            f"Missing {', '.join(missing)} in the token request body; send "
            "username, password, sellerCode and callerName.",
        )
    seller_code = str(body["sellerCode"]).strip()
    seller = next(
        (
            s
            for s in list(request.state.sellers.values())
            if s.seller_code == seller_code
        ),
        None,
    )
    if seller is None:
        raise ApiError(
            f"Invalid seller code {seller_code}; check the seller code.", 401
        )
    api_key, api_secret = key_pair
    if not (_same(api_key, seller.api_key) and _same(api_secret, seller.api_secret)):
        raise ApiError(
            f"Invalid API key or secret for seller code {seller_code}; check the "
            "integrator key pair.",
            401,
        )
    if not (
        _same(str(body["username"]), seller.username)
        and _same(str(body["password"]), seller.password)
    ):
        raise ApiError(
            f"Invalid username or password for seller code {seller_code}; check "
            "the slave login.",
            401,
        )
    request.seller = seller
    record = request.sandbox.tokens.issue(seller)
    return {"jwtToken": record.token, "tokenExpiryDate": india_time(record.expires_at)}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
