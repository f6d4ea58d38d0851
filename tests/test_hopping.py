"""Order hopping of OMNI stores, over real HTTP with the real client.

Brand A (seller 610001) runs three stores on one login; brand partner B
(seller 620001) runs two stores on its own login. Every test uses its own
SKU, so stock set by one test never serves another.
"""

from __future__ import annotations

import pytest
import requests
from sandbox_orders import (
    make_client,
    make_line,
    make_seller,
    seed_order,
    ship,
    unique_sku,
)

from tatacliq.inventory import InventoryItem
from tatacliq_sandbox import Sandbox

SELLER_A = "610001"
A1, A2, A3 = "610001-ST01", "610001-ST02", "610001-ST03"
SELLER_B = "620001"
B1, B2 = "620001-ST01", "620001-ST02"
DEMO = "273570"
DEMO_WAREHOUSE = "273570-WH01"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox.demo(port=0) as sandbox:
        sandbox.add_seller(make_seller(SELLER_A, A1, A2, A3))
        sandbox.add_seller(make_seller(SELLER_B, B1, B2))
        yield sandbox


@pytest.fixture(params=["V1", "V2"])
def version(request):
    return request.param


def _push_stock(sandbox, seller_id, sku, *slave_ids, quantity=1):
    client = make_client(sandbox, seller_id)
    items = [InventoryItem(sku, slave_id, quantity) for slave_id in slave_ids]
    assert client.push_inventory(items).ok


def _lines_of(client, order_no, transaction_id):
    """Return {slave id: status} of the transaction in the seller's view."""
    (order,) = client.get_order(order_no).orders
    return {
        line.slave_id: line.status
        for line in order.lines
        if line.transaction_id == transaction_id
    }


def _active_order_nos(client) -> set[str]:
    return {
        order.order_no for page in client.iter_order_pages() for order in page.orders
    }


def test_hop_three_stores_until_fulfilled(sandbox, version):
    client = make_client(sandbox, SELLER_A, version)
    sku = unique_sku("HOP3")
    _push_stock(sandbox, SELLER_A, sku, A2, A3)
    order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))
    first_allocation = sandbox.line(txn).allocation_date

    (result,) = client.cancel_lines([(txn, "NOSTOCK", A1)])
    assert result.ok, result.error
    assert result.reallocated
    assert result.line_status == "ODREALOC"
    assert _lines_of(client, order_no, txn) == {A1: "ODREALOC", A2: "ORDALLOC"}
    (order,) = client.get_order(order_no).orders
    moved = next(line for line in order.lines if line.slave_id == A2)
    assert moved.allocation_date > first_allocation.replace(microsecond=0)

    (result,) = client.cancel_lines([(txn, "NOSTOCK", A2)])
    assert result.reallocated
    assert _lines_of(client, order_no, txn) == {
        A1: "ODREALOC",
        A2: "ODREALOC",
        A3: "ORDALLOC",
    }

    packed = ship(client, [txn])
    assert packed[0].awb_number
    assert sandbox.line(txn).slave_id == A3
    assert sandbox.line(txn).status == "HOTCOURI"
    records = [r for r in client.iter_cancellations() if r.transaction_id == txn]
    assert [(r.slave_id, r.status) for r in records] == [
        (A1, "ODREALOC"),
        (A2, "ODREALOC"),
    ]
    assert all(r.reallocated for r in records)
    assert all(r.cancelled_by == "SELLER" for r in records)
    assert all(r.reason_code == "NOSTOCK" for r in records)


def test_no_store_with_stock_cancels(sandbox, version):
    client = make_client(sandbox, SELLER_A, version)
    sku = unique_sku("NOSTOCK")
    order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))

    (result,) = client.cancel_lines([(txn, "NOSTOCK")])

    assert result.ok
    assert not result.reallocated
    assert result.line_status == "ORDCANCL"
    assert sandbox.line(txn).past_holders == []
    (record,) = [r for r in client.iter_cancellations() if r.transaction_id == txn]
    assert record.status == "ORDCANCL"
    assert record.slave_id == A1
    assert record.reason_code == "NOSTOCK"
    assert "no other store has stock" in record.reason
    assert _lines_of(client, order_no, txn) == {A1: "ORDCANCL"}


