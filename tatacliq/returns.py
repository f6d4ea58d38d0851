"""Client calls for the cancellation feed, seller cancellation and the return feed.

Both feeds take ``fromDate`` (inclusive, India time) and pages like the order
list. A record that fails to decode does not stop the others: the page
methods return it as a ``FeedDecodeFailure``. The record iterators raise its
``DecodingError`` instead, after yielding the good records of its page.

A seller cancellation with reason ``NOSTOCK`` at an OMNI store makes the
marketplace reallocate the line to another store (order hopping): the result
is ``reallocated`` and the line's status for this store is ``ODREALOC``. The
same transaction id then arrives in another store's order feed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from .codecs import (
    clean,
    format_datetime,
    parse_datetime,
    parse_text,
    register_list_elements,
)
from .errors import DecodingError
from .fulfilment import LineResult
from .inventory import as_list
from .models import status_name
from .paging import MAX_PAGE_SIZE as MAX_PAGE_SIZE
from .paging import check_page_size, iter_pages

CANCELLATION = "cancellation"
RETURN = "return"
register_list_elements(CANCELLATION, RETURN)

# Reason codes of a seller cancellation (defined by this project's protocol).
REASON_CODES = {
    "NOSTOCK": "No stock at the store",
    "DAMAGED": "The only unit is damaged",
    "PRICE": "Price issue",
    "OTHER": "Other reason",
}
# The statuses a cancellation record has for the store that lost the line.
CANCELLATION_STATUSES = (
    "ORDCANCL",
    "CLONCANC",
    "REFUINIT",
    "REFINPRO",
    "REFCLOSE",
    "ODREALOC",
)
RETURN_TYPES = {"CR": "Customer return", "RTO": "Return to origin"}


@dataclass(frozen=True)
class CancellationRecord:
    """A line that a store lost: cancelled, or reallocated to another store.

    ``status`` is the record's status name (``ORDCANCL``, the refund steps
    after it, or ``ODREALOC``). ``cancelled_by`` is ``CUSTOMER``, ``SELLER`` or
    ``MARKETPLACE``. Dates are aware UTC. One record exists per transaction
    id and slave id, so ``key`` identifies it across reads.
    """

    transaction_id: str
    order_no: str | None
    seller_id: str | None
    slave_id: str | None
    article_number: str | None
    status: str
    cancelled_by: str | None
    reason_code: str | None
    reason: str | None
    cancellation_date: datetime | None
    updated_date: datetime | None
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def reallocated(self) -> bool:
        """Return whether the line hopped to another store (``ODREALOC``)."""
        return self.status == "ODREALOC"

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.transaction_id, self.slave_id)


@dataclass(frozen=True)
class ReturnRecord:
    """One event of a return: a customer return (CR) or a return to origin (RTO).

    ``return_id`` names the return in every read and event; ``event_id``
    names this event. ``qc_status`` is ``PASS`` or ``FAIL`` once the store
    has checked the parcel; ``refund_status`` is ``REFUINIT``, ``REFINPRO``
    or ``REFCLOSE`` once a refund runs. Dates are aware UTC.
    """

    return_id: str
    event_id: str
    transaction_id: str
    order_no: str | None
    seller_id: str | None
    slave_id: str | None
    article_number: str | None
    return_type: str | None
    status: str
    reverse_awb: str | None
    logistics_id: str | None
    reason: str | None
    qc_status: str | None
    refund_status: str | None
    return_date: datetime | None
    event_date: datetime | None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class FeedDecodeFailure:
    """A feed record that failed to decode; ``reference`` is its transaction id."""

    reference: str | None
    raw: dict
    error: DecodingError


@dataclass(frozen=True)
class FeedPage:
    """One page of a feed: decoded records and the records that failed."""

    records: list
    failures: list[FeedDecodeFailure]
    page: int
    total_pages: int


@dataclass(frozen=True)
class CancelItem:
    """One line to cancel as the seller.

    ``slave_id`` names the store that cancels. Send it when one seller login
    serves several stores, so a retry after a lost response cannot cancel the
    line again at the store it hopped to.
    """

    transaction_id: str
    reason_code: str
    slave_id: str | None = None
    remarks: str | None = None

    def __post_init__(self):
        transaction_id = str(self.transaction_id or "").strip()
        if not transaction_id:
            raise ValueError("A transaction id is empty; pass only line ids.")
        code = str(self.reason_code or "").strip().upper()
        if code not in REASON_CODES:
            raise ValueError(
                f"Invalid reason code {self.reason_code!r} for transaction "
                f"{transaction_id}; use one of {', '.join(REASON_CODES)}."
            )
        object.__setattr__(self, "transaction_id", transaction_id)
        object.__setattr__(self, "reason_code", code)

    @classmethod
    def coerce(cls, value) -> CancelItem:
        """Build an item from a ``CancelItem`` or a tuple of its fields in order."""
        if isinstance(value, cls):
            return value
        if isinstance(value, (tuple, list)) and 2 <= len(value) <= 4:
            return cls(*value)
        raise TypeError(
            "Expected a CancelItem or a tuple (transaction_id, reason_code[, "
            f"slave_id[, remarks]]), got {value!r}."
        )

    def to_payload(self) -> dict:
        payload = {"transactionId": self.transaction_id, "reasonCode": self.reason_code}
        if self.slave_id:
            payload["p1SlaveId"] = self.slave_id
        if self.remarks:
            payload["remarks"] = self.remarks
        return payload


@dataclass(frozen=True, kw_only=True)
class SellerCancelResult(LineResult):
    """The outcome of one seller cancellation.

    ``line_status`` is the line's status for this store after the call:
    ``ORDCANCL``, or ``ODREALOC`` when the line hopped to another store
    (``reallocated``). A failed item has ``error`` set, for example a
    ``StatusOrderError`` for a line already packed.
    """

    reason_code: str
    reallocated: bool = False


# Decoding ----------------------------------------------------------------------


def _text(raw: dict, key: str, context: str) -> str | None:
    return parse_text(raw.get(key), f"{context}.{key}")


def _required(raw: dict, key: str, context: str) -> str:
    value = _text(raw, key, context)
    if value is None:
        raise DecodingError(
            f"Missing value in {context}.{key}; the marketplace must send it.",
            field=f"{context}.{key}",
            value=None,
        )
    return value


def _status(raw: dict, context: str) -> str:
    code = _required(raw, "omsStatusCode", context)
    # An unknown code is kept as sent, so a new marketplace status shows up
    # instead of disappearing.
    return status_name(code) or code.upper()


def _upper(value: str | None) -> str | None:
    return value.upper() if value else None


def decode_cancellation(raw) -> CancellationRecord:
    """Decode one record of the cancellation feed; raise ``DecodingError``."""
    if not isinstance(raw, dict):
        raise DecodingError(
            f"Invalid cancellation record: expected fields, got {raw!r}.",
            field=CANCELLATION,
            value=raw,
        )
    transaction_id = _required(raw, "transactionId", CANCELLATION)
    context = f"{CANCELLATION}[{transaction_id}]"
    return CancellationRecord(
        transaction_id=transaction_id,
        order_no=_text(raw, "orderNo", context),
        seller_id=_text(raw, "sellerID", context),
        slave_id=_text(raw, "p1SlaveId", context),
        article_number=_text(raw, "articleNumber", context),
        status=_status(raw, context),
        cancelled_by=_upper(_text(raw, "cancelledBy", context)),
        reason_code=_upper(_text(raw, "reasonCode", context)),
        reason=_text(raw, "cancellationReason", context),
        cancellation_date=parse_datetime(
            raw.get("cancellationDate"), f"{context}.cancellationDate"
        ),
        updated_date=parse_datetime(raw.get("updatedDate"), f"{context}.updatedDate"),
        raw=raw,
    )


def decode_return(raw) -> ReturnRecord:
    """Decode one record of the return feed; raise ``DecodingError``."""
    if not isinstance(raw, dict):
        raise DecodingError(
            f"Invalid return record: expected fields, got {raw!r}.",
            field=RETURN,
            value=raw,
        )
    return_id = _required(raw, "returnId", RETURN)
    context = f"{RETURN}[{return_id}]"
    status = _status(raw, context)
    return ReturnRecord(
        return_id=return_id,
        # Without an event id, the status names the event: a return passes
        # each status once.
        event_id=_text(raw, "eventId", context) or f"{return_id}-{status}",
        transaction_id=_required(raw, "transactionId", context),
        order_no=_text(raw, "orderNo", context),
        seller_id=_text(raw, "sellerID", context),
        slave_id=_text(raw, "p1SlaveId", context),
        article_number=_text(raw, "articleNumber", context),
        return_type=_upper(_text(raw, "returnType", context)),
        status=status,
        reverse_awb=_text(raw, "reverseAWB", context),
        logistics_id=_text(raw, "returnLogisticsID", context),
        reason=_text(raw, "returnReason", context),
        qc_status=_upper(_text(raw, "qcStatus", context)),
        refund_status=_upper(_text(raw, "refundStatus", context)),
        return_date=parse_datetime(raw.get("returnDate"), f"{context}.returnDate"),
        event_date=parse_datetime(raw.get("eventDate"), f"{context}.eventDate"),
        raw=raw,
    )


def _decode_page(payload: dict, element: str, decoder, page: int, total: int):
    records, failures = [], []
    for raw in as_list(payload.get(element)):
        try:
            records.append(decoder(raw))
        except DecodingError as error:
            reference = None
            if isinstance(raw, dict):
                reference = clean(raw.get("transactionId"))
            if not isinstance(reference, str):
                reference = None
            failures.append(FeedDecodeFailure(reference, raw, error))
    return FeedPage(records, failures, page, total)


def format_from_date(value: datetime | date | str | None) -> str | None:
    """Return ``fromDate`` as the marketplace expects it (India time).

    A naive datetime is UTC, as Odoo stores it. A date means its midnight in
    India. A string must parse as a marketplace date, and is sent normalised.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        parsed = parse_datetime(value, "fromDate")
        return format_datetime(parsed)
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return format_datetime(parse_datetime(datetime.combine(value, time.min)))
    raise TypeError(f"Invalid from_date {value!r}; pass a datetime, date or string.")


