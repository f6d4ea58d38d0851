"""Inventory push and report against the sandbox marketplace over HTTP on 127.0.0.1."""

import copy
import json
from pathlib import Path

import pytest

import tatacliq_sandbox
from tatacliq import clear_token_cache
from tatacliq.errors import (
    AuthenticationError,
    MarketplaceError,
    ProductDelistedError,
    TransientError,
)
from tatacliq.inventory import InventoryItem, InventoryPushResult
from tatacliq_sandbox.handlers.inventory import delist, stock_record
from tatacliq_sandbox.server import Sandbox

SAMPLE = Path(tatacliq_sandbox.__file__).parent / "samples" / "orders-v2.json"
SELLER_ID = "273570"
WAREHOUSE, STORE_1, STORE_2 = "273570-WH01", "273570-ST01", "273570-ST02"
LOCATIONS = (WAREHOUSE, STORE_1, STORE_2)


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox.demo(port=0) as box:
        yield box


@pytest.fixture(autouse=True)
def fresh_state(sandbox):
    sandbox.reset()
    sandbox.clock.reset()
    sandbox.seller(SELLER_ID).delisted_skus.clear()
    clear_token_cache()
    yield
    sandbox.faults.clear()


def items_for(skus, locations=LOCATIONS, inventory=10, safety_stock=2):
    return [
        InventoryItem(sku, slave_id, inventory + index, safety_stock)
        for index, sku in enumerate(skus)
        for slave_id in locations
    ]


def stock(sandbox, sku, slave_id):
    return stock_record(sandbox.state, SELLER_ID, sku, slave_id)


def inventory_calls(sandbox):
    return sandbox.calls.for_route("inventory_update")


def seed_line(sandbox, transaction_id, sku, slave_id, allocation_date=None):
    order = copy.deepcopy(json.loads(SAMPLE.read_text())["order"][0])
    line = copy.deepcopy(order["orderLine"][0])
    line.update(
        transactionId=transaction_id,
        articleNumber=sku,
        p1SlaveId=slave_id,
        allocationDate=allocation_date or sandbox.clock.india_now(),
    )
    order["orderNo"] = f"9000-0000-{transaction_id[-6:]}"
    order["orderLine"] = [line]
    sandbox.seed(SELLER_ID, {"order": [order]})


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_push_many_locations(sandbox, make_client, records, version):
    client = make_client(version=version)
    items = items_for(["KURTA-BLU-M", "KURTA-BLU-L", "SAREE-RED"])

    push = client.push_inventory(items)

    assert isinstance(push, InventoryPushResult)
    assert push.ok
    assert push.batch_count == 1
    assert len(push.results) == 9
    assert [result.key for result in push.results] == [item.key for item in items]
    assert all(result.item is not None for result in push.results)
    for item in items:
        record = stock(sandbox, item.sku, item.slave_id)
        assert record is not None
        assert record.inventory == item.inventory
        assert record.safety_stock == item.safety_stock
        assert record.source == "API"
    call = inventory_calls(sandbox)[0]
    assert call.version == version
    assert call.status == 200


def test_push_v1_sends_xml(make_client, records):
    client = make_client(version="V1")

    client.push_inventory([InventoryItem("KURTA-BLU-M", WAREHOUSE, 7, 1)])

    body = next(r for r in records if r.route == "inventory_update").request_body
    assert body.startswith("<?xml")
    assert "<InventoryUpdate><Item><SKU>KURTA-BLU-M</SKU>" in body
    assert "<SlaveID>273570-WH01</SlaveID>" in body
    assert "<Inventory>7</Inventory><SafetyStock>1</SafetyStock>" in body
    assert "/AP_INVENTORY/AV_1.0/OG_1" in records[-1].url


