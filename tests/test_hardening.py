"""Hostile input for the client package: payloads, transport, secrets and SFTP.

Each test feeds one kind of bad input and checks that it either decodes to
the right value or fails with a typed error that names the field and value.
"""

import base64
import copy
import gzip
import json
import logging
import socket
import threading
import time
import tracemalloc
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus
from xml.sax.saxutils import escape

import pytest

import tatacliq_sandbox
from tatacliq import Client, clear_token_cache, codecs, sftp
from tatacliq.client import RECORD_BODY_LIMIT
from tatacliq.errors import (
    AuthenticationError,
    DecodingError,
    MalformedResponseError,
    MarketplaceError,
    StatusOrderError,
    TataCliqError,
    TransientError,
)
from tatacliq.inventory import InventoryItem, decode_record
from tatacliq.models import Order, OrderDecodeFailure
from tatacliq.redact import redact_text
from tatacliq.returns import decode_cancellation
from tatacliq.sftp import (
    SftpConnectionError,
    SftpError,
    SftpExchange,
    SftpFileRejectedError,
    fetch_host_key,
    result_name,
)
from tatacliq_sandbox import Sandbox, demo_seller
from tatacliq_sandbox.sftp_server import (
    DEMO_SFTP_PASSWORD,
    DEMO_SFTP_USER,
    generate_host_key,
)

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
    # The store that lost the line and the store that has it now.
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


@pytest.mark.parametrize(
    "body,version",
    [
        (b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "V2"),
        (b'{"order":' + b"[" * 100_000 + b"]" * 100_000 + b"}", "V2"),
        (b'{"a":' * 500 + b"1" + b"}" * 500, "V2"),
        (b"<r>" + b"<a>" * 5000 + b"1" + b"</a>" * 5000 + b"</r>", "V1"),
    ],
    ids=["json-100k", "json-lists", "json-500", "xml-5000"],
)
def test_deep_nesting_malformed(body, version):
    with pytest.raises(MalformedResponseError, match="nested"):
        codecs.decode(body, version)


def test_json_repeated_field_malformed():
    body = b'{"order": [{"orderNo": "1-2-3", "orderNo": "4-5-6"}]}'

    with pytest.raises(MalformedResponseError, match="'orderNo' appears twice"):
        codecs.decode(body, "V2")


# Transport -----------------------------------------------------------------

CREDENTIALS = demo_seller().credentials()
SCRIPTED_TOKEN = "scripted-token-0123456789"


class ScriptedMarketplace:
    """An HTTP server on 127.0.0.1 that sends scripted raw responses.

    The token route returns ``token_body`` unless ``token_replies`` holds
    scripted replies; every other request takes the next of ``replies`` (a
    function of the request handler), or an empty order list. ``requests``
    lists (method, path, headers) of everything received.
    """

    def __init__(self):
        self.replies = []
        self.token_replies = []
        self.token_body = {
            "jwtToken": SCRIPTED_TOKEN,
            "tokenExpiryDate": "2099-01-01 00:00:00",
        }
        self.requests = []
        marketplace = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.answer()

            def do_POST(self):
                self.answer()

            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                marketplace.requests.append(
                    (self.command, self.path, dict(self.headers))
                )
                if self.path.startswith("/security/"):
                    if marketplace.token_replies:
                        marketplace.token_replies.pop(0)(self)
                    else:
                        send(self, 200, json.dumps(marketplace.token_body).encode())
                elif marketplace.replies:
                    marketplace.replies.pop(0)(self)
                else:
                    send(self, 200, b'{"order": []}')

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def send(handler, status, body=b"", content_type="application/json", **headers):
    """Write one complete response with a matching Content-Length."""
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def reply(status, body=b"", content_type="application/json", **headers):
    return lambda handler: send(handler, status, body, content_type, **headers)


@pytest.fixture
def scripted():
    marketplace = ScriptedMarketplace()
    yield marketplace
    marketplace.stop()


@pytest.fixture
def records():
    return []


