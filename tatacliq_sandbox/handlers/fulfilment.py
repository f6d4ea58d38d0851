"""Fulfilment routes: accept, pick confirm, pack, labels, shipment, handover, manifest.

Batch routes return ``200`` with one result per item. An item that fails
carries ``errorCode`` and ``errorMessage`` and leaves the other items alone.
What a line gets along the way (AWB, courier, invoice number, manifest id)
is kept in ``LineState.extra``; manifests live in the state table
``manifests``.

The courier of a line the marketplace ships (TSHIP, and the LUXURY and OMNI
stores that use it) is assigned ``courier_delay_minutes`` after allocation
(``Seller.options``, default ``DEFAULT_COURIER_DELAY_MINUTES``) on the
sandbox clock. Before that a pack or label prefetch fails with the
marketplace's ``No Shipment Available for Transactions '<id>'``.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from .. import documents
from ..clock import INDIA, india_time
from ..errors import ApiError
from ..registry import Request, handles
from ..state import PACKED_STATUSES, LineState, check_transition

_logger = logging.getLogger(__name__)

ITEM = "item"
MAX_ITEMS = 100
MAX_MANIFEST_ITEMS = 500
DEFAULT_COURIER_DELAY_MINUTES = 0

# Statuses a line reaches at or after the courier takes the parcel.
HANDED_OVER_STATUSES = frozenset({"HOTCOURI", "RENEARHB", "DELIVERD"})
BEFORE_PACK = frozenset(
    {"ORDALLOC", "ORDACCEP", "PICKINPR", "PICKHOLD", "PICKCONF", "PILIGENE"}
)
ALREADY_IN_HOTC = "Shipment Already in HOTC"
AWB_MISSING = "AWB Does Not Exists against Shipment"
COURIER_INVALID = "p1logistic of Shipment is Invalid"
WRONG_DELIVERY_MODE = "Wrong Delivery Mode for Shipment"
MANIFEST_PDF_FAILED = "Failed to Generate Manifest PDF"
AWB_PATTERN = re.compile(r"[A-Za-z0-9-]{6,30}")
# Couriers the marketplace picks from for a line that names none, in order.
DEFAULT_COURIERS = ("DL", "BD", "EE", "XC")


# Request and response shapes ------------------------------------------------


def _items(request: Request, max_items: int = MAX_ITEMS) -> list:
    """Return the request's items; a call without items or with too many is a 400."""
    if not isinstance(request.body, dict) or ITEM not in request.body:
        raise ApiError(
            f"Request body has no '{ITEM}' list; send one {ITEM} per transaction."
        )
    items = request.body_items(ITEM)
    if not items:
        raise ApiError(f"Request body has an empty '{ITEM}' list; send at least one.")
    if len(items) > max_items:
        raise ApiError(
            f"Request has {len(items)} items; send at most {max_items} per call."
        )
    return items


def _transaction_id(item, position: int) -> str:
    value = item.get("transactionId") if isinstance(item, dict) else None
    text = str(value or "").strip()
    if not text or text.lower() in ("null", "na"):
        raise ApiError(f"Item {position} has no transactionId; send the line's id.")
    return text


def _field(item: dict, key: str) -> str | None:
    value = item.get(key)
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in ("", "null", "na") else text


def _failure(transaction_id: str | None, error: ApiError, line=None) -> dict:
    result = {
        "transactionId": transaction_id,
        "status": "FAILURE",
        "errorCode": error.error_code,
        "errorMessage": error.message,
    }
    if line is not None:
        result["omsStatusCode"] = line.status
    return result


def _success(line: LineState, **fields) -> dict:
    return {
        "transactionId": line.transaction_id,
        "status": "SUCCESS",
        "omsStatusCode": line.status,
        **fields,
    }


def _envelope(results: list[dict], **fields) -> dict:
    succeeded = sum(1 for result in results if result["status"] == "SUCCESS")
    if succeeded == len(results):
        status = "SUCCESS"
    elif succeeded:
        status = "PARTIAL"
    else:
        status = "FAILURE"
    return {"status": status, **fields, ITEM: results}


