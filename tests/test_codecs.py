"""Codec tests: V2 JSON and V1 XML decode to the same orders."""

import copy
import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest

import tatacliq_sandbox
from tatacliq import codecs
from tatacliq.errors import DecodingError, MalformedResponseError
from tatacliq.models import Order, OrderDecodeFailure

SAMPLE = Path(tatacliq_sandbox.__file__).parent / "samples" / "orders-v2.json"


@pytest.fixture
def envelope():
    return json.loads(SAMPLE.read_text())


def utc(*args):
    return datetime(*args, tzinfo=timezone.utc)


def decode_v2(envelope):
    return codecs.decode_orders(codecs.decode(json.dumps(envelope).encode(), "V2"))


def test_sample_decodes(envelope):
    orders = decode_v2(envelope)

    assert [type(order) for order in orders] == [Order, Order]
    first, second = orders
    assert first.order_no == "7462-3452-969027"
    assert first.order_date == utc(2026, 11, 28, 8, 35, 33)
    assert first.delivery_address.name == "Asha Verma"
    assert first.delivery_address.email is None
    assert first.delivery_address.address3 is None
    assert first.delivery_address.state_code == "27"
    assert first.billing_address.address_type == "BA"
    assert first.payments[0].cost == Decimal("2598.00")
    assert first.payments[0].date == utc(2026, 11, 28, 8, 35, 40)
    assert len(first.lines) == 3

    line = first.lines[0]
    assert line.transaction_id == "27357000012002701"
    assert line.status == "ORDALLOC"
    assert line.price == Decimal("1299.00")
    assert line.quantity == 1
    assert line.ship_by_date == utc(2026, 11, 30, 18, 29, 59)
    assert line.allocation_date is None
    assert line.is_cod is False
    assert line.gift_message is None
    assert line.slave_id == "273570-WH01"
    assert [tax.tax_type for tax in line.hsn_taxes] == ["CGST", "SGST"]
    assert line.hsn_taxes[0].rate == Decimal("6.00")
    assert line.hsn_taxes[0].value == Decimal("69.59")

    freebie = first.lines[2]
    assert freebie.is_freebie is True
    assert freebie.parent_transaction_id == "27357000012002701"
    assert freebie.hsn_taxes == ()

    assert second.billing_address == second.delivery_address
    assert second.payments[0].date is None
    assert second.lines[0].is_cod is True
    assert second.lines[0].is_gift is True
    assert second.lines[0].gift_message == "Happy birthday!"
    assert second.lines[0].logistics_id is None
    assert second.raw["orderNo"] == "6204-2443-4245366"


def test_v1_xml_equals_v2(envelope):
    xml = codecs.encode(envelope, "V1", "orders")

    assert xml.startswith(b"<?xml")
    assert b"<orders><order>" in xml
    assert codecs.decode_orders(codecs.decode(xml, "V1")) == decode_v2(envelope)


def test_xml_round_trip_keeps_dict(envelope):
    decoded = codecs.decode(codecs.encode(envelope, "V1", "orders"), "V1")
    # XML has no empty lists, and forced lists drop empty elements.
    expected = copy.deepcopy(envelope)
    for order in expected["order"]:
        for line in order["orderLine"]:
            if not line["gst"]["hsnTax"]:
                del line["gst"]["hsnTax"]

    assert decoded == expected


def test_json_encode_matches_xml_values():
    payload = {
        "Item": [{"SKU": "A", "Inventory": 5, "price": Decimal("1.50"), "on": True}]
    }

    from_json = codecs.decode(codecs.encode(payload, "V2"), "V2")
    from_xml = codecs.decode(codecs.encode(payload, "V1", "InventoryUpdate"), "V1")

    assert from_json["Item"][0]["price"] == "1.50"
    assert from_json["Item"][0]["on"] == "Y"
    assert from_xml["Item"][0] == {
        "SKU": "A",
        "Inventory": "5",
        "price": "1.50",
        "on": "Y",
    }


def test_encode_datetime_india_time():
    payload = {"when": datetime(2026, 11, 28, 8, 35, 33, tzinfo=timezone.utc)}

    assert codecs.encode(payload, "V2") == b'{"when":"2026-11-28 14:05:33"}'