def test_hop_limit_cancels_for_good(sandbox):
    client_a = make_client(sandbox, SELLER_A)
    client_b = make_client(sandbox, SELLER_B)
    sku = unique_sku("LIMIT")
    _push_stock(sandbox, SELLER_A, sku, A2, A3)
    _push_stock(sandbox, SELLER_B, sku, B1, B2)
    _order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))
    assert sandbox.hop_limit == 3

    for store in (A1, A2, A3):
        (result,) = client_a.cancel_lines([(txn, "NOSTOCK", store)])
        assert result.reallocated, (store, result)
    assert (sandbox.line(txn).seller_id, sandbox.line(txn).slave_id) == (
        SELLER_B,
        B1,
    )
    (result,) = client_b.cancel_lines([(txn, "NOSTOCK", B1)])

    # B2 still has stock, but the line was already reallocated three times.
    assert result.ok
    assert not result.reallocated
    assert result.line_status == "ORDCANCL"
    assert sandbox.line(txn).status == "ORDCANCL"
    records_a = [r for r in client_a.iter_cancellations() if r.transaction_id == txn]
    assert [(r.slave_id, r.status) for r in records_a] == [
        (A1, "ODREALOC"),
        (A2, "ODREALOC"),
        (A3, "ODREALOC"),
    ]
    (record_b,) = [r for r in client_b.iter_cancellations() if r.transaction_id == txn]
    assert record_b.status == "ORDCANCL"
    assert record_b.slave_id == B1
    assert "hop limit of 3" in record_b.reason


def test_hop_limit_setting(sandbox):
    client = make_client(sandbox, SELLER_A)
    sku = unique_sku("LIMIT1")
    _push_stock(sandbox, SELLER_A, sku, A2, A3)
    _order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))
    admin = f"{sandbox.url}/_sandbox/hopping"
    assert requests.post(admin, json={"hop_limit": 1}, timeout=5).json() == {
        "hopLimit": 1
    }
    try:
        (first,) = client.cancel_lines([(txn, "NOSTOCK", A1)])
        (second,) = client.cancel_lines([(txn, "NOSTOCK", A2)])
    finally:
        sandbox.hop_limit = 3

    assert first.reallocated
    assert not second.reallocated
    assert second.line_status == "ORDCANCL"
    assert requests.get(admin, timeout=5).json() == {"hopLimit": 3}


def test_hop_across_two_sellers(sandbox, version):
    client_a = make_client(sandbox, SELLER_A, version)
    client_b = make_client(sandbox, SELLER_B, version)
    sku = unique_sku("CROSS")
    _push_stock(sandbox, SELLER_B, sku, B2)
    order_no, (txn, other) = seed_order(
        sandbox,
        SELLER_A,
        make_line(SELLER_A, A1, sku),
        make_line(SELLER_A, A1, unique_sku("KEEP")),
    )

    (result,) = client_a.cancel_lines([(txn, "NOSTOCK", A1)])

    assert result.reallocated
    line = sandbox.line(txn)
    assert (line.seller_id, line.slave_id, line.status) == (SELLER_B, B2, "ORDALLOC")
    # Seller A keeps the ODREALOC line beside its own active line.
    assert _lines_of(client_a, order_no, txn) == {A1: "ODREALOC"}
    assert _lines_of(client_a, order_no, other) == {A1: "ORDALLOC"}
    assert order_no in _active_order_nos(client_a)
    # Seller B receives the order with the hopped line only.
    (order_b,) = client_b.get_order(order_no).orders
    assert [line.transaction_id for line in order_b.lines] == [txn]
    assert order_b.lines[0].seller_id == SELLER_B
    assert order_b.lines[0].slave_id == B2
    assert order_b.lines[0].status == "ORDALLOC"
    assert order_no in _active_order_nos(client_b)

    # A retry of A's cancel returns the first result; A can no longer work on it.
    (repeat,) = client_a.cancel_lines([(txn, "NOSTOCK")])
    assert repeat.ok
    assert repeat.line_status == "ODREALOC"
    assert sandbox.line(txn).seller_id == SELLER_B
    (accept,) = client_a.accept_lines([txn])
    assert not accept.ok
    (accepted,) = client_b.accept_lines([txn])
    assert accepted.ok, accepted.error