def _run_batch(request: Request, step, max_items: int = MAX_ITEMS) -> list[dict]:
    """Apply ``step(request, line, item)`` to every item; one result per item.

    The seller-wide status mapping check fails the whole call; everything
    about one line fails that item only.
    """
    items = _items(request, max_items)
    request.require_status_mappings()
    results = []
    for position, item in enumerate(items, start=1):
        transaction_id = None
        line = None
        try:
            transaction_id = _transaction_id(item, position)
            with request.state.lock:
                line = _own_line(request, transaction_id)
                results.append(step(request, line, item))
        except ApiError as error:
            _logger.info(
                "Sandbox %s rejected item %s (transaction %s): %s",
                request.route.name,
                position,
                transaction_id,
                error.message,
            )
            results.append(_failure(transaction_id, error, line))
    return results


def _own_line(request: Request, transaction_id: str) -> LineState:
    """Return the line allocated to the calling seller now, else raise a 409 or 404."""
    line = request.line(transaction_id)
    if line.seller_id != request.seller_id:
        raise ApiError(
            f"Transaction {transaction_id} was reallocated to another seller "
            "(ODREALOC); only the store that holds it can fulfil it.",
            409,
            transaction_ids=[transaction_id],
        )
    return line


def _move(request: Request, line: LineState, status: str, note: str) -> None:
    """Move ``line`` on; a refused step is a 409 with the marketplace's text."""
    try:
        request.state.transition(line, status, note=note)
    except ApiError as error:
        raise _conflict(error, line)


def _conflict(error: ApiError, line: LineState) -> ApiError:
    return _refusal(line, error.message)


def _refusal(line: LineState, message: str, status: int = 409) -> ApiError:
    """Return the error of one line: 409 for its status, 422 for a rule, 400 input."""
    return ApiError(message, status, transaction_ids=[line.transaction_id])


# Shipments -----------------------------------------------------------------


def fulfillment_type(line: LineState) -> str:
    """Return TSHIP or SSHIP; a line that names neither is shipped by Tata CLiQ."""
    value = str(line.data.get("fulfillmentType") or "").strip().upper()
    return "SSHIP" if value == "SSHIP" else "TSHIP"


def courier_due(request: Request, line: LineState) -> datetime:
    """Return when the marketplace assigns a courier to ``line``."""
    options = request.seller.options if request.seller else {}
    minutes = options.get("courier_delay_minutes", DEFAULT_COURIER_DELAY_MINUTES)
    return line.allocation_date + timedelta(minutes=float(minutes))


def _next_number(request: Request, name: str) -> int:
    counters = request.state.table("fulfilment_counters")
    counters[name] = counters.get(name, 0) + 1
    return counters[name]


def _assign_shipment(request: Request, line: LineState) -> None:
    """Give a TSHIP line its courier and AWB once the courier is due (idempotent)."""
    if line.extra.get("awb_number") or fulfillment_type(line) == "SSHIP":
        return
    if request.clock.now() < courier_due(request, line):
        raise ApiError(
            f"No Shipment Available for Transactions '{line.transaction_id}'",
            409,
            transaction_ids=[line.transaction_id],
        )
    courier = _field(line.data, "p1LogisticsID")
    if courier is None:
        position = (
            int(line.transaction_id[-4:]) if line.transaction_id[-4:].isdigit() else 0
        )
        courier = DEFAULT_COURIERS[position % len(DEFAULT_COURIERS)]
    number = _next_number(request, "awb")
    line.extra["logistics_id"] = courier
    line.extra["awb_number"] = f"{courier}{7000000000 + number}"
    line.data["p1LogisticsID"] = courier


def _financial_year(when: datetime) -> str:
    """Return the Indian financial year (April to March) as ``2627``."""
    local = when.astimezone(INDIA)
    start = local.year if local.month >= 4 else local.year - 1
    return f"{start % 100:02d}{(start + 1) % 100:02d}"


