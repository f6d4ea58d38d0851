"""Client calls for inventory push and the inventory report.

One inventory item is one SKU at one location (slave id). The marketplace
returns one result per pushed item, so a delisted SKU or an unknown slave id
fails that item only and the rest of the batch is applied.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from .errors import (
    AuthenticationError,
    DecodingError,
    MalformedResponseError,
    ProductDelistedError,
    TataCliqError,
    TransientError,
    classify_message,
)

_logger = logging.getLogger(__name__)

SUCCESS = "SUCCESS"
FAILURE = "FAILURE"

# Element names of the observed inventory payload, also the CSV header of an
# SFTP upload.
ITEM_FIELDS = ("SKU", "SlaveID", "Inventory", "SafetyStock")
# Columns of the inventory report file.
REPORT_FIELDS = (
    "SKU",
    "SlaveID",
    "Inventory",
    "SafetyStock",
    "Sold",
    "Available",
    "Delisted",
    "LastUpdated",
)
PUSH_ROOT = "InventoryUpdate"
DEFAULT_BATCH_SIZE = 500
# Stock counts of a report: ASCII digits only, at most the largest value of
# an Odoo Integer field (a PostgreSQL integer column).
COUNT_PATTERN = re.compile(r"[0-9]+")
MAX_COUNT = 2**31 - 1


def _whole_number(value, name: str) -> int:
    """Return ``value`` as an int of 0 or more; floats must be whole (3.0).

    Odoo quantities are floats, so a whole float is accepted; a fraction is
    rejected rather than rounded, because the caller knows how to round stock.
    """
    invalid = ValueError(f"{name} must be a whole number, got {value!r}.")
    if isinstance(value, bool):
        raise invalid
    if isinstance(value, (float, Decimal)):
        try:
            whole = int(value)
        except (ValueError, OverflowError):  # NaN, infinity
            raise invalid
        if whole != value:
            raise invalid
        value = whole
    if not isinstance(value, (int, str)):
        raise invalid
    try:
        number = int(value)
    except ValueError:
        raise invalid
    if number < 0:
        raise ValueError(
            f"{name} must be 0 or more, got {number}; send 0 for a product "
            "without sellable stock."
        )
    return number


@dataclass(frozen=True)
class InventoryItem:
    """One SKU at one location: quantity on hand and the safety stock to keep."""

    sku: str
    slave_id: str
    inventory: int
    safety_stock: int = 0

    def __post_init__(self):
        for name in ("sku", "slave_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"Inventory item {name} is missing, got {value!r}.")
            object.__setattr__(self, name, value.strip())
        object.__setattr__(
            self, "inventory", _whole_number(self.inventory, "Inventory")
        )
        object.__setattr__(
            self, "safety_stock", _whole_number(self.safety_stock, "SafetyStock")
        )

    @property
    def key(self) -> tuple[str, str]:
        return (self.sku, self.slave_id)

    @classmethod
    def coerce(cls, value) -> InventoryItem:
        """Build an item from an ``InventoryItem`` or a mapping of its field names.

        Raises ``ValueError`` for a missing SKU or slave id and for a quantity
        that is not a whole number of 0 or more.
        """
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            return cls(
                sku=value.get("sku"),
                slave_id=value.get("slave_id"),
                inventory=value.get("inventory"),
                safety_stock=value.get("safety_stock", 0),
            )
        raise TypeError(
            f"Expected an InventoryItem or a mapping, got {type(value).__name__}."
        )

    def to_payload(self) -> dict:
        """Return the item as the marketplace expects it, numbers as strings."""
        return {
            "SKU": self.sku,
            "SlaveID": self.slave_id,
            "Inventory": str(self.inventory),
            "SafetyStock": str(self.safety_stock),
        }


@dataclass(frozen=True)
class InventoryItemResult:
    """The marketplace's outcome for one SKU at one location.

    ``error`` is the classified error of a failed item: ``ProductDelistedError``
    for a delisted SKU, a ``TransientError`` when the whole batch could not be
    sent, ``MarketplaceError`` for any other refusal. ``item`` is ``None`` for
    results read from an SFTP result file, which does not repeat quantities.
    """

    sku: str
    slave_id: str
    status: str
    error_message: str | None = None
    error: TataCliqError | None = None
    batch: int | None = None
    item: InventoryItem | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.sku, self.slave_id)

    @property
    def ok(self) -> bool:
        return self.status == SUCCESS

    @property
    def delisted(self) -> bool:
        return isinstance(self.error, ProductDelistedError)

    @property
    def retryable(self) -> bool:
        """True when sending the item again later may succeed."""
        return isinstance(self.error, TransientError)


@dataclass(frozen=True)
class BatchFailure:
    """A batch the marketplace did not accept as a whole, after the retries."""

    batch: int
    item_count: int
    error: TataCliqError


@dataclass
class InventoryPushResult:
    """Per-item results of a push, in the order the items were given."""

    results: list[InventoryItemResult] = field(default_factory=list)
    batch_count: int = 0
    failed_batches: list[BatchFailure] = field(default_factory=list)

    @property
    def succeeded(self) -> list[InventoryItemResult]:
        return [result for result in self.results if result.ok]

    @property
    def failed(self) -> list[InventoryItemResult]:
        return [result for result in self.results if not result.ok]

    @property
    def delisted(self) -> list[InventoryItemResult]:
        return [result for result in self.results if result.delisted]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    def result_for(self, sku: str, slave_id: str) -> InventoryItemResult | None:
        for result in self.results:
            if result.key == (sku, slave_id):
                return result
        return None


@dataclass(frozen=True)
class InventoryRecord:
    """The marketplace's stock of one SKU at one location.

    ``inventory`` and ``safety_stock`` are the last accepted push. ``sold``
    counts the units on order lines allocated to the location since that
    push; rejected, cancelled or reallocated lines give their unit back.
    ``available`` is what the storefront can still sell:
    ``max(inventory - safety_stock - sold, 0)``.
    """

    sku: str
    slave_id: str
    inventory: int
    safety_stock: int = 0
    sold: int = 0
    available: int = 0
    delisted: bool = False
    last_updated: datetime | None = None


def as_list(value) -> list:
    """Return a payload element as a list: XML decodes one element as a dict."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    return [value]


