"""Cancellations, seller cancellation with order hopping, and returns.

Routes: ``cancellations`` is the feed of lines a seller lost.
``seller_cancel`` cancels lines with a reason code, and ``NOSTOCK`` at an OMNI
store hops the line (see ``tatacliq_sandbox.hopping``). ``returns`` is the
feed of return events.

The marketplace's own side of these flows (a customer cancels or returns,
the courier delivers or brings a parcel back, the store checks a returned
parcel) has no seller route. ``ReturnsSandboxMixin`` gives the sandbox a
Python method for each, and ``ADMIN_RESOURCES`` the matching admin routes.

What a cancellation was about (who, reason code, reason) is kept in
``LineState.extra``; returns live in the state table ``returns``.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from datetime import datetime

from tatacliq.models import status_name

from .. import hopping
from ..clock import india_time, parse_india_time
from ..errors import ApiError
from ..registry import Request, handles, paginate
from ..state import BEFORE_HANDOVER_STATUSES, LineState, State
from .fulfilment import _envelope, _failure, _field, _items, _transaction_id
from .inventory import apply_items

_logger = logging.getLogger(__name__)

# Reason codes of a seller cancellation (defined).
REASON_CODES = {
    "NOSTOCK": "No stock at the store",
    "DAMAGED": "The only unit is damaged",
    "PRICE": "Price issue",
    "OTHER": "Other reason",
}
# A seller may cancel a line in these statuses only. They are the statuses the
# marketplace allows a rejection from, plus ORDALLOC for a line not accepted yet.
SELLER_CANCEL_STATUSES = ("ORDALLOC", "ORDACCEP", "PICKINPR", "PILIGENE", "PICKCONF")
# A cancelled line and the steps that follow: CLONCANC closes a cash on
# delivery line, the REF* statuses refund a prepaid one.
REFUND_STATUSES = ("REFUINIT", "REFINPRO", "REFCLOSE")
CANCELLED_STATUSES = frozenset({"ORDCANCL", "CLONCANC", *REFUND_STATUSES})
CANCEL_REFUND_STATUSES = frozenset({"CLONCANC", *REFUND_STATUSES})

CUSTOMER = "CUSTOMER"
SELLER = "SELLER"
MARKETPLACE = "MARKETPLACE"

CUSTOMER_RETURN = "CR"
RETURN_TO_ORIGIN = "RTO"
# Statuses each kind of return moves through; the order of steps is the
# line's own rule (``state.TRANSITIONS``).
RETURN_STATUSES = {
    CUSTOMER_RETURN: frozenset(
        {"RETUINIT", "REVRSAWB", "SRECTORI", "QCFAILED", "RETUCLOS", "RETUCANC"}
        | {"LOSTINTT", *REFUND_STATUSES}
    ),
    RETURN_TO_ORIGIN: frozenset(
        {"RTOINITD", "RTOINPRS", "RTODELVRD", "RTOQCPASS", "RTOQCFAILED", "RTOCOMP"}
        | {"LOSTINTT", *REFUND_STATUSES}
    ),
}
QC_PASS = "PASS"
QC_FAIL = "FAIL"
# The quality check outcome each status records.
QC_OUTCOMES = {"QCFAILED": QC_FAIL, "RTOQCPASS": QC_PASS, "RTOQCFAILED": QC_FAIL}
RETURNS_TABLE = "returns"
DEFAULT_RTO_REASON = "Customer not available at the delivery address"

# Orders events of all returns by creation, so events at the same second keep
# the order they happened in.
_event_sequence = itertools.count(1)


# Cancellations ---------------------------------------------------------------


def _note_cancellation(line: LineState, by: str, reason_code, reason, at) -> dict:
    return {
        "by": by,
        "reason_code": reason_code,
        "reason": reason,
        "at": at,
        "seller_id": line.seller_id,
        "slave_id": line.slave_id,
    }


def cancel_line(
    state: State, line: LineState, by: str, reason_code: str | None, reason: str
) -> None:
    """Cancel ``line`` at its current store and record who cancelled it and why."""
    note = f"cancelled by the {by.lower()}: {reason}"
    state.transition(line, "ORDCANCL", note=note, by_seller=False)
    line.extra["cancellation"] = _note_cancellation(
        line, by, reason_code, reason, state.clock.now()
    )


def seller_cancel_line(
    state: State, line: LineState, reason_code: str, remarks: str | None, hop_limit
) -> str:
    """Cancel a line for its seller; return the line's status for that store.

    ``NOSTOCK`` at an OMNI store hands the line to the next store with stock
    (``ODREALOC`` for this store) until ``hop_limit`` reallocations; after
    that, or when no store has stock, the line is cancelled.
    """
    reason = REASON_CODES[reason_code] + (f": {remarks}" if remarks else "")
    if reason_code == "NOSTOCK" and hopping.is_store_line(state, line):
        target, blocked = hopping.find_hop(state, line, hop_limit)
        if target is not None:
            hops = line.extra.setdefault("hops", {})
            hops[(line.seller_id, line.slave_id)] = _note_cancellation(
                line, SELLER, reason_code, reason, state.clock.now()
            )
            seller_id, slave_id = target
            state.allocate(
                line, seller_id, slave_id, note=f"NOSTOCK, reallocated to {slave_id}"
            )
            return "ODREALOC"
        reason = f"{reason} ({blocked})"
    cancel_line(state, line, SELLER, reason_code, reason)
    return line.status


def _cancel_entry(line: LineState):
    """Return the history entry that cancelled the line at its current store."""
    for entry in reversed(line.history):
        if entry.status == "ORDCANCL" and entry.slave_id == line.slave_id:
            return entry
        if entry.status == "ORDALLOC":
            return None
    return None


def cancellation_records(state: State, seller_id: str) -> list[tuple]:
    """Return (updated at, record payload) for every line the seller lost.

    A store that lost the line in a hop has an ``ODREALOC`` record. The store
    of a cancelled line has a record with the line's current status, which
    moves on through the refund steps.
    """
    records = []
    with state.lock:
        for line in state.lines.values():
            hops = line.extra.get("hops", {})
            for holding in line.past_holders:
                if holding.seller_id != seller_id or holding.status != "ODREALOC":
                    continue
                noted = hops.get((holding.seller_id, holding.slave_id)) or {}
                records.append(
                    _cancellation_record(
                        line,
                        holding.seller_id,
                        holding.slave_id,
                        holding.status,
                        noted,
                        holding.released_at,
                        holding.released_at,
                    )
                )
            if line.seller_id != seller_id or line.status not in CANCELLED_STATUSES:
                continue
            entry = _cancel_entry(line)
            if entry is None:
                continue
            noted = line.extra.get("cancellation") or {
                "by": MARKETPLACE,
                "reason": entry.note or None,
            }
            records.append(
                _cancellation_record(
                    line,
                    line.seller_id,
                    line.slave_id,
                    line.status,
                    noted,
                    entry.at,
                    line.history[-1].at,
                )
            )
    records.sort(
        key=lambda pair: (pair[0], pair[1]["transactionId"], pair[1]["p1SlaveId"])
    )
    return records


def _cancellation_record(
    line, seller_id, slave_id, status, noted, cancelled_at, updated_at
) -> tuple:
    payload = {
        "transactionId": line.transaction_id,
        "orderNo": line.order_no,
        "sellerID": seller_id,
        "p1SlaveId": slave_id or "NA",
        "articleNumber": line.data.get("articleNumber"),
        "omsStatusCode": line.status_code(status),
        "cancelledBy": noted.get("by"),
        "reasonCode": noted.get("reason_code"),
        "cancellationReason": noted.get("reason"),
        "cancellationDate": india_time(cancelled_at),
        "updatedDate": india_time(updated_at),
    }
    return _second(updated_at), payload


def _second(when: datetime) -> datetime:
    # Feeds send dates to the second, so fromDate compares at that precision.
    return when.replace(microsecond=0)


def _from_date(request: Request) -> datetime | None:
    raw = request.query.get("fromDate")
    try:
        return parse_india_time(raw)
    except ValueError:
        raise ApiError(
            f"Invalid fromDate {raw!r}; use YYYY-MM-DD HH:MM:SS (India time)."
        )


def _feed(request: Request, records: list[tuple], element: str) -> dict:
    """Return the requested page of (date, payload) records as a feed envelope."""
    page, size = request.page_args()
    since = _from_date(request)
    selected = [payload for at, payload in records if since is None or at >= since]
    payloads, total_pages = paginate(selected, page, size)
    return {"page": page, "totalPages": total_pages, element: payloads}


@handles("cancellations", root="cancellations")
def cancellations(request: Request) -> dict:
    """List the cancellation records of the seller's stores since ``fromDate``."""
    records = cancellation_records(request.state, request.seller_id)
    return _feed(request, records, "cancellation")


