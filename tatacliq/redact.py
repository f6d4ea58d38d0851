"""Remove secrets from bodies, headers, URLs and messages before they are kept.

The client redacts everything it logs, passes to ``on_call`` or puts in an
error: the slave password, the integrator key pair, JWT tokens and HTTP
Basic or Bearer credentials. Fields are found by name (``password``,
``jwtToken``, ``Authorization``...) and by shape (a JWT, ``Bearer <token>``),
and the literal secrets a caller passes are replaced wherever they occur.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

MASK = "***"

# Field names compared after lowercasing and removing "_", "-" and spaces.
SECRET_NAMES = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "apikey",
        "apisecret",
        "key",
        "privatekey",
        "token",
        "jwt",
        "authorization",
        "proxyauthorization",
        "cookie",
        "setcookie",
    }
)
SECRET_SUFFIXES = ("password", "secret", "token", "apikey")

# Literal secrets shorter than this are not replaced in free text, where they
# would mask unrelated digits or words.
MIN_LITERAL_LENGTH = 4

_NAME = r"[A-Za-z_][\w.-]*"
# "name": "value" in JSON, up to the closing quote or the end of a cut body.
# The value pattern is the unrolled form of (?:[^"\\]|\\.)*, whose alternation
# makes the regex engine keep one backtracking entry per character: a 20 MB
# value took gigabytes of memory.
_JSON_FIELD = re.compile(
    rf'"(?P<name>{_NAME})"(?P<sep>\s*:\s*)"[^"\\]*(?:\\.[^"\\]*)*("|$)'
)
# <name>value</name> in XML, up to the next tag or the end of a cut body.
_XML_FIELD = re.compile(rf"<(?P<name>{_NAME})(?P<attrs>[^<>]*)>(?P<value>[^<]*)")
# name=value in query strings and form bodies.
_QUERY_FIELD = re.compile(
    rf"(?P<prefix>[?&;\s]|^)(?P<name>{_NAME})=(?P<value>[^&;\s\"']*)"
)
# Authorization schemes followed by their credential.
_AUTH_SCHEME = re.compile(r"\b(?P<scheme>Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I)
# A JSON Web Token: three base64url parts, the first starting with '{"'.
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")


def is_secret_name(name: str) -> bool:
    """Return whether a field or header name contains a secret."""
    normalized = re.sub(r"[\s_-]", "", str(name)).lower()
    if normalized.startswith("@"):
        normalized = normalized[1:]
    return normalized in SECRET_NAMES or normalized.endswith(SECRET_SUFFIXES)


def secret_forms(secrets: Iterable[str | None]) -> list[str]:
    """Return the secrets with the escaped forms they take in bodies and URLs.

    A server that echoes a request shows a password JSON-escaped
    (``p\\"w``, ``\\u00e9``), XML-escaped (``&amp;``) or URL-encoded
    (``p%40ss``, ``a+b``), where the plain text would not match.
    """
    forms = []
    for secret in secrets:
        if not secret:
            continue
        secret = str(secret)
        forms.extend(
            (
                secret,
                json.dumps(secret)[1:-1],
                json.dumps(secret, ensure_ascii=False)[1:-1],
                escape(secret, {'"': "&quot;", "'": "&apos;"}),
                escape(secret, {'"': "&#34;", "'": "&#39;"}),
                quote(secret, safe=""),
                quote(secret),
                quote_plus(secret),
            )
        )
    return list(dict.fromkeys(forms))


def _literals(secrets: Iterable[str | None]) -> list[str]:
    values = {str(s) for s in secrets if s and len(str(s)) >= MIN_LITERAL_LENGTH}
    # Longest first, so a secret containing another is masked whole.
    return sorted(values, key=len, reverse=True)


def redact_text(text: str | None, secrets: Iterable[str | None] = ()) -> str | None:
    """Mask secret fields, credentials, JWTs and the given literal secrets."""
    if not text:
        return text
    for literal in _literals(secrets):
        text = text.replace(literal, MASK)

    def json_field(match):
        if not is_secret_name(match.group("name")):
            return match.group(0)
        closing = match.group(3)
        return f'"{match.group("name")}"{match.group("sep")}"{MASK}{closing}'

    def xml_field(match):
        if not is_secret_name(match.group("name")) or not match.group("value"):
            return match.group(0)
        return f"<{match.group('name')}{match.group('attrs')}>{MASK}"

    def query_field(match):
        if not is_secret_name(match.group("name")):
            return match.group(0)
        return f"{match.group('prefix')}{match.group('name')}={MASK}"

    text = _JSON_FIELD.sub(json_field, text)
    text = _XML_FIELD.sub(xml_field, text)
    text = _QUERY_FIELD.sub(query_field, text)
    text = _AUTH_SCHEME.sub(lambda match: f"{match.group('scheme')} {MASK}", text)
    return _JWT.sub(MASK, text)


def redact_data(data, secrets: Iterable[str | None] = ()):
    """Return a copy of decoded data with secret fields and literals masked."""
    literals = _literals(secrets)

    def walk(value, name=None):
        if name is not None and is_secret_name(name) and value not in (None, ""):
            return MASK
        if isinstance(value, Mapping):
            return {key: walk(item, key) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item) for item in value]
        if isinstance(value, str):
            return redact_text(value, literals)
        return value

    return walk(data)


def redact_headers(
    headers: Mapping[str, str] | None, secrets: Iterable[str | None] = ()
) -> dict:
    """Return headers with credentials masked; the auth scheme stays visible."""
    result = {}
    for name, value in (headers or {}).items():
        if name.lower() in ("authorization", "proxy-authorization"):
            scheme = str(value).split(" ", 1)[0] if " " in str(value) else ""
            result[name] = f"{scheme} {MASK}".strip()
        elif is_secret_name(name):
            result[name] = MASK
        else:
            result[name] = redact_text(str(value), secrets)
    return result


def redact_url(url: str | None, secrets: Iterable[str | None] = ()) -> str | None:
    """Mask user info and secret query parameters of a URL."""
    if not url:
        return url
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, MASK if is_secret_name(name) else value) for name, value in pairs],
            safe="*",
        )
    url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    return redact_text(url, secrets)


def truncate(text: str | None, limit: int) -> str | None:
    """Cut text to ``limit`` characters and append its original length."""
    if text is None or len(text) <= limit:
        return text
    return f"{text[:limit]}... [truncated, {len(text)} characters in total]"
