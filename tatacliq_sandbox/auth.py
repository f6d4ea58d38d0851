"""Sellers and the JWT tokens the marketplace issues to their slave logins."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .clock import Clock

TOKEN_LIFETIME = timedelta(hours=24)
# The marketplace issues no new token to the same login within this threshold.
REISSUE_THRESHOLD = timedelta(minutes=15)

GSTIN_CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# GST state codes of the demo seller's locations, by position in slave_ids:
# Maharashtra, Karnataka, Delhi, then Tamil Nadu, Gujarat, West Bengal.
DEFAULT_SLAVE_STATES = ("27", "29", "07", "33", "24", "19")


@dataclass
class Seller:
    """A seller account of the marketplace with its logins and locations.

    ``slave_ids`` are its locations in registration order. ``store_slave_ids``
    are the OMNI stores among them (default: every slave id but the first,
    which is the main warehouse). ``slave_states`` gives the GST state code
    of a location (default by position, see DEFAULT_SLAVE_STATES).
    ``status_mappings=False`` makes every seller step fail with the
    marketplace's "Kindly Connect to Seller Portal team" message.
    ``options`` is free for the domain handlers.
    """

    seller_id: str
    seller_code: str
    username: str
    password: str
    api_key: str
    api_secret: str
    slave_ids: tuple = ()
    status_mappings: bool = True
    store_slave_ids: tuple | None = None
    slave_states: dict = field(default_factory=dict)
    delisted_skus: set = field(default_factory=set)
    name: str = ""
    options: dict = field(default_factory=dict)

    def __post_init__(self):
        self.seller_id = str(self.seller_id)
        self.slave_ids = tuple(self.slave_ids)
        if self.store_slave_ids is not None:
            self.store_slave_ids = tuple(self.store_slave_ids)
        self.delisted_skus = set(self.delisted_skus)

    @property
    def stores(self) -> tuple:
        """Return the OMNI store slave ids."""
        if self.store_slave_ids is not None:
            return self.store_slave_ids
        return self.slave_ids[1:] or self.slave_ids

    @property
    def warehouses(self) -> tuple:
        """Return the slave ids that are not OMNI stores (at least one)."""
        others = tuple(s for s in self.slave_ids if s not in self.stores)
        return others or self.slave_ids

    def slave_state(self, slave_id: str) -> str:
        """Return the GST state code where ``slave_id`` is registered."""
        if slave_id in self.slave_states:
            return self.slave_states[slave_id]
        position = self.slave_ids.index(slave_id) if slave_id in self.slave_ids else 0
        return DEFAULT_SLAVE_STATES[position % len(DEFAULT_SLAVE_STATES)]

    def gstin(self, slave_id: str) -> str:
        """Return a well-formed GSTIN (valid check character) for a location.

        Every location shares the seller's PAN, derived from the seller id;
        the entity digit counts the registrations of that PAN.
        """
        state = self.slave_state(slave_id)
        digest = hashlib.sha256(self.seller_id.encode()).digest()
        letters = "".join(chr(ord("A") + b % 26) for b in digest[:4])
        digits = f"{int.from_bytes(digest[4:8], 'big') % 10000:04d}"
        # The fourth PAN letter is C for a company.
        pan = letters[:3] + "C" + letters[3] + digits + chr(ord("A") + digest[8] % 26)
        position = self.slave_ids.index(slave_id) if slave_id in self.slave_ids else 0
        entity = GSTIN_CHARSET[1 + position % 35]
        body = f"{state}{pan}{entity}Z"
        return body + gstin_check_character(body)

    def credentials(self) -> dict:
        """Return the logins as the keyword arguments of ``tatacliq.client.Client``."""
        return {
            "seller_id": self.seller_id,
            "seller_code": self.seller_code,
            "username": self.username,
            "password": self.password,
            "api_key": self.api_key,
            "api_secret": self.api_secret,
        }

    def public_dict(self) -> dict:
        """Return the seller without its password and API secret."""
        return {
            "sellerId": self.seller_id,
            "sellerCode": self.seller_code,
            "username": self.username,
            "apiKey": self.api_key,
            "slaveIds": list(self.slave_ids),
            "storeSlaveIds": list(self.stores),
            "statusMappings": self.status_mappings,
            "name": self.name,
        }


def gstin_check_character(first14: str) -> str:
    """Return the 15th GSTIN character (mod-36 checksum of the GST network)."""
    total = 0
    for position, char in enumerate(first14.upper()):
        product = GSTIN_CHARSET.index(char) * (2 if position % 2 else 1)
        total += product // 36 + product % 36
    return GSTIN_CHARSET[(36 - total % 36) % 36]


def demo_seller() -> Seller:
    """Return the demo seller every part of the project uses."""
    return Seller(
        seller_id="273570",
        seller_code="TCQ273570",
        username="demo.slave",
        password="demo-password",
        api_key="demo-key",
        api_secret="demo-secret",
        slave_ids=("273570-WH01", "273570-ST01", "273570-ST02"),
        store_slave_ids=("273570-ST01", "273570-ST02"),
        name="Demo Fashion Retail Pvt Ltd",
    )


@dataclass
class TokenRecord:
    token: str
    seller_id: str
    username: str
    issued_at: datetime
    expires_at: datetime
    revoked: bool = False


class TokenStore:
    """Issued tokens, per seller login, with the marketplace's reissue rules."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, TokenRecord] = {}
        self._latest: dict[tuple, TokenRecord] = {}
        self._key = secrets.token_bytes(32)

    def issue(self, seller: Seller) -> TokenRecord:
        """Return the login's last token if issued within 15 minutes, else a new one."""
        now = self.clock.now()
        login = (seller.seller_id, seller.username)
        with self._lock:
            latest = self._latest.get(login)
            if (
                latest is not None
                and not latest.revoked
                and now - latest.issued_at < REISSUE_THRESHOLD
                and now < latest.expires_at
            ):
                return latest
            record = TokenRecord(
                self._sign(seller, now),
                seller.seller_id,
                seller.username,
                now,
                now + TOKEN_LIFETIME,
            )
            self._tokens[record.token] = record
            self._latest[login] = record
            return record

    def lookup(self, token: str) -> tuple[TokenRecord | None, str]:
        """Return (record, problem): problem is empty for a valid token."""
        with self._lock:
            record = self._tokens.get(token)
        if record is None:
            return None, "Invalid token"
        if record.revoked or self.clock.now() >= record.expires_at:
            return record, "Token expired"
        return record, ""

    def revoke(self, token: str) -> None:
        with self._lock:
            record = self._tokens.get(token)
            if record is not None:
                record.revoked = True

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._latest.clear()

    def _sign(self, seller: Seller, now: datetime) -> str:
        # A real HS256 JWT, so a client that peeks into the token sees the
        # usual claims; the sandbox itself trusts only its own store.
        header = {"alg": "HS256", "typ": "JWT"}
        claims = {
            "sub": seller.username,
            "sellerId": seller.seller_id,
            "sellerCode": seller.seller_code,
            "iat": int(now.timestamp()),
            "exp": int((now + TOKEN_LIFETIME).timestamp()),
            "jti": secrets.token_hex(8),
        }
        signing_input = _b64(json.dumps(header)) + "." + _b64(json.dumps(claims))
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64(signature)


def _b64(data) -> str:
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def basic_credentials(headers: dict) -> tuple[str, str] | None:
    """Return (user, password) of an HTTP Basic Authorization header, or None.

    ``headers`` has lower-case names, as ``Request.headers`` does.
    """
    header = headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except ValueError:
        return None
    user, separator, password = decoded.partition(":")
    if not separator:
        return None
    return user, password
