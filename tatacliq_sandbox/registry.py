"""Handler registration and the request and reply objects handlers work with.

A domain module under ``tatacliq_sandbox/handlers/`` registers one function
per route name of ``tatacliq.routes.DEFAULT_ROUTES``::

    @handles("pick_confirm", root="pickConfirm")
    def pick_confirm(request):
        ...
        return {"item": [...]}

The function returns a dict (encoded as JSON for V2 or as XML under ``root``
for V1), ``bytes`` (sent as a PDF), or a ``Reply`` for another status or
header. It raises ``ApiError`` for a marketplace error body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tatacliq.inventory import as_list
from tatacliq.routes import DEFAULT_ROUTES, Route

from .errors import STATUS_MAPPING_MISSING, ApiError

if TYPE_CHECKING:
    from .auth import Seller, TokenRecord
    from .server import Sandbox
    from .state import LineState, State


@dataclass(frozen=True)
class HandlerSpec:
    route_name: str
    func: Callable
    root: str
    auth: bool


HANDLERS: dict[str, HandlerSpec] = {}


def handles(route_name: str, *, root: str = "response", auth: bool = True):
    """Register the decorated function as the handler of ``route_name``.

    ``root`` is the XML root element of a V1 reply; ``auth=False`` skips the
    bearer token check (only the token route uses it).
    """
    if route_name not in DEFAULT_ROUTES:
        raise ValueError(
            f"Unknown route {route_name!r}; known routes: "
            f"{', '.join(sorted(DEFAULT_ROUTES))}."
        )

    def register(func):
        existing = HANDLERS.get(route_name)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(
                f"Route {route_name!r} already has the handler "
                f"{existing.func.__module__}.{existing.func.__qualname__}."
            )
        HANDLERS[route_name] = HandlerSpec(route_name, func, root, auth)
        return func

    return register


@dataclass
class Reply:
    """A handler's response when a plain dict or bytes is not enough."""

    payload: dict | None = None
    status: int = 200
    root: str | None = None
    content: bytes | None = None
    content_type: str | None = None
    headers: dict = field(default_factory=dict)


@dataclass
class Request:
    """One marketplace call as a handler receives it.

    ``version`` is "V1" (XML) or "V2" (JSON), from the path; ``params`` are
    the route's own path values (``order_no``, ``transaction_id``, ...);
    ``query`` has the last value of each query parameter; ``body`` is the
    decoded request body (None when empty), with the XML root removed;
    ``headers`` has lower-case names.
    """

    sandbox: Sandbox
    route: Route
    method: str
    path: str
    version: str
    params: dict
    query: dict
    body: Any
    raw_body: bytes
    headers: dict
    seller: Seller | None = None
    token: TokenRecord | None = None

    @property
    def state(self) -> State:
        return self.sandbox.state

    @property
    def clock(self):
        return self.sandbox.clock

    @property
    def seller_id(self) -> str | None:
        return self.seller.seller_id if self.seller else None

    def line(self, transaction_id) -> LineState:
        """Return the seller's line or raise ``ApiError`` 404."""
        return self.state.require_line(str(transaction_id), self.seller_id)

    def require_status_mappings(self, transaction_ids=()) -> None:
        """Raise the marketplace's error when the seller has no status mappings."""
        if self.seller is not None and not self.seller.status_mappings:
            raise ApiError(STATUS_MAPPING_MISSING, transaction_ids=transaction_ids)

    def body_items(self, *keys: str) -> list:
        """Return the list under nested ``keys`` of the body, tolerating XML shapes.

        ``body_items("InventoryUpdate", "Item")`` returns a list for one or
        many items; raises ``ApiError`` 400 when a key is missing.
        """
        value = self.body
        for key in keys:
            if not isinstance(value, dict) or key not in value:
                raise ApiError(
                    f"Request body has no {'.'.join(keys)}; send it as documented "
                    "for this route."
                )
            value = value[key]
        return as_list(value)

    def page_args(self) -> tuple[int, int]:
        """Return (page, page_size) from the query: page from 1, size 1 to 500."""
        return page_args(self.query)


DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


def page_args(query: dict) -> tuple[int, int]:
    """Return (page, page_size) from the query; raises ApiError 400 when invalid."""
    page = _positive_int(query, "page", 1)
    size = _positive_int(query, "pageSize", DEFAULT_PAGE_SIZE)
    if size > MAX_PAGE_SIZE:
        raise ApiError(
            f"Invalid pageSize {size}; use a value from 1 to {MAX_PAGE_SIZE}."
        )
    return page, size


def _positive_int(query: dict, name: str, default: int) -> int:
    raw = query.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ApiError(f"Invalid {name} {raw!r}; use a whole number from 1.")
    return value


def paginate(items: list, page: int, size: int) -> tuple[list, int]:
    """Return (the items of ``page``, total pages); an empty feed has one page."""
    total_pages = max(1, -(-len(items) // size))
    start = (page - 1) * size
    return items[start : start + size], total_pages
