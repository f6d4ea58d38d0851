"""Client calls for orders: the paged list of active orders and one order."""

from __future__ import annotations

from collections.abc import Iterator

from . import codecs
from .errors import MarketplaceError
from .models import Order, OrderDecodeFailure, OrdersPage
from .paging import check_page_size, iter_pages


class OrdersMixin:
    """Order calls: the paged list of active orders and one order by number."""

    def iter_order_pages(self, page_size: int = 100) -> Iterator[OrdersPage]:
        """Yield the pages of active orders, from page 1 until ``totalPages``.

        A response without ``totalPages`` is the only page.
        """
        page_size = check_page_size(page_size)
        yield from iter_pages(
            "orders_list",
            lambda page: self.call(
                "orders_list", query={"page": page, "pageSize": page_size}
            ),
            _orders_page,
        )

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