def _assign_invoice(request: Request, line: LineState) -> None:
    if line.extra.get("invoice_number"):
        return
    now = request.clock.now()
    year = _financial_year(now)
    number = _next_number(request, f"invoice-{line.seller_id}-{year}")
    # GST allows at most 16 characters, unique per financial year and seller.
    line.extra["invoice_number"] = f"INV-{year}-{number:07d}"
    line.extra["invoice_date"] = now


def _shipment_fields(line: LineState) -> dict:
    return {
        "awbNumber": line.extra.get("awb_number"),
        "p1LogisticsID": line.extra.get("logistics_id"),
    }


def _courier_key(line: LineState) -> str | None:
    """Return the courier a manifest groups by: code, or the SSHIP courier's name."""
    return line.extra.get("logistics_id") or line.extra.get("courier_name")


# Batch routes ---------------------------------------------------------------


@handles("line_accept", root="acceptResponse")
def line_accept(request: Request):
    def step(request, line, _item):
        _move(request, line, "ORDACCEP", "accepted")
        return _success(line)

    return _envelope(_run_batch(request, step))


@handles("pick_confirm", root="pickConfirmResponse")
def pick_confirm(request: Request):
    def step(request, line, _item):
        _move(request, line, "PICKCONF", "pick confirmed")
        return _success(line)

    return _envelope(_run_batch(request, step))


def _pack_result(line: LineState) -> dict:
    invoice_date = line.extra.get("invoice_date")
    return _success(
        line,
        invoiceNumber=line.extra.get("invoice_number"),
        invoiceDate=india_time(invoice_date) if invoice_date else None,
        **_shipment_fields(line),
    )


@handles("pack", root="packResponse")
def pack(request: Request):
    def step(request, line, _item):
        if line.status in PACKED_STATUSES:
            # A repeated pack (a retry after a lost response) gets the same
            # invoice and AWB instead of an error.
            _assign_invoice(request, line)
            return _pack_result(line)
        try:
            check_transition(line, "SCANNED")
        except ApiError as error:
            raise _conflict(error, line)
        _assign_shipment(request, line)
        _move(request, line, "SCANNED", "packed")
        _assign_invoice(request, line)
        line.extra["packed_at"] = request.clock.now()
        line.extra["label_ready"] = True
        return _pack_result(line)

    return _envelope(_run_batch(request, step))


@handles("label_prefetch", root="labelPrefetchResponse")
def label_prefetch(request: Request):
    def step(request, line, _item):
        if fulfillment_type(line) == "SSHIP":
            raise ApiError(
                f"Transaction {line.transaction_id} is self-ship (SSHIP): Tata "
                "CLiQ prints no label for it. Book your courier and confirm the "
                "shipment instead.",
                422,
                transaction_ids=[line.transaction_id],
            )
        if line.status in HANDED_OVER_STATUSES:
            raise _refusal(line, ALREADY_IN_HOTC, 409)
        if line.status not in BEFORE_PACK | PACKED_STATUSES:
            raise ApiError(
                f"Order Not in PICKCONF status: transaction {line.transaction_id} "
                f"is {line.status}, so it gets no label.",
                409,
                transaction_ids=[line.transaction_id],
            )
        _assign_shipment(request, line)
        line.extra["label_ready"] = True
        return _success(line, **_shipment_fields(line))

    return _envelope(_run_batch(request, step))


@handles("shipment_confirm", root="shipmentConfirmResponse")
def shipment_confirm(request: Request):
    def step(request, line, item):
        courier_name = _field(item, "courierName")
        awb_number = _field(item, "awbNumber")
        if not courier_name:
            raise ApiError(
                f"Item for transaction {line.transaction_id} has no courierName; "
                "send the name of the courier that carries the parcel.",
                transaction_ids=[line.transaction_id],
            )
        if not awb_number or not AWB_PATTERN.fullmatch(awb_number):
            raise ApiError(
                f"Invalid awbNumber {awb_number!r} for transaction "
                f"{line.transaction_id}; send the courier's AWB (6 to 30 letters, "
                "digits or hyphens).",
                transaction_ids=[line.transaction_id],
            )
        if fulfillment_type(line) != "SSHIP":
            raise ApiError(
                f"Transaction {line.transaction_id} is shipped by Tata CLiQ "
                f"({fulfillment_type(line)}); shipment confirmation is only for "
                "self-ship (SSHIP) lines.",
                422,
                transaction_ids=[line.transaction_id],
            )
        if line.status in HANDED_OVER_STATUSES:
            raise _refusal(line, ALREADY_IN_HOTC, 409)
        if line.status not in PACKED_STATUSES:
            raise _refusal(line, "Order Not in SCANNED status", 409)
        # Before handover the seller may book another courier: the last
        # confirmation wins.
        line.extra["courier_name"] = courier_name
        line.extra["awb_number"] = awb_number
        line.extra["label_ready"] = True
        return _success(line, courierName=courier_name, awbNumber=awb_number)

    return _envelope(_run_batch(request, step))