def test_push_v2_sends_json_strings(make_client, records):
    client = make_client(version="V2")

    client.push_inventory([InventoryItem("KURTA-BLU-M", WAREHOUSE, 7, 1)])

    record = next(r for r in records if r.route == "inventory_update")
    body = json.loads(record.request_body)
    assert body == {
        "InventoryUpdate": {
            "Item": [
                {
                    "SKU": "KURTA-BLU-M",
                    "SlaveID": WAREHOUSE,
                    "Inventory": "7",
                    "SafetyStock": "1",
                }
            ]
        }
    }
    assert "/AP_INVENTORY/AV_2.0/OG_1" in record.url


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_delisted_sku_mid_batch(sandbox, make_client, version):
    delist(sandbox.seller(SELLER_ID), "SAREE-OLD")
    client = make_client(version=version)
    items = [
        InventoryItem("KURTA-BLU-M", WAREHOUSE, 5),
        InventoryItem("SAREE-OLD", WAREHOUSE, 3),
        InventoryItem("KURTA-BLU-L", WAREHOUSE, 4),
    ]

    push = client.push_inventory(items)

    assert not push.ok
    assert [result.status for result in push.results] == [
        "SUCCESS",
        "FAILURE",
        "SUCCESS",
    ]
    delisted = push.result_for("SAREE-OLD", WAREHOUSE)
    assert delisted.delisted
    assert isinstance(delisted.error, ProductDelistedError)
    assert delisted.error_message == "Product Delisted or Removed in Inventory Push"
    assert not delisted.retryable
    assert push.delisted == [delisted]
    assert stock(sandbox, "SAREE-OLD", WAREHOUSE) is None
    assert stock(sandbox, "KURTA-BLU-L", WAREHOUSE).inventory == 4


def test_unknown_slave_id_fails_item(sandbox, make_client):
    client = make_client()

    push = client.push_inventory(
        [
            InventoryItem("KURTA-BLU-M", "273570-XX99", 5),
            InventoryItem("KURTA-BLU-M", STORE_1, 5),
        ]
    )

    failed = push.result_for("KURTA-BLU-M", "273570-XX99")
    assert failed.status == "FAILURE"
    assert type(failed.error) is MarketplaceError
    assert "Unknown SlaveID 273570-XX99" in failed.error_message
    assert push.result_for("KURTA-BLU-M", STORE_1).ok
    assert len(push.failed) == 1


@pytest.mark.parametrize(
    ("inventory", "message"),
    [
        ("-3", "Invalid Inventory '-3' for SKU BAD-QTY"),
        ("2.5", "Invalid Inventory '2.5' for SKU BAD-QTY"),
        ("ten", "Invalid Inventory 'ten' for SKU BAD-QTY"),
        ("", "Inventory is missing for SKU BAD-QTY"),
    ],
)
def test_sandbox_rejects_invalid_quantity(sandbox, make_client, inventory, message):
    client = make_client()
    body = {
        "InventoryUpdate": {
            "Item": [
                {"SKU": "BAD-QTY", "SlaveID": WAREHOUSE, "Inventory": inventory},
                {"SKU": "GOOD", "SlaveID": WAREHOUSE, "Inventory": "4"},
            ]
        }
    }

    payload = client.call("inventory_update", body=body, root="InventoryUpdate")

    assert payload["status"] == "PARTIAL"
    bad, good = payload["Item"]
    assert bad["status"] == "FAILURE"
    assert bad["errorMessage"].startswith(message)
    assert good["status"] == "SUCCESS"
    assert stock(sandbox, "BAD-QTY", WAREHOUSE) is None


@pytest.mark.parametrize(
    "item",
    [
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": -1},
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": 1.5},
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": float("nan")},
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": "1.0"},
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": None},
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": True},
        {"sku": "", "slave_id": WAREHOUSE, "inventory": 1},
        {"sku": "A", "slave_id": None, "inventory": 1},
        {"sku": "A", "slave_id": WAREHOUSE, "inventory": 1, "safety_stock": -2},
    ],
)
def test_client_rejects_invalid_item(sandbox, make_client, item):
    client = make_client()

    with pytest.raises(ValueError):
        client.push_inventory(
            [{"sku": "B", "slave_id": WAREHOUSE, "inventory": 1}, item]
        )

    assert inventory_calls(sandbox) == []


