"""Encode and decode marketplace payloads: JSON for V2, XML for V1.

Both versions decode to the same plain dicts. An XML document loses its root
element on decode, and the elements named in ``LIST_ELEMENTS`` always decode
to lists, so a list of one element looks the same in both versions. Values
stay strings. ``decode_orders`` turns an order envelope into typed
``tatacliq.models`` objects with the value rules of the protocol: missing
values, ``Decimal`` money, flags, and India time converted to UTC.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from xml.parsers import expat
from xml.parsers.expat import ExpatError

import xmltodict

from .errors import DecodingError, MalformedResponseError
from .models import (
    Address,
    Order,
    OrderDecodeFailure,
    OrderLine,
    Payment,
    TaxLine,
    status_name,
)
from .redact import redact_text

try:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    INDIA = ZoneInfo("Asia/Kolkata")
except (ImportError, ZoneInfoNotFoundError):
    # Without the tz database, a fixed offset is exact: India has kept
    # UTC+05:30 without daylight saving time since 1945.
    INDIA = timezone(timedelta(hours=5, minutes=30), "IST")

VERSIONS = ("V1", "V2")

# Elements that repeat in marketplace payloads. An element with one of these
# names always decodes to a list, except directly inside an element of the
# same name (``paymentInfo`` carries a scalar ``paymentInfo`` field). Domain
# modules add their own names with ``register_list_elements``.
LIST_ELEMENTS = {
    "order",
    "addressInfo",
    "paymentInfo",
    "orderLine",
    "hsnTax",
    "Item",
    "result",
    "transactionIds",
}

# Strings the marketplace sends for a missing value. "null" is compared in any
# case; "NA" only in capitals, so a name such as "Na" stays a name.
MISSING_VALUES = frozenset({"", "NA"})

FLAG_VALUES = {
    "y": True,
    "n": False,
    "true": True,
    "false": False,
    "1": True,
    "0": False,
}

# "YYYY-MM-DD HH:MM:SS" or ISO 8601 with "T", optional seconds, fraction and
# offset. Parsed by hand because ``datetime.fromisoformat`` accepts neither
# "Z" nor "+0530" before Python 3.11.
DATETIME_PATTERN = re.compile(
    r"(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[T ]"
    r"(?P<hour>\d{2}):(?P<minute>\d{2})"
    r"(?::(?P<second>\d{2})(?:[.,](?P<fraction>\d{1,6}))?)?"
    r"(?P<offset>Z|[+-]\d{2}:?\d{2})?",
    re.ASCII,
)
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
EXPECTED_DATETIME = (
    "expected YYYY-MM-DD HH:MM:SS or ISO 8601, such as 2026-11-28T14:05:33+05:30"
)

# Plain decimal notation with ASCII digits and an optional exponent. Python's
# ``Decimal`` also reads "1_000", Arabic-Indic digits and "Infinity", which the
# marketplace never sends for an amount.
DECIMAL_PATTERN = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
# Numbers must stay below 10**15: Odoo stores amounts as floats, which hold 15
# significant digits, and quantizing a larger Decimal raises InvalidOperation.
MAX_DECIMAL_ADJUSTED_EXPONENT = 14
# Maximum length of the text of one field. Marketplace fields are names, addresses
# and codes; a longer value is a broken payload, not data to store.
MAX_TEXT_LENGTH = 4000
# Whole numbers up to 2**53 survive a float unchanged; a JSON number above it
# (a transaction id sent as a float) has already lost digits.
MAX_EXACT_FLOAT = 2**53

# Maximum nesting depth of objects and lists in a payload. An order is
# about five levels deep; the limit keeps recursive code far from Python's
# recursion limit.
MAX_NESTING = 100

SNIPPET_LENGTH = 200
SNIPPET_REDACTION_WINDOW = SNIPPET_LENGTH + 4096


def register_list_elements(*names: str) -> None:
    """Add element names that must always decode to lists."""
    LIST_ELEMENTS.update(names)


def normalize_version(version: str) -> str:
    """Return ``V1`` or ``V2`` for a version spelled in any case."""
    normalized = (version or "").strip().upper()
    if normalized not in VERSIONS:
        raise ValueError(f"Unknown API version {version!r}; use V1 (XML) or V2 (JSON).")
    return normalized


# Encoding ------------------------------------------------------------------


def format_datetime(value: datetime) -> str:
    """Format a datetime as India time ``YYYY-MM-DD HH:MM:SS``.

    A naive value is taken as UTC, the way Odoo stores datetimes.
    """
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(INDIA).strftime(DATETIME_FORMAT)


def _prepare(value):
    """Convert Python values to the marketplace's string forms."""
    if isinstance(value, dict):
        return {str(key): _prepare(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_prepare(item) for item in value]
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def encode(payload: dict, version: str, root: str | None = None) -> bytes:
    """Encode a payload as UTF-8 JSON (V2) or XML under ``root`` (V1).

    ``Decimal`` values become plain decimal strings, booleans ``Y``/``N`` and
    datetimes India time, so both versions carry the same text.
    """
    version = normalize_version(version)
    prepared = _prepare(payload)
    if version == "V2":
        return json.dumps(prepared, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8"
        )
    if not root:
        raise ValueError("A V1 (XML) payload needs a root element name.")
    if not isinstance(prepared, dict):
        raise ValueError(
            f"A V1 (XML) payload must be a mapping, got {type(payload).__name__}."
        )
    return xmltodict.unparse({root: prepared}, encoding="utf-8").encode("utf-8")


# Decoding ------------------------------------------------------------------


def _force_lists(node, list_elements, parent=None, depth=0):
    """Wrap single list elements in lists and drop empty list items.

    Raises ``MalformedResponseError`` for nesting deeper than ``MAX_NESTING``.
    """
    if depth > MAX_NESTING:
        raise MalformedResponseError(
            f"The response body is nested deeper than {MAX_NESTING} levels; "
            "no marketplace payload is."
        )
    if isinstance(node, list):
        return [_force_lists(item, list_elements, parent, depth + 1) for item in node]
    if not isinstance(node, dict):
        return node
    result = {}
    for key, value in node.items():
        if key in list_elements and key != parent:
            if value is None:
                value = []
            elif not isinstance(value, list):
                value = [value]
            value = [item for item in value if item is not None]
        result[key] = _force_lists(value, list_elements, key, depth + 1)
    return result


def _unique_keys(pairs: list) -> dict:
    """Build a JSON object; a key given twice is an error, not "last one wins"."""
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the field {key!r} appears twice in one object")
        result[key] = value
    return result


def _snippet(body: bytes) -> str:
    """Return the redacted start of a body for an error message."""
    # Only the start is redacted, with a margin past the cut so that a secret
    # starting inside the snippet is masked whole: redacting a body of
    # megabytes costs seconds.
    text = body[: 4 * SNIPPET_REDACTION_WINDOW].decode("utf-8", errors="replace")
    return redact_text(text[:SNIPPET_REDACTION_WINDOW])[:SNIPPET_LENGTH]


class _NoDoctypeExpat:
    """The ``expat`` module for xmltodict, with document type declarations refused.

    xmltodict refuses entity declarations, but a DOCTYPE that names an
    external DTD makes expat skip undefined entity references without an
    error, so ``<orderNo>A&x;B</orderNo>`` would read as ``AB``. Marketplace
    payloads never carry a DOCTYPE.
    """

    @staticmethod
    def ParserCreate(*args, **kwargs):  # noqa: N802 (the expat module's name)
        parser = expat.ParserCreate(*args, **kwargs)
        parser.StartDoctypeDeclHandler = _refuse_doctype
        return parser


def _refuse_doctype(*_args):
    raise ValueError("document type declarations (DOCTYPE) are not accepted")


def _local_name(_path, key, value):
    """Drop namespace declarations and prefixes from element and attribute names.

    A payload in a namespace (``<ns:order>``) then decodes like one without.
    """
    attribute = key.startswith("@")
    name = key[1:] if attribute else key
    if name == "xmlns" or name.startswith("xmlns:"):
        return None
    name = name.rpartition(":")[2]
    return ("@" + name if attribute else name), value


def detect_format(version: str, content_type: str | None = None) -> str:
    """Return ``json`` or ``xml`` from a content type, else from the version."""
    content_type = (content_type or "").lower()
    if "json" in content_type:
        return "json"
    if "xml" in content_type:
        return "xml"
    return "xml" if normalize_version(version) == "V1" else "json"


def decode(
    body: bytes,
    version: str,
    content_type: str | None = None,
    list_elements=None,
) -> dict:
    """Decode a JSON or XML body to a dict; raise ``MalformedResponseError``.

    The format comes from ``content_type`` when it names JSON or XML, else
    from the version. ``list_elements`` adds names to ``LIST_ELEMENTS`` for
    this call.
    """
    names = LIST_ELEMENTS | set(list_elements or ())
    body_format = detect_format(version, content_type)
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not body or not body.strip():
        raise MalformedResponseError(
            "The response body is empty where a payload was expected."
        )
    if "html" in (content_type or "").lower():
        # A proxy or gateway error page; HTML can even parse as XML.
        raise MalformedResponseError(
            f"Expected {body_format.upper()}, got {content_type}: {_snippet(body)}",
            snippet=_snippet(body),
        )
    if body_format == "json":
        try:
            data = json.loads(body, object_pairs_hook=_unique_keys)
        except ValueError as exc:
            raise MalformedResponseError(
                f"The JSON response body is invalid ({exc}): {_snippet(body)}",
                snippet=_snippet(body),
            )
        except RecursionError:
            raise MalformedResponseError(
                f"The JSON response body is nested too deeply: {_snippet(body)}",
                snippet=_snippet(body),
            )
        if not isinstance(data, dict):
            raise MalformedResponseError(
                f"The JSON response body is a {type(data).__name__}, not an "
                f"object: {_snippet(body)}",
                snippet=_snippet(body),
            )
        return _force_lists(data, names)
    try:
        document = xmltodict.parse(
            body,
            expat=_NoDoctypeExpat,
            dict_constructor=dict,
            disable_entities=True,
            postprocessor=_local_name,
        )
    except (ExpatError, ValueError) as exc:
        raise MalformedResponseError(
            f"The XML response body is invalid ({exc}): {_snippet(body)}",
            snippet=_snippet(body),
        )
    # The document has exactly one root element; its content is the payload.
    ((root, content),) = document.items()
    if root.lower() == "html":
        raise MalformedResponseError(
            f"Expected an XML payload, got an HTML page: {_snippet(body)}",
            snippet=_snippet(body),
        )
    if content is None:
        return {}
    if not isinstance(content, dict):
        # A root with only text, such as <message>Unauthorized</message>.
        content = {"#text": content}
    return _force_lists(content, names)


# Value rules ---------------------------------------------------------------


def clean(value):
    """Return a stripped string, or ``None`` for "null", "NA" and empty values.

    Non-string values pass unchanged. An XML element with attributes decodes
    to a dict; its text is used, and without text it is missing.
    """
    if isinstance(value, dict):
        if "#text" in value:
            value = value["#text"]
        elif value and all(str(key).startswith("@") for key in value):
            # An XML element with attributes only, such as xsi:nil="true".
            return None
    if isinstance(value, str):
        value = value.strip()
        if value in MISSING_VALUES or value.lower() == "null":
            return None
    return value


def parse_text(value, field: str = "value") -> str | None:
    """Return a field's text; missing values return ``None``.

    A JSON number becomes its digits, so a whole number such as a pincode
    sent without quotes still reads as text. Raises ``DecodingError`` for an
    element with fields, a list, a flag, a number that a float cannot hold
    exactly and text longer than ``MAX_TEXT_LENGTH``.
    """
    value = clean(value)
    if value is None:
        return None
    if isinstance(value, (dict, list, bool)):
        raise DecodingError(
            f"Invalid value in {field}: expected text, got a "
            f"{type(value).__name__} {_shorten(value)}.",
            field=field,
            value=value,
        )
    if isinstance(value, float):
        if not value.is_integer() or abs(value) > MAX_EXACT_FLOAT:
            raise DecodingError(
                f"Invalid value in {field}: expected text, got the number "
                f"{value!r}, which a float cannot hold exactly; the marketplace "
                "must send it as a string.",
                field=field,
                value=value,
            )
        value = int(value)
    text = str(value)
    if len(text) > MAX_TEXT_LENGTH:
        raise DecodingError(
            f"Invalid value in {field}: {len(text)} characters, more than the "
            f"{MAX_TEXT_LENGTH} accepted: {_shorten(text)}.",
            field=field,
            value=text[:SNIPPET_LENGTH],
        )
    return text


def _shorten(value) -> str:
    text = repr(value)
    return text if len(text) <= SNIPPET_LENGTH else text[:SNIPPET_LENGTH] + "..."


def parse_decimal(value, field: str = "value") -> Decimal | None:
    """Parse money or a rate to ``Decimal``; missing values return ``None``.

    Accepts plain decimal notation with ASCII digits ("1299.00", "-5", "1e3")
    and JSON numbers. Raises ``DecodingError`` for anything else, including
    NaN, infinity, grouping ("1,299.00"), currency signs and values of
    10**15 or more.
    """
    value = clean(value)
    if value is None:
        return None
    number = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and DECIMAL_PATTERN.fullmatch(value):
        number = Decimal(value)
    if number is None:
        raise DecodingError(
            f"Invalid number in {field}: {_shorten(value)}; expected a decimal "
            "such as 1299.00.",
            field=field,
            value=value,
        )
    if number and number.adjusted() > MAX_DECIMAL_ADJUSTED_EXPONENT:
        raise DecodingError(
            f"Invalid number in {field}: {_shorten(value)} is out of range; "
            f"expected less than 10**{MAX_DECIMAL_ADJUSTED_EXPONENT + 1}.",
            field=field,
            value=value,
        )
    return number


def parse_flag(value, field: str = "value") -> bool | None:
    """Parse Y/N, true/false or 1/0 in any case; missing values return ``None``."""
    value = clean(value)
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    flag = FLAG_VALUES.get(str(value).strip().lower())
    if flag is None:
        raise DecodingError(
            f"Invalid flag in {field}: {value!r}; expected Y/N, true/false or 1/0.",
            field=field,
            value=value,
        )
    return flag


def parse_datetime(value, field: str = "value") -> datetime | None:
    """Parse a marketplace date to an aware UTC datetime.

    A value without an offset is India time (Asia/Kolkata). Missing values
    return ``None``; any other form raises ``DecodingError``.
    """
    value = clean(value)
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed = value
    else:
        parsed = _parse_datetime_text(value, field)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=INDIA)
    try:
        return parsed.astimezone(timezone.utc)
    except OverflowError:
        # 0001-01-01 in India time is before the first datetime in UTC.
        raise DecodingError(
            f"Invalid date in {field}: {value!r} is out of range in UTC; "
            f"{EXPECTED_DATETIME}.",
            field=field,
            value=value,
        )