@handles("handover", root="handoverResponse")
def handover(request: Request):
    def step(request, line, _item):
        if line.status in HANDED_OVER_STATUSES:
            raise _refusal(line, ALREADY_IN_HOTC, 409)
        _move(request, line, "HOTCOURI", "handed over to courier")
        line.extra["handover_date"] = request.clock.now()
        return _success(
            line,
            handoverDate=india_time(line.extra["handover_date"]),
            courierName=line.extra.get("courier_name"),
            **_shipment_fields(line),
        )

    return _envelope(_run_batch(request, step))


@handles("manifest_create", root="manifestResponse")
def manifest_create(request: Request):
    body = request.body if isinstance(request.body, dict) else {}
    scope = {"courier": _field(body, "p1LogisticsID"), "slave_id": None}
    manifests = request.state.table("manifests")
    added = []

    def step(request, line, _item):
        existing = line.extra.get("manifest_id")
        if existing:
            # A repeated request (a retry after a lost response) finds the line
            # on the manifest it is already on.
            return _manifest_result(line, existing)
        if line.status not in HANDED_OVER_STATUSES:
            raise _refusal(line, "Order Not in HOTCOURI status", 409)
        if _field(line.data, "deliveryMode") == "CNC":
            raise _refusal(line, WRONG_DELIVERY_MODE, 422)
        if not line.extra.get("awb_number"):
            raise _refusal(line, AWB_MISSING, 422)
        courier = _courier_key(line)
        scope["courier"] = scope["courier"] or courier
        if courier != scope["courier"]:
            raise _refusal(line, COURIER_INVALID, 422)
        scope["slave_id"] = scope["slave_id"] or line.slave_id
        if line.slave_id != scope["slave_id"]:
            raise ApiError(
                f"Transaction {line.transaction_id} ships from {line.slave_id}, "
                f"this manifest is picked up at {scope['slave_id']}; create one "
                "manifest per location.",
                422,
                transaction_ids=[line.transaction_id],
            )
        added.append(line)
        return None  # filled in once the manifest id exists

    with request.state.lock:
        results = _run_batch(request, step, MAX_MANIFEST_ITEMS)
        manifest_id = None
        if added:
            number = _next_number(request, f"manifest-{request.seller_id}")
            manifest_id = f"MF{request.seller_id}{number:06d}"
            manifests[manifest_id] = {
                "seller_id": request.seller_id,
                "slave_id": scope["slave_id"],
                "courier": scope["courier"],
                "created_at": request.clock.now(),
                "transaction_ids": [line.transaction_id for line in added],
            }
            for line in added:
                line.extra["manifest_id"] = manifest_id
        for position, result in enumerate(results):
            if result is None:
                line = added.pop(0)
                results[position] = _manifest_result(line, manifest_id)

    succeeded = {r["manifestId"] for r in results if r["status"] == "SUCCESS"}
    if manifest_id is None and len(succeeded) == 1:
        manifest_id = succeeded.pop()
    courier = manifests[manifest_id]["courier"] if manifest_id else scope["courier"]
    return _envelope(results, manifestId=manifest_id, p1LogisticsID=courier)


def _manifest_result(line: LineState, manifest_id: str) -> dict:
    return _success(
        line,
        manifestId=manifest_id,
        awbNumber=line.extra.get("awb_number"),
        p1LogisticsID=_courier_key(line),
    )


