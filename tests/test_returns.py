"""Cancellations, seller cancellation and returns over HTTP with the real client."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from sandbox_orders import make_client, make_line, seed_order, ship

from tatacliq.errors import DecodingError, MarketplaceError, StatusOrderError
from tatacliq.returns import (
    CancelItem,
    CancellationRecord,
    FeedPage,
    ReturnRecord,
    SellerCancelResult,
    format_from_date,
)
from tatacliq_sandbox import ApiError, Sandbox

DEMO = "273570"
WAREHOUSE = "273570-WH01"


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox.demo(port=0) as sandbox:
        yield sandbox


@pytest.fixture(params=["V1", "V2"])
def version(request):
    return request.param


def _seed(sandbox, count=1, **fields) -> list[str]:
    lines = [make_line(DEMO, WAREHOUSE, **fields) for _ in range(count)]
    return seed_order(sandbox, DEMO, *lines)[1]


def _cancellations(client, transaction_id, **options) -> list[CancellationRecord]:
    return [
        record
        for record in client.iter_cancellations(**options)
        if record.transaction_id == transaction_id
    ]


def _returns(client, transaction_id, **options) -> list[ReturnRecord]:
    return [
        record
        for record in client.iter_returns(**options)
        if record.transaction_id == transaction_id
    ]


# Customer cancellation -----------------------------------------------------------


def test_customer_cancel_before_packing(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    (txn,) = _seed(sandbox)
    client.accept_lines([txn])

    sandbox.customer_cancel(txn, "Ordered by mistake")

    assert sandbox.line(txn).status == "ORDCANCL"
    (record,) = _cancellations(client, txn)
    assert isinstance(record, CancellationRecord)
    assert record.status == "ORDCANCL"
    assert record.cancelled_by == "CUSTOMER"
    assert record.reason == "Ordered by mistake"
    assert record.reason_code is None
    assert record.slave_id == WAREHOUSE
    assert record.seller_id == DEMO
    assert record.order_no
    assert record.article_number == "KURTA-BLU-M"
    assert record.cancellation_date.tzinfo is not None
    assert not record.reallocated


def test_customer_cancel_after_packing(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    (txn,) = _seed(sandbox)
    client.accept_lines([txn])
    client.pick_confirm([txn])
    (packed,) = client.pack([txn])
    assert packed.ok

    sandbox.customer_cancel(txn, "Found it cheaper")

    (record,) = _cancellations(client, txn)
    assert record.status == "ORDCANCL"
    assert record.cancelled_by == "CUSTOMER"
    (handover,) = client.hand_over([txn])
    assert not handover.ok


def test_customer_cancel_after_handover(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)
    ship(client, [txn])

    with pytest.raises(ApiError) as raised:
        sandbox.customer_cancel(txn, "Too late")

    assert raised.value.status == 409
    assert "HOTCOURI" in raised.value.message
    assert sandbox.line(txn).status == "HOTCOURI"
    assert _cancellations(client, txn) == []


def test_customer_cancel_admin_route(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)

    response = requests.post(
        f"{sandbox.url}/_sandbox/customer/cancel",
        json={"transaction_id": txn, "reason": "Delivery too slow"},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.json()["status"] == "ORDCANCL"
    (record,) = _cancellations(client, txn)
    assert record.reason == "Delivery too slow"


def test_refund_steps_update_record(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    (txn,) = _seed(sandbox)
    sandbox.customer_cancel(txn, "Changed my mind")
    (cancelled,) = _cancellations(client, txn)

    sandbox.clock.advance(minutes=5)
    sandbox.advance_refund(txn, "REFUINIT")

    (refunding,) = _cancellations(client, txn)
    assert refunding.status == "REFUINIT"
    assert refunding.cancellation_date == cancelled.cancellation_date
    assert refunding.updated_date > cancelled.updated_date
    # Reading from the cancellation's date still lists the record once.
    later = _cancellations(client, txn, from_date=refunding.updated_date)
    assert [record.status for record in later] == ["REFUINIT"]
    sandbox.advance_refund(txn, "REFINPRO")
    sandbox.advance_refund(txn, "REFCLOSE")
    assert [record.status for record in _cancellations(client, txn)] == ["REFCLOSE"]


def test_cod_cancel_closes(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox, isCOD="Y")
    sandbox.customer_cancel(txn, "Changed my mind")

    sandbox.advance_refund(txn, "CLONCANC")

    (record,) = _cancellations(client, txn)
    assert record.status == "CLONCANC"


def test_refund_of_live_line_rejected(sandbox):
    (txn,) = _seed(sandbox)

    with pytest.raises(ValueError, match="not cancelled"):
        sandbox.advance_refund(txn, "REFUINIT")


def test_cancellations_from_date_and_pages(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    sandbox.clock.advance(hours=1)
    start = sandbox.clock.now()
    txns = _seed(sandbox, count=5)
    for txn in txns:
        sandbox.customer_cancel(txn, "Changed my mind")

    pages = list(client.iter_cancellation_pages(from_date=start, page_size=2))

    assert [page.page for page in pages] == [1, 2, 3]
    assert all(page.total_pages == 3 for page in pages)
    assert all(isinstance(page, FeedPage) for page in pages)
    listed = [record.transaction_id for page in pages for record in page.records]
    assert sorted(listed) == sorted(txns)
    future = start + timedelta(days=1)
    assert list(client.iter_cancellations(from_date=future)) == []


def test_invalid_from_date(sandbox):
    client = make_client(sandbox, DEMO)

    with pytest.raises(MarketplaceError, match="Invalid fromDate"):
        client.call("cancellations", query={"fromDate": "yesterday"})
    with pytest.raises(DecodingError):
        list(client.iter_returns(from_date="yesterday"))


def test_from_date_formats():
    utc = datetime(2026, 12, 1, 6, 30, tzinfo=timezone.utc)

    assert format_from_date(utc) == "2026-12-01 12:00:00"
    assert format_from_date(utc.replace(tzinfo=None)) == "2026-12-01 12:00:00"
    assert format_from_date("2026-12-01 12:00:00") == "2026-12-01 12:00:00"
    assert format_from_date(utc.date()) == "2026-12-01 00:00:00"
    assert format_from_date(None) is None


# Seller cancellation ------------------------------------------------------------


def test_seller_cancel_each_reason(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    txns = _seed(sandbox, count=4)
    reasons = ("NOSTOCK", "DAMAGED", "PRICE", "OTHER")
    client.accept_lines(txns[1:2])
    client.pick_confirm(txns[2:3])

    results = client.cancel_lines(
        [
            CancelItem(txn, reason, remarks="checked by the store")
            for txn, reason in zip(txns, reasons, strict=True)
        ]
    )

    assert all(isinstance(result, SellerCancelResult) for result in results)
    assert [result.transaction_id for result in results] == txns
    assert all(result.ok for result in results), results
    assert [result.line_status for result in results] == ["ORDCANCL"] * 4
    assert [result.reason_code for result in results] == list(reasons)
    for txn, reason in zip(txns, reasons, strict=True):
        (record,) = _cancellations(client, txn)
        assert record.cancelled_by == "SELLER"
        assert record.reason_code == reason
        assert record.reason.endswith("checked by the store")


def test_seller_cancel_out_of_order(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    packed, allocated = _seed(sandbox, count=2)
    client.accept_lines([packed])
    client.pick_confirm([packed])
    client.pack([packed])

    late, fine, unknown = client.cancel_lines(
        [(packed, "OTHER"), (allocated, "PRICE"), ("999000111", "OTHER")]
    )

    assert not late.ok
    assert isinstance(late.error, StatusOrderError)
    assert late.error.error_code == "TC-409"
    assert late.line_status == "SCANNED"
    assert "SCANNED" in late.error.message
    assert sandbox.line(packed).status == "SCANNED"
    assert fine.ok
    assert not unknown.ok
    assert unknown.error.error_code == "TC-404"
    assert "not found" in unknown.error.message


def test_seller_cancel_after_customer_cancel(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)
    sandbox.customer_cancel(txn, "Changed my mind")

    (result,) = client.cancel_lines([(txn, "NOSTOCK")])

    assert not result.ok
    assert isinstance(result.error, StatusOrderError)
    assert result.line_status == "ORDCANCL"


def test_seller_cancel_invalid_items(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    (txn,) = _seed(sandbox)

    with pytest.raises(ValueError, match="Invalid reason code"):
        client.cancel_lines([(txn, "BORED")])
    with pytest.raises(TypeError):
        client.cancel_lines([txn])
    payload = client.call(
        "seller_cancel",
        body={"item": [{"transactionId": txn, "reasonCode": "BORED"}, {"x": "1"}]},
        root="cancelRequest",
    )

    assert payload["status"] == "FAILURE"
    bad_reason, no_id = payload["item"]
    assert bad_reason["errorCode"] == "TC-400"
    assert "NOSTOCK" in bad_reason["errorMessage"]
    assert no_id["errorCode"] == "TC-400"
    assert sandbox.line(txn).status == "ORDALLOC"


def test_seller_cancel_repeat(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)

    (first,) = client.cancel_lines([(txn, "DAMAGED", WAREHOUSE)])
    (repeat,) = client.cancel_lines([(txn, "DAMAGED", WAREHOUSE)])

    assert first.ok
    assert repeat.ok
    assert repeat.line_status == "ORDCANCL"
    assert len(_cancellations(client, txn)) == 1


# Returns --------------------------------------------------------------------------


def _delivered(sandbox, client, **fields) -> tuple[str, str]:
    """Seed, ship and deliver one line; return its id and AWB."""
    (txn,) = _seed(sandbox, **fields)
    (packed,) = ship(client, [txn])
    sandbox.mark_delivered(txn)
    return txn, packed.awb_number


def test_customer_return_qc_pass(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    txn, _awb = _delivered(sandbox, client)

    return_id = sandbox.customer_return(txn, "Size too small")
    sandbox.advance_return(return_id, "REVRSAWB")
    sandbox.advance_return(return_id, "SRECTORI")
    sandbox.advance_return(return_id, "RETUCLOS", qc="PASS")
    sandbox.advance_return(return_id, "REFUINIT")

    events = _returns(client, txn)
    assert [event.status for event in events] == [
        "RETUINIT",
        "REVRSAWB",
        "SRECTORI",
        "RETUCLOS",
        "REFUINIT",
    ]
    assert {event.return_id for event in events} == {return_id}
    assert len({event.event_id for event in events}) == 5
    assert all(event.return_type == "CR" for event in events)
    assert all(event.reason == "Size too small" for event in events)
    assert all(event.slave_id == WAREHOUSE for event in events)
    assert all(event.logistics_id == "DL" for event in events)
    assert events[0].reverse_awb is None
    assert events[1].reverse_awb
    assert events[-1].reverse_awb == events[1].reverse_awb
    assert [event.qc_status for event in events] == [None, None, None, "PASS", "PASS"]
    assert events[3].refund_status is None
    assert events[4].refund_status == "REFUINIT"
    assert events[0].return_date == events[0].event_date
    assert sandbox.line(txn).status == "REFUINIT"


def test_customer_return_qc_fail(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    txn, _awb = _delivered(sandbox, client)
    return_id = sandbox.customer_return(txn, "Colour differs")
    sandbox.advance_return(return_id, "REVRSAWB", awb="RVTEST12345")
    sandbox.advance_return(return_id, "SRECTORI")

    sandbox.advance_return(return_id, "QCFAILED", qc="FAIL")

    with pytest.raises(ValueError, match="no refund"):
        sandbox.advance_return(return_id, "REFUINIT")
    with pytest.raises(ValueError, match="qc PASS"):
        sandbox.advance_return(return_id, "RETUCLOS", qc="PASS")
    sandbox.advance_return(return_id, "RETUCLOS")
    events = _returns(client, txn)
    assert [event.status for event in events] == [
        "RETUINIT",
        "REVRSAWB",
        "SRECTORI",
        "QCFAILED",
        "RETUCLOS",
    ]
    assert events[1].reverse_awb == "RVTEST12345"
    assert events[3].qc_status == "FAIL"
    assert events[4].qc_status == "FAIL"
    assert all(event.refund_status is None for event in events)


def test_return_rules(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)
    ship(client, [txn])

    with pytest.raises(ApiError, match="DELIVERD"):
        sandbox.customer_return(txn, "Not delivered yet")
    sandbox.mark_delivered(txn)
    return_id = sandbox.customer_return(txn, "Wrong item")
    with pytest.raises(ApiError):
        sandbox.advance_return(return_id, "RETUCLOS")
    with pytest.raises(ValueError, match="not a step of a CR return"):
        sandbox.advance_return(return_id, "RTOINPRS")
    with pytest.raises(KeyError):
        sandbox.advance_return("RET-UNKNOWN", "REVRSAWB")
    with pytest.raises(ApiError):
        sandbox.mark_delivered(_seed(sandbox)[0])


def test_rto(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    (txn,) = _seed(sandbox)
    (packed,) = ship(client, [txn])

    return_id = sandbox.rto(txn)
    for status in ("RTOINPRS", "RTODELVRD", "RTOQCPASS", "RTOCOMP", "REFUINIT"):
        sandbox.advance_return(return_id, status)

    events = _returns(client, txn)
    assert [event.status for event in events] == [
        "RTOINITD",
        "RTOINPRS",
        "RTODELVRD",
        "RTOQCPASS",
        "RTOCOMP",
        "REFUINIT",
    ]
    assert all(event.return_type == "RTO" for event in events)
    assert all(event.reverse_awb == packed.awb_number for event in events)
    assert events[2].qc_status is None
    assert events[3].qc_status == "PASS"
    assert events[-1].refund_status == "REFUINIT"
    assert sandbox.line(txn).status == "REFUINIT"


def test_rto_qc_fail_admin_routes(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)
    ship(client, [txn])
    admin = f"{sandbox.url}/_sandbox"

    started = requests.post(
        f"{admin}/courier/rto", json={"transaction_id": txn}, timeout=5
    ).json()
    return_id = started["returnId"]
    for status in ("RTOINPRS", "RTODELVRD", "RTOQCFAILED"):
        response = requests.post(
            f"{admin}/returns/{return_id}", json={"status": status}, timeout=5
        )
        assert response.status_code == 200, response.text
    refused = requests.post(
        f"{admin}/returns/{return_id}",
        json={"status": "RTOQCPASS", "qc": "PASS"},
        timeout=5,
    )

    assert refused.status_code == 400
    assert started["returnType"] == "RTO"
    (last,) = _returns(client, txn)[-1:]
    assert last.status == "RTOQCFAILED"
    assert last.qc_status == "FAIL"
    listed = requests.get(f"{admin}/returns", timeout=5).json()["returns"]
    assert return_id in {case["returnId"] for case in listed}


def test_customer_return_admin_route(sandbox):
    client = make_client(sandbox, DEMO)
    (txn,) = _seed(sandbox)
    ship(client, [txn])
    admin = f"{sandbox.url}/_sandbox"

    delivered = requests.post(
        f"{admin}/courier/deliver", json={"transaction_id": txn}, timeout=5
    )
    opened = requests.post(
        f"{admin}/customer/return",
        json={"transaction_id": txn, "reason": "Defective"},
        timeout=5,
    )

    assert delivered.json()["status"] == "DELIVERD"
    assert opened.json()["status"] == "RETUINIT"
    (event,) = _returns(client, txn)
    assert event.return_id == opened.json()["returnId"]
    assert event.reason == "Defective"


def test_returns_stable_ids(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    txn, _awb = _delivered(sandbox, client)
    return_id = sandbox.customer_return(txn, "Size too small")
    sandbox.advance_return(return_id, "REVRSAWB")

    first = [(e.return_id, e.event_id, e.status) for e in _returns(client, txn)]
    second = [(e.return_id, e.event_id, e.status) for e in _returns(client, txn)]
    sandbox.clock.advance(minutes=10)
    sandbox.advance_return(return_id, "SRECTORI")
    third = _returns(client, txn)

    assert first == second
    assert [(e.return_id, e.event_id, e.status) for e in third[:2]] == first
    assert third[2].status == "SRECTORI"
    since = _returns(client, txn, from_date=third[2].event_date)
    assert [event.event_id for event in since] == [third[2].event_id]


def test_returns_pages(sandbox):
    client = make_client(sandbox, DEMO)
    sandbox.clock.advance(hours=1)
    start = sandbox.clock.now()
    txn, _awb = _delivered(sandbox, client)
    return_id = sandbox.customer_return(txn, "Size too small")
    for status in ("REVRSAWB", "SRECTORI", "RETUCLOS"):
        sandbox.advance_return(return_id, status)

    pages = list(client.iter_return_pages(from_date=start, page_size=3))

    assert [(page.page, page.total_pages) for page in pages] == [(1, 2), (2, 2)]
    statuses = [record.status for page in pages for record in page.records]
    assert statuses == ["RETUINIT", "REVRSAWB", "SRECTORI", "RETUCLOS"]


def test_returns_bad_record(sandbox, version):
    client = make_client(sandbox, DEMO, version)
    good = {
        "returnId": "RET1",
        "eventId": "RET1-01",
        "transactionId": "111",
        "returnType": "CR",
        "omsStatusCode": "RETUINIT",
        "eventDate": "2026-12-01 10:00:00",
    }
    bad = {**good, "returnId": "RET2", "transactionId": "222", "eventDate": "soon"}
    payload = {"page": 1, "totalPages": 1, "return": [good, bad]}
    if version == "V1":
        import xmltodict

        body = xmltodict.unparse({"returns": payload})
    else:
        body = json.dumps(payload)
    sandbox.faults.inject("returns", "malformed", times=2, body=body)

    (page,) = client.iter_return_pages()
    received = []
    with pytest.raises(DecodingError, match="eventDate"):
        for record in client.iter_returns():
            received.append(record)

    assert [record.return_id for record in page.records] == ["RET1"]
    (failure,) = page.failures
    assert failure.reference == "222"
    assert failure.raw["returnId"] == "RET2"
    assert [record.return_id for record in received] == ["RET1"]