def _parse_datetime_text(value, field: str) -> datetime:
    match = DATETIME_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise DecodingError(
            f"Invalid date in {field}: {value!r}; {EXPECTED_DATETIME}.",
            field=field,
            value=value,
        )
    parts = match.groupdict()
    try:
        return datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            int(parts["hour"]),
            int(parts["minute"]),
            int(parts["second"] or 0),
            int((parts["fraction"] or "0").ljust(6, "0")),
            tzinfo=_parse_offset(parts["offset"]),
        )
    except ValueError as exc:
        raise DecodingError(
            f"Invalid date in {field}: {value!r} ({exc}); {EXPECTED_DATETIME}.",
            field=field,
            value=value,
        )


def _parse_offset(offset: str | None) -> timezone | None:
    if not offset:
        return None
    if offset == "Z":
        return timezone.utc
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    # timezone() raises ValueError for offsets of 24 hours or more.
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_quantity(value, field: str = "quantity") -> int:
    """Parse a line quantity; a missing quantity is one unit."""
    number = parse_decimal(value, field)
    if number is None:
        return 1
    if number != number.to_integral_value() or number < 1:
        raise DecodingError(
            f"Invalid quantity in {field}: {value!r}; expected a whole number of "
            "at least 1.",
            field=field,
            value=value,
        )
    return int(number)