def test_xml_single_elements_are_lists():
    xml = b"""<orders><order><orderNo>1-2-3</orderNo>
      <addressInfo><addressType>DA</addressType><name>Solo</name></addressInfo>
      <paymentInfo><paymentCost>10</paymentCost><paymentInfo>NA</paymentInfo>
      </paymentInfo>
      <orderLine><transactionId>111</transactionId><price>10</price>
        <apportionedPrice>10</apportionedPrice>
        <gst><hsnTax><taxType>IGST</taxType><taxRate>18</taxRate>
          <taxValue>1.53</taxValue></hsnTax></gst></orderLine>
    </order><transactionIds>111</transactionIds></orders>"""

    payload = codecs.decode(xml, "V1")

    assert isinstance(payload["order"], list)
    order = payload["order"][0]
    assert isinstance(order["addressInfo"], list)
    assert isinstance(order["paymentInfo"], list)
    assert order["paymentInfo"][0]["paymentInfo"] == "NA"
    assert isinstance(order["orderLine"], list)
    assert isinstance(order["orderLine"][0]["gst"]["hsnTax"], list)
    assert payload["transactionIds"] == ["111"]
    (decoded,) = codecs.decode_orders(payload)
    assert decoded.delivery_address.name == "Solo"
    assert decoded.lines[0].hsn_taxes[0].rate == Decimal("18")


def test_xml_empty_root_and_empty_list():
    assert codecs.decode(b"<orders/>", "V1") == {}
    assert codecs.decode(b"<r><result/></r>", "V1") == {"result": []}


def test_registered_list_element():
    codecs.register_list_elements("manifestLine")
    try:
        payload = codecs.decode(b"<r><manifestLine>1</manifestLine></r>", "V1")
    finally:
        codecs.LIST_ELEMENTS.discard("manifestLine")

    assert payload == {"manifestLine": ["1"]}
    assert codecs.decode(b"<r><x>1</x></r>", "V1", list_elements={"x"}) == {"x": ["1"]}


def test_content_type_overrides_version():
    body = b'{"errorMessage": "bad"}'

    assert codecs.decode(body, "V1", "application/json")["errorMessage"] == "bad"


@pytest.mark.parametrize(
    "body,version",
    [
        (b'{"order": [', "V2"),
        (b"<orders><order>", "V1"),
        (b"", "V2"),
        (b"[1, 2]", "V2"),
        (b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', "V1"),
    ],
)
def test_malformed_bodies(body, version):
    with pytest.raises(MalformedResponseError):
        codecs.decode(body, version)


def test_malformed_snippet_redacted():
    body = b'{"jwtToken": "eyJabc.eyJdef.ghi", "password": "s3cret-value", ' + (
        b"x" * 500
    )

    with pytest.raises(MalformedResponseError) as info:
        codecs.decode(body, "V2")

    assert "s3cret-value" not in info.value.message
    assert "eyJabc" not in info.value.snippet
    assert len(info.value.snippet) <= 200


def test_unknown_version():
    with pytest.raises(ValueError, match="V3"):
        codecs.encode({}, "V3")
    assert codecs.normalize_version("v1") == "V1"


@pytest.mark.parametrize("value", ["null", "NA", "", "  ", "NULL", " NA ", None])
def test_clean_missing(value):
    assert codecs.clean(value) is None


def test_clean_keeps_values():
    assert codecs.clean(" Pune ") == "Pune"
    assert codecs.clean("Na") == "Na"
    assert codecs.clean(0) == 0
    assert codecs.clean({"@unit": "INR", "#text": "12"}) == "12"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("Y", True),
        ("n", False),
        ("TRUE", True),
        ("false", False),
        ("1", True),
        ("0", False),
        (True, True),
        (0, False),
        ("NA", None),
    ],
)
def test_parse_flag(value, expected):
    assert codecs.parse_flag(value, "isCOD") is expected


@pytest.mark.parametrize("value", ["yes", "2", "X"])
def test_parse_flag_invalid(value):
    with pytest.raises(DecodingError) as info:
        codecs.parse_flag(value, "isCOD")

    assert "isCOD" in info.value.message
    assert repr(value) in info.value.message
    assert info.value.field == "isCOD"


def test_parse_decimal():
    assert codecs.parse_decimal("1299.00") == Decimal("1299.00")
    assert codecs.parse_decimal(12) == Decimal(12)
    assert codecs.parse_decimal(0.1) == Decimal("0.1")
    assert codecs.parse_decimal("null") is None
    for value in ("12,00", "NaN", "abc", "Infinity"):
        with pytest.raises(DecodingError, match="price"):
            codecs.parse_decimal(value, "price")


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2026-11-28 14:05:33", utc(2026, 11, 28, 8, 35, 33)),
        ("2026-11-28T14:05:33", utc(2026, 11, 28, 8, 35, 33)),
        ("2026-11-28T14:05", utc(2026, 11, 28, 8, 35)),
        ("2026-11-28T14:05:33+05:30", utc(2026, 11, 28, 8, 35, 33)),
        ("2026-11-28T08:35:33Z", utc(2026, 11, 28, 8, 35, 33)),
        ("2026-11-28T08:35:33.250+0000", utc(2026, 11, 28, 8, 35, 33, 250000)),
        ("2026-11-28 03:35:33-05:00", utc(2026, 11, 28, 8, 35, 33)),
        ("2026-01-01 00:10:00", utc(2025, 12, 31, 18, 40)),
    ],
)
def test_parse_datetime(value, expected):
    parsed = codecs.parse_datetime(value, "orderDate")

    assert parsed == expected
    assert parsed.tzinfo == timezone.utc


