"""Order hopping: where the marketplace sends a line that an OMNI store cancels.

A store that cancels a line for lack of stock (reason ``NOSTOCK``) loses it
(``ODREALOC`` for that store), and the marketplace allocates the same
transaction id to the next store with stock, up to a hop limit.

Stores are the OMNI slave ids of the sellers (``Seller.stores``). The next
store is searched among the stores of the line's current seller first, then
among the stores of the other sellers in the order they were added, so a hop
may move a line to another seller login. A store that held the line before
is never chosen again. Stock is the inventory the seller last pushed for the
SKU at that store, less its safety stock and the units already allocated
there since the push (the inventory report's ``Available``).
"""

from __future__ import annotations

from .handlers import inventory
from .state import LineState, State

DEFAULT_HOP_LIMIT = 3


def is_store_line(state: State, line: LineState) -> bool:
    """Return whether ``line`` sits at an OMNI store, so a NOSTOCK cancel hops it."""
    seller = state.sellers.get(line.seller_id)
    return seller is not None and line.slave_id in seller.stores


def hop_count(line: LineState) -> int:
    """Return how many times the line was reallocated to another store."""
    return sum(1 for holding in line.past_holders if holding.status == "ODREALOC")


def line_quantity(line: LineState) -> int:
    """Return the units of a line: its ``quantity`` field, one when missing."""
    try:
        return max(int(str(line.data.get("quantity") or 1)), 1)
    except ValueError:
        return 1


def available_units(state: State, seller_id: str, sku: str, slave_id: str) -> int:
    """Return the units of ``sku`` the marketplace may still allocate to a store."""
    record = inventory.stock_record(state, seller_id, sku, slave_id)
    if record is None:
        return 0
    sold = inventory.sold_units(state, record)
    return max(record.inventory - record.safety_stock - sold, 0)


def candidate_stores(state: State, line: LineState) -> list[tuple[str, str]]:
    """Return the (seller id, slave id) stores the line may hop to, in hop order."""
    with state.lock:
        sellers = list(state.sellers.values())
        sellers.sort(key=lambda seller: seller.seller_id != line.seller_id)
        previous_stores = {(h.seller_id, h.slave_id) for h in line.past_holders}
        previous_stores.add((line.seller_id, line.slave_id))
        return [
            (seller.seller_id, slave_id)
            for seller in sellers
            for slave_id in seller.stores
            if (seller.seller_id, slave_id) not in previous_stores
        ]


def next_store(state: State, line: LineState) -> tuple[str, str] | None:
    """Return the first candidate store with stock for the line, or None."""
    sku = line.data.get("articleNumber")
    if not sku:
        return None
    quantity = line_quantity(line)
    with state.lock:
        for seller_id, slave_id in candidate_stores(state, line):
            if available_units(state, seller_id, sku, slave_id) >= quantity:
                return seller_id, slave_id
    return None


def find_hop(state: State, line: LineState, hop_limit: int) -> tuple[tuple, str]:
    """Return (the store to hop to or None, why the line cannot hop).

    The reason is empty when a store was found.
    """
    if hop_count(line) >= hop_limit:
        return None, f"hop limit of {hop_limit} reallocations reached"
    target = next_store(state, line)
    if target is None:
        return None, "no other store has stock"
    return target, ""