# Orders --------------------------------------------------------------------


def _as_list(value) -> list:
    value = clean(value)
    if value is None:
        return []
    if isinstance(value, list):
        return [item for item in value if item is not None]
    return [value]


def _mapping(value, field: str) -> dict:
    value = clean(value)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise DecodingError(
            f"Invalid value in {field}: expected an element with fields, got "
            f"{_shorten(value)}.",
            field=field,
            value=value,
        )
    return value


def _amount(value, field: str) -> Decimal | None:
    """Parse an amount or a rate of an order, which is never negative."""
    number = parse_decimal(value, field)
    if number is not None and number < 0:
        raise DecodingError(
            f"Invalid amount in {field}: {_shorten(value)} is negative; expected "
            "0 or more.",
            field=field,
            value=value,
        )
    return number


def _required(value, field: str):
    if value is None:
        raise DecodingError(
            f"Missing value in {field}; the marketplace must send it.",
            field=field,
            value=None,
        )
    return value


def _decode_name(raw: dict, field: str) -> str | None:
    name = parse_text(raw.get("name"), f"{field}.name")
    if name:
        return name
    parts = (
        parse_text(raw.get("firstName"), f"{field}.firstName"),
        parse_text(raw.get("lastName"), f"{field}.lastName"),
    )
    return " ".join(part for part in parts if part) or None