class ReturnsMixin:
    """Cancellation feed, seller cancellation and return feed calls.

    Mixed into ``tatacliq.client.Client`` after ``FulfilmentMixin``, whose
    batch helpers (``_batch``, ``_line_result``) the seller cancellation uses.
    """

    # Feeds -------------------------------------------------------------------

    def iter_cancellation_pages(
        self, from_date=None, page_size: int = 100
    ) -> Iterator[FeedPage]:
        """Yield the pages of the cancellation feed since ``from_date``."""
        return self._feed_pages(
            "cancellations", CANCELLATION, decode_cancellation, from_date, page_size
        )

    def iter_cancellations(
        self, from_date=None, page_size: int = 100
    ) -> Iterator[CancellationRecord]:
        """Yield cancellation records since ``from_date`` (inclusive), oldest first.

        A page with a record that fails to decode raises its ``DecodingError``
        after yielding the page's good records.
        """
        for page in self.iter_cancellation_pages(from_date, page_size):
            yield from _records_or_raise(page)

    def iter_return_pages(
        self, from_date=None, page_size: int = 100
    ) -> Iterator[FeedPage]:
        """Yield the pages of the return feed since ``from_date``."""
        return self._feed_pages("returns", RETURN, decode_return, from_date, page_size)

    def iter_returns(
        self, from_date=None, page_size: int = 100
    ) -> Iterator[ReturnRecord]:
        """Yield return events since ``from_date`` (inclusive), oldest first.

        A page with a record that fails to decode raises its ``DecodingError``
        after yielding the page's good records.
        """
        for page in self.iter_return_pages(from_date, page_size):
            yield from _records_or_raise(page)

    def _feed_pages(self, route_name, element, decoder, from_date, page_size):
        query = {"pageSize": check_page_size(page_size)}
        since = format_from_date(from_date)
        if since is not None:
            query["fromDate"] = since
        yield from iter_pages(
            route_name,
            lambda page: self.call(route_name, query={**query, "page": page}),
            lambda payload, page, total: _decode_page(
                payload, element, decoder, page, total
            ),
        )

    # Seller cancellation -----------------------------------------------------

    def cancel_lines(self, items: Iterable) -> list[SellerCancelResult]:
        """Cancel lines as the seller; return one result per line, in order.

        ``items`` are ``CancelItem`` objects or tuples ``(transaction_id,
        reason_code)``, optionally followed by the store's slave id and
        remarks. Reason codes: ``NOSTOCK``, ``DAMAGED``, ``PRICE``, ``OTHER``.
        A line listed twice is sent once, with its first reason. Raises
        ``ValueError`` before sending for an invalid item.
        """
        by_id: dict[str, CancelItem] = {}
        for value in items:
            item = CancelItem.coerce(value)
            by_id.setdefault(item.transaction_id, item)
        request = [item.to_payload() for item in by_id.values()]
        pairs = self._batch("seller_cancel", "cancelRequest", request)
        return [
            self._line_result(
                SellerCancelResult,
                "seller_cancel",
                transaction_id,
                item,
                reason_code=by_id[transaction_id].reason_code,
                reallocated=str(clean(item.get("reallocated")) or "").upper()
                in ("Y", "TRUE", "1"),
            )
            for transaction_id, item in pairs
        ]


def _records_or_raise(page: FeedPage) -> Iterator:
    """Yield the page's records, then raise the error of its first bad record."""
    yield from page.records
    if page.failures:
        raise page.failures[0].error
