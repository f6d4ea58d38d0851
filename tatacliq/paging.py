"""Paging shared by the paged marketplace lists: orders, cancellations, returns."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from .codecs import clean
from .errors import MalformedResponseError

# The marketplace's maximum page size of a paged list.
MAX_PAGE_SIZE = 500
# More pages than this (50 million records at the maximum page size) is a
# broken response, because following it would request pages without end.
MAX_TOTAL_PAGES = 100_000

PageT = TypeVar("PageT")


def check_page_size(page_size) -> int:
    """Return ``page_size`` as an int, or raise ``ValueError`` when out of range."""
    if not 1 <= int(page_size) <= MAX_PAGE_SIZE:
        raise ValueError(f"Invalid page size {page_size}; use 1 to {MAX_PAGE_SIZE}.")
    return int(page_size)


def total_pages(route_name: str, payload: dict) -> int:
    """Return the ``totalPages`` of a page, or 1 when the page does not give it."""
    value = clean(payload.get("totalPages"))
    if value is None:
        return 1
    try:
        total = int(str(value))
    except ValueError:
        total = -1
    if not 0 <= total <= MAX_TOTAL_PAGES:
        raise MalformedResponseError(
            f"{route_name}: invalid totalPages {value!r}; expected a whole number "
            f"from 0 to {MAX_TOTAL_PAGES}.",
            route=route_name,
        )
    return total


def iter_pages(
    route_name: str,
    fetch: Callable[[int], dict],
    decode: Callable[[dict, int, int], PageT],
) -> Iterator[PageT]:
    """Yield ``decode(payload, page, total)`` from page 1 until ``totalPages``.

    ``fetch(page)`` returns the payload of one page of ``route_name``.
    """
    page = 1
    while True:
        payload = fetch(page)
        total = total_pages(route_name, payload)
        yield decode(payload, page, total)
        if page >= total:
            return
        page += 1