def _decode_address(raw, field: str) -> Address:
    raw = _mapping(raw, field)
    return Address(
        address_type=_required(
            parse_text(raw.get("addressType"), f"{field}.addressType"),
            f"{field}.addressType",
        ).upper(),
        name=_decode_name(raw, field),
        phone=parse_text(raw.get("phone"), f"{field}.phone"),
        email=parse_text(raw.get("email"), f"{field}.email"),
        address1=parse_text(raw.get("address1"), f"{field}.address1"),
        address2=parse_text(raw.get("address2"), f"{field}.address2"),
        address3=parse_text(raw.get("address3"), f"{field}.address3"),
        landmark=parse_text(raw.get("landmark"), f"{field}.landmark"),
        city=parse_text(raw.get("city"), f"{field}.city"),
        state_code=parse_text(raw.get("state"), f"{field}.state"),
        pincode=parse_text(raw.get("pincode"), f"{field}.pincode"),
        country=parse_text(raw.get("country"), f"{field}.country"),
    )


def _decode_payment(raw, field: str) -> Payment:
    raw = _mapping(raw, field)
    return Payment(
        cost=_amount(raw.get("paymentCost"), f"{field}.paymentCost"),
        mode=parse_text(raw.get("paymentMode"), f"{field}.paymentMode"),
        status=parse_text(raw.get("paymentStatus"), f"{field}.paymentStatus"),
        date=parse_datetime(raw.get("paymentDate"), f"{field}.paymentDate"),
    )