# Seller cancellation -----------------------------------------------------------


def _reason_code(item: dict, transaction_id: str) -> str:
    code = (_field(item, "reasonCode") or "").upper()
    if code not in REASON_CODES:
        raise ApiError(
            f"Invalid reasonCode {_field(item, 'reasonCode')!r} for transaction "
            f"{transaction_id}; use one of {', '.join(REASON_CODES)}.",
            transaction_ids=[transaction_id],
        )
    return code


def _repeated_cancel(line: LineState, seller_id: str, slave_id: str | None):
    """Return the status of an earlier seller cancel this request repeats, or None.

    A retry after a lost response must not cancel the line again at the store
    it hopped to, so a store that already lost the line gets its own result
    back. Without ``p1SlaveId`` only a line that left the seller is recognised.
    """
    for holding in line.past_holders:
        if holding.seller_id != seller_id or holding.status != "ODREALOC":
            continue
        if holding.slave_id == slave_id or (
            slave_id is None and line.seller_id != seller_id
        ):
            return "ODREALOC"
    noted = line.extra.get("cancellation") or {}
    if (
        line.seller_id == seller_id
        and line.status in CANCELLED_STATUSES
        and noted.get("by") == SELLER
        and noted.get("slave_id") == line.slave_id
        and slave_id in (None, line.slave_id)
    ):
        return line.status
    return None