@pytest.fixture
def make_client(records):
    clients = []

    def make(base_url, **options):
        settings = {
            **CREDENTIALS,
            "version": "V2",
            "timeout": (2.0, 5.0),
            "backoff": 0.01,
            "on_call": records.append,
            **options,
        }
        client = Client(base_url, **settings)
        clients.append(client)
        return client

    clear_token_cache()
    yield make
    for client in clients:
        client.close()
    clear_token_cache()


def first_page(client):
    return next(client.iter_order_pages())


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_redirect_to_other_port_not_followed(scripted, make_client, status):
    other = ScriptedMarketplace()
    try:
        scripted.replies.append(reply(status, Location=other.url + "/stolen"))
        client = make_client(scripted.url)

        with pytest.raises(TataCliqError) as info:
            first_page(client)

        assert other.requests == []
    finally:
        other.stop()
    assert not isinstance(info.value, MarketplaceError)
    assert info.value.status == status
    assert other.url in info.value.message
    assert SCRIPTED_TOKEN not in info.value.message


def test_redirect_location_redacted(scripted, make_client):
    scripted.replies.append(
        reply(302, Location="http://user:hunter2pw@127.0.0.1:9/x?token=abcdef12")
    )

    with pytest.raises(TataCliqError) as info:
        first_page(make_client(scripted.url))

    assert "hunter2pw" not in info.value.message
    assert "abcdef12" not in info.value.message


def test_token_route_redirect_not_authentication_error(scripted, make_client):
    scripted.token_replies.append(reply(302, Location="http://127.0.0.1:9/"))

    with pytest.raises(TataCliqError) as info:
        make_client(scripted.url).get_token()

    assert not isinstance(info.value, AuthenticationError)
    assert "redirect" in info.value.message


@pytest.mark.parametrize(
    "body",
    [
        b'{"status": "FAILURE", "errorCode": "TC-500", "errorMessage": "Internal"}',
        b'{"status": "failure", "errorMessage": "Order Not in PICKCONG status"}',
    ],
)
def test_error_body_with_200_raises(scripted, make_client, body):
    scripted.replies.append(reply(200, body))

    with pytest.raises(MarketplaceError) as info:
        first_page(make_client(scripted.url))

    assert info.value.status == 200
    assert json.loads(body)["errorMessage"] in info.value.message


def test_xml_error_body_with_200_raises(scripted, make_client):
    body = (
        b"<error><status>FAILURE</status><errorCode>TC-409</errorCode>"
        b"<errorMessage>Order Not in PICKCONG status</errorMessage>"
        b"<transactionIds>27357000012002701</transactionIds></error>"
    )
    scripted.replies.append(reply(200, body, "application/xml"))

    with pytest.raises(StatusOrderError) as info:
        first_page(make_client(scripted.url, version="V1"))

    assert info.value.error_code == "TC-409"
    assert info.value.transaction_ids == ("27357000012002701",)


def test_batch_failure_with_items_still_returns_items(scripted, make_client):
    body = {
        "status": "FAILURE",
        "item": [
            {
                "transactionId": TRANSACTION,
                "status": "FAILURE",
                "errorMessage": "Order Not in PICKCONG status",
            }
        ],
    }
    scripted.replies.append(reply(200, json.dumps(body).encode()))

    (result,) = make_client(scripted.url).pick_confirm([TRANSACTION])

    assert result.ok is False
    assert isinstance(result.error, StatusOrderError)


@pytest.mark.parametrize(
    "respond",
    [
        reply(200, b""),
        reply(204, b"", None),
        reply(200, b"null"),
        reply(200, b'{"order": []}', "text/html"),
    ],
    ids=["empty-200", "204", "null", "html-type"],
)
def test_bodies_without_payload_malformed(scripted, make_client, respond):
    scripted.replies.append(respond)

    with pytest.raises(MalformedResponseError):
        first_page(make_client(scripted.url))


def test_json_with_plain_text_type_decodes(scripted, make_client):
    scripted.replies.append(
        reply(200, b'{"order": [], "totalPages": "1"}', "text/plain")
    )

    page = first_page(make_client(scripted.url))

    assert page.orders == []
    assert page.total_pages == 1