def _decode_tax(raw, field: str) -> TaxLine | None:
    raw = _mapping(raw, field)
    tax_type = parse_text(raw.get("taxType"), f"{field}.taxType")
    rate = _amount(raw.get("taxRate"), f"{field}.taxRate")
    value = _amount(raw.get("taxValue"), f"{field}.taxValue")
    if tax_type is None and rate is None and value is None:
        return None  # an entry of only "NA" values carries no tax
    return TaxLine(
        tax_type=_required(tax_type, f"{field}.taxType").upper(),
        rate=_required(rate, f"{field}.taxRate"),
        value=_required(value, f"{field}.taxValue"),
    )


def _decode_status(value, field: str) -> str | None:
    code = parse_text(value, field)
    # An unknown code is kept as sent, so a new marketplace status shows up
    # instead of disappearing.
    return status_name(code) or (code.upper() if code else None)


def _decode_line(raw, index: int) -> OrderLine:
    raw = _mapping(raw, f"orderLine[{index}]")
    transaction_id = parse_text(
        raw.get("transactionId"), f"orderLine[{index}].transactionId"
    )
    field = f"orderLine[{transaction_id or index}]"
    _required(transaction_id, f"{field}.transactionId")

    def decimal(name, default=None):
        number = _amount(raw.get(name), f"{field}.{name}")
        return default if number is None else number

    def flag(name):
        return bool(parse_flag(raw.get(name), f"{field}.{name}"))

    def text(name):
        return parse_text(raw.get(name), f"{field}.{name}")

    gst = _mapping(raw.get("gst"), f"{field}.gst")
    taxes = (
        _decode_tax(tax, f"{field}.gst.hsnTax[{number}]")
        for number, tax in enumerate(_as_list(gst.get("hsnTax")))
    )
    return OrderLine(
        transaction_id=transaction_id,
        article_number=text("articleNumber"),
        status=_decode_status(raw.get("omsStatusCode"), f"{field}.omsStatusCode"),
        price=_required(decimal("price"), f"{field}.price"),
        apportioned_price=_required(
            decimal("apportionedPrice"), f"{field}.apportionedPrice"
        ),
        mrp=decimal("mrp"),
        quantity=parse_quantity(raw.get("quantity"), f"{field}.quantity"),
        ship_by_date=parse_datetime(raw.get("shipByDate"), f"{field}.shipByDate"),
        allocation_date=parse_datetime(
            raw.get("allocationDate"), f"{field}.allocationDate"
        ),
        seller_id=text("sellerID"),
        is_cod=flag("isCOD"),
        apportioned_cod_price=decimal("apportionedCODPrice", Decimal("0")),
        apportioned_shipping_charge=decimal("apportionedShippingCharge", Decimal("0")),
        tax_type=text("taxType"),
        tax_value=decimal("taxValue", Decimal("0")),
        is_gift=flag("isaGift"),
        gift_message=text("giftMessage"),
        gift_price=decimal("giftPrice", Decimal("0")),
        is_freebie=flag("isAFreebie"),
        parent_transaction_id=text("parentTransactionID"),
        delivery_mode=text("deliveryMode"),
        transport_mode=text("transportMode"),
        fulfillment_type=text("fulfillmentType"),
        is_precious=flag("isPrecious"),
        is_fragile=flag("isFragile"),
        slave_id=text("p1SlaveId"),
        logistics_id=text("p1LogisticsID"),
        return_logistics_id=text("returnLogisticsID"),
        slave_gstin=parse_text(gst.get("slavegstin"), f"{field}.gst.slavegstin"),
        destination_state_code=parse_text(
            gst.get("destinationStateCode"), f"{field}.gst.destinationStateCode"
        ),
        hsn_code=parse_text(gst.get("hsnCode"), f"{field}.gst.hsnCode"),
        hsn_taxes=tuple(tax for tax in taxes if tax is not None),
    )