def coerce_items(rows: Iterable) -> list[InventoryItem]:
    """Return ``rows`` as ``InventoryItem`` objects, one per SKU and location.

    Raises ``ValueError`` for an invalid row or a SKU listed twice for one
    slave id, since the marketplace keeps one quantity per SKU and location.
    """
    items = [InventoryItem.coerce(row) for row in rows]
    seen = set()
    for item in items:
        if item.key in seen:
            raise ValueError(
                f"SKU {item.sku} is listed twice for slave id {item.slave_id}; "
                "send one quantity per SKU and location."
            )
        seen.add(item.key)
    return items


def failure_error(message: str | None, *, route: str | None = None) -> TataCliqError:
    """Classify a per-item failure message into its error class."""
    message = message or "The marketplace rejected the item without a message."
    error_class = classify_message(message)
    return error_class(message, route=route)


def decode_record(entry: Mapping, slave_id: str | None = None) -> InventoryRecord:
    """Decode one report item (API element or CSV row) into an ``InventoryRecord``.

    Raises ``DecodingError`` naming the field and value that cannot be read.
    """
    from .codecs import clean, parse_datetime, parse_flag, parse_text

    sku = parse_text(entry.get("SKU"), "Item.SKU")
    if not sku:
        raise DecodingError(
            f"Inventory report item without SKU: {_shorten(dict(entry))}.",
            field="Item.SKU",
            value=None,
        )
    context = f"Item[{sku}]"
    numbers = {
        name: _report_count(clean(entry.get(name)), f"{context}.{name}")
        for name in ("Inventory", "SafetyStock", "Sold", "Available")
    }
    return InventoryRecord(
        sku=sku,
        slave_id=parse_text(entry.get("SlaveID"), f"{context}.SlaveID")
        or (slave_id or "").strip(),
        inventory=numbers["Inventory"],
        safety_stock=numbers["SafetyStock"],
        sold=numbers["Sold"],
        available=numbers["Available"],
        delisted=bool(parse_flag(entry.get("Delisted"), f"{context}.Delisted")),
        last_updated=parse_datetime(entry.get("LastUpdated"), f"{context}.LastUpdated"),
    )


def _report_count(value, field: str) -> int:
    """Return a stock count of a report; a missing count is 0."""
    if value is None:
        return 0
    text = str(value).strip() if isinstance(value, (str, int)) else None
    if isinstance(value, bool) or text is None or not COUNT_PATTERN.fullmatch(text):
        raise DecodingError(
            f"Invalid count in inventory report field {field}: {_shorten(value)}; "
            "expected a whole number of 0 or more.",
            field=field,
            value=value,
        )
    number = int(text)
    if number > MAX_COUNT:
        raise DecodingError(
            f"Invalid count in inventory report field {field}: {number} is more "
            f"than {MAX_COUNT}.",
            field=field,
            value=value,
        )
    return number