def _cancel_item(request: Request, item, position: int, hop_limit: int) -> dict:
    """Cancel one item's line; a refused item becomes a failure result."""
    transaction_id = None
    status_seen = None  # the line's status for this seller
    state = request.state
    try:
        transaction_id = _transaction_id(item, position)
        reason_code = _reason_code(item, transaction_id)
        slave_id = _field(item, "p1SlaveId")
        with state.lock:
            line = request.line(transaction_id)
            repeated = _repeated_cancel(line, request.seller_id, slave_id)
            if repeated is not None:
                return _cancel_result(line, repeated)
            if line.seller_id != request.seller_id:
                status_seen = "ODREALOC"
                raise ApiError(
                    f"Transaction {transaction_id} was reallocated to another "
                    "seller (ODREALOC); only the store that holds it can cancel it.",
                    409,
                    transaction_ids=[transaction_id],
                )
            status_seen = line.status
            _check_seller_cancel(line, slave_id)
            status = seller_cancel_line(
                state, line, reason_code, _field(item, "remarks"), hop_limit
            )
            return _cancel_result(line, status)
    except ApiError as error:
        _logger.info(
            "Sandbox seller_cancel rejected item %s (transaction %s, seller %s): %s",
            position,
            transaction_id,
            request.seller_id,
            error.message,
        )
        result = _failure(transaction_id, error)
        if status_seen is not None:
            result["omsStatusCode"] = status_seen
        return result


def _check_seller_cancel(line: LineState, slave_id: str | None) -> None:
    """Raise the marketplace's error when the seller may not cancel ``line``."""
    if slave_id is not None and slave_id != line.slave_id:
        raise ApiError(
            f"Transaction {line.transaction_id} is allocated to store "
            f"{line.slave_id}, not {slave_id}; only the store that holds a line "
            "can cancel it.",
            409,
            transaction_ids=[line.transaction_id],
        )
    if line.status not in SELLER_CANCEL_STATUSES:
        raise ApiError(
            f"Order Not in PICKCONG status: transaction {line.transaction_id} is "
            f"{line.status}; a seller can cancel a line only in "
            f"{', '.join(SELLER_CANCEL_STATUSES)}.",
            409,
            transaction_ids=[line.transaction_id],
        )


