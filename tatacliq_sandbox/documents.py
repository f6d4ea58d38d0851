"""PDF documents the sandbox marketplace serves: shipping label, tax invoice, manifest.

Each builder takes the order and line as they are on the wire (the V2 JSON
element names of ``docs/PROTOCOL.md``) plus the values the marketplace assigned
(AWB, courier, invoice number), and returns the PDF bytes. Documents are built
with ``invariant=1`` so the same input gives the same bytes on every download.

The standard PDF fonts cover Latin-1 only; other characters (for example the
rupee sign or Devanagari names) print as boxes, so amounts are in "INR" text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from tatacliq.models import COURIERS, DELIVERY_MODES

# A 100 x 150 mm label fits the thermal printers couriers hand out in India.
LABEL_SIZE = (100 * mm, 150 * mm)
MISSING = ("", "null", "NA", None)

# GST state codes used on invoices for the place of supply.
GST_STATES = {
    "01": "Jammu and Kashmir",
    "02": "Himachal Pradesh",
    "03": "Punjab",
    "04": "Chandigarh",
    "05": "Uttarakhand",
    "06": "Haryana",
    "07": "Delhi",
    "08": "Rajasthan",
    "09": "Uttar Pradesh",
    "10": "Bihar",
    "18": "Assam",
    "19": "West Bengal",
    "20": "Jharkhand",
    "21": "Odisha",
    "22": "Chhattisgarh",
    "23": "Madhya Pradesh",
    "24": "Gujarat",
    "27": "Maharashtra",
    "29": "Karnataka",
    "30": "Goa",
    "32": "Kerala",
    "33": "Tamil Nadu",
    "36": "Telangana",
    "37": "Andhra Pradesh",
}


@dataclass(frozen=True)
class Shipper:
    """The seller location a parcel leaves from and that issues the invoice."""

    name: str
    slave_id: str
    address_lines: tuple[str, ...] = ()
    gstin: str | None = None


@dataclass(frozen=True)
class ManifestEntry:
    awb_number: str
    transaction_id: str
    order_no: str
    pincode: str | None = None
    city: str | None = None
    is_cod: bool = False
    amount: Decimal = Decimal("0")


def _value(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value in MISSING:
        return None
    return str(value)


def money(value) -> Decimal:
    """Return an amount as sent (string or number) as ``Decimal``; 0 when missing."""
    if value in MISSING:
        return Decimal("0")
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return Decimal("0")


def _address(order: dict, address_type: str) -> dict:
    for address in order.get("addressInfo") or []:
        if address.get("addressType") == address_type:
            return address
    return {}


def _person_name(address: dict) -> str:
    name = _value(address, "name")
    if name:
        return name
    parts = [_value(address, "firstName"), _value(address, "lastName")]
    return " ".join(part for part in parts if part) or "-"


def _address_lines(address: dict) -> list[str]:
    lines = [
        _value(address, key)
        for key in ("address1", "address2", "address3", "landmark")
        if _value(address, key)
    ]
    state = _value(address, "state")
    city_line = ", ".join(
        part
        for part in (
            _value(address, "city"),
            GST_STATES.get(state or "", state),
            _value(address, "pincode"),
        )
        if part
    )
    if city_line:
        lines.append(city_line)
    phone = _value(address, "phone")
    if phone:
        lines.append(f"Phone {phone}")
    return lines


def courier_name(code: str | None) -> str:
    """Return the courier's name for a ``p1LogisticsID`` code, or the code itself."""
    return COURIERS.get(code or "", code or "-")


def _new_canvas(buffer: io.BytesIO, pagesize, title: str) -> canvas.Canvas:
    pdf = canvas.Canvas(buffer, pagesize=pagesize, invariant=1)
    pdf.setTitle(title)
    pdf.setAuthor("Tata CLiQ sandbox")
    return pdf


