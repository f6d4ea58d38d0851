"""Client calls for orders: the paged list of active orders and one order."""

from __future__ import annotations

from collections.abc import Iterator

from . import codecs
from .errors import MalformedResponseError, MarketplaceError
from .models import Order, OrderDecodeFailure, OrdersPage

# The marketplace's maximum page size of the order list.
MAX_PAGE_SIZE = 500
# More pages than this (50 million orders at the maximum page size) is a
# broken response; following it would request pages without end.
MAX_TOTAL_PAGES = 100_000


class OrdersMixin:
    """Order calls: the paged list of active orders and one order by number."""

    def iter_order_pages(self, page_size: int = 100) -> Iterator[OrdersPage]:
        """Yield the pages of active orders, from page 1 until ``totalPages``.

        A response without ``totalPages`` is the only page.
        """
        if not 1 <= int(page_size) <= MAX_PAGE_SIZE:
            raise ValueError(
                f"Invalid page size {page_size}; use 1 to {MAX_PAGE_SIZE}."
            )
        page = 1
        while True:
            payload = self.call(
                "orders_list", query={"page": page, "pageSize": int(page_size)}
            )
            total_pages = _total_pages(payload)
            yield _orders_page(payload, page, total_pages)
            if page >= total_pages:
                return
            page += 1

    def get_order(self, order_no: str) -> OrdersPage:
        """Fetch one order; raise ``MarketplaceError`` when it is not found."""
        order_no = str(order_no or "").strip()
        if not order_no:
            raise ValueError("An order number is needed to fetch an order.")
        payload = self.call("order_get", params={"order_no": order_no})
        page = _orders_page(payload, 1, 1)
        if not page.orders and not page.failures:
            raise MarketplaceError(
                f"Order {order_no} not found: Tata CLiQ returned no order for it. "
                "Check the order number and the seller of the channel.",
                route="order_get",
                status=200,
            )
        return page


def _total_pages(payload: dict) -> int:
    value = codecs.clean(payload.get("totalPages"))
    if value is None:
        return 1
    try:
        total = int(str(value))
    except ValueError:
        total = -1
    if not 0 <= total <= MAX_TOTAL_PAGES:
        raise MalformedResponseError(
            f"orders_list: invalid totalPages {value!r}; expected a whole number "
            f"from 0 to {MAX_TOTAL_PAGES}.",
            route="orders_list",
        )
    return total


def _orders_page(payload: dict, page: int, total_pages: int) -> OrdersPage:
    results = codecs.decode_orders(payload)
    return OrdersPage(
        orders=[result for result in results if isinstance(result, Order)],
        failures=[
            result for result in results if isinstance(result, OrderDecodeFailure)
        ],
        page=page,
        total_pages=total_pages,
    )