@pytest.mark.parametrize("value", ["-1", "x", "1000000000", "2.5"])
def test_invalid_total_pages_malformed(scripted, make_client, value):
    body = json.dumps({"order": [], "totalPages": value}).encode()
    scripted.replies.append(reply(200, body))

    with pytest.raises(MalformedResponseError, match="totalPages"):
        first_page(make_client(scripted.url))


def test_huge_body_capped(scripted, make_client, records):
    client = make_client(scripted.url)
    client.max_response_bytes = 1024 * 1024
    body = b'{"order": [], "pad": "' + b"x" * (8 * 1024 * 1024) + b'"}'
    scripted.replies.append(reply(200, body))

    with pytest.raises(MalformedResponseError, match="larger than 1048576 bytes"):
        first_page(client)

    assert len(records[-1].response_body) < RECORD_BODY_LIMIT + 100


def test_gzip_bomb_capped(scripted, make_client):
    client = make_client(scripted.url)
    client.max_response_bytes = 1024 * 1024
    bomb = gzip.compress(b'{"order": [], "pad": "' + b" " * (32 * 1024 * 1024) + b'"}')
    scripted.replies.append(reply(200, bomb, Content_Encoding="gzip"))

    with pytest.raises(MalformedResponseError, match="larger than"):
        first_page(client)


def test_gzip_body_decoded(scripted, make_client):
    body = gzip.compress(b'{"order": [], "totalPages": "1"}')
    scripted.replies.append(reply(200, body, Content_Encoding="gzip"))

    assert first_page(make_client(scripted.url)).total_pages == 1


def test_corrupt_gzip_malformed(scripted, make_client):
    scripted.replies.append(reply(200, b"not gzip at all", Content_Encoding="gzip"))

    with pytest.raises(MalformedResponseError, match="Content-Encoding"):
        first_page(make_client(scripted.url))


def test_body_shorter_than_content_length(scripted, make_client):
    def cut(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", "100")
        handler.end_headers()
        handler.wfile.write(b'{"order": []}')
        handler.wfile.flush()
        handler.close_connection = True
        handler.connection.shutdown(socket.SHUT_RDWR)

    scripted.replies.append(cut)

    with pytest.raises(MalformedResponseError, match="13 of 100 bytes"):
        first_page(make_client(scripted.url))


def drip(handler):
    """Send a valid body one byte every 0.2 s, each well within the read timeout."""
    body = b'{"order": []}' + b" " * 200
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    try:
        for byte in body:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            time.sleep(0.2)
    except OSError:
        pass  # the client gave up


def test_slow_body_bounded(scripted, make_client, records):
    client = make_client(scripted.url, max_retries=1)
    client.max_response_seconds = 1.0
    scripted.replies.extend([drip, drip])

    started = time.monotonic()
    with pytest.raises(TransientError, match="took longer than 1 s"):
        first_page(client)

    assert time.monotonic() - started < 5
    assert [record.attempt for record in records if record.route != "token"] == [1, 2]


def test_retry_after_storm_bounded(scripted, make_client):
    client = make_client(scripted.url, max_retries=3)
    client.max_retry_after = 0.1
    scripted.replies.extend(
        [
            reply(429, b"{}", Retry_After="3600"),
            reply(429, b"{}", Retry_After="Wed, 21 Oct 2099 07:28:00 GMT"),
            reply(429, b"{}", Retry_After="soon"),
            reply(429, b"{}", Retry_After="-5"),
        ]
    )

    started = time.monotonic()
    with pytest.raises(TransientError, match="429"):
        first_page(client)

    assert time.monotonic() - started < 3
    assert len([r for r in scripted.requests if "SALES_ORDER" in r[1]]) == 4


@pytest.mark.parametrize(
    "token", ["abc\r\nX-Injected: 1", "abc def", "abc\u00e9", "abc\tdef"]
)
def test_unsendable_token_not_cached(scripted, make_client, token):
    scripted.token_replies.append(
        reply(
            200,
            json.dumps(
                {"jwtToken": token, "tokenExpiryDate": "2099-01-01 00:00:00"}
            ).encode(),
        )
    )
    client = make_client(scripted.url)

    with pytest.raises(MalformedResponseError, match="Authorization header"):
        client.get_token()

    assert client.get_token() == SCRIPTED_TOKEN
    assert first_page(client).orders == []


@pytest.mark.parametrize(
    "expiry", ["0001-01-01 00:00:00", "tomorrow", 4102444800, "2026-02-30 10:00:00"]
)
def test_unreadable_token_expiry_falls_back(scripted, make_client, expiry):
    scripted.token_body = {"jwtToken": SCRIPTED_TOKEN, "tokenExpiryDate": expiry}

    assert make_client(scripted.url).get_token() == SCRIPTED_TOKEN


def test_token_response_without_jwt(scripted, make_client):
    scripted.token_body = {"token": "elsewhere", "tokenExpiryDate": "2099-01-01"}

    with pytest.raises(MalformedResponseError, match="no jwtToken"):
        make_client(scripted.url).get_token()


# Secrets -------------------------------------------------------------------

ODD_PASSWORD = 'p@ss"w\\rd+x&y=z \u00e9.*?(a|b)[0-9]'


def test_base_url_with_credentials_rejected():
    with pytest.raises(ValueError, match="user name or password") as info:
        Client("http://admin:hunter2pw@127.0.0.1:9", **CREDENTIALS)

    assert "hunter2pw" not in str(info.value)


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:9/api?password=hunter2pw", "http://127.0.0.1:9/#hunter2pw"],
)
def test_base_url_with_query_rejected(base_url):
    with pytest.raises(ValueError, match="query or fragment") as info:
        Client(base_url, **CREDENTIALS)

    assert "password=hunter2pw" not in str(info.value)