def _draw_lines(pdf, x: float, y: float, lines, size: float = 8, leading=None):
    """Draw ``lines`` top-down from ``y`` and return the y below the last one."""
    leading = leading or size + 2
    pdf.setFont("Helvetica", size)
    for line in lines:
        pdf.drawString(x, y, line)
        y -= leading
    return y


def _draw_barcode(pdf, value: str, x: float, y: float, width: float, height: float):
    """Draw a Code128 barcode of ``value`` scaled to ``width`` with its text below."""
    barcode = Code128(value, barHeight=height, barWidth=1, quiet=False)
    scale = min(1.0, width / barcode.width) if barcode.width else 1.0
    pdf.saveState()
    pdf.translate(x, y + 10)
    pdf.scale(scale, 1)
    barcode.drawOn(pdf, 0, 0)
    pdf.restoreState()
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(x, y, value)


def shipping_label_pdf(
    *,
    order: dict,
    line: dict,
    shipper: Shipper,
    awb_number: str,
    courier_code: str | None,
    invoice_number: str | None,
    packed_at: datetime | None = None,
) -> bytes:
    """Build the 100 x 150 mm shipping label of one transaction."""
    buffer = io.BytesIO()
    width, height = LABEL_SIZE
    pdf = _new_canvas(buffer, LABEL_SIZE, f"Shipping label {awb_number}")
    margin = 5 * mm
    y = height - margin - 10

    pdf.setFont("Helvetica-Bold", 12)
    pdf.drawString(margin, y, f"{courier_name(courier_code)} ({courier_code or '-'})")
    is_cod = str(line.get("isCOD", "N")).upper() in ("Y", "TRUE", "1")
    pdf.drawRightString(width - margin, y, "COD" if is_cod else "PREPAID")
    y -= 14
    mode = _value(line, "deliveryMode") or "HD"
    transport = _value(line, "transportMode") or "SUR"
    y = _draw_lines(
        pdf,
        margin,
        y,
        [f"{DELIVERY_MODES.get(mode, mode)} / {transport}"],
    )

    y -= 42
    _draw_barcode(pdf, awb_number, margin, y, width - 2 * margin, 32)
    pdf.drawRightString(width - margin, y, "AWB")
    y -= 16

    delivery = _address(order, "DA")
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, y, "Deliver to:")
    y -= 11
    y = _draw_lines(
        pdf, margin, y, [_person_name(delivery), *_address_lines(delivery)], size=9
    )
    if is_cod:
        amount = money(line.get("apportionedPrice")) + money(
            line.get("apportionedCODPrice")
        )
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawString(margin, y, f"Collect INR {amount}")
        y -= 12

    y -= 4
    pdf.setFont("Helvetica-Bold", 8)
    pdf.drawString(margin, y, "Return to / shipped by:")
    y -= 10
    gst = line.get("gst") or {}
    gstin = _value(gst, "slavegstin") or shipper.gstin
    y = _draw_lines(
        pdf,
        margin,
        y,
        [
            f"{shipper.name} ({shipper.slave_id})",
            *shipper.address_lines,
            f"GSTIN {gstin or '-'}",
        ],
        size=7,
    )

    y -= 4
    order_no = _value(order, "orderNo") or "-"
    transaction_id = _value(line, "transactionId") or "-"
    _draw_lines(
        pdf,
        margin,
        y,
        [
            f"Order {order_no}",
            f"Transaction {transaction_id}",
            f"SKU {_value(line, 'articleNumber') or '-'}",
            f"Invoice {invoice_number or '-'}",
            f"Packed {packed_at:%Y-%m-%d %H:%M}" if packed_at else "Packed -",
        ],
        size=7,
    )
    _draw_barcode(pdf, transaction_id, margin, margin, width - 2 * margin, 18)

    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def gst_lines(line: dict) -> list[tuple[str, Decimal, Decimal]]:
    """Return ``(tax type, rate percent, value)`` for each GST component of a line.

    ``gst.hsnTax`` is used as sent. Without it the line's ``taxType`` and
    ``taxValue`` become one component whose rate is derived from the taxable
    value, and a ``GST`` type splits into CGST and SGST halves.
    """
    gst = line.get("gst") or {}
    components = []
    for tax in gst.get("hsnTax") or []:
        components.append(
            (
                _value(tax, "taxType") or "GST",
                money(tax.get("taxRate")),
                money(tax.get("taxValue")),
            )
        )
    if components:
        return components

    total = money(line.get("apportionedPrice"))
    tax_value = money(line.get("taxValue"))
    if not tax_value:
        return []
    taxable = total - tax_value
    rate = (tax_value * 100 / taxable).quantize(Decimal("0.01")) if taxable else 0
    tax_type = (_value(line, "taxType") or "IGST").upper()
    if tax_type == "GST":
        half = (tax_value / 2).quantize(Decimal("0.01"))
        half_rate = (Decimal(rate) / 2).quantize(Decimal("0.01"))
        return [("CGST", half_rate, half), ("SGST", half_rate, tax_value - half)]
    return [(tax_type, Decimal(rate), tax_value)]


