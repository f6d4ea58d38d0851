"""Body encoding for the sandbox, through the connector's own codecs.

Sharing ``tatacliq.codecs`` means the sandbox and the client agree on the
XML layout by construction: V1 is XML under a root element, V2 is JSON.
"""

from __future__ import annotations

from tatacliq import codecs
from tatacliq.errors import MalformedResponseError


def encode(payload: dict, version: str, root: str) -> bytes:
    """Encode ``payload`` as JSON (V2) or as XML under ``root`` (V1)."""
    return codecs.encode(payload, version, root)


def decode(body: bytes, version: str) -> dict | None:
    """Decode a request body by the API version; the XML root is removed.

    Repeated elements the codecs know (``Item``, ``orderLine``, ...) are
    lists. An empty body decodes to None. Raises ``ValueError`` with the
    parser's message for a body that does not parse.
    """
    if not body or not body.strip():
        return None
    try:
        return codecs.decode(body, version)
    except MalformedResponseError as error:
        kind = "XML" if version == "V1" else "JSON"
        raise ValueError(f"Request body is not valid {kind}: {error.message}")
