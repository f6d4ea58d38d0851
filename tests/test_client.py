"""Client tests against the sandbox marketplace over HTTP on 127.0.0.1."""

import copy
import json
import logging
import threading
import time
from pathlib import Path

import pytest
from sandbox_orders import DEMO_CREDENTIALS

import tatacliq_sandbox
from tatacliq import Client, clear_token_cache
from tatacliq.errors import (
    AuthenticationError,
    MalformedResponseError,
    MarketplaceError,
    StatusMappingMissingError,
    TransientError,
)
from tatacliq_sandbox import Sandbox, Seller

SAMPLE = Path(tatacliq_sandbox.__file__).parent / "samples" / "orders-v2.json"
SELLER_ID = "273570"
SECRETS = ("demo-password", "demo-secret", "demo-key")


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox.demo(port=0) as box:
        yield box


@pytest.fixture(autouse=True)
def fresh_state(sandbox):
    sandbox.reset()
    sandbox.clock.reset()
    clear_token_cache()
    yield
    sandbox.faults.clear()
    sandbox.clock.reset()


@pytest.fixture
def sample_orders(sandbox):
    return sandbox.seed(SELLER_ID, json.loads(SAMPLE.read_text()))


def seed_copies(sandbox, count):
    """Seed ``count`` copies of the sample orders with new order and line ids."""
    templates = json.loads(SAMPLE.read_text())["order"]
    orders = []
    for number in range(count):
        order = copy.deepcopy(templates[number % len(templates)])
        order["orderNo"] = f"9000-{number:04d}-{number:06d}"
        new_ids = {}
        for position, line in enumerate(order["orderLine"]):
            new_id = f"9{number:08d}{position:08d}"
            new_ids[line["transactionId"]] = new_id
            line["transactionId"] = new_id
        for line in order["orderLine"]:
            parent = line["parentTransactionID"]
            line["parentTransactionID"] = new_ids.get(parent, parent)
        orders.append(order)
    return sandbox.seed(SELLER_ID, {"order": orders})


def route_calls(sandbox, route_name):
    return sandbox.calls.for_route(route_name)


def all_orders(client, page_size=100):
    return [
        order for page in client.iter_order_pages(page_size) for order in page.orders
    ]


# Token ---------------------------------------------------------------------


def test_token_cached_across_calls(sandbox, make_client, sample_orders):
    client = make_client()
    other_client = make_client(version="V1")

    client.get_order(sample_orders[0])
    client.get_order(sample_orders[1])
    all_orders(client)
    other_client.get_order(sample_orders[0])

    assert len(route_calls(sandbox, "token")) == 1
    assert len(route_calls(sandbox, "order_get")) == 3


def test_token_fetched_once_by_threads(sandbox, make_client):
    clients = [make_client() for _ in range(6)]
    tokens = []
    threads = [
        threading.Thread(target=lambda c=c: tokens.append(c.get_token()))
        for c in clients
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(tokens)) == 1
    assert len(route_calls(sandbox, "token")) == 1


def test_token_refreshed_before_expiry(sandbox, make_client, sample_orders):
    client = make_client()
    client.clock = sandbox.clock.now
    first_token = client.get_token()

    # 11 minutes before expiry: outside the refresh margin.
    sandbox.clock.advance(hours=23, minutes=49)
    client.get_order(sample_orders[0])
    assert client.get_token() == first_token
    assert len(route_calls(sandbox, "token")) == 1

    # 9 minutes before expiry: refreshed before the call, so no 401 is seen.
    sandbox.clock.advance(minutes=2)
    client.get_order(sample_orders[0])

    assert client.get_token() != first_token
    assert len(route_calls(sandbox, "token")) == 2
    assert [call.status for call in route_calls(sandbox, "order_get")] == [200, 200]


def test_token_refreshed_once_on_401(sandbox, make_client, sample_orders, records):
    client = make_client()
    first_token = client.get_token()
    sandbox.faults.inject("order_get", "expire_token")

    page = client.get_order(sample_orders[0])

    assert page.orders[0].order_no == sample_orders[0]
    assert client.get_token() != first_token
    assert len(route_calls(sandbox, "token")) == 2
    assert [call.status for call in route_calls(sandbox, "order_get")] == [401, 200]
    statuses = [(record.route, record.status) for record in records]
    assert statuses == [
        ("token", 200),
        ("order_get", 401),
        ("token", 200),
        ("order_get", 200),
    ]
    assert "new token" in records[1].error