def _cancel_result(line: LineState, status: str) -> dict:
    return {
        "transactionId": line.transaction_id,
        "status": "SUCCESS",
        "omsStatusCode": status,
        "reallocated": "Y" if status == "ODREALOC" else "N",
    }


@handles("seller_cancel", root="cancelResponse")
def seller_cancel(request: Request) -> dict:
    """Cancel lines with a reason code; one result per item."""
    items = _items(request)
    request.require_status_mappings()
    hop_limit = hop_limit_of(request.sandbox)
    results = [
        _cancel_item(request, item, position, hop_limit)
        for position, item in enumerate(items, start=1)
    ]
    return _envelope(results)


def hop_limit_of(sandbox) -> int:
    return int(getattr(sandbox, "hop_limit", hopping.DEFAULT_HOP_LIMIT))


# Returns -----------------------------------------------------------------------


@dataclass
class ReturnEvent:
    sequence: int  # across all returns, for a stable feed order
    number: int  # within the return, from 1
    status: str
    at: datetime
    reverse_awb: str | None
    qc_status: str | None
    refund_status: str | None
    note: str = ""


@dataclass
class ReturnCase:
    """One return of a line: a customer return (CR) or a return to origin (RTO)."""

    return_id: str
    return_type: str
    transaction_id: str
    order_no: str
    seller_id: str
    slave_id: str | None
    article_number: str | None
    reason: str
    started_at: datetime
    logistics_id: str | None = None
    reverse_awb: str | None = None
    qc_status: str | None = None
    refund_status: str | None = None
    events: list[ReturnEvent] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.events[-1].status

    def record(self, status: str, at: datetime, note: str = "") -> ReturnEvent:
        event = ReturnEvent(
            next(_event_sequence),
            len(self.events) + 1,
            status,
            at,
            self.reverse_awb,
            self.qc_status,
            self.refund_status,
            note,
        )
        self.events.append(event)
        return event

    def render(self, event: ReturnEvent, line: LineState | None) -> dict:
        """Return the feed record of one event."""
        status = line.status_code(event.status) if line else event.status
        return {
            "returnId": self.return_id,
            "eventId": f"{self.return_id}-{event.number:02d}",
            "transactionId": self.transaction_id,
            "orderNo": self.order_no,
            "sellerID": self.seller_id,
            "p1SlaveId": self.slave_id or "NA",
            "articleNumber": self.article_number,
            "returnType": self.return_type,
            "omsStatusCode": status,
            "reverseAWB": event.reverse_awb,
            "returnLogisticsID": self.logistics_id,
            "returnReason": self.reason,
            "qcStatus": event.qc_status,
            "refundStatus": event.refund_status,
            "returnDate": india_time(self.started_at),
            "eventDate": india_time(event.at),
        }

    def as_dict(self) -> dict:
        """Return the inspector view used by the admin routes."""
        return {
            "returnId": self.return_id,
            "returnType": self.return_type,
            "transactionId": self.transaction_id,
            "sellerId": self.seller_id,
            "slaveId": self.slave_id,
            "status": self.status,
            "reverseAwb": self.reverse_awb,
            "qcStatus": self.qc_status,
            "refundStatus": self.refund_status,
            "events": [
                {"status": e.status, "at": india_time(e.at), "note": e.note}
                for e in self.events
            ],
        }


def _returns(state: State) -> dict[str, ReturnCase]:
    return state.table(RETURNS_TABLE)


def _line(state: State, transaction_id) -> LineState:
    line = state.line(str(transaction_id))
    if line is None:
        raise KeyError(f"Unknown transaction id {transaction_id}.")
    return line