@pytest.fixture
def netrc_for_loopback(tmp_path, monkeypatch):
    """Point requests at a netrc file with credentials for 127.0.0.1."""
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))


def test_netrc_does_not_replace_credentials(netrc_for_loopback, make_client):
    with Sandbox.demo() as box:
        page = first_page(make_client(box.url))

    assert page.total_pages >= 1


def test_netrc_headers_not_sent(netrc_for_loopback, scripted, make_client):
    first_page(make_client(scripted.url))

    (token_request, list_request) = scripted.requests
    basic = base64.b64encode(b"demo-key:demo-secret").decode()
    assert token_request[2]["Authorization"] == f"Basic {basic}"
    assert list_request[2]["Authorization"] == f"Bearer {SCRIPTED_TOKEN}"


def echo_bodies(secret):
    """Return (content type, error body) echoing ``secret`` as servers escape it."""
    message = f"bad {secret}"
    return [
        ("application/json", json.dumps({"errorMessage": message}).encode()),
        (
            "application/json",
            json.dumps({"errorMessage": message}, ensure_ascii=False).encode(),
        ),
        (
            "application/json",
            json.dumps({"errorMessage": f"bad pwd={quote_plus(secret)}"}).encode(),
        ),
        (
            "application/json",
            json.dumps({"errorMessage": f"bad {quote(secret, safe='')}"}).encode(),
        ),
        (
            "application/xml",
            b"<error><errorMessage>bad "
            + escape(secret, {'"': "&quot;"}).encode()
            + b"</errorMessage></error>",
        ),
        ("text/plain", f"bad secret {secret}".encode()),
    ]


@pytest.mark.parametrize("which", ["password", "api_secret", "api_key"])
def test_echoed_secret_forms_redacted(scripted, make_client, records, caplog, which):
    secret = ODD_PASSWORD + which
    client = make_client(scripted.url, **{which: secret})
    bodies = echo_bodies(secret)
    for kind, body in bodies:
        # The 503 goes through the retry log, the 400 into the error.
        scripted.replies.extend([reply(503, body, kind), reply(400, body, kind)])
    messages = []
    with caplog.at_level(logging.DEBUG):
        for _body in bodies:
            with pytest.raises(MarketplaceError) as info:
                first_page(client)
            messages.append(info.value.message)

    assert "Retrying" in caplog.text
    stored = [repr(client), caplog.text, *messages]
    for record in records:
        stored.extend((record.url, record.request_body, record.response_body))
        stored.append(record.error)
    text = "\n".join(value for value in stored if value)
    for form in (
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote_plus(secret),
        quote(secret, safe=""),
        escape(secret, {'"': "&quot;"}),
    ):
        assert form not in text
    assert text.count("***") >= len(bodies)