def test_repeated_401_raises_auth_error(sandbox, make_client, sample_orders):
    client = make_client()
    sandbox.faults.inject("order_get", "expire_token", times=None)

    with pytest.raises(AuthenticationError) as info:
        client.get_order(sample_orders[0])

    assert info.value.status == 401
    assert "Token expired" in info.value.message
    assert len(route_calls(sandbox, "token")) == 2
    assert len(route_calls(sandbox, "order_get")) == 2


def test_wrong_password_raises_auth_error(sandbox, make_client):
    client = make_client(password="wrong-password")

    with pytest.raises(AuthenticationError) as info:
        client.get_token()

    assert info.value.status == 401
    assert "Invalid username or password" in info.value.message
    assert "wrong-password" not in info.value.message
    assert info.value.next_step
    assert len(route_calls(sandbox, "token")) == 1


def test_wrong_secret_raises_auth_error(make_client):
    with pytest.raises(AuthenticationError, match="API key or secret"):
        make_client(api_secret="wrong-secret").get_order("1-1-1")


def test_cached_token_not_shared_with_wrong_password(sandbox, make_client):
    make_client().get_token()

    with pytest.raises(AuthenticationError):
        make_client(password="wrong-password").get_token()

    assert len(route_calls(sandbox, "token")) == 2


def test_other_seller_path_is_forbidden(sandbox, make_client):
    client = make_client(seller_id="999999")

    with pytest.raises(AuthenticationError) as info:
        all_orders(client)

    assert info.value.status == 403
    assert len(route_calls(sandbox, "token")) == 2
    assert len(route_calls(sandbox, "orders_list")) == 2


# Faults --------------------------------------------------------------------


def test_5xx_retried_then_succeeds(sandbox, make_client, sample_orders, records):
    client = make_client(max_retries=3)
    sandbox.faults.inject("order_get", "5xx", times=2, status=502)

    page = client.get_order(sample_orders[0])

    assert page.orders[0].order_no == sample_orders[0]
    statuses = [call.status for call in route_calls(sandbox, "order_get")]
    assert statuses == [502, 502, 200]
    order_records = [record for record in records if record.route == "order_get"]
    assert [record.attempt for record in order_records] == [1, 2, 3]
    assert "HTTP 502" in order_records[0].error
    assert order_records[2].error is None


@pytest.mark.parametrize("max_retries", [0, 2])
def test_retries_bounded(sandbox, make_client, sample_orders, max_retries):
    client = make_client(max_retries=max_retries)
    sandbox.faults.inject("order_get", "5xx", times=None)

    with pytest.raises(TransientError) as info:
        client.get_order(sample_orders[0])

    assert info.value.status == 503
    assert "service unavailable" in info.value.message
    assert len(route_calls(sandbox, "order_get")) == max_retries + 1


def test_429_honours_retry_after(sandbox, make_client, sample_orders):
    client = make_client()
    sandbox.faults.inject("order_get", "429", retry_after=0.4)

    started = time.monotonic()
    client.get_order(sample_orders[0])
    elapsed = time.monotonic() - started

    assert elapsed >= 0.4
    assert [call.status for call in route_calls(sandbox, "order_get")] == [429, 200]


def test_429_retry_after_capped(sandbox, make_client, sample_orders):
    client = make_client()
    client.max_retry_after = 0.05
    sandbox.faults.inject("order_get", "429", retry_after=120)

    started = time.monotonic()
    client.get_order(sample_orders[0])

    assert time.monotonic() - started < 5
    assert len(route_calls(sandbox, "order_get")) == 2


def test_429_exhausted_raises_transient(sandbox, make_client, sample_orders):
    client = make_client(max_retries=1)
    client.max_retry_after = 0.01
    sandbox.faults.inject("order_get", "429", times=None, retry_after=1)

    with pytest.raises(TransientError) as info:
        client.get_order(sample_orders[0])

    assert info.value.status == 429
    assert info.value.retry_after == 1.0


def test_slow_response_times_out(sandbox, make_client, sample_orders, records):
    client = make_client(timeout=(2.0, 0.2), max_retries=1)
    sandbox.faults.inject("order_get", "slow", delay=0.6)

    page = client.get_order(sample_orders[0])

    assert page.orders
    order_records = [record for record in records if record.route == "order_get"]
    assert order_records[0].status is None
    assert "timed out" in order_records[0].error
    assert order_records[1].status == 200