def _start_return(
    state: State, line: LineState, return_type: str, status: str, reason: str
) -> ReturnCase:
    """Move the line into the first return status and open its return."""
    with state.lock:
        state.transition(line, status, note=f"{return_type}: {reason}", by_seller=False)
        cases = _returns(state)
        earlier = [c for c in cases.values() if c.transaction_id == line.transaction_id]
        number = len(earlier) + 1
        now = state.clock.now()
        case = ReturnCase(
            return_id=f"RET{line.transaction_id}{number:02d}",
            return_type=return_type,
            transaction_id=line.transaction_id,
            order_no=line.order_no,
            seller_id=line.seller_id,
            slave_id=line.slave_id,
            article_number=line.data.get("articleNumber"),
            reason=reason,
            started_at=now,
            logistics_id=_field(line.data, "returnLogisticsID")
            or line.extra.get("logistics_id"),
        )
        if return_type == RETURN_TO_ORIGIN:
            # The parcel comes back under its forward AWB.
            case.reverse_awb = line.extra.get("awb_number") or _new_awb(state)
        cases[case.return_id] = case
        case.record(status, now, reason)
        return case


def _new_awb(state: State) -> str:
    counters = state.table("return_counters")
    counters["awb"] = counters.get("awb", 0) + 1
    return f"RV{8000000000 + counters['awb']}"


def _qc_outcome(case: ReturnCase, status: str, qc: str | None) -> str | None:
    """Return the QC outcome after ``status``; reject a ``qc`` that contradicts it."""
    qc = qc.strip().upper() if qc else None
    if qc not in (None, QC_PASS, QC_FAIL):
        raise ValueError(f"Invalid qc {qc!r}; use PASS or FAIL.")
    if status == "RETUCLOS":
        # Closing after QCFAILED sends the parcel back to the customer.
        expected = case.qc_status or QC_PASS
    else:
        expected = QC_OUTCOMES.get(status)
    if qc is not None and qc != expected:
        hint = (
            f"{status} records qc {expected}"
            if expected
            else f"{status} records no quality check"
        )
        raise ValueError(
            f"qc {qc} does not fit return {case.return_id}: {hint}. Use "
            "RETUCLOS or RTOQCPASS for a pass, QCFAILED or RTOQCFAILED for a fail."
        )
    return expected or case.qc_status


def advance_return(
    state: State,
    return_id: str,
    status: str,
    *,
    qc: str | None = None,
    awb: str | None = None,
    note: str = "",
) -> ReturnCase:
    """Move a return (and its line) to ``status`` as the marketplace records it.

    ``qc`` may confirm the outcome the status records (``RETUCLOS`` and
    ``RTOQCPASS`` pass, ``QCFAILED`` and ``RTOQCFAILED`` fail). ``awb`` sets
    the reverse AWB at ``REVRSAWB`` (default: a new number). Raises
    ``KeyError`` for an unknown return, ``ValueError`` for a status outside
    the return's kind or a contradicting ``qc``, and ``ApiError`` when the
    line cannot move there from its current status.
    """
    with state.lock:
        case = _returns(state).get(return_id)
        if case is None:
            raise KeyError(f"Unknown return id {return_id}.")
        target = status_name(status)
        if target not in RETURN_STATUSES[case.return_type]:
            raise ValueError(
                f"Status {status!r} is not a step of a {case.return_type} return; "
                f"use one of {', '.join(sorted(RETURN_STATUSES[case.return_type]))}."
            )
        qc_status = _qc_outcome(case, target, qc)
        if target in REFUND_STATUSES and case.qc_status == QC_FAIL:
            raise ValueError(
                f"Return {return_id} failed its quality check, so it gets no refund."
            )
        line = _line(state, case.transaction_id)
        note = note or f"return {return_id}"
        state.transition(line, target, note=note, by_seller=False)
        case.qc_status = qc_status
        if target == "REVRSAWB":
            case.reverse_awb = awb or _new_awb(state)
        if target in REFUND_STATUSES:
            case.refund_status = target
        case.record(target, state.clock.now(), note)
        return case


def return_records(state: State, seller_id: str) -> list[tuple]:
    """Return (event date, record payload) of every return event of the seller."""
    with state.lock:
        events = [
            (event.at, event.sequence, case, event)
            for case in _returns(state).values()
            if case.seller_id == seller_id
            for event in case.events
        ]
        events.sort(key=lambda entry: entry[:2])
        return [
            (_second(at), case.render(event, state.line(case.transaction_id)))
            for at, _sequence, case, event in events
        ]


@handles("returns", root="returns")
def returns(request: Request) -> dict:
    """List the return events of the seller's lines since ``fromDate``."""
    records = return_records(request.state, request.seller_id)
    return _feed(request, records, "return")