def _shorten(value, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _item_text(entry: Mapping, name: str) -> str:
    """Return a field of a result item as stripped text, empty when missing."""
    value = entry.get(name)
    if isinstance(value, Mapping):
        value = value.get("#text")
    if value is None or isinstance(value, (list, Mapping)):
        return ""
    return str(value).strip()


class InventoryMixin:
    """Methods mixed into ``tatacliq.client.Client``; they use ``self.call``."""

    def push_inventory(
        self, items: Iterable, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> InventoryPushResult:
        """Push stock levels in batches and return one result per item.

        ``items`` are ``InventoryItem`` objects or mappings with ``sku``,
        ``slave_id``, ``inventory`` and ``safety_stock``. Each batch is sent,
        and retried by the client, on its own. A batch that still fails is
        recorded as failed items carrying the batch's error, and the other
        batches go on. After an ``AuthenticationError`` the remaining batches
        are not sent, because they would fail the same way.

        Raises ``ValueError`` before anything is sent for an invalid item, a
        SKU listed twice for one slave id, or a batch size below 1.
        """
        items = coerce_items(items)
        if batch_size < 1:
            raise ValueError(f"Batch size must be 1 or more, got {batch_size}.")

        push = InventoryPushResult()
        auth_error = None
        for start in range(0, len(items), batch_size):
            batch = items[start : start + batch_size]
            push.batch_count += 1
            number = push.batch_count
            if auth_error is not None:
                push.results.extend(_batch_failed(batch, number, auth_error))
                push.failed_batches.append(BatchFailure(number, len(batch), auth_error))
                continue
            try:
                payload = self.call(
                    "inventory_update", body=self._inventory_body(batch), root=PUSH_ROOT
                )
            except TataCliqError as error:
                if isinstance(error, AuthenticationError):
                    auth_error = error
                _logger.warning(
                    "Inventory batch %s of %s items failed: %s",
                    number,
                    len(batch),
                    error.message,
                )
                push.results.extend(_batch_failed(batch, number, error))
                push.failed_batches.append(BatchFailure(number, len(batch), error))
                continue
            push.results.extend(_match_results(batch, payload, number))

        _logger.info(
            "Inventory push: %s items in %s batches, %s accepted, %s failed "
            "(%s delisted), %s batches failed",
            len(items),
            push.batch_count,
            len(push.succeeded),
            len(push.failed),
            len(push.delisted),
            len(push.failed_batches),
        )
        return push

    def _inventory_body(self, batch) -> dict:
        """Return the push body: ``Item`` elements under ``InventoryUpdate``.

        For XML the codec adds the ``InventoryUpdate`` root element; JSON
        carries it as the outer object, so both show the observed element
        path ``InventoryUpdate.Item[]``.
        """
        items = {"Item": [item.to_payload() for item in batch]}
        route = self._get_route("inventory_update")
        if self._body_format(route) == "xml":
            return items
        return {PUSH_ROOT: items}

    def get_inventory_report(self, slave_id: str) -> dict[str, InventoryRecord]:
        """Return the marketplace's stock at one location, keyed by SKU."""
        payload = self.call("inventory_report", params={"slave_id": slave_id})
        if not isinstance(payload, Mapping):
            raise MalformedResponseError(
                f"Inventory report of slave id {slave_id} is not a payload.",
                route="inventory_report",
            )
        records = {}
        for entry in as_list(payload.get("Item")):
            if not isinstance(entry, Mapping):
                raise MalformedResponseError(
                    f"Inventory report of slave id {slave_id} has an item that "
                    f"is not an element: {entry!r}.",
                    route="inventory_report",
                )
            record = decode_record(entry, slave_id)
            if record.slave_id != slave_id:
                raise MalformedResponseError(
                    f"Inventory report of slave id {slave_id} returned SKU "
                    f"{record.sku} for slave id {record.slave_id}.",
                    route="inventory_report",
                )
            records[record.sku] = record
        return records


def _batch_failed(batch, number, error) -> list[InventoryItemResult]:
    return [
        InventoryItemResult(
            sku=item.sku,
            slave_id=item.slave_id,
            status=FAILURE,
            error_message=error.message,
            error=error,
            batch=number,
            item=item,
        )
        for item in batch
    ]


def _match_results(batch, payload, number) -> list[InventoryItemResult]:
    """Pair each sent item with its result element by SKU and slave id."""
    if not isinstance(payload, Mapping):
        error = MalformedResponseError(
            f"Inventory batch {number} returned no payload.", route="inventory_update"
        )
        return _batch_failed(batch, number, error)

    # Tolerate a body with only an overall status: the observed material does
    # not show the response, and a marketplace may omit per-item results.
    if "Item" not in payload:
        if _item_text(payload, "status").upper() == SUCCESS:
            return [
                InventoryItemResult(
                    item.sku, item.slave_id, SUCCESS, batch=number, item=item
                )
                for item in batch
            ]
        error = failure_error(
            _item_text(payload, "errorMessage") or None, route="inventory_update"
        )
        return _batch_failed(batch, number, error)

    by_key = {}
    for entry in as_list(payload.get("Item")):
        if isinstance(entry, Mapping):
            by_key[(_item_text(entry, "SKU"), _item_text(entry, "SlaveID"))] = entry

    results = []
    for item in batch:
        entry = by_key.get(item.key)
        if entry is None:
            error = MalformedResponseError(
                f"The marketplace returned no result for SKU {item.sku} at slave "
                f"id {item.slave_id} in inventory batch {number}.",
                route="inventory_update",
            )
            results.append(
                InventoryItemResult(
                    item.sku, item.slave_id, FAILURE, error.message, error, number, item
                )
            )
            continue
        status = _item_text(entry, "status").upper()
        if status == SUCCESS:
            results.append(
                InventoryItemResult(
                    item.sku, item.slave_id, SUCCESS, batch=number, item=item
                )
            )
            continue
        message = _item_text(entry, "errorMessage") or None
        error = failure_error(message, route="inventory_update")
        results.append(
            InventoryItemResult(
                item.sku, item.slave_id, FAILURE, error.message, error, number, item
            )
        )
    return results