def test_hopped_line_leaves_active_list(sandbox):
    client_a = make_client(sandbox, SELLER_A)
    sku = unique_sku("LEAVE")
    _push_stock(sandbox, SELLER_B, sku, B1)
    order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))

    (result,) = client_a.cancel_lines([(txn, "NOSTOCK")])

    assert result.reallocated
    assert order_no not in _active_order_nos(client_a)
    assert _lines_of(client_a, order_no, txn) == {A1: "ODREALOC"}


def test_repeat_cancel_same_login(sandbox):
    client = make_client(sandbox, SELLER_A)
    sku = unique_sku("REPEAT")
    _push_stock(sandbox, SELLER_A, sku, A2)
    _order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))

    (first,) = client.cancel_lines([(txn, "NOSTOCK", A1)])
    (repeat,) = client.cancel_lines([(txn, "NOSTOCK", A1)])

    assert first.reallocated
    assert repeat.ok
    assert repeat.line_status == "ODREALOC"
    assert sandbox.line(txn).slave_id == A2
    assert sandbox.line(txn).status == "ORDALLOC"


def test_cancel_names_wrong_store(sandbox):
    client = make_client(sandbox, SELLER_A)
    _order_no, (txn,) = seed_order(
        sandbox, SELLER_A, make_line(SELLER_A, A1, unique_sku("WRONG"))
    )

    (result,) = client.cancel_lines([(txn, "NOSTOCK", A3)])

    assert not result.ok
    assert result.error.error_code == "TC-409"
    assert A1 in result.error.message
    assert sandbox.line(txn).status == "ORDALLOC"


def test_other_reasons_do_not_hop(sandbox):
    client = make_client(sandbox, SELLER_A)
    sku = unique_sku("NOHOP")
    _push_stock(sandbox, SELLER_A, sku, A2, A3)
    _order_no, txns = seed_order(
        sandbox,
        SELLER_A,
        *(make_line(SELLER_A, A1, sku) for _ in range(3)),
    )

    results = client.cancel_lines(zip(txns, ("DAMAGED", "PRICE", "OTHER"), strict=True))

    assert [r.line_status for r in results] == ["ORDCANCL"] * 3
    assert not any(r.reallocated for r in results)


def test_warehouse_line_does_not_hop(sandbox):
    client = make_client(sandbox, DEMO)
    sku = unique_sku("WAREHOUSE")
    sandbox.set_stock(DEMO, sku, "273570-ST01", 5)
    _order_no, (txn,) = seed_order(sandbox, DEMO, make_line(DEMO, DEMO_WAREHOUSE, sku))

    (result,) = client.cancel_lines([(txn, "NOSTOCK")])

    assert result.line_status == "ORDCANCL"
    assert not result.reallocated


def test_hop_uses_available_stock(sandbox):
    client = make_client(sandbox, SELLER_A)
    sku = unique_sku("AVAILABLE")
    # A2 keeps its only unit as safety stock; A3 has one unit.
    sandbox.set_stock(SELLER_A, sku, A2, 1, safety_stock=1)
    sandbox.set_stock(SELLER_A, sku, A3, 1)
    _order_no, (first, second) = seed_order(
        sandbox,
        SELLER_A,
        make_line(SELLER_A, A1, sku),
        make_line(SELLER_A, A1, sku),
    )

    (hopped,) = client.cancel_lines([(first, "NOSTOCK", A1)])
    (cancelled,) = client.cancel_lines([(second, "NOSTOCK", A1)])

    assert hopped.reallocated
    assert sandbox.line(first).slave_id == A3
    # A3's one unit is now allocated to the first line.
    assert not cancelled.reallocated
    assert cancelled.line_status == "ORDCANCL"


def test_hopped_line_ships_with_new_store(sandbox):
    client = make_client(sandbox, SELLER_A)
    sku = unique_sku("SHIP")
    _push_stock(sandbox, SELLER_A, sku, A2)
    _order_no, (txn,) = seed_order(sandbox, SELLER_A, make_line(SELLER_A, A1, sku))
    client.cancel_lines([(txn, "NOSTOCK", A1)])

    ship(client, [txn])
    manifest = client.create_manifest([txn])

    assert manifest.ok
    assert sandbox.line(txn).slave_id == A2
