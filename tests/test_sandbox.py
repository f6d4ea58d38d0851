"""Tests of the sandbox marketplace over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from decimal import Decimal

import pytest
import requests
import xmltodict

from tatacliq.models import COURIERS, FULFILLMENT_TYPES
from tatacliq_sandbox import ApiError, Sandbox, Seller
from tatacliq_sandbox.auth import gstin_check_character
from tatacliq_sandbox.clock import india_time
from tatacliq_sandbox.errors import STATUS_MAPPING_MISSING
from tatacliq_sandbox.generator import STATES

SELLER_ID = "273570"
START = datetime(2026, 12, 1, 10, 0, 0)  # India time
XML_LISTS = ("order", "addressInfo", "paymentInfo", "orderLine", "hsnTax")


def freeze(sandbox: Sandbox) -> None:
    sandbox.clock.set(START, frozen=True)


def other_seller() -> Seller:
    return Seller(
        seller_id="400100",
        seller_code="TCQ400100",
        username="other.slave",
        password="other-password",
        api_key="other-key",
        api_secret="other-secret",
        slave_ids=("400100-WH01",),
    )


def generated_orders(sandbox: Sandbox, count: int, seed=7, **options) -> list[dict]:
    numbers = sandbox.generate(SELLER_ID, count, seed=seed, **options)
    return [
        sandbox.state.render_order(sandbox.order(number), SELLER_ID)
        for number in numbers
    ]


def decode_xml(text: str) -> dict:
    def is_list(path, key, _value):
        # paymentInfo also names a scalar field inside each paymentInfo entry.
        return key in XML_LISTS and not (path and path[-1][0] == key)

    (content,) = xmltodict.parse(text, force_list=is_list).values()
    return content


def without_empty_lists(value):
    # XML has no spelling for an empty list: the element is left out.
    if isinstance(value, dict):
        return {k: without_empty_lists(v) for k, v in value.items() if v != []}
    if isinstance(value, list):
        return [without_empty_lists(item) for item in value]
    return value


# Tokens ------------------------------------------------------------------------


def test_token_issued_for_24_hours(sandbox, sandbox_api):
    freeze(sandbox)
    response = sandbox_api.token_response()
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    payload = response.json()
    assert payload["jwtToken"].count(".") == 2
    assert payload["tokenExpiryDate"] == "2026-12-02 10:00:00"


def test_token_same_within_15_minutes(sandbox, sandbox_api):
    freeze(sandbox)
    first = sandbox_api.token()
    sandbox.clock.advance(minutes=14, seconds=59)
    assert sandbox_api.token() == first
    sandbox.clock.advance(seconds=1)
    second = sandbox_api.token()
    assert second != first
    # The earlier token stays valid for its own 24 hours.
    assert sandbox_api.call("orders_list", token=first).status_code == 200


def test_token_expires_after_24_hours(sandbox, sandbox_api):
    freeze(sandbox)
    token = sandbox_api.token()
    sandbox.clock.advance(hours=23, minutes=59)
    assert sandbox_api.call("orders_list", token=token).status_code == 200
    sandbox.clock.advance(minutes=1)
    response = sandbox_api.call("orders_list", token=token)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "FAILURE"
    assert body["errorCode"] == "TC-401"
    assert body["errorMessage"].startswith("Token expired")


@pytest.mark.parametrize(
    ("overrides", "status", "fragment"),
    [
        ({"auth": ("demo-key", "wrong")}, 401, "Invalid API key or secret"),
        ({"auth": ("wrong", "demo-secret")}, 401, "Invalid API key or secret"),
        ({"auth": None}, 401, "Missing HTTP Basic authentication"),
        ({"password": "wrong"}, 401, "Invalid username or password"),
        ({"username": "someone.else"}, 401, "Invalid username or password"),
        ({"sellerCode": "TCQ999999"}, 401, "Invalid seller code TCQ999999"),
        ({"sellerCode": ""}, 400, "Missing sellerCode"),
    ],
)
def test_token_wrong_credentials(sandbox_api, overrides, status, fragment):
    response = sandbox_api.token_response(**overrides)
    assert response.status_code == status
    assert fragment in response.json()["errorMessage"]


def test_token_missing_or_unknown(sandbox, sandbox_api):
    url = sandbox.route_url("orders_list", SELLER_ID)
    missing = requests.get(url, timeout=5)
    assert missing.status_code == 401
    assert "Missing bearer token" in missing.json()["errorMessage"]
    unknown = sandbox_api.call("orders_list", token="not.a.token")
    assert unknown.status_code == 401
    assert unknown.json()["errorMessage"].startswith("Invalid token")


def test_token_of_other_seller_forbidden(
    sandbox, sandbox_api, make_api, sample_orders_path
):
    other = sandbox.add_seller(other_seller())
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    sandbox.generate(other.seller_id, 2, seed=1)
    demo_token = sandbox_api.token()
    response = sandbox_api.call(
        "orders_list", token=demo_token, seller_id=other.seller_id
    )
    assert response.status_code == 403
    assert "cannot access seller 400100" in response.json()["errorMessage"]

    other_api = make_api(sandbox, other.credentials())
    orders = other_api.call("orders_list").json()["order"]
    assert len(orders) == 2
    assert {line["sellerID"] for o in orders for line in o["orderLine"]} == {"400100"}
    demo_orders = sandbox_api.call("orders_list").json()["order"]
    assert {o["orderNo"] for o in demo_orders} == {
        "7462-3452-969027",
        "6204-2443-4245366",
    }


# Orders --------------------------------------------------------------------------


def test_seed_sample_file_served(sandbox, sandbox_api, sample_orders_path):
    sample = json.loads(sample_orders_path.read_text())
    assert sandbox.seed_file(SELLER_ID, sample_orders_path) == [
        "7462-3452-969027",
        "6204-2443-4245366",
    ]
    payload = sandbox_api.call("orders_list").json()
    assert payload["page"] == 1
    assert payload["totalPages"] == 1
    for served, original in zip(payload["order"], sample["order"], strict=True):
        for line in served["orderLine"]:
            # The feed adds the allocation date; the sample has none.
            assert line.pop("allocationDate") == original["orderDate"]
        assert served == original
    line = sandbox.line("27357000012002703")
    assert line.status == "ORDALLOC"
    assert line.slave_id == "273570-WH01"
    assert line.history[0].status == "ORDALLOC"


def test_order_get_one_and_not_found(sandbox, sandbox_api, sample_orders_path):
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    found = sandbox_api.call("order_get", order_no="6204-2443-4245366")
    assert found.status_code == 200
    assert [o["orderNo"] for o in found.json()["order"]] == ["6204-2443-4245366"]

    missing = sandbox_api.call("order_get", order_no="1111-2222-333333")
    assert missing.status_code == 404
    assert missing.json() == {
        "status": "FAILURE",
        "errorCode": "TC-404",
        "errorMessage": "Order 1111-2222-333333 not found",
        "transactionIds": [],
    }
    missing_v1 = sandbox_api.call(
        "order_get", version="V1", order_no="1111-2222-333333"
    )
    assert missing_v1.status_code == 404
    assert missing_v1.headers["Content-Type"].startswith("application/xml")
    error = xmltodict.parse(missing_v1.text)["error"]
    assert error["errorMessage"] == "Order 1111-2222-333333 not found"
    assert error["errorCode"] == "TC-404"


def test_orders_list_active_only(sandbox, sandbox_api, sample_orders_path):
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    sandbox.transition("27357000012002811", "ORDCANCL")
    numbers = [o["orderNo"] for o in sandbox_api.call("orders_list").json()["order"]]
    assert numbers == ["7462-3452-969027"]
    # A closed order is still fetched by number, with its status.
    closed = sandbox_api.call("order_get", order_no="6204-2443-4245366").json()
    assert closed["order"][0]["orderLine"][0]["omsStatusCode"] == "019"


def test_orders_list_paging(sandbox, sandbox_api):
    numbers = sandbox.generate(SELLER_ID, 12, seed=3)
    seen = []
    for page in (1, 2, 3):
        payload = sandbox_api.call(
            "orders_list", query={"page": page, "pageSize": 5}
        ).json()
        assert payload["page"] == page
        assert payload["totalPages"] == 3
        seen += [order["orderNo"] for order in payload["order"]]
    assert seen == numbers
    beyond = sandbox_api.call("orders_list", query={"page": 4, "pageSize": 5}).json()
    assert beyond["order"] == []


def test_orders_list_default_page_size(sandbox, sandbox_api):
    sandbox.generate(SELLER_ID, 120, seed=4)
    first = sandbox_api.call("orders_list").json()
    assert len(first["order"]) == 100
    assert first["totalPages"] == 2
    largest = sandbox_api.call("orders_list", query={"pageSize": 500}).json()
    assert len(largest["order"]) == 120
    assert largest["totalPages"] == 1


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ({"pageSize": 501}, "Invalid pageSize 501"),
        ({"page": 0}, "Invalid page '0'"),
        ({"page": "x"}, "Invalid page 'x'"),
    ],
)
def test_orders_list_invalid_paging(sandbox_api, query, fragment):
    response = sandbox_api.call("orders_list", query=query)
    assert response.status_code == 400
    assert fragment in response.json()["errorMessage"]


def test_v1_xml_and_v2_json_same_content(sandbox, sandbox_api, sample_orders_path):
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    sandbox.generate(SELLER_ID, 15, seed=5)
    token = sandbox_api.token()
    as_json = sandbox_api.call("orders_list", token=token)
    as_xml = sandbox_api.call("orders_list", version="V1", token=token)
    assert as_xml.status_code == 200
    assert as_xml.headers["Content-Type"].startswith("application/xml")
    assert as_xml.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<orders>')
    xml_payload = decode_xml(as_xml.text)
    json_payload = as_json.json()
    assert xml_payload["page"] == "1"
    assert xml_payload["totalPages"] == "1"
    assert without_empty_lists(json_payload["order"]) == xml_payload["order"]


def test_payload_type_must_match_version(sandbox, sandbox_api):
    path = sandbox.route_table.url_path("orders_list", "V2", seller_id=SELLER_ID)
    url = sandbox.url + path.replace("AV_2.0", "AV_1.0")
    headers = {"Authorization": f"Bearer {sandbox_api.token()}"}
    response = requests.get(url, headers=headers, timeout=5)
    assert response.status_code == 400
    assert "Payload type JSON does not match API version 1.0" in response.text


def test_unknown_path_and_method(sandbox, sandbox_api):
    response = requests.get(sandbox.url + "/PartnerConnect/nowhere", timeout=5)
    assert response.status_code == 404
    assert response.json()["errorMessage"] == "No route for GET /PartnerConnect/nowhere"
    xml = requests.get(sandbox.url + "/PartnerConnect/AP_X/AV_1.0/OG_1", timeout=5)
    assert xml.status_code == 404
    assert xmltodict.parse(xml.text)["error"]["errorCode"] == "TC-404"
    wrong_method = requests.post(sandbox.route_url("orders_list", SELLER_ID), timeout=5)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["Allow"] == "GET"


def test_route_overrides_move_paths(demo_credentials, make_api):
    overrides = {"orders_list": {"path": "/v9/PC_{seller_id}/orders/AV_{version}/"}}
    with Sandbox.demo(route_overrides=overrides) as box:
        box.generate(SELLER_ID, 1)
        api = make_api(box, demo_credentials)
        response = api.call("orders_list")
        assert response.status_code == 200
        assert response.url.startswith(box.url + "/v9/PC_273570/orders/AV_2.0")
        assert len(response.json()["order"]) == 1


def test_sandbox_binds_loopback_only():
    with pytest.raises(ValueError, match="not a loopback address"):
        Sandbox(host="0.0.0.0")


# Generator ---------------------------------------------------------------------


def paid_lines(order):
    return [line for line in order["orderLine"] if line["isAFreebie"] == "N"]


def test_generator_taxes_add_up_to_the_paisa(sandbox):
    orders = generated_orders(sandbox, 200)
    seller = sandbox.seller(SELLER_ID)
    for order in orders:
        total = Decimal(0)
        for line in order["orderLine"]:
            gst = line["gst"]
            tax_value = Decimal(line["taxValue"])
            taxes = gst["hsnTax"]
            assert sum((Decimal(t["taxValue"]) for t in taxes), Decimal(0)) == tax_value
            price = Decimal(line["apportionedPrice"])
            if taxes:
                rate = sum(Decimal(t["taxRate"]) for t in taxes)
                expected = (price * rate / (100 + rate)).quantize(Decimal("0.01"))
                assert abs(tax_value - expected) <= Decimal("0.01")
            origin = seller.slave_state(line["p1SlaveId"])
            assert gst["slavegstin"][:2] == origin
            types = sorted(t["taxType"] for t in taxes)
            if taxes and origin == gst["destinationStateCode"]:
                assert types == ["CGST", "SGST"]
                assert taxes[0]["taxRate"] == taxes[1]["taxRate"]
            elif taxes:
                assert types == ["IGST"]
            total += price + Decimal(line["apportionedCODPrice"])
            total += Decimal(line["apportionedShippingCharge"])
        assert Decimal(order["paymentInfo"][0]["paymentCost"]) == total


def test_generator_freebies_point_at_paid_lines(sandbox):
    orders = generated_orders(sandbox, 200)
    freebies = 0
    for order in orders:
        paid = {line["transactionId"] for line in paid_lines(order)}
        assert paid
        for line in order["orderLine"]:
            if line["isAFreebie"] == "Y":
                freebies += 1
                assert line["parentTransactionID"] in paid
                assert line["apportionedPrice"] == "0.00"
                assert line["gst"]["hsnTax"] == []
            else:
                assert line["parentTransactionID"] == "null"
        assert 1 <= len(order["orderLine"]) <= 3
    assert freebies > 10


def test_generator_addresses_and_gstins_valid(sandbox):
    orders = generated_orders(sandbox, 200)
    for order in orders:
        for address in order["addressInfo"]:
            state_name, cities = STATES[address["state"]]
            city = next(c for c in cities if c.name == address["city"])
            assert address["pincode"] in city.pincodes
            assert re.fullmatch(r"[6-9]\d{9}", address["phone"])
            assert address["country"] == "IN"
        delivery = order["addressInfo"][0]
        assert delivery["addressType"] == "DA"
        for line in order["orderLine"]:
            gstin = line["gst"]["slavegstin"]
            assert re.fullmatch(r"\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]", gstin)
            assert gstin_check_character(gstin[:14]) == gstin[14]
            assert line["gst"]["destinationStateCode"] == delivery["state"]


def test_gstin_check_character_known_value():
    # The check character of a known valid GSTIN.
    assert gstin_check_character("27AAPFU0939F1Z") == "V"


def test_generator_covers_marketplace_variety(sandbox):
    orders = generated_orders(sandbox, 300)
    lines = [line for order in orders for line in order["orderLine"]]
    seller = sandbox.seller(SELLER_ID)
    assert {line["fulfillmentType"] for line in lines} == set(FULFILLMENT_TYPES)

    modes = Counter(order["paymentInfo"][0]["paymentMode"] for order in orders)
    assert modes["COD"] > 30
    assert sum(modes.values()) - modes["COD"] > 100
    assert any(
        line["isaGift"] == "Y" and line["giftMessage"] != "null" for line in lines
    )
    assert any(Decimal(line["apportionedShippingCharge"]) > 0 for line in lines)
    assert any(Decimal(line["apportionedCODPrice"]) > 0 for line in lines)
    assert {line["p1SlaveId"] for line in lines} == set(seller.slave_ids)
    assert any(line["deliveryMode"] == "CNC" for line in lines)

    for line in lines:
        assert re.fullmatch(r"273570\d{11}", line["transactionId"])
        assert line["p1LogisticsID"] in set(COURIERS) | {"NA"}
        if line["fulfillmentType"] == "OMNI":
            assert line["p1SlaveId"] in seller.stores
        else:
            assert line["p1SlaveId"] == "273570-WH01"
        if line["fulfillmentType"] == "SSHIP":
            assert line["p1LogisticsID"] == "NA"
        assert line["isCOD"] in ("Y", "N")

    for order in orders:
        assert re.fullmatch(r"\d{4}-\d{4}-\d{6}", order["orderNo"])
        assert len({line["fulfillmentType"] for line in order["orderLine"]}) == 1

    addresses = [a for order in orders for a in order["addressInfo"]]
    assert any("name" in a for a in addresses)
    assert any("firstName" in a for a in addresses)
    assert any(a["email"] == "NA" for a in addresses)
    assert any(a["landmark"] == "null" for a in addresses)
    assert len({o["orderNo"] for o in orders}) == len(orders)
    assert len({line["transactionId"] for line in lines}) == len(lines)
    intrastate = [
        line
        for line in lines
        if line["gst"]["hsnTax"] and line["gst"]["hsnTax"][0]["taxType"] == "CGST"
    ]
    assert intrastate


def test_generator_deterministic_for_seed():
    def run(seed):
        with Sandbox.demo() as box:
            freeze(box)
            return generated_orders(box, 20, seed=seed)

    assert run(11) == run(11)
    assert run(11) != run(12)


def test_generator_repeated_seed_stays_unique(sandbox):
    first = sandbox.generate(SELLER_ID, 10, seed=1)
    second = sandbox.generate(SELLER_ID, 10, seed=1)
    assert not set(first) & set(second)
    assert len(sandbox.state.lines) == sum(
        len(sandbox.order(n).transaction_ids) for n in first + second
    )


def test_generator_options_limit_choices(sandbox):
    orders = generated_orders(
        sandbox,
        40,
        skus=["SKU-A", "SKU-B"],
        fulfillment_types=["TSHIP"],
        slave_ids=["273570-WH01"],
    )
    lines = [line for order in orders for line in order["orderLine"]]
    assert {line["articleNumber"] for line in lines} <= {"SKU-A", "SKU-B"}
    assert {line["fulfillmentType"] for line in lines} == {"TSHIP"}
    assert {line["p1SlaveId"] for line in lines} == {"273570-WH01"}
    with pytest.raises(ValueError, match="Unknown fulfilment type"):
        sandbox.generate(SELLER_ID, 1, fulfillment_types=["DROPSHIP"])


def test_generator_dates_follow_clock(sandbox):
    freeze(sandbox)
    orders = generated_orders(sandbox, 30)
    now = india_time(sandbox.clock.now())
    for order in orders:
        for line in order["orderLine"]:
            assert order["orderDate"] <= line["allocationDate"] <= now
            assert line["shipByDate"] > line["allocationDate"]


# Faults --------------------------------------------------------------------------


def test_fault_5xx_then_recovers(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "5xx", times=2, status=502)
    statuses = [
        sandbox_api.call("orders_list", token=token).status_code for _ in range(3)
    ]
    assert statuses == [502, 502, 200]
    assert [call.fault for call in sandbox.calls.for_route("orders_list")] == [
        "5xx",
        "5xx",
        None,
    ]


def test_fault_5xx_body_follows_version(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "5xx")
    response = sandbox_api.call("orders_list", version="V1", token=token)
    assert response.status_code == 503
    assert xmltodict.parse(response.text)["error"]["errorCode"] == "TC-503"


def test_fault_429_sends_retry_after(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "429", retry_after=7)
    response = sandbox_api.call("orders_list", token=token)
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["errorCode"] == "TC-429"


def test_fault_slow_delays_answer(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "slow", delay=0.6)
    started = time.monotonic()
    response = sandbox_api.call("orders_list", token=token)
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.6


def test_fault_slow_times_out_client(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "slow", delay=2)
    sandbox_api.timeout = 0.3
    with pytest.raises(requests.Timeout):
        sandbox_api.call("orders_list", token=token)


def test_fault_truncate_cuts_body(sandbox, sandbox_api, sample_orders_path):
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    token = sandbox_api.token()
    full = sandbox_api.call("orders_list", token=token).content
    sandbox.faults.inject("orders_list", "truncate", keep=100)
    response = sandbox_api.call("orders_list", token=token)
    assert response.status_code == 200
    assert response.content == full[:100]
    assert response.headers["Content-Length"] == "100"
    with pytest.raises(ValueError):
        response.json()


def test_fault_malformed_body(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "malformed")
    response = sandbox_api.call("orders_list", token=token)
    assert response.status_code == 200
    assert response.content.startswith(b"<html>")
    sandbox.faults.inject("orders_list", "malformed", body="{not json")
    assert sandbox_api.call("orders_list", token=token).text == "{not json"


def test_fault_expire_token(sandbox, sandbox_api):
    freeze(sandbox)
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "expire_token")
    response = sandbox_api.call("orders_list", token=token)
    assert response.status_code == 401
    assert response.json()["errorMessage"].startswith("Token expired")
    # The revoked token stays dead; the same login now gets a new token at once.
    assert sandbox_api.call("orders_list", token=token).status_code == 401
    fresh = sandbox_api.token()
    assert fresh != token
    assert sandbox_api.call("orders_list", token=fresh).status_code == 200


def test_fault_disconnect(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "disconnect")
    with pytest.raises(requests.ConnectionError):
        sandbox_api.call("orders_list", token=token)
    assert sandbox.calls.for_route("orders_list")[-1].status is None
    assert sandbox_api.call("orders_list", token=token).status_code == 200


def test_fault_after_handling_runs_handler(sandbox, sandbox_api):
    freeze(sandbox)
    sandbox.faults.inject("token", "disconnect", after_handling=True)
    with pytest.raises(requests.ConnectionError):
        sandbox_api.token_response()
    # The dropped call issued a token: the next login gets the same one.
    issued = sandbox_api.token()
    sandbox.faults.inject("token", "5xx", after_handling=True)
    assert sandbox_api.token_response().status_code == 503
    assert sandbox_api.token() == issued
    assert [c.status for c in sandbox.calls.for_route("token")] == [None, 200, 503, 200]


def test_fault_persistent_until_cleared(sandbox, sandbox_api):
    token = sandbox_api.token()
    sandbox.faults.inject("orders_list", "5xx", times=None)
    for _ in range(4):
        assert sandbox_api.call("orders_list", token=token).status_code == 503
    sandbox.faults.clear("orders_list")
    assert sandbox_api.call("orders_list", token=token).status_code == 200


@pytest.mark.parametrize(
    ("args", "options", "fragment"),
    [
        (("nowhere", "5xx"), {}, "Unknown route 'nowhere'"),
        (("orders_list", "flaky"), {}, "Unknown fault kind 'flaky'"),
        (("orders_list", "slow"), {"status": 500}, "Unknown option(s) status"),
        (("orders_list", "5xx"), {"status": 404}, "Invalid status 404"),
        (("token", "expire_token"), {}, "not to the token route"),
    ],
)
def test_fault_invalid_arguments(sandbox, args, options, fragment):
    with pytest.raises(ValueError) as caught:
        sandbox.faults.inject(*args, **options)
    assert fragment in str(caught.value)


# Status rules ------------------------------------------------------------------


@pytest.fixture
def seeded(sandbox, sample_orders_path):
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    return sandbox


PAID_LINE = "27357000012002701"
COD_LINE = "27357000012002811"


def test_status_pack_needs_pick_confirm(seeded):
    state = seeded.state
    with pytest.raises(ApiError) as caught:
        state.transition(PAID_LINE, "SCANNED")
    assert caught.value.message == "Order Not in PICKCONG status"
    assert caught.value.transaction_ids == [PAID_LINE]
    assert caught.value.status == 400
    state.transition(PAID_LINE, "PICKCONF", note="picked")
    state.transition(PAID_LINE, "SCANNED")
    state.transition(PAID_LINE, "HOTCOURI")
    with pytest.raises(ApiError, match="Shipment Already in HOTC"):
        state.transition(PAID_LINE, "HOTCOURI")
    line = seeded.line(PAID_LINE)
    assert [entry.status for entry in line.history] == [
        "ORDALLOC",
        "PICKCONF",
        "SCANNED",
        "HOTCOURI",
    ]
    assert line.history[1].note == "picked"
    assert {entry.slave_id for entry in line.history} == {"273570-WH01"}


@pytest.mark.parametrize(
    ("path", "target", "message"),
    [
        ([], "ORDREJEC", "Order Not in ORDACCEP status"),
        (["ORDACCEP"], "ORDREJEC", None),
        (["PICKCONF"], "ORDREJEC", None),
        (["PILIGENE"], "PICKCONF", None),
        ([], "HOTCOURI", "Order Not in SCANNED status"),
        (["PICKCONF", "SCANNED", "HOTCOURI"], "ORDCANCL", "cannot be cancelled"),
        (["PICKCONF", "SCANNED", "HOTCOURI", "DELIVERD"], "RETUINIT", None),
        (["ORDCANCL"], "ORDACCEP", "Order Not in ORDALLOC status"),
        ([], "NOSUCH", "Unknown status 'NOSUCH'"),
    ],
)
def test_status_transition_rules(seeded, path, target, message):
    for status in path:
        seeded.state.transition(PAID_LINE, status)
    if message is None:
        seeded.state.transition(PAID_LINE, target)
        assert seeded.line(PAID_LINE).status == target
    else:
        with pytest.raises(ApiError) as caught:
            seeded.state.transition(PAID_LINE, target)
        assert message in caught.value.message


def test_status_numeric_code_accepted(seeded):
    seeded.state.transition(PAID_LINE, "006")
    assert seeded.line(PAID_LINE).status == "PICKCONF"


def test_status_click_and_collect_handover(seeded):
    seeded.line(COD_LINE).data["deliveryMode"] = "CNC"
    seeded.state.transition(COD_LINE, "PICKCONF")
    seeded.state.transition(COD_LINE, "HOTCOURI")
    assert seeded.line(COD_LINE).status == "HOTCOURI"


def test_status_mappings_missing(seeded):
    seeded.seller(SELLER_ID).status_mappings = False
    with pytest.raises(ApiError) as caught:
        seeded.state.transition(PAID_LINE, "PICKCONF")
    assert caught.value.message == STATUS_MAPPING_MISSING
    # The marketplace itself still moves the line.
    seeded.transition(PAID_LINE, "ORDCANCL")
    assert seeded.line(PAID_LINE).status == "ORDCANCL"


def test_status_force_skips_rules(seeded):
    seeded.transition(PAID_LINE, "HOTCOURI", force=True, note="handed over outside")
    assert seeded.line(PAID_LINE).status == "HOTCOURI"
    with pytest.raises(ApiError, match="Order Not in PICKCONG status"):
        seeded.state.transition(PAID_LINE, "SCANNED")


def test_status_shown_in_feed(seeded, sandbox_api):
    seeded.state.transition(PAID_LINE, "PICKCONF")
    order = sandbox_api.call("order_get", order_no="7462-3452-969027").json()
    codes = {
        line["transactionId"]: line["omsStatusCode"]
        for line in order["order"][0]["orderLine"]
    }
    assert codes[PAID_LINE] == "006"
    assert codes["27357000012002702"] == "001"


def test_hop_keeps_record_for_previous_store(sandbox, sandbox_api, make_api):
    other = sandbox.add_seller(other_seller())
    number = sandbox.generate(SELLER_ID, 1, fulfillment_types=["OMNI"])[0]
    txn = sandbox.order(number).transaction_ids[0]
    line = sandbox.line(txn)
    first_store = line.slave_id
    sandbox.state.allocate(line, other.seller_id, "400100-WH01")

    assert line.status == "ORDALLOC"
    assert line.slave_id == "400100-WH01"
    assert line.past_holders[0].slave_id == first_store
    demo_view = sandbox_api.call("order_get", order_no=number).json()["order"][0]
    record = next(r for r in demo_view["orderLine"] if r["transactionId"] == txn)
    assert record["omsStatusCode"] == "ODREALOC"
    assert record["p1SlaveId"] == first_store

    other_api = make_api(sandbox, other.credentials())
    other_view = other_api.call("orders_list").json()["order"]
    assert [r["transactionId"] for r in other_view[0]["orderLine"]] == [txn]
    assert other_view[0]["orderLine"][0]["p1SlaveId"] == "400100-WH01"


def test_seed_rejects_invalid_payloads(sandbox, sample_orders_path):
    with pytest.raises(ValueError, match="has no orders"):
        sandbox.seed(SELLER_ID, {"order": []})
    with pytest.raises(ValueError, match="unknown omsStatusCode 'XYZ'"):
        sandbox.seed(
            SELLER_ID,
            {
                "order": [
                    {
                        "orderNo": "1",
                        "orderLine": [{"transactionId": "9", "omsStatusCode": "XYZ"}],
                    }
                ]
            },
        )
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    clash = {"orderNo": "5555-5555-555555", "orderLine": [{"transactionId": PAID_LINE}]}
    with pytest.raises(ValueError, match="already used"):
        sandbox.seed(SELLER_ID, {"order": [clash]})
    with pytest.raises(KeyError, match="Unknown seller '999'"):
        sandbox.seed("999", {"order": [clash]})


# Admin routes and call log -------------------------------------------------------


def admin(sandbox, method, path, **kwargs):
    return requests.request(
        method, f"{sandbox.url}/_sandbox/{path}", timeout=5, **kwargs
    )


def test_admin_seed_generate_and_state(sandbox, sample_orders_path):
    sample = json.loads(sample_orders_path.read_text())
    seeded = admin(sandbox, "POST", "seed", json=sample)
    assert seeded.status_code == 200
    assert seeded.json()["orderNos"] == ["7462-3452-969027", "6204-2443-4245366"]
    generated = admin(
        sandbox, "POST", "generate", json={"count": 3, "seed": 2, "skus": ["SKU-A"]}
    )
    assert len(generated.json()["orderNos"]) == 3
    state = admin(sandbox, "GET", "state").json()
    assert len(state["orders"]) == 5
    assert state["sellers"][0]["sellerId"] == SELLER_ID
    assert "password" not in state["sellers"][0]
    assert "apiSecret" not in json.dumps(state)


def test_admin_faults_route(sandbox, sandbox_api):
    token = sandbox_api.token()
    added = admin(
        sandbox,
        "POST",
        "faults",
        json={"route": "orders_list", "kind": "429", "times": 2},
    )
    assert added.json()["fault"]["times"] == 2
    assert admin(sandbox, "GET", "faults").json()["faults"][0]["kind"] == "429"
    assert sandbox_api.call("orders_list", token=token).status_code == 429
    admin(sandbox, "DELETE", "faults")
    assert sandbox_api.call("orders_list", token=token).status_code == 200
    invalid = admin(sandbox, "POST", "faults", json={"route": "x", "kind": "5xx"})
    assert invalid.status_code == 400
    assert "Unknown route 'x'" in invalid.json()["errorMessage"]


def test_admin_line_status_and_clock(sandbox, sample_orders_path):
    sandbox.seed_file(SELLER_ID, sample_orders_path)
    moved = admin(
        sandbox, "POST", f"lines/{PAID_LINE}/status", json={"status": "ORDCANCL"}
    )
    assert moved.status_code == 200
    assert moved.json()["status"] == "ORDCANCL"
    refused = admin(
        sandbox, "POST", f"lines/{PAID_LINE}/status", json={"status": "SCANNED"}
    )
    assert refused.status_code == 400
    assert refused.json()["errorMessage"] == "Order Not in PICKCONG status"
    assert admin(sandbox, "GET", "lines/1").status_code == 404

    clock = admin(
        sandbox, "POST", "clock", json={"set": "2026-12-01 10:00:00", "frozen": True}
    )
    assert clock.json()["india"] == "2026-12-01 10:00:00"
    later = admin(sandbox, "POST", "clock", json={"advance_seconds": 3600})
    assert later.json()["india"] == "2026-12-01 11:00:00"


def test_admin_add_seller_and_reset(sandbox):
    body = other_seller().credentials() | {"slave_ids": ["400100-WH01"]}
    added = admin(sandbox, "POST", "sellers", json=body)
    assert added.status_code == 200
    assert sandbox.seller("400100").slave_ids == ("400100-WH01",)
    unknown = admin(sandbox, "POST", "sellers", json={"colour": "red"})
    assert "Unknown seller field(s) colour" in unknown.json()["errorMessage"]
    sandbox.generate("400100", 2)
    assert admin(sandbox, "POST", "reset").status_code == 200
    assert sandbox.state.orders == {}
    assert "400100" in sandbox.state.sellers
    assert admin(sandbox, "GET", "nothing").status_code == 404


def test_calls_log_redacts_password(sandbox, sandbox_api):
    sandbox_api.call("orders_list")
    token_call, list_call = sandbox.calls
    assert token_call.route == "token"
    assert token_call.body["password"] == "***"
    assert token_call.seller_id == SELLER_ID
    assert (list_call.route, list_call.method, list_call.status) == (
        "orders_list",
        "GET",
        200,
    )
    calls = admin(sandbox, "GET", "calls").json()["calls"]
    assert [c["route"] for c in calls] == ["token", "orders_list"]


def test_cli_serves_demo_seller(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "tatacliq_sandbox", "--port", "0", "--generate", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = None
        lines = []
        for line in process.stdout:
            lines.append(line)
            found = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
            if line.startswith("Press Ctrl-C"):
                break
        assert url, "".join(lines)
        output = "".join(lines)
        assert "demo.slave / demo-password" in output
        assert "demo-key / demo-secret" in output
        state = requests.get(url + "/_sandbox/state", timeout=5).json()
        assert len(state["orders"]) == 3
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=10)
    assert process.returncode == 0


def test_cli_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "tatacliq_sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    for line in process.stdout:
        if line.startswith("Press Ctrl-C"):
            break
    process.terminate()
    assert process.wait(timeout=10) == 0
    assert "Stopping." in process.stdout.read()