def test_client_rejects_duplicate_item(sandbox, make_client):
    client = make_client()
    items = [InventoryItem("A", WAREHOUSE, 1), InventoryItem("A", WAREHOUSE, 2)]

    with pytest.raises(ValueError, match="SKU A is listed twice"):
        client.push_inventory(items)

    assert inventory_calls(sandbox) == []


def test_mapping_items_accepted(sandbox, make_client):
    client = make_client()

    push = client.push_inventory(
        [
            {"sku": " KURTA ", "slave_id": WAREHOUSE, "inventory": "3"},
            {
                "sku": "SAREE",
                "slave_id": WAREHOUSE,
                "inventory": 4.0,
                "safety_stock": 1,
            },
        ]
    )

    assert push.ok
    assert push.results[0].item == InventoryItem("KURTA", WAREHOUSE, 3, 0)
    assert push.results[1].item == InventoryItem("SAREE", WAREHOUSE, 4, 1)
    assert stock(sandbox, "SAREE", WAREHOUSE).inventory == 4


def test_batches_split_by_size(sandbox, make_client):
    client = make_client()
    items = items_for([f"SKU-{n:03d}" for n in range(7)])  # 21 items

    push = client.push_inventory(items, batch_size=5)

    assert push.ok
    assert push.batch_count == 5
    assert [result.batch for result in push.results[:6]] == [1, 1, 1, 1, 1, 2]
    assert len(inventory_calls(sandbox)) == 5


def test_5xx_batch_retried(sandbox, make_client):
    client = make_client(max_retries=2)
    sandbox.faults.inject("inventory_update", "5xx", times=1, status=502)
    items = items_for(["A", "B", "C"], locations=(WAREHOUSE,))

    push = client.push_inventory(items, batch_size=1)

    assert push.ok
    assert push.failed_batches == []
    calls = inventory_calls(sandbox)
    assert [call.status for call in calls] == [502, 200, 200, 200]
    assert stock(sandbox, "A", WAREHOUSE).inventory == 10


def test_failed_batch_keeps_others(sandbox, make_client, records):
    retries = 2

    def fail_second_batch(record):
        # Once the first batch is accepted, every attempt of the second batch
        # gets a 503, so the client gives up on it after its retries.
        records.append(record)
        accepted = [
            r for r in records if r.route == "inventory_update" and r.status == 200
        ]
        if len(accepted) == 1 and record.status == 200:
            sandbox.faults.inject("inventory_update", "5xx", times=retries + 1)

    client = make_client(max_retries=retries, on_call=fail_second_batch)
    items = items_for(["A", "B", "C"], locations=(WAREHOUSE, STORE_1))

    push = client.push_inventory(items, batch_size=2)

    assert push.batch_count == 3
    assert [failure.batch for failure in push.failed_batches] == [2]
    assert isinstance(push.failed_batches[0].error, TransientError)
    assert [result.ok for result in push.results] == [
        True,
        True,
        False,
        False,
        True,
        True,
    ]
    for result in push.failed:
        assert result.retryable
        assert result.batch == 2
        assert "503" in result.error_message
        assert stock(sandbox, result.sku, result.slave_id) is None
    assert stock(sandbox, "C", STORE_1) is not None
    statuses = [call.status for call in inventory_calls(sandbox)]
    assert statuses == [200, 503, 503, 503, 200]


def test_oversized_batch_refused_whole(sandbox, make_client):
    client = make_client()
    items = [InventoryItem(f"SKU-{n:04d}", WAREHOUSE, 1) for n in range(501)]

    push = client.push_inventory(items, batch_size=501)

    assert len(push.failed) == 501
    assert len(push.failed_batches) == 1
    error = push.failed_batches[0].error
    assert type(error) is MarketplaceError
    assert "at most 500" in error.message
    assert not push.results[0].retryable
    assert len(inventory_calls(sandbox)) == 1