def test_redaction_memory_bounded():
    body = '{"note": "' + "x" * (2 * 1024 * 1024) + '", "password": "s3cret-pw"}'

    tracemalloc.start()
    try:
        redacted = redact_text(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert "s3cret-pw" not in redacted
    # A regex with an alternation inside a repeat took about 230 bytes per
    # character of the value.
    assert peak < 50 * 1024 * 1024


def test_record_of_large_body_redacted_at_cut(scripted, make_client, records):
    secret = "long-secret-" + "k" * 40
    client = make_client(scripted.url, password=secret)
    padding = "x" * (RECORD_BODY_LIMIT - 20)
    body = json.dumps({"errorMessage": padding + secret + "y" * 100000})
    scripted.replies.append(reply(400, body.encode()))

    with pytest.raises(MarketplaceError) as info:
        first_page(client)

    response_body = records[-1].response_body
    assert secret not in response_body
    assert secret[:10] not in response_body
    assert response_body.endswith(f"[truncated, {len(body)} characters in total]")
    assert secret not in info.value.message
    assert len(info.value.message) < 1200


# Inventory results -----------------------------------------------------------


@pytest.mark.parametrize(
    "entry,field",
    [
        ({"SKU": "A", "Inventory": "-5"}, "Item[A].Inventory"),
        ({"SKU": "A", "Sold": "1_000"}, "Item[A].Sold"),
        ({"SKU": "A", "Available": "\u0663"}, "Item[A].Available"),
        ({"SKU": "A", "Inventory": str(2**31)}, "Item[A].Inventory"),
        ({"SKU": "A", "SafetyStock": True}, "Item[A].SafetyStock"),
        ({"SKU": ["A"]}, "Item.SKU"),
        ({"SKU": "A", "SlaveID": {"x": "1"}}, "Item[A].SlaveID"),
    ],
)
def test_report_item_invalid_values(entry, field):
    with pytest.raises(DecodingError) as info:
        decode_record(entry, "273570-WH01")

    assert info.value.field == field


def test_report_item_numbers_sent_as_numbers():
    record = decode_record(
        {"SKU": 12345, "SlaveID": {"@kind": "store", "#text": "273570-ST01"}, "Sold": 2}
    )

    assert record.sku == "12345"
    assert record.slave_id == "273570-ST01"
    assert record.sold == 2


def test_push_results_with_odd_values(scripted, make_client):
    body = {
        "status": "PARTIAL",
        "Item": [
            {"SKU": 12345, "SlaveID": "273570-WH01", "status": "SUCCESS"},
            {
                "SKU": "B",
                "SlaveID": "273570-WH01",
                "status": "FAILURE",
                "errorMessage": {"code": "X"},
            },
        ],
    }
    scripted.replies.append(reply(200, json.dumps(body).encode()))
    items = [
        InventoryItem("12345", "273570-WH01", 3),
        InventoryItem("B", "273570-WH01", 1),
    ]

    push = make_client(scripted.url).push_inventory(items)

    assert [result.status for result in push.results] == ["SUCCESS", "FAILURE"]
    assert isinstance(push.results[1].error, MarketplaceError)


# SFTP ----------------------------------------------------------------------

RESULT_HEADER = b"SKU,SlaveID,Status,ErrorMessage\r\n"


@pytest.fixture(scope="module")
def sftp_sandbox():
    with Sandbox.demo(port=0, sftp_port=0) as box:
        box.sftp.scan_interval = 0.2
        yield box


@pytest.fixture
def exchange(sftp_sandbox):
    sftp_sandbox.reset()
    exchange = SftpExchange(
        "127.0.0.1",
        sftp_sandbox.sftp.port,
        DEMO_SFTP_USER,
        password=DEMO_SFTP_PASSWORD,
        host_key=sftp_sandbox.sftp.host_key_line,
        timeout=5.0,
        seller_id="273570",
    )
    yield exchange
    exchange.close()


def put_result(sandbox, upload_name, content: bytes) -> None:
    """Write a result file into the seller's result folder of the sandbox."""
    folder = sandbox.sftp.home("273570") / "inventory" / "result"
    (folder / result_name(upload_name)).write_bytes(content)


@pytest.mark.parametrize(
    "content,message",
    [
        (RESULT_HEADER + b",,,,left,over\r\n", "left over"),
        (RESULT_HEADER + b"A,273570-WH01,SUCCESS,,extra\r\n", "5 values"),
        (RESULT_HEADER + b"A\x00,273570-WH01,SUCCESS,\r\n", "NUL"),
        (RESULT_HEADER + b"A" * 200_000 + b",W,SUCCESS,\r\n", "not valid CSV"),
        (b"SKU,SKU,SlaveID,Status,ErrorMessage\r\nA,B,W,SUCCESS,\r\n", "twice"),
        (RESULT_HEADER + b",273570-WH01,SUCCESS,\r\n", "no SKU"),
        (RESULT_HEADER + b"A,,FAILURE,Unknown\r\n", "no SlaveID"),
        (b"", "is empty"),
    ],
    ids=[
        "extra-values-only",
        "extra-values",
        "nul",
        "huge-field",
        "repeated-column",
        "no-sku",
        "no-slave-id",
        "empty",
    ],
)
def test_result_file_garbage(sftp_sandbox, exchange, content, message):
    put_result(sftp_sandbox, "INV_273570_X_0001.csv", content)

    with pytest.raises(SftpError, match=message) as info:
        exchange.read_result("INV_273570_X_0001.csv")

    assert info.value.path.endswith("INV_273570_X_0001.result.csv")


def test_result_file_size_capped(sftp_sandbox, exchange, monkeypatch):
    monkeypatch.setattr(sftp, "MAX_FILE_BYTES", 1024)
    rows = b"A,273570-WH01,SUCCESS,\r\n" * 100
    put_result(sftp_sandbox, "INV_273570_X_0002.csv", RESULT_HEADER + rows)

    with pytest.raises(SftpError, match="larger than 1024 bytes"):
        exchange.read_result("INV_273570_X_0002.csv")


@pytest.mark.parametrize(
    "slave_id", ["/../../result/x", "a/b", "..", "a\\b", "x\ny", ""]
)
def test_report_slave_id_cannot_leave_folder(sftp_sandbox, exchange, slave_id):
    # A report-shaped file elsewhere, which the traversal would reach.
    folder = sftp_sandbox.sftp.home("273570") / "inventory" / "result"
    (folder / "x.csv").write_bytes(b"SKU,SlaveID,Inventory\r\nA,W,1\r\n")

    with pytest.raises(SftpError, match="Invalid slave id"):
        exchange.read_report(slave_id)


@pytest.mark.parametrize("seller_id", ["../273571", "a/b"])
def test_seller_id_cannot_leave_folder(sftp_sandbox, seller_id):
    with pytest.raises(SftpError, match="Invalid seller id"):
        SftpExchange(
            "127.0.0.1",
            sftp_sandbox.sftp.port,
            DEMO_SFTP_USER,
            password=DEMO_SFTP_PASSWORD,
            seller_id=seller_id,
        )


def test_unreadable_upload_does_not_block_later_ones(sftp_sandbox, exchange):
    bad = exchange.upload_inventory(
        [{"sku": "A" * 200_000, "slave_id": "273570-WH01", "inventory": 1}]
    )
    good = exchange.upload_inventory(
        [{"sku": "KURTA-BLU-M", "slave_id": "273570-WH01", "inventory": 4}]
    )

    with pytest.raises(SftpFileRejectedError, match="not valid CSV"):
        exchange.read_result(bad, wait_seconds=5)
    result = exchange.read_result(good, wait_seconds=5)

    assert [item.status for item in result.results] == ["SUCCESS"]


def serve_tcp(behaviour):
    """Start a TCP server on 127.0.0.1 that runs ``behaviour(connection)``."""
    server = socket.create_server(("127.0.0.1", 0))

    def accept():
        while True:
            try:
                connection, _address = server.accept()
            except OSError:
                return
            with connection:
                behaviour(connection)

    threading.Thread(target=accept, daemon=True).start()
    return server


def random_host_key_line() -> str:
    key = generate_host_key()
    return f"{key.get_name()} {key.get_base64()}"


def long_banner(connection):
    # paramiko quotes the last of the first 100 lines that are no SSH banner.
    connection.settimeout(5)
    try:
        for _line in range(120):
            connection.sendall(b"x" * 5000 + b"\r\n")
        while connection.recv(1024):
            pass  # read the client's banner until it hangs up
    except OSError:
        pass


def close_at_once(connection):
    pass


@pytest.mark.parametrize(
    "behaviour", [long_banner, close_at_once], ids=["long-banner", "close"]
)
def test_broken_sftp_server_short_error(behaviour):
    server = serve_tcp(behaviour)
    port = server.getsockname()[1]
    try:
        exchange = SftpExchange(
            "127.0.0.1",
            port,
            "someone",
            password="sftp-password",
            host_key=random_host_key_line(),
            timeout=3.0,
        )
        with pytest.raises(SftpConnectionError) as info:
            exchange.connect()
        with pytest.raises(SftpConnectionError) as fetched:
            fetch_host_key("127.0.0.1", port, timeout=3.0)
    finally:
        server.close()

    assert len(info.value.message) < 500
    assert len(fetched.value.message) < 500
    assert "sftp-password" not in info.value.message


# Through the sandbox -------------------------------------------------------


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_bad_order_from_sandbox_fails_alone(order, make_client, version):
    bad = copy.deepcopy(order)
    bad["orderLine"][0]["price"] = "-5.00"
    good = copy.deepcopy(json.loads(SAMPLE.read_text())["order"][1])
    good["addressInfo"][0]["firstName"] = "\u0906\u0936\u093e \U0001f600"

    with Sandbox.demo() as box:
        box.seed("273570", {"order": [bad, good]})
        (page,) = list(make_client(box.url, version=version).iter_order_pages())

    assert [result.order_no for result in page.orders] == [good["orderNo"]]
    assert page.orders[0].delivery_address.name.startswith(
        "\u0906\u0936\u093e \U0001f600"
    )
    (failure,) = page.failures
    assert failure.order_no == bad["orderNo"]
    assert failure.error.field == f"orderLine[{TRANSACTION}].price"


def read_until_closed(sock) -> bytes:
    answer = b""
    while chunk := sock.recv(4096):
        answer += chunk
    return answer


@pytest.mark.parametrize("value", [b"abc", b"-5"])
def test_sandbox_invalid_content_length(value):
    request = (
        b"POST /security/createJWTToken HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Length: " + value + b"\r\n\r\n{}"
    )
    with Sandbox.demo() as box:
        sock = socket.create_connection(("127.0.0.1", box.port), timeout=5)
        with sock:
            sock.sendall(request)
            answer = read_until_closed(sock)

    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"Invalid Content-Length" in answer


@pytest.mark.parametrize("route", ["cancellations", "returns"])
def test_sandbox_from_date_out_of_range(sandbox_api, route):
    response = sandbox_api.call(route, query={"fromDate": "0001-01-01 00:00:00"})

    assert response.status_code == 400
    assert "fromDate" in response.json()["errorMessage"]


def test_feed_record_with_flag_as_id_fails():
    with pytest.raises(DecodingError) as info:
        decode_cancellation({"transactionId": True, "omsStatusCode": "ORDCANCL"})

    assert info.value.field == "cancellation.transactionId"


@pytest.mark.parametrize(
    "options,message",
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": (5.0, -1.0)}, "timeout"),
        ({"timeout": None}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"backoff": -1}, "backoff"),
    ],
)
def test_invalid_client_settings(options, message):
    with pytest.raises(ValueError, match=message):
        Client("http://127.0.0.1:9", **{**CREDENTIALS, **options})