@pytest.mark.parametrize(
    "value",
    [
        "28/11/2026 14:05:33",
        "2026-11-28",
        "2026-13-01 10:00:00",
        "2026-02-30 10:00:00",
        "2026-11-28 25:00:00",
        "2026-11-28T10:00:00+24:00",
        "tomorrow",
    ],
)
def test_parse_datetime_invalid(value):
    with pytest.raises(DecodingError) as info:
        codecs.parse_datetime(value, "shipByDate")

    assert value in info.value.message
    assert "shipByDate" in info.value.message
    assert info.value.value == value


def test_parse_datetime_missing():
    assert codecs.parse_datetime("null", "paymentDate") is None


def test_naive_datetime_is_india_time():
    parsed = codecs.parse_datetime(datetime(2026, 11, 28, 14, 5, 33))

    assert parsed == utc(2026, 11, 28, 8, 35, 33)


def minimal_order(order_no, **line):
    line = {
        "transactionId": f"{order_no}01",
        "price": "10.00",
        "apportionedPrice": "10.00",
        **line,
    }
    return {
        "orderNo": order_no,
        "orderDate": "2026-11-28 14:05:33",
        "orderLine": [line],
    }


def test_bad_order_among_good_ones():
    payload = {
        "order": [
            minimal_order("1-1-1"),
            minimal_order("2-2-2", shipByDate="31/12/2026"),
            minimal_order("3-3-3", isCOD="maybe"),
            {"orderType": "01"},
            "junk",
            minimal_order("4-4-4"),
        ]
    }

    results = codecs.decode_orders(payload)

    assert [type(result) for result in results] == [
        Order,
        OrderDecodeFailure,
        OrderDecodeFailure,
        OrderDecodeFailure,
        OrderDecodeFailure,
        Order,
    ]
    date_failure = results[1]
    assert date_failure.order_no == "2-2-2"
    assert date_failure.raw == payload["order"][1]
    assert "Order 2-2-2" in date_failure.error.message
    assert "31/12/2026" in date_failure.error.message
    assert date_failure.error.field == "orderLine[2-2-201].shipByDate"
    assert "'maybe'" in results[2].error.message
    assert results[3].order_no is None
    assert "orderNo" in results[3].error.message
    assert results[4].order_no is None
    assert results[4].raw == "junk"


def test_line_defaults_and_options():
    raw = minimal_order(
        "5-5-5",
        quantity="2",
        omsStatusCode="ORDACCEP",
        allocationDate="2026-12-01T10:00:00+05:30",
        isCOD="true",
    )

    (order,) = codecs.decode_orders({"order": raw})
    line = order.lines[0]

    assert line.quantity == 2
    assert line.status == "ORDACCEP"
    assert line.allocation_date == utc(2026, 12, 1, 4, 30)
    assert line.is_cod is True
    assert line.apportioned_cod_price == Decimal("0")
    assert line.mrp is None
    assert order.addresses == ()


@pytest.mark.parametrize(
    "code,expected", [("001", "ORDALLOC"), ("19", "ORDCANCL"), ("odrealoc", "ODREALOC")]
)
def test_status_code_spellings(code, expected):
    raw = minimal_order("6-6-6", omsStatusCode=code)

    (order,) = codecs.decode_orders({"order": [raw]})

    assert order.lines[0].status == expected


def test_unknown_status_kept():
    (order,) = codecs.decode_orders(
        {"order": [minimal_order("6-6-6", omsStatusCode="newcode")]}
    )

    assert order.lines[0].status == "NEWCODE"


@pytest.mark.parametrize("quantity", ["0", "1.5", "-1", "two"])
def test_invalid_quantity(quantity):
    (failure,) = codecs.decode_orders(
        {"order": [minimal_order("7-7-7", quantity=quantity)]}
    )

    assert isinstance(failure, OrderDecodeFailure)
    assert "quantity" in failure.error.message


def test_missing_price_fails():
    (failure,) = codecs.decode_orders(
        {"order": [minimal_order("8-8-8", apportionedPrice="NA")]}
    )

    assert isinstance(failure, OrderDecodeFailure)
    assert failure.error.field == "orderLine[8-8-801].apportionedPrice"


def test_name_forms():
    raw = minimal_order("9-9-9")
    raw["addressInfo"] = [
        {"addressType": "DA", "name": "Full Name", "firstName": "Ignored"},
        {"addressType": "ba", "firstName": "Only", "lastName": "null"},
    ]

    (order,) = codecs.decode_orders({"order": [raw]})

    assert order.delivery_address.name == "Full Name"
    assert order.billing_address.name == "Only"