# Documents ------------------------------------------------------------------


def _shipper(request: Request, slave_id: str | None) -> documents.Shipper:
    seller = request.seller
    slave_id = slave_id or (seller.slave_ids[0] if seller.slave_ids else "-")
    addresses = seller.options.get("slave_addresses", {})
    return documents.Shipper(
        name=seller.name or seller.seller_code,
        slave_id=slave_id,
        address_lines=tuple(addresses.get(slave_id, ())),
        gstin=seller.gstin(slave_id),
    )


def _document_line(request: Request) -> tuple[LineState, dict, dict]:
    transaction_id = request.params["transaction_id"]
    with request.state.lock:
        line = _own_line(request, transaction_id)
        order = request.state.order(line.order_no)
        return line, dict(order.data if order else {}), line.render()


def _courier_label(line: LineState) -> str | None:
    return line.extra.get("logistics_id") or line.extra.get("courier_name")


@handles("shipping_label", root="error")
def shipping_label(request: Request):
    line, order, payload = _document_line(request)
    if not line.extra.get("label_ready") or not line.extra.get("awb_number"):
        if fulfillment_type(line) == "SSHIP":
            hint = "pack it and confirm its shipment with your courier's AWB first"
        else:
            hint = "pack it or prefetch its label first"
        raise ApiError(
            f"No shipping label for transaction {line.transaction_id} yet; {hint}.",
            409,
            transaction_ids=[line.transaction_id],
        )
    return documents.shipping_label_pdf(
        order=order,
        line=payload,
        shipper=_shipper(request, line.slave_id),
        awb_number=line.extra["awb_number"],
        courier_code=_courier_label(line),
        invoice_number=line.extra.get("invoice_number"),
        packed_at=line.extra.get("packed_at"),
    )


@handles("invoice_document", root="error")
def invoice_document(request: Request):
    line, order, payload = _document_line(request)
    if not line.extra.get("invoice_number"):
        raise ApiError(
            f"No invoice for transaction {line.transaction_id} yet; pack the line "
            "first.",
            409,
            transaction_ids=[line.transaction_id],
        )
    return documents.tax_invoice_pdf(
        order=order,
        line=payload,
        shipper=_shipper(request, line.slave_id),
        invoice_number=line.extra["invoice_number"],
        invoice_date=line.extra["invoice_date"],
        awb_number=line.extra.get("awb_number"),
        courier_code=_courier_label(line),
    )


@handles("manifest_document", root="error")
def manifest_document(request: Request):
    manifest_id = request.params["manifest_id"]
    with request.state.lock:
        manifest = request.state.table("manifests").get(manifest_id)
        if manifest is None or manifest["seller_id"] != request.seller_id:
            raise ApiError(
                f"{MANIFEST_PDF_FAILED}: manifest {manifest_id} not found for "
                f"seller {request.seller_id}.",
                404,
            )
        entries = []
        for transaction_id in manifest["transaction_ids"]:
            line = request.state.line(transaction_id)
            entries.append(_manifest_entry(request, line))
    return documents.manifest_pdf(
        manifest_id=manifest_id,
        courier_code=manifest["courier"],
        shipper=_shipper(request, manifest["slave_id"]),
        created_at=manifest["created_at"],
        entries=entries,
    )


def _manifest_entry(request: Request, line: LineState) -> documents.ManifestEntry:
    order = request.state.order(line.order_no)
    delivery = {}
    for address in (order.data if order else {}).get("addressInfo") or []:
        if address.get("addressType") == "DA":
            delivery = address
    is_cod = str(line.data.get("isCOD", "N")).upper() in ("Y", "TRUE", "1")
    amount = documents.money(line.data.get("apportionedPrice")) + documents.money(
        line.data.get("apportionedCODPrice")
    )
    return documents.ManifestEntry(
        awb_number=line.extra.get("awb_number") or "-",
        transaction_id=line.transaction_id,
        order_no=line.order_no,
        pincode=_field(delivery, "pincode"),
        city=_field(delivery, "city"),
        is_cod=is_cod,
        amount=amount,
    )
