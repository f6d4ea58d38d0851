"""Order routes: the active order feed and the fetch of one order."""

from __future__ import annotations

from ..errors import ApiError
from ..registry import Request, handles, paginate


@handles("orders_list", root="orders")
def orders_list(request: Request) -> dict:
    """List the seller's active orders, ``pageSize`` per page (default 100)."""
    page, size = request.page_args()
    state = request.state
    with state.lock:
        orders = state.orders_for(request.seller_id, active_only=True)
        selected, total_pages = paginate(orders, page, size)
        rendered = [state.render_order(order, request.seller_id) for order in selected]
    return _envelope(rendered, page, total_pages)


@handles("order_get", root="orders")
def order_get(request: Request) -> dict:
    """Return one order of the seller, active or not; 404 when unknown."""
    order_no = request.params["order_no"]
    state = request.state
    with state.lock:
        order = state.order(order_no)
        if order is None or not state.records_for(order, request.seller_id):
            raise ApiError(f"Order {order_no} not found", 404)
        rendered = state.render_order(order, request.seller_id)
    return _envelope([rendered], 1, 1)


def _envelope(orders: list, page: int, total_pages: int) -> dict:
    # V1 lists page and totalPages before the orders, as the XML sample does.
    return {"page": page, "totalPages": total_pages, "order": orders}