def _decode_lines(value) -> tuple[OrderLine, ...]:
    """Decode the lines of an order; an order has at least one line.

    A transaction id appears once per store (slave id) in an order. It
    appears twice only when the line hopped from one store of the seller to
    another, and then with two slave ids.
    """
    lines = tuple(
        _decode_line(line, index) for index, line in enumerate(_as_list(value))
    )
    if not lines:
        raise DecodingError(
            "Missing value in orderLine: the order has no lines; the marketplace "
            "must send at least one.",
            field="orderLine",
            value=value,
        )
    seen = set()
    for line in lines:
        key = (line.transaction_id, line.slave_id)
        if key in seen:
            raise DecodingError(
                f"Invalid value in orderLine[{line.transaction_id}].transactionId: "
                f"the order lists transaction {line.transaction_id} twice for "
                f"slave id {line.slave_id}; each line must appear once.",
                field=f"orderLine[{line.transaction_id}].transactionId",
                value=line.transaction_id,
            )
        seen.add(key)
    return lines


def decode_order(raw: dict) -> Order:
    """Decode one order of an envelope; raise ``DecodingError`` on a bad value.

    The error message starts with the order number and names the field and
    value, for example ``orderLine[27357000012002701].shipByDate``.
    """
    if not isinstance(raw, dict):
        raise DecodingError(
            f"Invalid order: expected an element with fields, got {_shorten(raw)}.",
            field="order",
            value=raw,
        )
    order_no = parse_text(raw.get("orderNo"), "orderNo")
    try:
        _required(order_no, "orderNo")
        return Order(
            order_no=order_no,
            order_type=parse_text(raw.get("orderType"), "orderType"),
            order_date=parse_datetime(raw.get("orderDate"), "orderDate"),
            addresses=tuple(
                _decode_address(address, f"addressInfo[{index}]")
                for index, address in enumerate(_as_list(raw.get("addressInfo")))
            ),
            payments=tuple(
                _decode_payment(payment, f"paymentInfo[{index}]")
                for index, payment in enumerate(_as_list(raw.get("paymentInfo")))
            ),
            lines=_decode_lines(raw.get("orderLine")),
            raw=raw,
        )
    except DecodingError as exc:
        if not order_no:
            raise
        raise DecodingError(
            f"Order {order_no}: {exc.message}", field=exc.field, value=exc.value
        ) from exc


