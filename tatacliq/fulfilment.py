"""Client calls for accept, pick, pack, labels, shipment, handover and manifests.

Batch routes return ``200`` with one result per item, so one bad line does not
fail the others: each method returns one typed result per transaction id, in
the order of the request, with the item's marketplace error classified by
``tatacliq.errors.classify_message``. A method raises only when the whole
call fails (authentication, transport, a malformed body, a seller-wide
refusal such as missing status mappings).

Accept, pick confirm, pack and label prefetch are idempotent on the
marketplace: repeating them for a line that already took the step returns the
same result (the same invoice number and AWB for a pack), so a retry after a
lost response is safe. Handover is not: a second handover of a line fails with
``Shipment Already in HOTC``, which ``HandoverResult.already_handed_over``
recognises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .codecs import clean, parse_datetime, register_list_elements
from .errors import (
    DecodingError,
    MalformedResponseError,
    MarketplaceError,
    classify_message,
)
from .models import status_name

ITEM = "item"
register_list_elements(ITEM)

# Items per request the marketplace accepts; longer lists are sent in chunks.
MAX_BATCH_ITEMS = 100
# One manifest is one request, so it cannot be split.
MAX_MANIFEST_ITEMS = 500

ALREADY_HANDED_OVER = "shipment already in hotc"


@dataclass(frozen=True, kw_only=True)
class LineResult:
    """The outcome of one transaction in a batch call.

    ``line_status`` is the line's ``omsStatusCode`` after the call, as the
    marketplace reported it. ``error`` is set exactly when ``ok`` is false.
    """

    transaction_id: str
    ok: bool
    line_status: str | None = None
    error: MarketplaceError | None = None
    raw: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, kw_only=True)
class PackResult(LineResult):
    """A packed line: the marketplace invoice and the AWB of its courier.

    ``awb_number`` and ``logistics_id`` are empty for a self-ship (SSHIP) line
    until the seller confirms its own shipment.
    """

    invoice_number: str | None = None
    invoice_date: datetime | None = None
    awb_number: str | None = None
    logistics_id: str | None = None  # courier code, p1LogisticsID


@dataclass(frozen=True, kw_only=True)
class PrefetchResult(LineResult):
    """The AWB and courier reserved for a line before it is packed."""

    awb_number: str | None = None
    logistics_id: str | None = None


@dataclass(frozen=True)
class Shipment:
    """A self-ship (SSHIP) parcel booked by the seller with its own courier."""

    transaction_id: str
    courier_name: str
    awb_number: str


@dataclass(frozen=True, kw_only=True)
class ShipmentResult(LineResult):
    courier_name: str | None = None
    awb_number: str | None = None


@dataclass(frozen=True, kw_only=True)
class HandoverResult(LineResult):
    handover_date: datetime | None = None
    awb_number: str | None = None
    logistics_id: str | None = None

    @property
    def already_handed_over(self) -> bool:
        """Return whether the failure is a repeated handover of this line."""
        return bool(
            self.error is not None
            and ALREADY_HANDED_OVER in (self.error.message or "").lower()
        )

    @property
    def handed_over(self) -> bool:
        """Return whether the courier has the parcel, by this call or an earlier one.

        A handover retried after a lost response fails with ``Shipment Already
        in HOTC``; for the seller the line is handed over all the same.
        """
        return self.ok or self.already_handed_over


@dataclass(frozen=True, kw_only=True)
class ManifestLineResult(LineResult):
    manifest_id: str | None = None
    awb_number: str | None = None
    logistics_id: str | None = None


@dataclass(frozen=True)
class ManifestResult:
    """A manifest request: the manifest id, its courier and one result per line.

    ``manifest_id`` is ``None`` when no line could be put on a manifest.
    """

    manifest_id: str | None
    logistics_id: str | None
    lines: tuple[ManifestLineResult, ...]

    @property
    def ok(self) -> bool:
        return self.manifest_id is not None

    @property
    def failed(self) -> tuple[ManifestLineResult, ...]:
        return tuple(line for line in self.lines if not line.ok)


def _unique(transaction_ids: Iterable[str]) -> list[str]:
    """Return the ids as stripped strings, first occurrence kept, blanks rejected."""
    seen = {}
    for transaction_id in transaction_ids:
        text = str(transaction_id or "").strip()
        if not text:
            raise ValueError("A transaction id is empty; pass only line ids.")
        seen.setdefault(text, None)
    return list(seen)


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _date(value) -> datetime | None:
    # NOTE: the date is informational (the marketplace keeps the record), so a
    # value that does not parse leaves it empty instead of failing the batch.
    try:
        return parse_datetime(value)
    except DecodingError:
        return None


def _text(item: dict, key: str) -> str | None:
    value = clean(item.get(key))
    return None if value is None else str(value)


def _line_status(item: dict) -> str | None:
    code = _text(item, "omsStatusCode")
    return status_name(code) or code


class FulfilmentMixin:
    """Methods mixed into ``tatacliq.client.Client``; they use ``self.call``."""

    # Lines ----------------------------------------------------------------

    def accept_lines(self, transaction_ids: Iterable[str]) -> list[LineResult]:
        """Accept allocated lines (``ORDALLOC`` to ``ORDACCEP``)."""
        items = self._batch("line_accept", "acceptRequest", _ids(transaction_ids))
        return [self._line_result(LineResult, "line_accept", *pair) for pair in items]

    def pick_confirm(self, transaction_ids: Iterable[str]) -> list[LineResult]:
        """Confirm the pick of accepted lines (to ``PICKCONF``)."""
        items = self._batch("pick_confirm", "pickConfirmRequest", _ids(transaction_ids))
        return [self._line_result(LineResult, "pick_confirm", *pair) for pair in items]

    def pack(self, transaction_ids: Iterable[str]) -> list[PackResult]:
        """Pack picked lines (``PICKCONF`` to ``SCANNED``).

        Each successful result carries the marketplace invoice number and, for
        lines the marketplace ships, the AWB and courier code. A line without a
        courier yet fails with ``NoShipmentAvailableError``; it stays packable.
        """
        items = self._batch("pack", "packRequest", _ids(transaction_ids))
        return [
            self._line_result(
                PackResult,
                "pack",
                transaction_id,
                item,
                invoice_number=_text(item, "invoiceNumber"),
                invoice_date=_date(item.get("invoiceDate")),
                awb_number=_text(item, "awbNumber"),
                logistics_id=_text(item, "p1LogisticsID"),
            )
            for transaction_id, item in items
        ]

    def prefetch_labels(self, transaction_ids: Iterable[str]) -> list[PrefetchResult]:
        """Reserve the AWB of lines not packed yet, so labels can be printed early.

        Prefetching a line again returns the same AWB, and the later pack
        keeps it.
        """
        items = self._batch(
            "label_prefetch", "labelPrefetchRequest", _ids(transaction_ids)
        )
        return [
            self._line_result(
                PrefetchResult,
                "label_prefetch",
                transaction_id,
                item,
                awb_number=_text(item, "awbNumber"),
                logistics_id=_text(item, "p1LogisticsID"),
            )
            for transaction_id, item in items
        ]

    def confirm_shipments(self, shipments: Iterable[Shipment]) -> list[ShipmentResult]:
        """Send the courier and AWB of packed self-ship (SSHIP) lines."""
        by_id = {}
        for shipment in shipments:
            by_id.setdefault(_unique([shipment.transaction_id])[0], shipment)
        request = [
            {
                "transactionId": transaction_id,
                "courierName": shipment.courier_name,
                "awbNumber": shipment.awb_number,
            }
            for transaction_id, shipment in by_id.items()
        ]
        items = self._batch("shipment_confirm", "shipmentConfirmRequest", request)
        return [
            self._line_result(
                ShipmentResult,
                "shipment_confirm",
                transaction_id,
                item,
                courier_name=_text(item, "courierName"),
                awb_number=_text(item, "awbNumber"),
            )
            for transaction_id, item in items
        ]

    def hand_over(self, transaction_ids: Iterable[str]) -> list[HandoverResult]:
        """Mark packed lines as handed over to the courier (``HOTCOURI``)."""
        items = self._batch("handover", "handoverRequest", _ids(transaction_ids))
        return [
            self._line_result(
                HandoverResult,
                "handover",
                transaction_id,
                item,
                handover_date=_date(item.get("handoverDate")),
                awb_number=_text(item, "awbNumber"),
                logistics_id=_text(item, "p1LogisticsID"),
            )
            for transaction_id, item in items
        ]

    def create_manifest(
        self, transaction_ids: Iterable[str], logistics_id: str | None = None
    ) -> ManifestResult:
        """Put handed-over lines of one courier on a manifest.

        ``logistics_id`` names the courier; without it the courier of the first
        line that qualifies is used. Lines already on a manifest keep it, so a
        repeated request returns the same manifest id.
        """
        request = _ids(transaction_ids)
        if len(request) > MAX_MANIFEST_ITEMS:
            raise ValueError(
                f"A manifest takes at most {MAX_MANIFEST_ITEMS} lines, got "
                f"{len(request)}; split the lines into several manifests."
            )
        body = {ITEM: request}
        if logistics_id:
            body = {"p1LogisticsID": logistics_id, ITEM: request}
        payload = self._post("manifest_create", "manifestRequest", body)
        items = _match_items("manifest_create", request, payload)
        lines = tuple(
            self._line_result(
                ManifestLineResult,
                "manifest_create",
                transaction_id,
                item,
                manifest_id=_text(item, "manifestId"),
                awb_number=_text(item, "awbNumber"),
                logistics_id=_text(item, "p1LogisticsID"),
            )
            for transaction_id, item in items
        )
        return ManifestResult(
            manifest_id=_text(payload, "manifestId"),
            logistics_id=_text(payload, "p1LogisticsID"),
            lines=lines,
        )

    # Documents ------------------------------------------------------------

    def shipping_label(self, transaction_id: str) -> bytes:
        """Download the shipping label PDF of a packed or prefetched line."""
        return self._document("shipping_label", transaction_id=transaction_id)

    def invoice_document(self, transaction_id: str) -> bytes:
        """Download the marketplace tax invoice PDF of a packed line."""
        return self._document("invoice_document", transaction_id=transaction_id)

    def manifest_document(self, manifest_id: str) -> bytes:
        """Download the manifest PDF for the courier's pickup."""
        return self._document("manifest_document", manifest_id=manifest_id)

    # Helpers --------------------------------------------------------------

    def _document(self, route_name: str, **params) -> bytes:
        body = self.call(route_name, params=params)
        if not isinstance(body, bytes) or not body.startswith(b"%PDF"):
            raise MalformedResponseError(
                f"The {route_name} response for {params} is not a PDF document.",
                route=route_name,
                snippet=repr(body[:40]) if isinstance(body, bytes) else "",
            )
        return body

    def _post(self, route_name: str, root: str, body: dict) -> dict:
        payload = self.call(route_name, body=body, root=root)
        if not isinstance(payload, dict):
            raise MalformedResponseError(
                f"The {route_name} response is not a {root} payload.",
                route=route_name,
            )
        return payload

    def _batch(self, route_name: str, root: str, request: list[dict]):
        """Send ``request`` items in chunks; return ``(transaction id, item)`` pairs."""
        pairs = []
        for chunk in _chunks(request, MAX_BATCH_ITEMS):
            payload = self._post(route_name, root, {ITEM: chunk})
            pairs.extend(_match_items(route_name, chunk, payload))
        return pairs

    @staticmethod
    def _line_result(result_class, route_name, transaction_id, item, **fields):
        ok = str(clean(item.get("status")) or "").upper() == "SUCCESS"
        error = None
        if not ok:
            message = _text(item, "errorMessage") or (
                f"Tata CLiQ rejected transaction {transaction_id} without a "
                f"message (status {_text(item, 'status')}, error code "
                f"{_text(item, 'errorCode')})."
            )
            error = classify_message(message)(
                message,
                transaction_ids=(transaction_id,),
                error_code=_text(item, "errorCode"),
                route=route_name,
            )
        return result_class(
            transaction_id=transaction_id,
            ok=ok,
            line_status=_line_status(item),
            error=error,
            raw=item,
            **fields,
        )


def _ids(transaction_ids: Iterable[str]) -> list[dict]:
    if isinstance(transaction_ids, str):
        transaction_ids = [transaction_ids]
    return [{"transactionId": tid} for tid in _unique(transaction_ids)]


def _match_items(route_name: str, request: list[dict], payload: dict):
    """Pair each requested transaction id with its item of the response.

    A response that leaves out a requested line is malformed: the caller
    cannot tell what happened to it, so the whole call fails and is retried.
    """
    items = payload.get(ITEM)
    if not isinstance(items, list):
        raise MalformedResponseError(
            f"The {route_name} response has no '{ITEM}' list of results.",
            route=route_name,
        )
    by_id = {}
    for item in items:
        if isinstance(item, dict) and _text(item, "transactionId"):
            by_id.setdefault(_text(item, "transactionId"), item)
    requested = [entry["transactionId"] for entry in request]
    missing = [txn for txn in requested if txn not in by_id]
    if missing:
        raise MalformedResponseError(
            f"The {route_name} response has no result for transaction(s) "
            f"{', '.join(missing)}.",
            route=route_name,
        )
    return [(transaction_id, by_id[transaction_id]) for transaction_id in requested]