def test_slow_responses_exhaust_retries(sandbox, make_client, sample_orders):
    client = make_client(timeout=(2.0, 0.2), max_retries=1)
    sandbox.faults.inject("order_get", "slow", times=2, delay=0.6)

    with pytest.raises(TransientError, match="timed out"):
        client.get_order(sample_orders[0])


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_truncated_body_is_malformed(sandbox, make_client, sample_orders, version):
    client = make_client(version=version)
    sandbox.faults.inject("order_get", "truncate")

    with pytest.raises(MalformedResponseError) as info:
        client.get_order(sample_orders[0])

    assert info.value.status == 200
    assert len(info.value.snippet) <= 200
    assert len(route_calls(sandbox, "order_get")) == 1


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_gateway_page_is_malformed(sandbox, make_client, sample_orders, version):
    client = make_client(version=version)
    sandbox.faults.inject("orders_list", "malformed")

    with pytest.raises(MalformedResponseError) as info:
        all_orders(client)

    assert "502 Bad Gateway" in info.value.snippet
    assert len(route_calls(sandbox, "orders_list")) == 1


def test_malformed_body_redacted(sandbox, make_client, sample_orders):
    client = make_client()
    body = '{"jwtToken": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", "password": '
    sandbox.faults.inject("order_get", "malformed", body=body + '"demo-password"')

    with pytest.raises(MalformedResponseError) as info:
        client.get_order(sample_orders[0])

    assert "demo-password" not in info.value.message
    assert "eyJhbGciOiJIUzI1NiJ9" not in info.value.message
    assert "demo-password" not in info.value.snippet


def test_disconnect_retried(sandbox, make_client, sample_orders, records):
    client = make_client()
    sandbox.faults.inject("order_get", "disconnect")

    page = client.get_order(sample_orders[0])

    assert page.orders
    order_records = [record for record in records if record.route == "order_get"]
    assert [record.status for record in order_records] == [None, 200]
    assert "connection" in order_records[0].error


def test_disconnect_exhausts_retries(sandbox, make_client, sample_orders):
    client = make_client(max_retries=2)
    sandbox.faults.inject("order_get", "disconnect", times=None)

    with pytest.raises(TransientError, match="connection"):
        client.get_order(sample_orders[0])

    assert len(route_calls(sandbox, "order_get")) == 3


def test_token_route_retried_on_5xx(sandbox, make_client):
    client = make_client()
    sandbox.faults.inject("token", "5xx")

    assert client.get_token()
    assert [call.status for call in route_calls(sandbox, "token")] == [503, 200]


# Business errors -----------------------------------------------------------


def test_business_error_not_retried(sandbox, make_client):
    client = make_client(max_retries=3)

    with pytest.raises(MarketplaceError) as info:
        client.call("orders_list", query={"pageSize": 0})

    assert type(info.value) is MarketplaceError
    assert info.value.status == 400
    assert info.value.error_code == "TC-400"
    assert "Invalid pageSize" in info.value.message
    assert len(route_calls(sandbox, "orders_list")) == 1


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_get_order_not_found(sandbox, make_client, version):
    client = make_client(version=version)

    with pytest.raises(MarketplaceError) as info:
        client.get_order("0000-0000-000000")

    assert info.value.status == 404
    assert info.value.error_code == "TC-404"
    assert "Order 0000-0000-000000 not found" in info.value.message
    assert len(route_calls(sandbox, "order_get")) == 1


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_known_message_classified(sandbox, make_client, version):
    sandbox.add_seller(
        Seller(
            seller_id="555001",
            seller_code="TCQ555001",
            username="new.slave",
            password="new-password",
            api_key="new-key",
            api_secret="new-secret",
            slave_ids=("555001-WH01",),
            status_mappings=False,
        )
    )
    client = make_client(
        version=version,
        seller_id="555001",
        seller_code="TCQ555001",
        username="new.slave",
        password="new-password",
        api_key="new-key",
        api_secret="new-secret",
    )
    body = {"item": [{"transactionId": "55500100000000001"}]}

    with pytest.raises(StatusMappingMissingError) as info:
        client.call("line_accept", body=body, root="acceptRequest")

    assert "Kindly Connect to Seller Portal team" in info.value.message
    assert "status mappings" in info.value.next_step
    assert len(route_calls(sandbox, "line_accept")) == 1


# Orders --------------------------------------------------------------------


def test_paging_walks_all_pages(sandbox, make_client):
    generated = seed_copies(sandbox, 7)
    client = make_client()

    pages = list(client.iter_order_pages(page_size=3))

    assert [page.page for page in pages] == [1, 2, 3]
    assert {page.total_pages for page in pages} == {3}
    assert [len(page.orders) for page in pages] == [3, 3, 1]
    order_numbers = [order.order_no for page in pages for order in page.orders]
    assert sorted(order_numbers) == sorted(generated)
    queries = [call.query for call in route_calls(sandbox, "orders_list")]
    assert queries == [
        {"page": "1", "pageSize": "3"},
        {"page": "2", "pageSize": "3"},
        {"page": "3", "pageSize": "3"},
    ]