def decode_orders(payload: dict | None) -> list[Order | OrderDecodeFailure]:
    """Decode the ``order`` list of an envelope, one result per order.

    A bad order becomes an ``OrderDecodeFailure`` and the others still decode.
    Orders with different numbers that share a transaction id all fail,
    because a line belongs to one order and the payload does not tell which
    one is right.
    """
    results = []
    for raw in _as_list((payload or {}).get("order")):
        try:
            results.append(decode_order(raw))
        except DecodingError as exc:
            results.append(
                OrderDecodeFailure(order_no=_order_no(raw), raw=raw, error=exc)
            )
    return _fail_shared_lines(results)


def _order_no(raw) -> str | None:
    if not isinstance(raw, dict):
        return None
    try:
        return parse_text(raw.get("orderNo"), "orderNo")
    except DecodingError:
        return None


def _fail_shared_lines(results: list) -> list[Order | OrderDecodeFailure]:
    orders_by_transaction: dict[str, set[str]] = {}
    for result in results:
        if isinstance(result, Order):
            for line in result.lines:
                orders_by_transaction.setdefault(line.transaction_id, set()).add(
                    result.order_no
                )
    checked = []
    for result in results:
        shared = None
        if isinstance(result, Order):
            shared = next(
                (
                    line.transaction_id
                    for line in result.lines
                    if len(orders_by_transaction[line.transaction_id]) > 1
                ),
                None,
            )
        if shared is None:
            checked.append(result)
            continue
        others = sorted(orders_by_transaction[shared] - {result.order_no})
        error = DecodingError(
            f"Order {result.order_no}: invalid value in "
            f"orderLine[{shared}].transactionId: transaction {shared} also "
            f"appears in order {', '.join(others)}; a line belongs to one order. "
            "Fetch the orders again or ask the account manager which is right.",
            field=f"orderLine[{shared}].transactionId",
            value=shared,
        )
        checked.append(
            OrderDecodeFailure(order_no=result.order_no, raw=result.raw, error=error)
        )
    return checked