# The marketplace's side, for tests and the demo --------------------------------


class ReturnsSandboxMixin:
    """Customer, courier and marketplace actions on lines after the sale.

    Mixed into ``Sandbox``; every method works on ``self.state``. Methods
    raise ``KeyError`` for an unknown transaction or return id and
    ``ApiError`` when the line's status does not allow the step.
    """

    # Reallocations per line before a NOSTOCK cancel cancels it for good.
    hop_limit = hopping.DEFAULT_HOP_LIMIT

    def customer_cancel(
        self, transaction_id, reason: str = "Changed my mind", reason_code=None
    ) -> LineState:
        """Cancel a line as the customer; allowed until it is handed over."""
        with self.state.lock:
            line = _line(self.state, transaction_id)
            if line.status not in BEFORE_HANDOVER_STATUSES:
                raise ApiError(
                    f"Transaction {line.transaction_id} is {line.status}: a customer "
                    "can cancel a line only before it is handed over to the "
                    "courier; after that the customer returns it.",
                    409,
                    transaction_ids=[line.transaction_id],
                )
            cancel_line(self.state, line, CUSTOMER, reason_code, reason)
            return line

    def advance_refund(self, transaction_id, status: str) -> LineState:
        """Move a cancelled line on: CLONCANC (cash on delivery) or a refund step."""
        target = status_name(status)
        if target not in CANCEL_REFUND_STATUSES:
            raise ValueError(
                f"Invalid refund status {status!r}; use CLONCANC, REFUINIT, "
                "REFINPRO or REFCLOSE. Refunds of returns go through advance_return."
            )
        with self.state.lock:
            line = _line(self.state, transaction_id)
            if _cancel_entry(line) is None:
                raise ValueError(
                    f"Transaction {line.transaction_id} is not cancelled at its "
                    f"store ({line.status}); use advance_return for a returned line."
                )
            return self.state.transition(line, target, by_seller=False)

    def mark_delivered(self, transaction_id) -> LineState:
        """Record the courier's delivery of a handed-over line (DELIVERD)."""
        return self.state.transition(
            str(transaction_id), "DELIVERD", note="delivered", by_seller=False
        )

    def customer_return(self, transaction_id, reason: str = "Size issue") -> str:
        """Open a customer return (RETUINIT) of a delivered line; return its id."""
        line = _line(self.state, transaction_id)
        case = _start_return(self.state, line, CUSTOMER_RETURN, "RETUINIT", reason)
        return case.return_id

    def rto(self, transaction_id, reason: str = DEFAULT_RTO_REASON) -> str:
        """Send an undelivered parcel back to the store (RTOINITD); return its id."""
        line = _line(self.state, transaction_id)
        case = _start_return(self.state, line, RETURN_TO_ORIGIN, "RTOINITD", reason)
        return case.return_id

    def advance_return(
        self, return_id: str, status: str, qc: str | None = None, **options
    ) -> ReturnCase:
        """Move a return on; see the module function ``advance_return``."""
        return advance_return(self.state, return_id, status, qc=qc, **options)

    def return_case(self, return_id: str) -> ReturnCase:
        with self.state.lock:
            case = _returns(self.state).get(return_id)
        if case is None:
            raise KeyError(f"Unknown return id {return_id}.")
        return case

    def set_stock(
        self, seller_id: str, sku: str, slave_id: str, quantity: int, safety_stock=0
    ) -> None:
        """Store a stock level as if the seller had pushed it (for hopping tests)."""
        seller = self.state.seller(str(seller_id))
        entry = {
            "SKU": sku,
            "SlaveID": slave_id,
            "Inventory": str(quantity),
            "SafetyStock": str(safety_stock),
        }
        (result,) = apply_items(self.state, seller, [entry], source="ADMIN")
        if result["status"] != "SUCCESS":
            raise ValueError(
                f"Stock of {sku} at {slave_id} was not stored: "
                f"{result['errorMessage']}."
            )


# Admin routes ------------------------------------------------------------------


def _required_text(data: dict, key: str) -> str:
    value = str(data.get(key) or "").strip()
    if not value:
        raise ValueError(f'Missing "{key}" in the admin request body.')
    return value


