"""Typed marketplace objects that the JSON (V2) and XML (V1) codecs decode to.

Money is ``Decimal``, dates are timezone-aware UTC ``datetime`` values, and a
value the marketplace sent as ``"null"``, ``"NA"`` or an empty string is
``None``. ``raw`` keeps the decoded payload so a failed import can be stored
and processed again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

# Line status codes: the four-letter-plus name and its numeric code where the
# marketplace has one. Both spellings arrive in ``omsStatusCode``.
STATUS_CODES = {
    "ORDALLOC": ("001", "Allocated"),
    "ORDACCEP": ("002", "Accepted"),
    "ORDREJEC": ("003", "Rejected"),
    "PICKINPR": ("004", "Pick in progress"),
    "PICKHOLD": ("005", "Pick on hold"),
    "PICKCONF": ("006", "Pick confirmed"),
    "PILIGENE": ("007", "Pack list generated"),
    "SCANNED": ("008", "Packed"),
    "AWBASSIG": ("009", "AWB assigned"),
    "PRISHLAB": ("010", "Shipping label printed"),
    "INVOGENE": ("011", "Invoice generated"),
    "PRIINVOI": ("012", "Invoice printed"),
    "MANIPEND": ("013", "Manifest pending"),
    "RETOSHIP": ("014", "Ready to ship"),
    "LPSWITCH": ("015", "Courier switched"),
    "HOTCOURI": ("016", "Handed over to courier"),
    "RENEARHB": ("017", "Reached near hub"),
    "DELIVERD": ("018", "Delivered"),
    "ORDCANCL": ("019", "Cancelled"),
    "CLONCANC": ("020", "Closed on cancellation"),
    "REFUINIT": ("021", "Refund initiated"),
    "REFINPRO": ("022", "Refund in progress"),
    "REFCLOSE": ("023", "Refund closed"),
    "RETTOORG": ("024", "Return to origin"),
    "RETUINIT": ("025", "Return initiated"),
    "SRECTORI": ("026", "Return received at origin"),
    "RETUCANC": ("027", "Return cancelled"),
    "RETUCLOS": ("028", "Return closed"),
    "QCFAILED": ("031", "Return quality check failed"),
    "REVRSAWB": ("032", "Reverse AWB assigned"),
    "LOSTINTT": ("033", "Lost in transit"),
    "ODREALOC": (None, "Reallocated to another store"),
    "ORDONHLD": (None, "On hold"),
    "RTOINITD": (None, "Return to origin initiated"),
    "RTOINPRS": (None, "Return to origin in progress"),
    "RTOCOMP": (None, "Return to origin completed"),
    "RTODELVRD": (None, "Return to origin delivered"),
    "RTOQCPASS": (None, "Return to origin quality check passed"),
    "RTOQCFAILED": (None, "Return to origin quality check failed"),
}
STATUS_BY_NUMBER = {num: name for name, (num, _label) in STATUS_CODES.items() if num}

FULFILLMENT_TYPES = ("TSHIP", "SSHIP", "OMNI", "LUXURY")
DELIVERY_MODES = {
    "HD": "Home delivery",
    "ED": "Express delivery",
    "SDD": "Same day delivery",
    "CNC": "Click and collect",
}
TRANSPORT_MODES = {"AIR": "Air", "SUR": "Surface"}
COURIERS = {
    "DL": "Delhivery",
    "BD": "Blue Dart",
    "EE": "Ecom Express",
    "EK": "Ekart",
    "XC": "XpressBees",
    "SF": "Shadowfax",
    "GT": "Gati",
    "FD": "FedEx",
}


def status_name(code: str | None) -> str | None:
    """Return the status name (``ORDALLOC``) for a name or a numeric code."""
    if code is None:
        return None
    code = code.strip().upper()
    if code in STATUS_CODES:
        return code
    return STATUS_BY_NUMBER.get(code.zfill(3))


@dataclass(frozen=True)
class Address:
    address_type: str  # DA delivery, BA billing
    name: str | None
    phone: str | None = None
    email: str | None = None
    address1: str | None = None
    address2: str | None = None
    address3: str | None = None
    landmark: str | None = None
    city: str | None = None
    state_code: str | None = None  # GST state code, two digits
    pincode: str | None = None
    country: str | None = None  # ISO 3166 alpha-2


@dataclass(frozen=True)
class Payment:
    cost: Decimal | None
    mode: str | None
    status: str | None
    date: datetime | None = None


@dataclass(frozen=True)
class TaxLine:
    tax_type: str  # CGST, SGST, IGST, UTGST, CESS
    rate: Decimal  # percent
    value: Decimal


@dataclass(frozen=True)
class OrderLine:
    transaction_id: str
    article_number: str | None
    status: str | None  # status name, for example ORDALLOC
    price: Decimal
    apportioned_price: Decimal
    mrp: Decimal | None = None
    quantity: int = 1
    ship_by_date: datetime | None = None
    allocation_date: datetime | None = None
    seller_id: str | None = None
    is_cod: bool = False
    apportioned_cod_price: Decimal = Decimal("0")
    apportioned_shipping_charge: Decimal = Decimal("0")
    tax_type: str | None = None
    tax_value: Decimal = Decimal("0")
    is_gift: bool = False
    gift_message: str | None = None
    gift_price: Decimal = Decimal("0")
    is_freebie: bool = False
    parent_transaction_id: str | None = None
    delivery_mode: str | None = None
    transport_mode: str | None = None
    fulfillment_type: str | None = None
    is_precious: bool = False
    is_fragile: bool = False
    slave_id: str | None = None
    logistics_id: str | None = None
    return_logistics_id: str | None = None
    slave_gstin: str | None = None
    destination_state_code: str | None = None
    hsn_code: str | None = None
    hsn_taxes: tuple[TaxLine, ...] = ()


@dataclass(frozen=True)
class Order:
    order_no: str
    order_type: str | None
    order_date: datetime | None
    addresses: tuple[Address, ...]
    payments: tuple[Payment, ...]
    lines: tuple[OrderLine, ...]
    raw: dict = field(default_factory=dict, compare=False, repr=False)

    def address(self, address_type: str) -> Address | None:
        for address in self.addresses:
            if address.address_type == address_type:
                return address
        return None

    @property
    def delivery_address(self) -> Address | None:
        return self.address("DA")

    @property
    def billing_address(self) -> Address | None:
        """Return the billing address, falling back to the delivery address."""
        return self.address("BA") or self.address("DA")


@dataclass(frozen=True)
class OrderDecodeFailure:
    """An order of an envelope that failed to decode; the others still import."""

    order_no: str | None
    raw: dict
    error: Exception  # tatacliq.errors.DecodingError


@dataclass(frozen=True)
class OrdersPage:
    """One page of the order list: decoded orders and the ones that failed."""

    orders: list[Order]
    failures: list[OrderDecodeFailure]
    page: int
    total_pages: int
