"""HTTP client of the Tata CLiQ seller API.

``BaseClient`` implements the transport: the token, retries, error mapping and the
``on_call`` record of every attempt. ``Client`` adds the order calls here and
the fulfilment, inventory and returns calls of its mixins, which all go
through ``BaseClient.call``.

One client uses one ``requests.Session``; share a client between threads only
for token caching, which is module-level and thread-safe, not for calls.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import random
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlencode, urlsplit

import requests

from . import codecs
from .errors import (
    AuthenticationError,
    DecodingError,
    MalformedResponseError,
    TataCliqError,
    TransientError,
    classify_message,
)
from .fulfilment import FulfilmentMixin
from .inventory import InventoryMixin
from .orders import OrdersMixin
from .redact import redact_text, redact_url, secret_forms, truncate
from .returns import ReturnsMixin
from .routes import Route, build_routes

_logger = logging.getLogger(__name__)

# The client refreshes a token this long before the marketplace's expiry.
TOKEN_REFRESH_MARGIN = timedelta(minutes=10)
# How long a token is reused when its expiry is missing, unreadable or already
# past by this machine's clock. A 401 still triggers a refresh before that.
TOKEN_FALLBACK_LIFETIME = timedelta(minutes=30)
# Bodies in CallRecord are cut to this many characters.
RECORD_BODY_LIMIT = 20000
# Redaction runs on this many characters past a cut, so a secret that starts
# before the cut is masked whole. Longer than any password, key or token.
REDACTION_MARGIN = 4096
# Marketplace error messages are cut to this many characters in errors.
ERROR_MESSAGE_LIMIT = 1000
# Bytes read from the socket per step of a response body.
BODY_CHUNK_BYTES = 65536
# A bearer token must be visible ASCII: a space, a line break or a non-ASCII
# character cannot be sent in the Authorization header.
TOKEN_PATTERN = re.compile(r"[\x21-\x7e]+")
# Upper bound of one exponential backoff delay, in seconds.
MAX_BACKOFF = 30.0
AUTH_STATUSES = (401, 403)
RETRY_STATUSES = frozenset({429} | set(range(500, 600)))
# Element name of a V1 request body when the caller names none.
DEFAULT_REQUEST_ROOT = "request"
PATH_VERSIONS = {"V1": "1.0", "V2": "2.0"}
PATH_FORMATS = {"V1": "XML", "V2": "JSON"}
MEDIA_TYPES = {
    "json": "application/json",
    "xml": "application/xml",
    "pdf": "application/pdf",
}


@dataclass(frozen=True)
class CallRecord:
    """One HTTP attempt, with secrets redacted and bodies cut to 20000 characters.

    ``status`` is ``None`` when no response arrived; ``attempt`` counts from 1
    and restarts for the call repeated after a token refresh.
    """

    route: str
    method: str
    url: str
    status: int | None
    duration_ms: int
    request_body: str | None
    response_body: str | None
    error: str | None
    attempt: int


@dataclass(frozen=True)
class _CachedToken:
    token: str
    expires_at: datetime
    refresh_at: datetime
    # Hash of the credentials the token was issued for, so a client with a
    # different password never reuses another client's token.
    fingerprint: str


_token_cache: dict[tuple, _CachedToken] = {}
_token_locks: dict[tuple, threading.Lock] = {}
_token_cache_lock = threading.Lock()


def clear_token_cache() -> None:
    """Forget every cached token of this process."""
    with _token_cache_lock:
        _token_cache.clear()


def _token_lock(key: tuple) -> threading.Lock:
    with _token_cache_lock:
        return _token_locks.setdefault(key, threading.Lock())


def _cached_token(key: tuple) -> _CachedToken | None:
    with _token_cache_lock:
        return _token_cache.get(key)


def _store_token(key: tuple, entry: _CachedToken | None) -> None:
    with _token_cache_lock:
        if entry is None:
            _token_cache.pop(key, None)
        else:
            _token_cache[key] = entry


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class BaseClient:
    """Transport of the seller API: token, retries, errors and call records."""

    # Upper bound for a Retry-After delay, in seconds.
    max_retry_after = 30.0
    # Maximum size of a response body read, in bytes (after gzip decoding). The largest
    # expected responses, an order page of 500 orders or a manifest PDF, take
    # a few megabytes.
    max_response_bytes = 64 * 1024 * 1024
    # Maximum time one attempt may take to receive its response, in seconds.
    # The read timeout bounds each wait for data, so a server that sends a
    # byte now and then would otherwise hold the call without end.
    # NOTE: the limit is enforced once the status line and headers are in;
    # headers sent a byte at a time are bounded only by the read timeout per
    # byte, because requests exposes no socket before it returns a response.
    max_response_seconds = 120.0

    def __init__(
        self,
        base_url: str,
        seller_id: str,
        seller_code: str,
        username: str,
        password: str,
        api_key: str,
        api_secret: str,
        version: str = "V1",
        caller_name: str = "tatacliq_connector",
        route_overrides: dict | str | None = None,
        timeout: tuple[float, float] | float = (5.0, 30.0),
        max_retries: int = 3,
        backoff: float = 0.5,
        on_call: Callable[[CallRecord], None] | None = None,
    ):
        parts = urlsplit(base_url or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                f"Invalid base URL {redact_url(base_url)!r}; expected "
                "https://host or https://host/path."
            )
        if parts.query or parts.fragment:
            # The route paths are appended to the base URL, after its query.
            raise ValueError(
                f"Invalid base URL {redact_url(base_url)!r}: it has a query or "
                "fragment; expected https://host or https://host/path."
            )
        if "@" in parts.netloc:
            # requests would send user:password as HTTP Basic authentication
            # in place of the token, and the URL ends up in logs.
            raise ValueError(
                f"Invalid base URL {redact_url(base_url)!r}: it contains a user "
                "name or password. Remove them; the client signs in with the "
                "login and API key pair of the channel."
            )
        missing = [
            name
            for name, value in (
                ("seller id", seller_id),
                ("seller code", seller_code),
                ("username", username),
                ("password", password),
                ("API key", api_key),
                ("API secret", api_secret),
            )
            if not value
        ]
        if missing:
            raise ValueError(
                f"Missing {', '.join(missing)} for the Tata CLiQ client; fill them "
                "in on the channel."
            )
        if isinstance(timeout, (int, float)):
            timeout = (float(timeout), float(timeout))
        if (
            not isinstance(timeout, (tuple, list))
            or len(timeout) != 2
            or not all(
                isinstance(seconds, (int, float)) and 0 < seconds < float("inf")
                for seconds in timeout
            )
        ):
            raise ValueError(
                f"Invalid timeout {timeout!r}; use seconds above 0, one number or "
                "(connect, read)."
            )
        if int(max_retries) < 0:
            raise ValueError(f"Invalid max_retries {max_retries}; use 0 or more.")
        if not 0 <= float(backoff) <= MAX_BACKOFF:
            raise ValueError(
                f"Invalid backoff {backoff}; use 0 to {MAX_BACKOFF:g} seconds."
            )
        if isinstance(route_overrides, str):
            route_overrides = _parse_route_overrides(route_overrides)

        self.base_url = base_url.rstrip("/")
        self.seller_id = str(seller_id).strip()
        self.seller_code = str(seller_code).strip()
        self.username = str(username).strip()
        self.password = password
        self.api_key = api_key
        self.api_secret = api_secret
        self.version = codecs.normalize_version(version)
        self.caller_name = caller_name
        self.routes = build_routes(route_overrides)
        self.timeout = tuple(timeout)
        self.max_retries = int(max_retries)
        self.backoff = float(backoff)
        self.on_call = on_call
        # Source of "now" for token expiry; tests point it at a sandbox clock.
        self.clock: Callable[[], datetime] = _utc_now

        self._session = requests.Session()
        self._session.verify = True
        # Without an auth handler, requests replaces the Authorization header
        # with credentials from ~/.netrc (or $NETRC) for the marketplace host.
        self._session.auth = _keep_authorization_header
        self._session.headers["User-Agent"] = f"{caller_name} (tatacliq client)"
        self._token_key = (self.base_url, self.seller_id, self.username)
        self._fingerprint = hashlib.sha256(
            "\0".join(
                (self.seller_code, password, api_key, api_secret, caller_name)
            ).encode("utf-8")
        ).hexdigest()
        self._tokens_seen: list[str] = []

    def __repr__(self):
        return (
            f"<{type(self).__name__} {self.base_url} seller {self.seller_id} "
            f"{self.version}>"
        )

    def close(self) -> None:
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # Redaction -------------------------------------------------------------

    def _secrets(self) -> list[str]:
        return secret_forms(
            [self.password, self.api_key, self.api_secret, *self._tokens_seen]
        )

    def redact(self, text: str | None) -> str | None:
        """Return ``text`` without this client's password, keys and tokens."""
        return redact_text(text, self._secrets())

    # Token -----------------------------------------------------------------

    def get_token(self) -> str:
        """Return a valid token, from the cache or freshly requested.

        Every client of this process with the same base URL, seller and login
        shares the cache. A token is refreshed 10 minutes before its expiry.
        """
        entry = self._usable_token()
        if entry is not None:
            return entry.token
        with _token_lock(self._token_key):
            # Another thread may have fetched a token while this one waited.
            entry = self._usable_token()
            if entry is not None:
                return entry.token
            return self._fetch_token().token

    def _usable_token(self, rejected: str | None = None) -> _CachedToken | None:
        entry = _cached_token(self._token_key)
        if (
            entry is None
            or entry.fingerprint != self._fingerprint
            or entry.token == rejected
            or self.clock() >= entry.refresh_at
        ):
            return None
        self._remember_token(entry.token)
        return entry

    def _refresh_token(self, rejected: str) -> str:
        """Return a cached token other than ``rejected``, or request one token.

        The marketplace may return the rejected token again (it reissues no
        token within 15 minutes); the caller then raises instead of retrying.
        """
        with _token_lock(self._token_key):
            entry = self._usable_token(rejected=rejected)
            if entry is not None:
                return entry.token
            return self._fetch_token().token

    def _remember_token(self, token: str) -> None:
        if token not in self._tokens_seen:
            self._tokens_seen.append(token)
            del self._tokens_seen[:-5]

    def _fetch_token(self) -> _CachedToken:
        route = self.routes["token"]
        url = self._build_url(route, {})
        body = {
            "username": self.username,
            "password": self.password,
            "sellerCode": self.seller_code,
            "callerName": self.caller_name,
        }
        credentials = f"{self.api_key}:{self.api_secret}".encode()
        headers = {
            "Authorization": "Basic " + base64.b64encode(credentials).decode("ascii"),
            "Content-Type": MEDIA_TYPES["json"],
            "Accept": MEDIA_TYPES["json"],
        }
        data = json.dumps(body).encode("utf-8")
        response, record = self._send(route, url, data=data, headers=headers)
        try:
            entry = self._read_token(route, response)
        except TataCliqError as exc:
            self._emit(replace(record, error=self.redact(exc.message)))
            raise
        self._emit(record)
        return entry

    def _read_token(self, route: Route, response: requests.Response) -> _CachedToken:
        """Cache the token of a token response; raise for any other response."""
        if 300 <= response.status_code < 400:
            raise self._redirect_error(route, response)
        if not 200 <= response.status_code < 300:
            message, _code, _ids = self._parse_error(route, response)
            raise AuthenticationError(
                f"Tata CLiQ rejected the token request of login {self.username!r} "
                f"of seller {self.seller_id} (HTTP {response.status_code}): {message}",
                route=route.name,
                status=response.status_code,
            )

        payload = self._decode(route, response)
        token = codecs.clean(payload.get("jwtToken"))
        if not isinstance(token, str) or not token:
            raise MalformedResponseError(
                f"{route.name}: the token response has no jwtToken "
                f"(fields: {', '.join(sorted(payload)) or 'none'}).",
                route=route.name,
                status=response.status_code,
            )
        self._remember_token(token)
        if not TOKEN_PATTERN.fullmatch(token):
            raise MalformedResponseError(
                f"{route.name}: the jwtToken of the token response contains a "
                "space, a line break or a non-ASCII character, so it cannot be "
                "sent in an Authorization header. Report it to the account "
                "manager.",
                route=route.name,
                status=response.status_code,
            )

        now = self.clock()
        expires_at = self._token_expiry(payload.get("tokenExpiryDate"), now)
        refresh_at = expires_at - TOKEN_REFRESH_MARGIN
        if refresh_at <= now:
            # A token that expires within the margin is still used until its
            # expiry, so a marketplace that reissues the same token does not
            # make every call request a new one.
            refresh_at = expires_at

        entry = _CachedToken(token, expires_at, refresh_at, self._fingerprint)
        _store_token(self._token_key, entry)
        _logger.info(
            "Received a new Tata CLiQ token for login %s of seller %s, valid until %s",
            self.username,
            self.seller_id,
            expires_at.isoformat(),
        )
        return entry

    def _token_expiry(self, value, now: datetime) -> datetime:
        try:
            expires_at = codecs.parse_datetime(value, "tokenExpiryDate")
        except DecodingError as exc:
            _logger.warning(
                "%s; reusing the token for %s", exc, TOKEN_FALLBACK_LIFETIME
            )
            expires_at = None
        if expires_at is None or expires_at <= now:
            if expires_at is not None:
                _logger.warning(
                    "Tata CLiQ token expiry %s is already past by this server's "
                    "clock (%s); check the system time. Reusing the token for %s.",
                    expires_at.isoformat(),
                    now.isoformat(),
                    TOKEN_FALLBACK_LIFETIME,
                )
            return now + TOKEN_FALLBACK_LIFETIME
        return expires_at

    # Calls -----------------------------------------------------------------

    def call(
        self,
        route_name: str,
        params: dict | None = None,
        body: dict | None = None,
        query: dict | None = None,
        root: str | None = None,
    ) -> dict | bytes:
        """Call a route with a token and return its decoded payload.

        ``params`` fill the route's path template, ``body`` is encoded in the
        client's version (XML under ``root`` for V1), ``query`` is the query
        string. Returns a dict, or bytes for a PDF route. Raises
        ``AuthenticationError``, ``TransientError`` (after the retries),
        ``MalformedResponseError`` or a ``MarketplaceError`` subclass.
        """
        route = self._get_route(route_name)
        url = self._build_url(route, params or {})
        body_format = self._body_format(route)
        headers = {"Accept": MEDIA_TYPES[self._response_format(route)]}
        data = None
        if body is not None:
            version = "V1" if body_format == "xml" else "V2"
            data = codecs.encode(body, version, root or DEFAULT_REQUEST_ROOT)
            headers["Content-Type"] = f"{MEDIA_TYPES[body_format]}; charset=utf-8"

        token = self.get_token()
        response, record = self._send(
            route, url, data=data, headers=self._bearer(headers, token), query=query
        )
        if response.status_code in AUTH_STATUSES:
            self._emit(
                replace(
                    record,
                    error=f"HTTP {response.status_code}: token rejected, "
                    "requesting a new token and repeating the call once",
                )
            )
            _logger.info(
                "Tata CLiQ rejected the token on %s (HTTP %s); requesting a new "
                "token and repeating the call once",
                route.name,
                response.status_code,
            )
            token = self._refresh_token(rejected=token)
            response, record = self._send(
                route, url, data=data, headers=self._bearer(headers, token), query=query
            )

        try:
            result = self._read_response(route, response)
        except TataCliqError as exc:
            self._emit(replace(record, error=self.redact(exc.message)))
            raise
        self._emit(record)
        return result

    @staticmethod
    def _bearer(headers: dict, token: str) -> dict:
        return {**headers, "Authorization": f"Bearer {token}"}

    def _get_route(self, route_name: str) -> Route:
        try:
            return self.routes[route_name]
        except KeyError:
            raise ValueError(
                f"Unknown route {route_name!r}; known routes: "
                f"{', '.join(sorted(self.routes))}."
            )

    def _build_url(self, route: Route, params: dict) -> str:
        values = {
            key: quote(str(value), safe="")
            for key, value in {**params, "seller_id": self.seller_id}.items()
        }
        values["version"] = PATH_VERSIONS[self.version]
        values["fmt"] = PATH_FORMATS[self.version]
        try:
            path = route.path.format(**values)
        except KeyError as exc:
            raise ValueError(
                f"Route {route.name!r} needs the parameter {exc.args[0]!r} in its "
                f"path {route.path!r}; pass it in params."
            )
        except (IndexError, ValueError) as exc:
            raise ValueError(
                f"Invalid path template {route.path!r} for route {route.name!r}: {exc}."
            )
        if not path.startswith("/"):
            path = "/" + path
        return self.base_url + path

    def _body_format(self, route: Route) -> str:
        if route.response == "json":
            return "json"
        return "xml" if self.version == "V1" else "json"

    def _response_format(self, route: Route) -> str:
        if route.response == "pdf":
            return "pdf"
        return self._body_format(route)

    # Transport -------------------------------------------------------------

    def _send(
        self,
        route: Route,
        url: str,
        *,
        data: bytes | None = None,
        headers: dict,
        query: dict | None = None,
    ) -> tuple[requests.Response, CallRecord]:
        """Send a request, retrying transient failures.

        Returns the final response (any status that is not retried) and its
        record, which the caller completes and emits. Raises
        ``TransientError`` when the retries are used up,
        ``MalformedResponseError`` when a response body is cut off and
        ``TataCliqError`` for a request that cannot be sent.
        """
        full_url = url + ("?" + urlencode(query) if query else "")
        attempts = self.max_retries + 1
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            response = None
            try:
                response = self._session.request(
                    route.method,
                    url,
                    params=query,
                    data=data,
                    headers=headers,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                # Read the whole body now, so a connection lost mid-body
                # counts as a failed attempt.
                self._read_body(route, response, started, attempt)
            except TataCliqError as exc:
                error = exc
            except requests.exceptions.ChunkedEncodingError as exc:
                error = MalformedResponseError(
                    f"{route.name}: the response body was cut off "
                    f"({self.redact(str(exc))}).",
                    route=route.name,
                )
            except requests.exceptions.ContentDecodingError as exc:
                error = MalformedResponseError(
                    f"{route.name}: the response body does not match its "
                    f"Content-Encoding {response.headers.get('Content-Encoding')!r} "
                    f"({self.redact(str(exc))}).",
                    route=route.name,
                    status=response.status_code,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                error = self._transport_error(route, exc, attempt)
            except requests.RequestException as exc:
                # Not transient: an invalid URL or header, a broken encoding.
                error = TataCliqError(
                    self.redact(f"{route.name}: the request failed: {exc}"),
                    route=route.name,
                )
            else:
                if response.status_code not in RETRY_STATUSES:
                    return response, self._record(
                        route, full_url, data, response, started, attempt
                    )
                error = self._status_error(route, response, attempt)

            self._emit(
                self._record(
                    route, full_url, data, response, started, attempt, error.message
                )
            )
            if not isinstance(error, TransientError):
                raise error
            if attempt == attempts:
                _logger.warning(
                    "Giving up on Tata CLiQ %s after %s attempt(s): %s",
                    route.name,
                    attempts,
                    error.message,
                )
                raise error
            delay = self._retry_delay(attempt, error.retry_after)
            _logger.warning(
                "Retrying Tata CLiQ %s %s in %.2f s (retry %s of %s) after: %s",
                route.method,
                route.name,
                delay,
                attempt,
                self.max_retries,
                error.message,
            )
            time.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _read_body(
        self,
        route: Route,
        response: requests.Response,
        started: float,
        attempt: int,
    ) -> None:
        """Read the body into ``response.content`` within the size and time limits.

        Raises ``MalformedResponseError`` for a body above
        ``max_response_bytes`` and ``TransientError`` when the attempt takes
        longer than ``max_response_seconds``. The connection is closed then.
        """
        remaining = started + self.max_response_seconds - time.monotonic()
        watchdog = _ReadWatchdog(response, max(remaining, 0.0))
        chunks = []
        size = 0
        complete = False
        try:
            for chunk in response.iter_content(BODY_CHUNK_BYTES):
                size += len(chunk)
                if size > self.max_response_bytes:
                    raise MalformedResponseError(
                        f"{route.name}: the response body is larger than "
                        f"{self.max_response_bytes} bytes (HTTP "
                        f"{response.status_code}, Content-Type "
                        f"{response.headers.get('Content-Type')!r}); the client "
                        "stopped reading it.",
                        route=route.name,
                        status=response.status_code,
                    )
                chunks.append(chunk)
                if watchdog.fired:
                    break
            complete = not watchdog.fired
        except requests.RequestException:
            if not watchdog.fired:
                raise
        finally:
            watchdog.cancel()
            # requests keeps a read body in these attributes too; a partial
            # body stays readable for the call record.
            response._content = b"".join(chunks)
            response._content_consumed = True
            if not complete:
                response.close()
        if watchdog.fired:
            raise TransientError(
                f"{route.name}: the response from {urlsplit(self.base_url).hostname} "
                f"took longer than {self.max_response_seconds:g} s on attempt "
                f"{attempt}; the client stopped reading it after {size} bytes.",
                route=route.name,
                status=response.status_code,
            )
        expected = _content_length(response)
        if expected is not None and size != expected:
            # urllib3 1.x returns a body cut short by a closed connection
            # without an error.
            raise MalformedResponseError(
                f"{route.name}: the response body was cut off: {size} of "
                f"{expected} bytes (Content-Length) arrived.",
                route=route.name,
                status=response.status_code,
            )

    def _transport_error(
        self, route: Route, exc: Exception, attempt: int
    ) -> TransientError:
        if isinstance(exc, requests.Timeout) or "timed out" in str(exc).lower():
            reason = (
                f"timed out (connect timeout {self.timeout[0]} s, read timeout "
                f"{self.timeout[1]} s)"
            )
        else:
            reason = f"failed to connect or lost the connection ({exc})"
        return TransientError(
            self.redact(
                f"{route.name}: the request to {urlsplit(self.base_url).netloc} "
                f"{reason} on attempt {attempt}."
            ),
            route=route.name,
        )

    def _status_error(
        self, route: Route, response: requests.Response, attempt: int
    ) -> TransientError:
        message, _code, _ids = self._parse_error(route, response)
        retry_after = None
        if response.status_code == 429:
            retry_after = _parse_retry_after(response.headers.get("Retry-After"))
        return TransientError(
            f"{route.name}: Tata CLiQ returned HTTP {response.status_code} on "
            f"attempt {attempt}: {message}",
            route=route.name,
            status=response.status_code,
            retry_after=retry_after,
        )

    def _retry_delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.max_retry_after)
        base = self.backoff * 2 ** (attempt - 1)
        # Jitter spreads the retries of parallel workers apart.
        return min(base + random.uniform(0, base), MAX_BACKOFF)

    # Responses -------------------------------------------------------------

    def _read_response(self, route: Route, response: requests.Response) -> dict | bytes:
        status = response.status_code
        if status in AUTH_STATUSES:
            message, _code, _ids = self._parse_error(route, response)
            raise AuthenticationError(
                f"{route.name}: Tata CLiQ rejected a fresh token (HTTP {status}): "
                f"{message}",
                route=route.name,
                status=status,
            )
        if 300 <= status < 400:
            raise self._redirect_error(route, response)
        if not 200 <= status < 300:
            message, code, transaction_ids = self._parse_error(route, response)
            error_class = classify_message(message)
            detail = f"HTTP {status}, {code}" if code else f"HTTP {status}"
            raise error_class(
                f"Tata CLiQ rejected {route.name} ({detail}): {message}",
                route=route.name,
                status=status,
                error_code=code,
                transaction_ids=transaction_ids,
            )
        if route.response == "pdf":
            return self._read_pdf(route, response)
        payload = self._decode(route, response)
        if _is_error_body(payload):
            message, code, transaction_ids = self._parse_error(route, response)
            detail = f"HTTP {status} with a FAILURE body"
            if code:
                detail += f", {code}"
            raise classify_message(message)(
                f"Tata CLiQ rejected {route.name} ({detail}): {message}",
                route=route.name,
                status=status,
                error_code=code,
                transaction_ids=transaction_ids,
            )
        return payload

    def _redirect_error(self, route: Route, response: requests.Response):
        location = response.headers.get("Location") or "(no Location header)"
        return TataCliqError(
            f"{route.name}: Tata CLiQ responded with HTTP {response.status_code}, a "
            f"redirect to {redact_url(location, self._secrets())}; the client "
            "does not follow redirects, so the token never leaves the configured "
            "host. Check the base URL of the channel.",
            route=route.name,
            status=response.status_code,
        )

    def _read_pdf(self, route: Route, response: requests.Response) -> bytes:
        content = response.content
        if not content.startswith(b"%PDF-"):
            snippet = self.redact(content[:200].decode("utf-8", errors="replace"))
            raise MalformedResponseError(
                f"{route.name}: expected a PDF document, got: {snippet}",
                route=route.name,
                status=response.status_code,
                snippet=snippet,
            )
        # A complete PDF ends with %%EOF (allowing trailing whitespace).
        if b"%%EOF" not in content[-1024:]:
            raise MalformedResponseError(
                f"{route.name}: the PDF document is cut off after "
                f"{len(content)} bytes.",
                route=route.name,
                status=response.status_code,
            )
        return content

    def _decode(self, route: Route, response: requests.Response) -> dict:
        version = "V1" if self._body_format(route) == "xml" else "V2"
        content_type = response.headers.get("Content-Type")
        try:
            return codecs.decode(response.content, version, content_type)
        except MalformedResponseError as exc:
            raise MalformedResponseError(
                f"{route.name}: {self.redact(exc.message)}",
                route=route.name,
                status=response.status_code,
                snippet=self.redact(exc.snippet),
            )

    def _parse_error(
        self, route: Route, response: requests.Response
    ) -> tuple[str, str | None, tuple]:
        """Return (message, error code, transaction ids) of an error response."""
        content = response.content or b""
        start = content.lstrip()[:1]
        if start == b"<":
            content_type = MEDIA_TYPES["xml"]
        elif start in (b"{", b"["):
            content_type = MEDIA_TYPES["json"]
        else:
            content_type = response.headers.get("Content-Type")
        try:
            payload = codecs.decode(content, self.version, content_type)
        except MalformedResponseError:
            payload = {}
        message = codecs.clean(payload.get("errorMessage")) or codecs.clean(
            payload.get("message")
        )
        if not isinstance(message, str):
            snippet = content[:1000].decode("utf-8", errors="replace").strip()
            snippet = self.redact(snippet)[:200]
            message = f"no error message in the response body: {snippet or '(empty)'}"
        elif len(message) > ERROR_MESSAGE_LIMIT:
            message = (
                self.redact(message[: ERROR_MESSAGE_LIMIT + REDACTION_MARGIN])[
                    :ERROR_MESSAGE_LIMIT
                ]
                + f"... [{len(message)} characters]"
            )
        code = codecs.clean(payload.get("errorCode"))
        return (
            self.redact(message),
            code if isinstance(code, str) else None,
            tuple(_flatten_ids(payload.get("transactionIds"))),
        )

    # Records ---------------------------------------------------------------

    def _record(
        self,
        route: Route,
        url: str,
        data: bytes | None,
        response: requests.Response | None,
        started: float,
        attempt: int,
        error: str | None = None,
    ) -> CallRecord:
        response_body = None
        status = None
        if response is not None:
            status = response.status_code
            content = response.content or b""
            if content.startswith(b"%PDF-"):
                response_body = f"<PDF document, {len(content)} bytes>"
            else:
                response_body = self._record_text(content)
        return CallRecord(
            route=route.name,
            method=route.method,
            url=redact_url(url, self._secrets()),
            status=status,
            duration_ms=int((time.monotonic() - started) * 1000),
            request_body=self._record_text(data),
            response_body=response_body,
            error=self.redact(error),
            attempt=attempt,
        )

    def _record_text(self, content: bytes | None) -> str | None:
        if content is None:
            return None
        text = content.decode("utf-8", errors="replace")
        window = RECORD_BODY_LIMIT + REDACTION_MARGIN
        if len(text) <= window:
            return truncate(self.redact(text), RECORD_BODY_LIMIT)
        # Redacting only the start keeps a large body from costing seconds.
        head = self.redact(text[:window])[:RECORD_BODY_LIMIT]
        return f"{head}... [truncated, {len(text)} characters in total]"

    def _emit(self, record: CallRecord) -> None:
        if self.on_call is None:
            return
        try:
            self.on_call(record)
        except Exception as exc:  # a broken log writer must not stop the call
            _logger.warning(
                "The on_call callback failed for %s: %s",
                record.route,
                self.redact(str(exc)),
            )


def _content_length(response: requests.Response) -> int | None:
    """Return the body size the headers announce, or ``None`` when unknown.

    With a Content-Encoding the header counts encoded bytes, which the read
    body (decoded) does not match.
    """
    if response.headers.get("Content-Encoding", "identity").lower() != "identity":
        return None
    if response.request is not None and response.request.method == "HEAD":
        return None
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _keep_authorization_header(request):
    """Leave the request's own Authorization header in place (a requests auth)."""
    return request


class _ReadWatchdog:
    """Shut down a response's socket after ``seconds`` unless cancelled first.

    A blocked read then returns, so a body that arrives a byte at a time
    cannot hold a call longer than its time limit.
    """

    def __init__(self, response: requests.Response, seconds: float):
        self.fired = False
        self._response = response
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._timer.start()

    def _fire(self) -> None:
        self.fired = True
        connection = getattr(self._response.raw, "connection", None)
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed

    def cancel(self) -> None:
        self._timer.cancel()


# Fields of the marketplace's error body; a payload of only these is an error.
ERROR_FIELDS = frozenset(
    {"status", "errorCode", "errorMessage", "message", "transactionIds"}
)


def _is_error_body(payload) -> bool:
    """Return whether a 200 payload is the marketplace's error body.

    Batch routes carry ``status`` FAILURE next to their per-item results, so
    only a payload without any other field counts.
    """
    if not isinstance(payload, dict) or not set(payload) <= ERROR_FIELDS:
        return False
    status = codecs.clean(payload.get("status"))
    return isinstance(status, str) and status.upper() == "FAILURE"


def _parse_route_overrides(text: str) -> dict:
    try:
        overrides = json.loads(text) if text.strip() else {}
    except ValueError as exc:
        raise ValueError(f"Invalid route overrides: not JSON ({exc}).")
    if not isinstance(overrides, dict):
        raise ValueError(
            "Invalid route overrides: expected a JSON object such as "
            '{"orders_list": {"path": "..."}}.'
        )
    return overrides


def _parse_retry_after(value: str | None) -> float | None:
    """Return a Retry-After header in seconds (a number or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - _utc_now()).total_seconds())


def _flatten_ids(value) -> Iterator[str]:
    """Yield transaction ids from a list, a scalar or nested XML elements."""
    value = codecs.clean(value)
    if value is None:
        return
    if isinstance(value, dict):
        for item in value.values():
            yield from _flatten_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _flatten_ids(item)
    else:
        yield str(value)


class Client(FulfilmentMixin, InventoryMixin, ReturnsMixin, OrdersMixin, BaseClient):
    """The Tata CLiQ seller API client with every domain's calls."""