def _admin_customer(sandbox, method: str, parts: list, data: dict) -> dict:
    action = parts[0] if parts else ""
    if method == "POST" and action == "cancel":
        line = sandbox.customer_cancel(
            _required_text(data, "transaction_id"),
            data.get("reason") or "Changed my mind",
            data.get("reason_code"),
        )
        return line.as_dict()
    if method == "POST" and action == "return":
        return_id = sandbox.customer_return(
            _required_text(data, "transaction_id"), data.get("reason") or "Size issue"
        )
        return sandbox.return_case(return_id).as_dict()
    raise ApiError(f"No admin route for {method} /_sandbox/customer/{action}.", 404)


def _admin_courier(sandbox, method: str, parts: list, data: dict) -> dict:
    action = parts[0] if parts else ""
    if method == "POST" and action == "deliver":
        return sandbox.mark_delivered(_required_text(data, "transaction_id")).as_dict()
    if method == "POST" and action == "rto":
        return_id = sandbox.rto(
            _required_text(data, "transaction_id"),
            data.get("reason") or DEFAULT_RTO_REASON,
        )
        return sandbox.return_case(return_id).as_dict()
    raise ApiError(f"No admin route for {method} /_sandbox/courier/{action}.", 404)


def _admin_returns(sandbox, method: str, parts: list, data: dict) -> dict:
    if not parts and method == "GET":
        with sandbox.state.lock:
            cases = list(_returns(sandbox.state).values())
            return {"returns": [case.as_dict() for case in cases]}
    if len(parts) == 1 and method == "GET":
        return sandbox.return_case(parts[0]).as_dict()
    if len(parts) == 1 and method == "POST":
        case = sandbox.advance_return(
            parts[0],
            _required_text(data, "status"),
            data.get("qc"),
            awb=data.get("awb"),
            note=data.get("note") or "",
        )
        return case.as_dict()
    path = "/".join(["returns", *parts])
    raise ApiError(f"No admin route for {method} /_sandbox/{path}.", 404)


def _admin_refunds(sandbox, method: str, parts: list, data: dict) -> dict:
    if method != "POST" or parts:
        raise ApiError(f"No admin route for {method} /_sandbox/refunds.", 404)
    line = sandbox.advance_refund(
        _required_text(data, "transaction_id"), _required_text(data, "status")
    )
    return line.as_dict()


def _admin_hopping(sandbox, method: str, parts: list, data: dict) -> dict:
    if parts or method not in ("GET", "POST"):
        raise ApiError(f"No admin route for {method} /_sandbox/hopping.", 404)
    if method == "POST":
        limit = int(data.get("hop_limit"))
        if limit < 0:
            raise ValueError(f"Invalid hop_limit {limit}; use 0 or more.")
        sandbox.hop_limit = limit
    return {"hopLimit": hop_limit_of(sandbox)}


def _admin_stock(sandbox, method: str, parts: list, data: dict) -> dict:
    if parts or method != "POST":
        raise ApiError(f"No admin route for {method} /_sandbox/stock.", 404)
    sandbox.set_stock(
        _required_text(data, "seller_id"),
        _required_text(data, "sku"),
        _required_text(data, "slave_id"),
        int(data.get("quantity", 0)),
        int(data.get("safety_stock", 0)),
    )
    return {"status": "SUCCESS"}


# Admin resources under /_sandbox/ served by this module, all JSON:
# POST customer/cancel {transaction_id, reason, reason_code} and
# customer/return {transaction_id, reason}; POST courier/deliver
# {transaction_id} and courier/rto {transaction_id, reason}; GET returns,
# GET returns/<id>, POST returns/<id> {status, qc, awb, note}; POST refunds
# {transaction_id, status}; GET|POST hopping {hop_limit}; POST stock
# {seller_id, sku, slave_id, quantity, safety_stock}.
ADMIN_RESOURCES = {
    "customer": _admin_customer,
    "courier": _admin_courier,
    "returns": _admin_returns,
    "refunds": _admin_refunds,
    "hopping": _admin_hopping,
    "stock": _admin_stock,
}