def test_paging_empty_feed(make_client):
    pages = list(make_client().iter_order_pages())

    assert len(pages) == 1
    assert pages[0].orders == []
    assert pages[0].failures == []


def test_invalid_page_size(make_client):
    with pytest.raises(ValueError, match="page size"):
        next(make_client().iter_order_pages(page_size=501))


def test_v1_and_v2_orders_equal(sandbox, make_client, sample_orders):
    seed_copies(sandbox, 5)
    # Generated orders add OMNI, LUXURY, COD and gift lines to the sample's.
    sandbox.generate(SELLER_ID, 20, seed=11)

    xml_pages = list(make_client(version="V1").iter_order_pages(page_size=4))
    json_pages = list(make_client(version="V2").iter_order_pages(page_size=4))

    xml_orders = [order for page in xml_pages for order in page.orders]
    json_orders = [order for page in json_pages for order in page.orders]
    assert len(json_orders) == 27
    assert xml_orders == json_orders
    assert [failure for page in xml_pages for failure in page.failures] == []
    assert [failure for page in json_pages for failure in page.failures] == []
    formats = {
        "XML" if "AVT_XML_" in call.path else "JSON"
        for call in route_calls(sandbox, "orders_list")
    }
    assert formats == {"XML", "JSON"}


def test_sample_order_fetched(make_client, sample_orders):
    page = make_client(version="V1").get_order(sample_orders[0])

    (order,) = page.orders
    assert order.delivery_address.name == "Asha Verma"
    assert [line.transaction_id for line in order.lines] == [
        "27357000012002701",
        "27357000012002702",
        "27357000012002703",
    ]
    assert order.lines[2].is_freebie is True


# Redaction -----------------------------------------------------------------


def test_secrets_absent_from_logs(sandbox, make_client, sample_orders, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client()
    sandbox.faults.inject("order_get", "5xx")
    sandbox.faults.inject("order_get", "expire_token")

    client.get_order(sample_orders[0])
    with pytest.raises(AuthenticationError):
        make_client(password="other-password").get_token()
    token = client.get_token()

    assert "Retrying" in caplog.text
    assert "order_get" in caplog.text
    for secret in (*SECRETS, "other-password", token):
        assert secret not in caplog.text


def test_call_records_redacted(sandbox, make_client, sample_orders, records):
    client = make_client()
    sandbox.faults.inject("order_get", "expire_token")

    client.get_order(sample_orders[0])
    token = client.get_token()

    token_record = records[0]
    assert token_record.route == "token"
    assert json.loads(token_record.request_body)["password"] == "***"
    assert json.loads(token_record.response_body)["jwtToken"] == "***"
    assert token_record.duration_ms >= 0
    for record in records:
        for value in (record.url, record.request_body, record.response_body):
            for secret in (*SECRETS, token):
                assert secret not in (value or "")


def test_call_record_bodies_truncated(sandbox, make_client, records):
    seed_copies(sandbox, 40)

    all_orders(make_client(), page_size=40)

    body = records[-1].response_body
    assert records[-1].route == "orders_list"
    assert body.endswith("characters in total]")
    assert len(body) < 20100


def test_failing_callback_does_not_break_call(make_client, sample_orders, caplog):
    def broken(record):
        raise RuntimeError("log table locked")

    page = make_client(on_call=broken).get_order(sample_orders[0])

    assert page.orders
    assert "log table locked" in caplog.text


# Construction --------------------------------------------------------------


@pytest.mark.parametrize("base_url", ["", "ftp://host", "127.0.0.1:8870"])
def test_invalid_base_url(base_url):
    with pytest.raises(ValueError, match="base URL"):
        Client(base_url, **DEMO_CREDENTIALS)


def test_missing_credentials():
    with pytest.raises(ValueError, match="password, API secret"):
        Client(
            "http://127.0.0.1:1",
            **{**DEMO_CREDENTIALS, "password": "", "api_secret": ""},
        )


def test_route_overrides_text(make_client):
    client = make_client(route_overrides='{"orders_list": {"path": "/x/"}}')

    assert client.routes["orders_list"].path == "/x/"
    with pytest.raises(ValueError, match="not JSON"):
        make_client(route_overrides="{oops")
    with pytest.raises(ValueError, match="Unknown route"):
        make_client(route_overrides={"nope": {"path": "/"}})


def test_route_needs_params(make_client):
    with pytest.raises(ValueError, match="order_no"):
        make_client().call("order_get")


def test_repr_has_no_secrets(make_client):
    text = repr(make_client())

    for secret in SECRETS:
        assert secret not in text
