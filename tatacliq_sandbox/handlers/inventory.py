"""Sandbox handlers for inventory update and inventory report.

The marketplace keeps one stock record per seller, SKU and slave id: the last
accepted quantity and safety stock. The HTTP push and the SFTP upload both go
through ``apply_items``, so they validate and store items the same way.

``Sold`` in the report counts units on lines allocated to the location after
the last accepted push, except lines that left it unsold (rejected,
cancelled, reallocated to another store). ``Available`` is
``max(Inventory - SafetyStock - Sold, 0)``, the quantity the storefront sells.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tatacliq.inventory import REPORT_FIELDS as REPORT_FIELDS

from ..clock import india_time
from ..errors import ApiError, not_found
from ..registry import handles

TABLE = "inventory"
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
# Items per push request the marketplace accepts (defined).
MAX_ITEMS_PER_REQUEST = 500
DELISTED_MESSAGE = "Product Delisted or Removed in Inventory Push"
# Line statuses in which the unit went back to the location's stock.
RELEASED_STATUSES = frozenset(
    {"ORDREJEC", "ORDCANCL", "CLONCANC", "REFUINIT", "REFINPRO", "REFCLOSE", "ODREALOC"}
)


@dataclass
class StockRecord:
    """The marketplace's stock of one SKU at one location of a seller."""

    seller_id: str
    sku: str
    slave_id: str
    inventory: int
    safety_stock: int
    updated_at: datetime
    source: str  # API or SFTP
    reference: str = ""  # SFTP file name


def _records(state) -> dict:
    return state.table(TABLE)


def stock_record(state, seller_id: str, sku: str, slave_id: str) -> StockRecord | None:
    """Return the stock record of one SKU at one location, or None."""
    with state.lock:
        return _records(state).get((str(seller_id), sku, slave_id))


def delist(seller, *skus: str) -> None:
    """Mark SKUs inactive: later pushes of them fail as the marketplace's do."""
    seller.delisted_skus.update(skus)


def relist(seller, *skus: str) -> None:
    seller.delisted_skus.difference_update(skus)


def _text(entry: dict, name: str) -> str:
    value = entry.get(name)
    if value is None:
        return ""
    return str(value).strip()


def _quantity(entry: dict, name: str, sku: str, *, required: bool) -> int:
    """Return a whole number of 0 or more; raise ValueError with the item's message."""
    raw = _text(entry, name)
    if not raw:
        if required:
            raise ValueError(f"{name} is missing for SKU {sku}")
        return 0
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(
            f"Invalid {name} {raw!r} for SKU {sku}; expected a whole number from 0"
        )
    return int(raw)


def apply_items(
    state, seller, entries: list, *, source: str, reference: str = ""
) -> list[dict]:
    """Validate and store inventory items; return one result per entry, in order.

    ``entries`` carry the payload names ``SKU``, ``SlaveID``, ``Inventory``
    and ``SafetyStock`` (optional, default 0) as strings. A refused entry
    changes nothing; the others are stored.
    """
    now = state.clock.now()
    results = []
    seen = set()
    with state.lock:
        records = _records(state)
        for entry in entries:
            if not isinstance(entry, dict):
                results.append(_result("", "", f"Item is not an element: {entry!r}"))
                continue
            sku, slave_id = _text(entry, "SKU"), _text(entry, "SlaveID")
            try:
                if not sku:
                    raise ValueError("SKU is missing")
                if not slave_id:
                    raise ValueError(f"SlaveID is missing for SKU {sku}")
                if slave_id not in seller.slave_ids:
                    raise ValueError(
                        f"Unknown SlaveID {slave_id} for seller {seller.seller_id}"
                    )
                inventory = _quantity(entry, "Inventory", sku, required=True)
                safety_stock = _quantity(entry, "SafetyStock", sku, required=False)
                if (sku, slave_id) in seen:
                    raise ValueError(
                        f"SKU {sku} appears twice for SlaveID {slave_id} in this "
                        "request; the first one was applied"
                    )
                if sku in seller.delisted_skus:
                    raise ValueError(DELISTED_MESSAGE)
            except ValueError as error:
                results.append(_result(sku, slave_id, str(error)))
                continue
            seen.add((sku, slave_id))
            records[(seller.seller_id, sku, slave_id)] = StockRecord(
                seller.seller_id,
                sku,
                slave_id,
                inventory,
                safety_stock,
                now,
                source,
                reference,
            )
            results.append(_result(sku, slave_id))
    return results


def _result(sku: str, slave_id: str, error: str | None = None) -> dict:
    return {
        "SKU": sku,
        "SlaveID": slave_id,
        "status": FAILURE if error else SUCCESS,
        "errorMessage": error or "",
    }


def sold_units(state, record: StockRecord) -> int:
    """Count units on lines allocated to the record's location since its push."""
    sold = 0
    with state.lock:
        for line in state.lines.values():
            if (
                line.seller_id == record.seller_id
                and line.slave_id == record.slave_id
                and line.data.get("articleNumber") == record.sku
                and line.allocation_date >= record.updated_at
                and line.status not in RELEASED_STATUSES
            ):
                sold += _line_quantity(line.data)
    return sold


def _line_quantity(data: dict) -> int:
    try:
        return max(int(str(data.get("quantity") or 1)), 1)
    except ValueError:
        return 1


def report_items(state, seller, slave_id: str) -> list[dict]:
    """Return the report rows of one location, sorted by SKU, values as strings."""
    with state.lock:
        records = sorted(
            (
                record
                for (seller_id, _sku, record_slave), record in _records(state).items()
                if seller_id == seller.seller_id and record_slave == slave_id
            ),
            key=lambda record: record.sku,
        )
        items = []
        for record in records:
            sold = sold_units(state, record)
            available = max(record.inventory - record.safety_stock - sold, 0)
            items.append(
                {
                    "SKU": record.sku,
                    "SlaveID": record.slave_id,
                    "Inventory": str(record.inventory),
                    "SafetyStock": str(record.safety_stock),
                    "Sold": str(sold),
                    "Available": str(available),
                    "Delisted": "Y" if record.sku in seller.delisted_skus else "N",
                    "LastUpdated": india_time(record.updated_at),
                }
            )
        return items


@handles("inventory_update", root="InventoryUpdateResponse")
def inventory_update(request):
    """Apply an inventory push and return one result per item with HTTP 200.

    Only a body without items or with too many is rejected as a whole (400).
    """
    if request.version == "V1":
        entries = request.body_items("Item")
    else:
        entries = request.body_items("InventoryUpdate", "Item")
    if not entries:
        raise ApiError("InventoryUpdate has no Item; send at least one item.")
    if len(entries) > MAX_ITEMS_PER_REQUEST:
        raise ApiError(
            f"InventoryUpdate has {len(entries)} items; at most "
            f"{MAX_ITEMS_PER_REQUEST} are allowed per request. Send smaller batches."
        )
    results = apply_items(request.state, request.seller, entries, source="API")
    failed = sum(1 for result in results if result["status"] != SUCCESS)
    if not failed:
        status = SUCCESS
    elif failed == len(results):
        status = FAILURE
    else:
        status = "PARTIAL"
    return {"status": status, "Item": results}


@handles("inventory_report", root="InventoryReport")
def inventory_report(request):
    slave_id = request.params["slave_id"]
    if slave_id not in request.seller.slave_ids:
        raise not_found(
            f"Unknown SlaveID {slave_id} for seller {request.seller.seller_id}"
        )
    return {
        "SlaveID": slave_id,
        "generatedAt": india_time(request.clock.now()),
        "Item": report_items(request.state, request.seller, slave_id),
    }
