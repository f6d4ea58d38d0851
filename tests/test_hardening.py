"""Hostile input for the client package: payloads, transport, secrets and SFTP.

Each test feeds one kind of bad input and checks that it either decodes to
the right value or fails with a typed error that names the field and value.
"""

import copy
import json
from pathlib import Path

import pytest

import tatacliq_sandbox
from tatacliq import codecs
from tatacliq.errors import DecodingError, MalformedResponseError
from tatacliq.models import Order, OrderDecodeFailure

SAMPLE = Path(tatacliq_sandbox.__file__).parent / "samples" / "orders-v2.json"
TRANSACTION = "27357000012002701"


@pytest.fixture
def order():
    """Return the first sample order, a fresh copy per test."""
    return copy.deepcopy(json.loads(SAMPLE.read_text())["order"][0])


def decode_one(raw):
    (result,) = codecs.decode_orders({"order": [raw]})
    return result


def failure_of(raw) -> DecodingError:
    result = decode_one(raw)
    assert isinstance(result, OrderDecodeFailure), result
    return result.error


# Order payloads ------------------------------------------------------------


@pytest.mark.parametrize("lines", [None, [], "null"])
def test_order_without_lines_fails(order, lines):
    if lines is None:
        del order["orderLine"]
    else:
        order["orderLine"] = lines

    error = failure_of(order)

    assert error.field == "orderLine"
    assert "no lines" in error.message


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01 00:00:00",
        "0001-01-01 05:29:59",
        "0001-01-01T00:00:00+05:30",
    ],
)
def test_date_before_utc_range_fails(order, value):
    order["orderLine"][0]["shipByDate"] = value

    error = failure_of(order)

    assert error.field == f"orderLine[{TRANSACTION}].shipByDate"
    assert value in error.message


def test_parse_datetime_overflow_is_decoding_error():
    with pytest.raises(DecodingError, match="out of range"):
        codecs.parse_datetime("0001-01-01 00:00:00", "tokenExpiryDate")


@pytest.mark.parametrize(
    "value",
    [
        "1E+400",
        "99999999999999999999",
        10**30,
        1e20,
        "1_000",
        "\u0661\u0662\u0663",  # Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
        " 1 2 ",
        "0x10",
        "sNaN",
        "-Infinity",
        "1,299.00",
        "\u20b91299",
        True,
    ],
)
def test_price_out_of_grammar_fails(order, value):
    order["orderLine"][0]["price"] = value

    error = failure_of(order)

    assert error.field == f"orderLine[{TRANSACTION}].price"
    assert error.value in (value, str(value), str(value).strip())


@pytest.mark.parametrize(
    "value,expected",
    [
        ("1299.00", "1299.00"),
        (1299, "1299"),
        (1299.5, "1299.5"),
        ("+12", "12"),
        ("1e3", "1000"),
        (".5", "0.5"),
        ("999999999999999.99", "999999999999999.99"),
    ],
)
def test_price_in_grammar_decodes(order, value, expected):
    order["orderLine"][0]["price"] = value

    result = decode_one(order)

    assert isinstance(result, Order), result
    assert result.lines[0].price == codecs.Decimal(expected)


@pytest.mark.parametrize(
    "path,name",
    [
        (("orderLine", 0, "price"), "price"),
        (("orderLine", 0, "apportionedPrice"), "apportionedPrice"),
        (("orderLine", 0, "mrp"), "mrp"),
        (("orderLine", 0, "apportionedShippingCharge"), "apportionedShippingCharge"),
        (("orderLine", 0, "apportionedCODPrice"), "apportionedCODPrice"),
        (("orderLine", 0, "giftPrice"), "giftPrice"),
        (("orderLine", 0, "taxValue"), "taxValue"),
        (("orderLine", 0, "gst", "hsnTax", 0, "taxRate"), "gst.hsnTax[0].taxRate"),
        (("paymentInfo", 0, "paymentCost"), None),
    ],
)
def test_negative_amount_fails(order, path, name):
    target = order
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "-5.00"

    error = failure_of(order)

    expected = (
        f"orderLine[{TRANSACTION}].{name}" if name else "paymentInfo[0].paymentCost"
    )
    assert error.field == expected
    assert "negative" in error.message
    assert "'-5.00'" in error.message


@pytest.mark.parametrize(
    "value,reason",
    [
        (2.7357000012002701e16, "float"),
        (1.5, "float"),
        (True, "bool"),
        (["27357000012002701"], "list"),
    ],
)
def test_transaction_id_not_text_fails(order, value, reason):
    order["orderLine"][0]["transactionId"] = value

    error = failure_of(order)

    assert error.field == "orderLine[0].transactionId"
    assert "expected text" in error.message


def test_number_fields_read_as_text(order):
    order["orderLine"][0]["transactionId"] = int(TRANSACTION)
    order["addressInfo"][0]["pincode"] = 411001.0
    order["addressInfo"][0]["phone"] = 9800000001

    result = decode_one(order)

    assert result.lines[0].transaction_id == TRANSACTION
    assert result.delivery_address.pincode == "411001"
    assert result.delivery_address.phone == "9800000001"


def test_flag_as_name_fails(order):
    order["addressInfo"][0]["firstName"] = True

    error = failure_of(order)

    assert error.field == "addressInfo[0].firstName"