def test_default_batch_size_fits_sandbox(sandbox, make_client):
    client = make_client()
    items = [InventoryItem(f"SKU-{n:04d}", WAREHOUSE, n) for n in range(1001)]

    push = client.push_inventory(items)

    assert push.ok
    assert push.batch_count == 3
    assert stock(sandbox, "SKU-1000", WAREHOUSE).inventory == 1000


def test_auth_error_stops_batches(sandbox, make_client):
    client = make_client(password="wrong-password")
    items = items_for(["A", "B"], locations=(WAREHOUSE,))

    push = client.push_inventory(items, batch_size=1)

    assert len(push.failed_batches) == 2
    assert all(isinstance(r.error, AuthenticationError) for r in push.results)
    assert len(sandbox.calls.for_route("token")) == 1
    assert inventory_calls(sandbox) == []


def test_report_returns_pushed_stock(sandbox, make_client):
    client = make_client()
    client.push_inventory(
        [
            InventoryItem("KURTA-BLU-M", STORE_1, 10, 2),
            InventoryItem("KURTA-BLU-L", STORE_1, 1, 3),
            InventoryItem("KURTA-BLU-M", STORE_2, 4),
        ]
    )

    report = client.get_inventory_report(STORE_1)

    assert sorted(report) == ["KURTA-BLU-L", "KURTA-BLU-M"]
    record = report["KURTA-BLU-M"]
    assert record.slave_id == STORE_1
    assert record.inventory == 10
    assert record.safety_stock == 2
    assert record.sold == 0
    assert record.available == 8
    assert not record.delisted
    assert record.last_updated is not None
    assert record.last_updated.utcoffset().total_seconds() == 0
    assert report["KURTA-BLU-L"].available == 0


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_report_counts_sold_units(sandbox, make_client, version):
    client = make_client(version=version)
    seed_line(sandbox, "27357000099000001", "KURTA-BLU-M", STORE_1)
    sandbox.clock.advance(minutes=1)
    client.push_inventory([InventoryItem("KURTA-BLU-M", STORE_1, 10, 2)])
    sandbox.clock.advance(minutes=1)
    seed_line(sandbox, "27357000099000002", "KURTA-BLU-M", STORE_1)
    seed_line(sandbox, "27357000099000003", "KURTA-BLU-M", STORE_1)
    seed_line(sandbox, "27357000099000004", "KURTA-BLU-M", STORE_2)
    sandbox.transition("27357000099000003", "ORDCANCL")

    record = client.get_inventory_report(STORE_1)["KURTA-BLU-M"]

    # The line allocated before the push, the cancelled line and the other
    # store's line do not count.
    assert record.sold == 1
    assert record.available == 7


def test_report_single_item_v1(sandbox, make_client):
    client = make_client(version="V1")
    client.push_inventory([InventoryItem("ONLY", WAREHOUSE, 3)])

    report = client.get_inventory_report(WAREHOUSE)

    assert list(report) == ["ONLY"]
    assert report["ONLY"].inventory == 3


@pytest.mark.parametrize("version", ["V1", "V2"])
def test_report_empty_location(make_client, version):
    client = make_client(version=version)

    assert client.get_inventory_report(STORE_2) == {}


def test_report_flags_delisted(sandbox, make_client):
    client = make_client()
    client.push_inventory([InventoryItem("GONE", WAREHOUSE, 3)])
    delist(sandbox.seller(SELLER_ID), "GONE")

    report = client.get_inventory_report(WAREHOUSE)

    assert report["GONE"].delisted


def test_report_unknown_slave_id(make_client):
    client = make_client()

    with pytest.raises(MarketplaceError, match="Unknown SlaveID 273570-XX99"):
        client.get_inventory_report("273570-XX99")
