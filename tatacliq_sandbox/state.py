"""Marketplace state: orders, lines and the status rules the marketplace enforces.

One re-entrant lock (``State.lock``) guards everything; handlers that read and
then change several lines hold it for the whole step. Every line has a
current holder (seller id, slave id, status) and a history. When a line hops
to another store, the store that lost it keeps a ``Holding`` record, so its
order feed still shows the line, with the status it has for that store.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import datetime

from tatacliq.models import STATUS_CODES, status_name

from .clock import Clock, india_time, parse_india_time
from .errors import STATUS_MAPPING_MISSING, ApiError

BEFORE_PACK_STATUSES = frozenset(
    {"ORDALLOC", "ORDACCEP", "PICKINPR", "PICKHOLD", "PICKCONF", "PILIGENE"}
)
# Packed and not yet handed over: the states a handover may start from.
PACKED_STATUSES = frozenset(
    {
        "SCANNED",
        "AWBASSIG",
        "PRISHLAB",
        "INVOGENE",
        "PRIINVOI",
        "MANIPEND",
        "RETOSHIP",
        "LPSWITCH",
    }
)
BEFORE_HANDOVER_STATUSES = BEFORE_PACK_STATUSES | PACKED_STATUSES | {"ORDONHLD"}
# Forward statuses before delivery: a line in one of these keeps its order in
# the active order feed.
ACTIVE_STATUSES = BEFORE_HANDOVER_STATUSES | {"HOTCOURI", "RENEARHB"}
# Steps a seller requests through the API. A seller whose status mappings are
# missing on the marketplace gets the marketplace's "Kindly Connect to Seller
# Portal team" message for each of them.
SELLER_STEPS = frozenset(
    {"ORDACCEP", "ORDREJEC", "PICKINPR", "PILIGENE", "PICKCONF", "SCANNED", "HOTCOURI"}
)


@dataclass(frozen=True)
class Rule:
    """The statuses a line may move from into one status, and the refusal text.

    ``message`` is sent when the line is in any other status; ``{status}`` in
    it is replaced by the line's current status.
    """

    allowed: frozenset
    message: str


def _rule(allowed, message):
    return Rule(frozenset(allowed), message)


# The marketplace enforces these orders of steps (observed). Pick confirm needs
# ORDALLOC, PILIGENE or PICKCONF. SCANNED needs PICKCONF, and a line in any
# other status gets the marketplace's own misspelt "Order Not in PICKCONG
# status". Handover needs SCANNED (or a click-and-collect intimation).
# Rejection is allowed from ORDACCEP, PICKINPR, PILIGENE or PICKCONF. The other
# rows are defined by this project in the same spirit. Pick confirm also
# accepts the accepted and picking states, because the accept route exists.
TRANSITIONS: dict[str, Rule] = {
    "ORDALLOC": _rule({"ODREALOC", "ORDONHLD"}, "Order Not in ODREALOC status"),
    "ORDACCEP": _rule({"ORDALLOC", "ORDACCEP"}, "Order Not in ORDALLOC status"),
    "ORDREJEC": _rule(
        {"ORDACCEP", "PICKINPR", "PILIGENE", "PICKCONF"},
        "Order Not in ORDACCEP status",
    ),
    "PICKINPR": _rule(
        {"ORDALLOC", "ORDACCEP", "PICKHOLD", "PICKINPR"}, "Order Not in ORDACCEP status"
    ),
    "PICKHOLD": _rule({"PICKINPR", "PICKHOLD"}, "Order Not in PICKINPR status"),
    "PILIGENE": _rule(
        {"ORDALLOC", "ORDACCEP", "PICKINPR", "PILIGENE"}, "Order Not in ORDACCEP status"
    ),
    "PICKCONF": _rule(
        {"ORDALLOC", "PILIGENE", "PICKCONF", "ORDACCEP", "PICKINPR", "PICKHOLD"},
        "Order Not in ORDALLOC status",
    ),
    "SCANNED": _rule({"PICKCONF"}, "Order Not in PICKCONG status"),
    "AWBASSIG": _rule(
        {"SCANNED", "AWBASSIG", "LPSWITCH"}, "Order Not in SCANNED status"
    ),
    "PRISHLAB": _rule(
        PACKED_STATUSES - {"MANIPEND", "RETOSHIP"}, "Order Not in SCANNED status"
    ),
    "INVOGENE": _rule(
        PACKED_STATUSES - {"MANIPEND", "RETOSHIP"}, "Order Not in SCANNED status"
    ),
    "PRIINVOI": _rule(
        PACKED_STATUSES - {"MANIPEND", "RETOSHIP"}, "Order Not in SCANNED status"
    ),
    "MANIPEND": _rule(PACKED_STATUSES, "Order Not in SCANNED status"),
    "RETOSHIP": _rule(PACKED_STATUSES, "Order Not in SCANNED status"),
    "LPSWITCH": _rule(PACKED_STATUSES, "Order Not in SCANNED status"),
    "HOTCOURI": _rule(PACKED_STATUSES, "Order Not in SCANNED status"),
    "RENEARHB": _rule({"HOTCOURI"}, "Order Not in HOTCOURI status"),
    "DELIVERD": _rule({"HOTCOURI", "RENEARHB"}, "Order Not in HOTCOURI status"),
    "ORDCANCL": _rule(
        BEFORE_HANDOVER_STATUSES,
        "Order in {status} status cannot be cancelled",
    ),
    "ODREALOC": _rule(
        BEFORE_HANDOVER_STATUSES, "Order in {status} status cannot be reallocated"
    ),
    "ORDONHLD": _rule(
        BEFORE_PACK_STATUSES, "Order in {status} status cannot be put on hold"
    ),
    "CLONCANC": _rule({"ORDCANCL"}, "Order Not in ORDCANCL status"),
    "REFUINIT": _rule(
        {"ORDCANCL", "RETUCLOS", "RTOCOMP", "LOSTINTT"}, "Order Not in ORDCANCL status"
    ),
    "REFINPRO": _rule({"REFUINIT"}, "Order Not in REFUINIT status"),
    "REFCLOSE": _rule({"REFINPRO"}, "Order Not in REFINPRO status"),
    "RETUINIT": _rule({"DELIVERD"}, "Order Not in DELIVERD status"),
    "REVRSAWB": _rule({"RETUINIT"}, "Order Not in RETUINIT status"),
    "SRECTORI": _rule({"RETUINIT", "REVRSAWB"}, "Order Not in REVRSAWB status"),
    "QCFAILED": _rule({"SRECTORI"}, "Order Not in SRECTORI status"),
    "RETUCLOS": _rule({"SRECTORI", "QCFAILED"}, "Order Not in SRECTORI status"),
    "RETUCANC": _rule({"RETUINIT", "REVRSAWB"}, "Order Not in RETUINIT status"),
    "RETTOORG": _rule(
        {"HOTCOURI", "RENEARHB", "RTOINITD", "RTOINPRS"}, "Order Not in HOTCOURI status"
    ),
    "LOSTINTT": _rule(
        {"HOTCOURI", "RENEARHB", "RTOINPRS", "REVRSAWB"}, "Order Not in HOTCOURI status"
    ),
    "RTOINITD": _rule({"HOTCOURI", "RENEARHB"}, "Order Not in HOTCOURI status"),
    "RTOINPRS": _rule({"RTOINITD"}, "Order Not in RTOINITD status"),
    "RTODELVRD": _rule({"RTOINPRS"}, "Order Not in RTOINPRS status"),
    "RTOQCPASS": _rule({"RTODELVRD"}, "Order Not in RTODELVRD status"),
    "RTOQCFAILED": _rule({"RTODELVRD"}, "Order Not in RTODELVRD status"),
    "RTOCOMP": _rule(
        {"RTODELVRD", "RTOQCPASS", "RTOQCFAILED"}, "Order Not in RTODELVRD status"
    ),
}


def check_transition(line: LineState, new_status: str) -> str:
    """Return the status name of ``new_status`` if ``line`` may move into it.

    Raises ``ApiError`` (400) with the marketplace's message otherwise.
    """
    target = status_name(new_status)
    if target is None or target not in TRANSITIONS:
        raise ApiError(
            f"Unknown status {new_status!r}; use a status name such as ORDACCEP.",
            transaction_ids=[line.transaction_id],
        )
    if target == "HOTCOURI" and line.status == "HOTCOURI":
        # The manifest screen's text for a second handover.
        raise ApiError(
            "Shipment Already in HOTC", transaction_ids=[line.transaction_id]
        )
    rule = TRANSITIONS[target]
    allowed = rule.allowed
    if target == "HOTCOURI" and line.data.get("deliveryMode") == "CNC":
        # Click and collect: the store intimates the pickup without packing.
        allowed = allowed | {"PICKCONF"}
    if line.status not in allowed:
        raise ApiError(
            rule.message.format(status=line.status),
            transaction_ids=[line.transaction_id],
        )
    return target


def transition(
    line: LineState,
    new_status: str,
    at: datetime,
    *,
    note: str = "",
    force: bool = False,
) -> LineState:
    """Move ``line`` into ``new_status`` at ``at`` and record it in its history.

    Raises ``ApiError`` with the marketplace's message when the rules forbid
    the move, unless ``force`` (the marketplace moving a line on its own, for
    example a courier scan outside the seller's ERP). Callers hold
    ``State.lock``; ``State.transition`` does that and adds the seller checks.
    """
    if force:
        target = status_name(new_status)
        if target is None:
            raise ApiError(
                f"Unknown status {new_status!r}; use a status name such as ORDACCEP.",
                transaction_ids=[line.transaction_id],
            )
    else:
        target = check_transition(line, new_status)
    line.status = target
    line.history.append(
        HistoryEntry(at, target, line.slave_id, note, seller_id=line.seller_id)
    )
    return line


@dataclass
class HistoryEntry:
    at: datetime
    status: str
    slave_id: str | None
    note: str = ""
    seller_id: str | None = None

    def as_dict(self) -> dict:
        return {
            "at": india_time(self.at),
            "status": self.status,
            "slaveId": self.slave_id,
            "sellerId": self.seller_id,
            "note": self.note,
        }


@dataclass
class Holding:
    """A store that held a line before it hopped on, and the status it keeps there."""

    seller_id: str
    slave_id: str | None
    status: str
    allocation_date: datetime
    released_at: datetime


@dataclass
class LineState:
    """One order line (one transaction id) as the marketplace stores it.

    ``data`` is the sandbox's own copy of the line payload; handlers may change
    its fields (for example ``p1LogisticsID`` after a courier switch). The
    status, slave id, seller id and allocation date live in attributes and
    are written over ``data`` when the line is rendered. ``extra`` is free for
    the domain handlers (AWB number, invoice number, manifest id).
    """

    transaction_id: str
    order_no: str
    seller_id: str
    slave_id: str | None
    status: str
    allocation_date: datetime
    data: dict
    history: list[HistoryEntry] = field(default_factory=list)
    past_holders: list[Holding] = field(default_factory=list)
    status_style: str = "number"  # how omsStatusCode is sent: "number" or "name"
    extra: dict = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def status_code(self, status: str | None = None) -> str:
        """Return ``status`` (default: the current one) as the feed sends it."""
        status = status or self.status
        number = STATUS_CODES.get(status, (None, None))[0]
        if self.status_style == "number" and number:
            return number
        return status

    def render(self, holding: Holding | None = None) -> dict:
        """Return the line payload for its current holder or for a past holder."""
        payload = copy.deepcopy(self.data)
        if holding is None:
            seller_id, slave_id = self.seller_id, self.slave_id
            status, allocated = self.status, self.allocation_date
        else:
            seller_id, slave_id = holding.seller_id, holding.slave_id
            status, allocated = holding.status, holding.allocation_date
        payload["omsStatusCode"] = self.status_code(status)
        payload["sellerID"] = seller_id
        payload["p1SlaveId"] = slave_id if slave_id else "NA"
        payload["allocationDate"] = india_time(allocated)
        return payload

    def as_dict(self) -> dict:
        """Return the inspector view used by the admin routes."""
        return {
            "transactionId": self.transaction_id,
            "orderNo": self.order_no,
            "sellerId": self.seller_id,
            "slaveId": self.slave_id,
            "status": self.status,
            "allocationDate": india_time(self.allocation_date),
            "articleNumber": self.data.get("articleNumber"),
            "history": [entry.as_dict() for entry in self.history],
            "pastHolders": [
                {
                    "sellerId": h.seller_id,
                    "slaveId": h.slave_id,
                    "status": h.status,
                    "releasedAt": india_time(h.released_at),
                }
                for h in self.past_holders
            ],
            "extra": {key: str(value) for key, value in self.extra.items()},
        }


@dataclass
class OrderState:
    order_no: str
    seller_id: str  # the seller the order was first allocated to
    data: dict  # the order payload without orderLine
    transaction_ids: list[str]
    sequence: int


class State:
    """All marketplace data of one sandbox, guarded by ``lock``."""

    def __init__(self, clock: Clock):
        self.clock = clock
        self.lock = threading.RLock()
        self.sellers: dict = {}
        self.orders: dict[str, OrderState] = {}
        self.lines: dict[str, LineState] = {}
        self._tables: dict[str, dict] = {}
        self._sequence = 0

    # Sellers -----------------------------------------------------------------

    def add_seller(self, seller):
        with self.lock:
            self.sellers[seller.seller_id] = seller
        return seller

    def seller(self, seller_id: str):
        """Return the seller or raise ``KeyError`` naming the known sellers."""
        with self.lock:
            try:
                return self.sellers[seller_id]
            except KeyError:
                raise KeyError(
                    f"Unknown seller {seller_id!r}; add it with Sandbox.add_seller() "
                    f"first (known: {', '.join(sorted(self.sellers)) or 'none'})."
                )

    # Orders ------------------------------------------------------------------

    def add_order(self, seller_id: str, payload: dict) -> OrderState:
        """Store one order payload (marketplace JSON shape) for ``seller_id``.

        An order with the same ``orderNo`` is replaced. Raises ``ValueError``
        for a payload without ``orderNo`` or lines, or with a transaction id
        that another order already uses.
        """
        self.seller(seller_id)
        order_no = str(payload.get("orderNo") or "").strip()
        if not order_no:
            raise ValueError("Order without orderNo; every order needs one.")
        raw_lines = payload.get("orderLine") or []
        if isinstance(raw_lines, dict):
            raw_lines = [raw_lines]
        if not raw_lines:
            raise ValueError(f"Order {order_no} has no orderLine; add at least one.")
        now = self.clock.now()
        with self.lock:
            if order_no in self.orders:
                self.remove_order(order_no)
            lines = [
                self._make_line(seller_id, order_no, payload, raw, now)
                for raw in raw_lines
            ]
            seen = set()
            for line in lines:
                txn = line.transaction_id
                if txn in self.lines or txn in seen:
                    raise ValueError(
                        f"Transaction id {txn} of order {order_no} is already used; "
                        "every line needs its own transaction id."
                    )
                seen.add(txn)
            data = {key: value for key, value in payload.items() if key != "orderLine"}
            self._sequence += 1
            order = OrderState(
                order_no,
                seller_id,
                copy.deepcopy(data),
                [line.transaction_id for line in lines],
                self._sequence,
            )
            self.orders[order_no] = order
            for line in lines:
                self.lines[line.transaction_id] = line
        return order

    def _make_line(self, seller_id, order_no, order_payload, raw, now) -> LineState:
        txn = str(raw.get("transactionId") or "").strip()
        if not txn:
            raise ValueError(
                f"A line of order {order_no} has no transactionId; every line "
                "needs one."
            )
        code = str(raw.get("omsStatusCode") or "ORDALLOC").strip()
        status = status_name(code)
        if status is None:
            raise ValueError(
                f"Line {txn} has unknown omsStatusCode {code!r}; use a status "
                "name such as ORDALLOC or its number such as 001."
            )
        allocated = (
            _parse_date(raw.get("allocationDate"))
            or _parse_date(order_payload.get("orderDate"))
            or now
        )
        slave_id = raw.get("p1SlaveId")
        if slave_id in (None, "", "NA", "null"):
            slave_id = None
        line = LineState(
            transaction_id=txn,
            order_no=order_no,
            seller_id=seller_id,
            slave_id=slave_id,
            status=status,
            allocation_date=allocated,
            data=copy.deepcopy(raw),
            status_style="name" if code.upper() == status else "number",
        )
        line.history.append(
            HistoryEntry(allocated, status, slave_id, "received", seller_id=seller_id)
        )
        return line

    def remove_order(self, order_no: str) -> None:
        with self.lock:
            order = self.orders.pop(order_no, None)
            if order:
                for txn in order.transaction_ids:
                    self.lines.pop(txn, None)

    def order(self, order_no: str) -> OrderState | None:
        with self.lock:
            return self.orders.get(order_no)

    def line(self, transaction_id: str) -> LineState | None:
        with self.lock:
            return self.lines.get(str(transaction_id))

    def order_lines(self, order: OrderState) -> list[LineState]:
        with self.lock:
            return [self.lines[txn] for txn in order.transaction_ids]

    def records_for(self, order: OrderState, seller_id: str) -> list[tuple]:
        """Return the (line, holding) pairs of ``order`` in ``seller_id``'s feed.

        ``holding`` is None for a line the seller holds now, else the record
        of a store of this seller that lost the line in a hop.
        """
        records = []
        with self.lock:
            for line in self.order_lines(order):
                for holding in line.past_holders:
                    if holding.seller_id == seller_id:
                        records.append((line, holding))
                if line.seller_id == seller_id:
                    records.append((line, None))
        return records

    def orders_for(self, seller_id: str, *, active_only: bool = True) -> list:
        """Return the orders in the seller's feed, in allocation order.

        With ``active_only`` an order counts when the seller holds at least one
        of its lines in an active status (allocated up to handed over).
        """
        with self.lock:
            result = []
            for order in sorted(self.orders.values(), key=lambda o: o.sequence):
                records = self.records_for(order, seller_id)
                if not records:
                    continue
                if active_only and not any(
                    holding is None and line.active for line, holding in records
                ):
                    continue
                result.append(order)
            return result

    def render_order(self, order: OrderState, seller_id: str) -> dict:
        """Return the order payload as ``seller_id`` receives it in the feed."""
        with self.lock:
            payload = copy.deepcopy(order.data)
            payload["orderLine"] = [
                line.render(holding)
                for line, holding in self.records_for(order, seller_id)
            ]
            return payload

    # Status changes ------------------------------------------------------------

    def transition(
        self,
        line: LineState | str,
        new_status: str,
        *,
        note: str = "",
        by_seller: bool = True,
        force: bool = False,
    ) -> LineState:
        """Move a line (object or transaction id) into ``new_status`` now.

        ``by_seller`` marks a step the seller asked for through the API: a
        seller without status mappings gets the marketplace's "Kindly Connect
        to Seller Portal team" error for those. Raises ``ApiError``.
        """
        with self.lock:
            if isinstance(line, str):
                line = self.require_line(line)
            target = status_name(new_status)
            if by_seller and target in SELLER_STEPS:
                seller = self.sellers.get(line.seller_id)
                if seller is not None and not seller.status_mappings:
                    raise ApiError(
                        STATUS_MAPPING_MISSING, transaction_ids=[line.transaction_id]
                    )
            return transition(
                line, new_status, self.clock.now(), note=note, force=force
            )

    def allocate(
        self, line: LineState, seller_id: str, slave_id: str | None, *, note: str = ""
    ) -> LineState:
        """Hand ``line`` to another store: the current store keeps an ODREALOC record.

        The line becomes ORDALLOC at the new store with a new allocation date.
        Whether a hop is allowed (hop limit, stock) is the caller's rule.
        """
        now = self.clock.now()
        with self.lock:
            self.seller(seller_id)
            transition(line, "ODREALOC", now, note=note or f"reallocated to {slave_id}")
            line.past_holders.append(
                Holding(
                    line.seller_id, line.slave_id, "ODREALOC", line.allocation_date, now
                )
            )
            line.seller_id = seller_id
            line.slave_id = slave_id
            line.allocation_date = now
            line.status = "ORDALLOC"
            line.history.append(
                HistoryEntry(
                    now, "ORDALLOC", slave_id, "allocated", seller_id=seller_id
                )
            )
            return line

    def require_line(
        self, transaction_id: str, seller_id: str | None = None
    ) -> LineState:
        """Return the line, or raise ``ApiError`` 404 when the seller cannot see it."""
        with self.lock:
            line = self.lines.get(str(transaction_id))
            visible = line is not None and (
                seller_id is None
                or line.seller_id == seller_id
                or any(h.seller_id == seller_id for h in line.past_holders)
            )
            if not visible:
                raise ApiError(
                    f"Transaction {transaction_id} not found",
                    404,
                    transaction_ids=[str(transaction_id)],
                )
            return line

    # Tables of the domain handlers -------------------------------------------

    def table(self, name: str) -> dict:
        """Return the named dict that a domain handler keeps its own records in.

        Tables are emptied by ``reset``; callers hold ``lock`` while they change one.
        """
        with self.lock:
            return self._tables.setdefault(name, {})

    def reset(self) -> None:
        """Drop orders, lines and handler tables; sellers stay."""
        with self.lock:
            self.orders.clear()
            self.lines.clear()
            self._tables.clear()
            self._sequence = 0


def _parse_date(value) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_india_time(value)
    except ValueError:
        return None