def test_huge_text_fails_with_short_message(order):
    order["addressInfo"][0]["address1"] = "A" * 1_000_000

    error = failure_of(order)

    assert error.field == "addressInfo[0].address1"
    assert "1000000 characters" in error.message
    assert len(error.message) < 1000


def test_unicode_names_kept(order):
    order["addressInfo"][0]["firstName"] = "\u0906\u0936\u093e"  # Devanagari
    order["addressInfo"][0]["lastName"] = "\u0bb5\u0bb0\u0bcd\u0bae\u0bbe \U0001f600"
    order["orderLine"][0]["giftMessage"] = "\u0936\u0941\u092d \U0001f381"

    xml = codecs.encode({"order": [order]}, "V1", "orders")
    from_json = decode_one(order)
    (from_xml,) = codecs.decode_orders(codecs.decode(xml, "V1"))

    assert from_json.delivery_address.name == (
        "\u0906\u0936\u093e \u0bb5\u0bb0\u0bcd\u0bae\u0bbe \U0001f600"
    )
    assert from_json.lines[0].gift_message == "\u0936\u0941\u092d \U0001f381"
    assert from_xml == from_json


def test_transaction_twice_in_order_fails(order):
    order["orderLine"][1]["transactionId"] = TRANSACTION

    error = failure_of(order)

    assert error.field == f"orderLine[{TRANSACTION}].transactionId"
    assert "twice" in error.message


def test_hopped_line_twice_in_order_decodes(order):
    # The store that lost the line and the store that holds it now.
    hopped = copy.deepcopy(order["orderLine"][0])
    hopped["p1SlaveId"] = "273570-ST01"
    hopped["omsStatusCode"] = "ODREALOC"
    order["orderLine"].append(hopped)

    result = decode_one(order)

    assert isinstance(result, Order), result
    slave_ids = [
        line.slave_id for line in result.lines if line.transaction_id == TRANSACTION
    ]
    assert slave_ids == ["273570-WH01", "273570-ST01"]


def test_transaction_in_two_orders_fails_both(order):
    other = copy.deepcopy(order)
    other["orderNo"] = "7462-3452-000002"
    for number, line in enumerate(other["orderLine"][1:], start=1):
        line["transactionId"] = f"2735700009900{number}"
        line["parentTransactionID"] = "null"
    unrelated = copy.deepcopy(other)
    unrelated["orderNo"] = "7462-3452-000003"
    for number, line in enumerate(unrelated["orderLine"]):
        line["transactionId"] = f"2735700008800{number}"

    results = codecs.decode_orders({"order": [order, other, unrelated]})

    assert [type(result) for result in results] == [
        OrderDecodeFailure,
        OrderDecodeFailure,
        Order,
    ]
    assert results[0].error.field == f"orderLine[{TRANSACTION}].transactionId"
    assert "7462-3452-000002" in results[0].error.message
    assert "7462-3452-969027" in results[1].error.message
    assert results[1].raw["orderNo"] == "7462-3452-000002"


def test_same_order_twice_decodes(order):
    results = codecs.decode_orders({"order": [order, copy.deepcopy(order)]})

    assert [type(result) for result in results] == [Order, Order]


# XML -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        # An external DTD makes expat skip undefined entities silently.
        b'<!DOCTYPE orders SYSTEM "http://127.0.0.1:9/x.dtd">'
        b"<orders><order><orderNo>A&x;B</orderNo></order></orders>",
        b"<!DOCTYPE orders><orders><order><orderNo>1</orderNo></order></orders>",
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;">]><orders><x>&b;</x></orders>',
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p"> %p;]><orders/>',
        b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/hostname">]><r>&e;</r>',
    ],
)
def test_xml_doctype_rejected(body):
    with pytest.raises(MalformedResponseError, match="DOCTYPE"):
        codecs.decode(body, "V1")


def test_xml_namespace_prefixes_dropped(order):
    plain = codecs.encode({"order": [order]}, "V1", "orders").decode()
    prefixed = (
        plain.replace("<", "<tc:")
        .replace("<tc:/", "</tc:")
        .replace("<tc:?xml", "<?xml")
        .replace("<tc:orders>", '<tc:orders xmlns:tc="urn:tatacliq">', 1)
    )

    payload = codecs.decode(prefixed.encode(), "V1")

    assert payload == codecs.decode(plain.encode(), "V1")
    assert codecs.decode_orders(payload) == [decode_one(order)]


def test_xml_default_namespace_dropped():
    body = b'<orders xmlns="urn:tatacliq"><totalPages>1</totalPages></orders>'

    assert codecs.decode(body, "V1") == {"totalPages": "1"}


def test_xml_attributes_without_text_missing():
    body = (
        b'<orders xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b'<order currency="INR"><orderNo kind="web">1-2-3</orderNo>'
        b"<orderLine><transactionId>111</transactionId>"
        b'<price unit="INR">10.00</price><apportionedPrice>10.00</apportionedPrice>'
        b'<mrp xsi:nil="true"/><giftMessage xsi:nil="true"/></orderLine>'
        b"</order></orders>"
    )

    (result,) = codecs.decode_orders(codecs.decode(body, "V1"))

    assert result.order_no == "1-2-3"
    assert result.lines[0].price == codecs.Decimal("10.00")
    assert result.lines[0].mrp is None
    assert result.lines[0].gift_message is None