def tax_invoice_pdf(
    *,
    order: dict,
    line: dict,
    shipper: Shipper,
    invoice_number: str,
    invoice_date: datetime,
    awb_number: str | None,
    courier_code: str | None,
) -> bytes:
    """Build the A4 GST tax invoice of one transaction."""
    buffer = io.BytesIO()
    width, height = A4
    pdf = _new_canvas(buffer, A4, f"Tax invoice {invoice_number}")
    margin = 15 * mm
    y = height - margin

    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(margin, y, "TAX INVOICE")
    pdf.setFont("Helvetica", 9)
    pdf.drawRightString(width - margin, y, "Original for recipient")
    y -= 22

    gst = line.get("gst") or {}
    gstin = _value(gst, "slavegstin") or shipper.gstin or "-"
    destination = _value(gst, "destinationStateCode") or _value(
        _address(order, "DA"), "state"
    )
    seller_block = [
        shipper.name,
        f"Location {shipper.slave_id}",
        *shipper.address_lines,
        f"GSTIN {gstin}",
    ]
    details_block = [
        f"Invoice number {invoice_number}",
        f"Invoice date {invoice_date:%Y-%m-%d}",
        f"Order {_value(order, 'orderNo') or '-'}",
        f"Transaction {_value(line, 'transactionId') or '-'}",
        f"AWB {awb_number or '-'} ({courier_name(courier_code)})",
        "Place of supply "
        f"{GST_STATES.get(destination or '', destination or '-')} "
        f"({destination or '-'})",
    ]
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, y, "Sold by")
    pdf.drawString(width / 2, y, "Invoice details")
    y -= 12
    bottom_left = _draw_lines(pdf, margin, y, seller_block, size=9)
    bottom_right = _draw_lines(pdf, width / 2, y, details_block, size=9)
    y = min(bottom_left, bottom_right) - 10

    billing = _address(order, "BA") or _address(order, "DA")
    delivery = _address(order, "DA")
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(margin, y, "Bill to")
    pdf.drawString(width / 2, y, "Ship to")
    y -= 12
    bottom_left = _draw_lines(
        pdf, margin, y, [_person_name(billing), *_address_lines(billing)], size=9
    )
    bottom_right = _draw_lines(
        pdf, width / 2, y, [_person_name(delivery), *_address_lines(delivery)], size=9
    )
    y = min(bottom_left, bottom_right) - 14

    total = money(line.get("apportionedPrice"))
    taxes = gst_lines(line)
    tax_total = sum((value for _type, _rate, value in taxes), Decimal("0"))
    taxable = total - tax_total
    columns = (margin, margin + 70 * mm, margin + 95 * mm, width - margin)
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(columns[0], y, "Item")
    pdf.drawString(columns[1], y, "HSN")
    pdf.drawString(columns[2], y, "Qty")
    pdf.drawRightString(columns[3], y, "Taxable value (INR)")
    y -= 4
    pdf.line(margin, y, width - margin, y)
    y -= 12
    pdf.setFont("Helvetica", 9)
    pdf.drawString(columns[0], y, _value(line, "articleNumber") or "-")
    pdf.drawString(columns[1], y, _value(gst, "hsnCode") or "-")
    pdf.drawString(columns[2], y, str(line.get("quantity") or 1))
    pdf.drawRightString(columns[3], y, str(taxable))
    y -= 18

    for tax_type, rate, value in taxes:
        pdf.drawString(columns[1], y, f"{tax_type} @ {rate}%")
        pdf.drawRightString(columns[3], y, str(value))
        y -= 12
    charges = (
        ("Shipping charge", money(line.get("apportionedShippingCharge"))),
        ("COD charge", money(line.get("apportionedCODPrice"))),
    )
    for label, amount in charges:
        if amount:
            pdf.drawString(columns[1], y, label)
            pdf.drawRightString(columns[3], y, str(amount))
            y -= 12
            total += amount
    y -= 2
    pdf.line(columns[1], y, width - margin, y)
    y -= 12
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawString(columns[1], y, "Total (tax included)")
    pdf.drawRightString(columns[3], y, f"INR {total}")
    y -= 30

    _draw_lines(
        pdf,
        margin,
        y,
        [
            "Sold through the Tata CLiQ marketplace. This invoice is issued by "
            "the seller named above.",
            "Whether tax is payable under reverse charge: No.",
        ],
        size=8,
    )
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def manifest_pdf(
    *,
    manifest_id: str,
    courier_code: str,
    shipper: Shipper,
    created_at: datetime,
    entries: list[ManifestEntry],
) -> bytes:
    """Build the A4 courier manifest: one row per AWB, as many pages as needed."""
    buffer = io.BytesIO()
    width, height = A4
    pdf = _new_canvas(buffer, A4, f"Manifest {manifest_id}")
    margin = 15 * mm
    columns = (
        margin,
        margin + 12 * mm,
        margin + 55 * mm,
        margin + 100 * mm,
        margin + 135 * mm,
        width - margin,
    )
    page = 1

    def header() -> float:
        top = height - margin
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(margin, top, f"Manifest {manifest_id}")
        pdf.setFont("Helvetica", 9)
        pdf.drawRightString(width - margin, top, f"Page {page}")
        top = _draw_lines(
            pdf,
            margin,
            top - 16,
            [
                f"Courier {courier_name(courier_code)} ({courier_code})",
                f"Pickup from {shipper.name} ({shipper.slave_id})",
                f"Created {created_at:%Y-%m-%d %H:%M}",
                f"Shipments {len(entries)}",
            ],
            size=9,
        )
        top -= 6
        pdf.setFont("Helvetica-Bold", 9)
        titles = ("No.", "AWB", "Transaction", "Order", "Destination")
        for x, title in zip(columns[:5], titles, strict=True):
            pdf.drawString(x, top, title)
        pdf.drawRightString(columns[5], top, "COD (INR)")
        top -= 4
        pdf.line(margin, top, width - margin, top)
        return top - 12

    y = header()
    for number, entry in enumerate(entries, start=1):
        if y < margin + 50:
            pdf.showPage()
            page += 1
            y = header()
        pdf.setFont("Helvetica", 9)
        pdf.drawString(columns[0], y, str(number))
        pdf.drawString(columns[1], y, entry.awb_number)
        pdf.drawString(columns[2], y, entry.transaction_id)
        pdf.drawString(columns[3], y, entry.order_no)
        destination = " ".join(part for part in (entry.city, entry.pincode) if part)
        pdf.drawString(columns[4], y, destination or "-")
        pdf.drawRightString(
            columns[5], y, str(entry.amount) if entry.is_cod else "prepaid"
        )
        y -= 12

    y -= 30
    if y < margin + 20:
        pdf.showPage()
        page += 1
        y = height - margin
    pdf.setFont("Helvetica", 9)
    pdf.drawString(margin, y, "Handed over by (seller): ____________________")
    pdf.drawString(width / 2, y, "Received by (courier): ____________________")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
