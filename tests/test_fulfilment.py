"""Fulfilment against the sandbox marketplace over real HTTP with the real client.

Every test builds its own orders with fresh transaction ids, so the tests share
one sandbox and can run in any order.
"""

from __future__ import annotations

import io
import itertools

import pypdf
import pytest
from sandbox_orders import order_payload

from tatacliq.client import Client
from tatacliq.errors import (
    MarketplaceError,
    NoShipmentAvailableError,
    StatusMappingMissingError,
    StatusOrderError,
    TransientError,
)
from tatacliq.fulfilment import (
    HandoverResult,
    LineResult,
    ManifestResult,
    PackResult,
    Shipment,
)
from tatacliq_sandbox import Sandbox, Seller

DEMO = "273570"
WAREHOUSE = "273570-WH01"
STORE = "273570-ST01"
LUXURY = "410001"
NO_MAPPINGS = "990001"
DELAYED = "550001"

_numbers = itertools.count(1)


def _seller(seller_id, **fields) -> Seller:
    return Seller(
        seller_id=seller_id,
        seller_code=f"TCQ{seller_id}",
        username=f"slave.{seller_id}",
        password=f"password-{seller_id}",
        api_key=f"key-{seller_id}",
        api_secret=f"secret-{seller_id}",
        slave_ids=(f"{seller_id}-WH01",),
        name=f"Seller {seller_id}",
        **fields,
    )


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox.demo(port=0) as sandbox:
        sandbox.add_seller(_seller(LUXURY))
        sandbox.add_seller(_seller(NO_MAPPINGS, status_mappings=False))
        sandbox.add_seller(_seller(DELAYED, options={"courier_delay_minutes": 30}))
        yield sandbox


def _client(sandbox, seller_id=DEMO, version="V2") -> Client:
    if seller_id == DEMO:
        login = ("TCQ273570", "demo.slave", "demo-password", "demo-key")
        secret = "demo-secret"
    else:
        login = (
            f"TCQ{seller_id}",
            f"slave.{seller_id}",
            f"password-{seller_id}",
            f"key-{seller_id}",
        )
        secret = f"secret-{seller_id}"
    return Client(
        sandbox.url,
        seller_id,
        *login,
        secret,
        version=version,
        max_retries=2,
        backoff=0.01,
    )


@pytest.fixture(params=["V1", "V2"])
def version(request):
    return request.param


def _line(
    seller_id=DEMO,
    slave_id=WAREHOUSE,
    fulfillment="TSHIP",
    courier="DL",
    delivery="HD",
    cod="N",
) -> dict:
    number = next(_numbers)
    return {
        "transactionId": f"{seller_id}9{number:09d}",
        "shipByDate": "2026-12-31 23:59:59",
        "omsStatusCode": "ORDALLOC",
        "sellerID": seller_id,
        "articleNumber": "KURTA-BLU-M",
        "price": "1299.00",
        "mrp": "1999.00",
        "isCOD": cod,
        "apportionedPrice": "1299.00",
        "apportionedCODPrice": "0.00",
        "apportionedShippingCharge": "0.00",
        "taxType": "GST",
        "taxValue": "139.18",
        "deliveryMode": delivery,
        "transportMode": "SUR",
        "fulfillmentType": fulfillment,
        "p1SlaveId": slave_id,
        "p1LogisticsID": courier,
        "gst": {
            "slavegstin": "27AAAAA0000A1Z5",
            "destinationStateCode": "27",
            "hsnCode": "6211",
            "hsnTax": [
                {"taxType": "CGST", "taxRate": "6.00", "taxValue": "69.59"},
                {"taxType": "SGST", "taxRate": "6.00", "taxValue": "69.59"},
            ],
        },
    }


def _seed(sandbox, *lines, seller_id=DEMO) -> list[str]:
    """Seed one order holding ``lines``; return their transaction ids."""
    number = next(_numbers)
    order = order_payload(f"8{number:03d}-4000-{number:06d}", lines)
    sandbox.seed(seller_id, {"order": [order]})
    return [line["transactionId"] for line in lines]


def _pdf_text(document: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(document))
    return "\n".join(page.extract_text() for page in reader.pages)


def _pack_ready(client, transaction_ids):
    assert all(result.ok for result in client.accept_lines(transaction_ids))
    assert all(result.ok for result in client.pick_confirm(transaction_ids))


# Models ---------------------------------------------------------------------


def test_tship_every_step(sandbox, version):
    client = _client(sandbox, version=version)
    (txn,) = _seed(sandbox, _line())

    (accepted,) = client.accept_lines([txn])
    assert isinstance(accepted, LineResult)
    assert accepted.ok
    assert accepted.line_status == "ORDACCEP"
    (picked,) = client.pick_confirm([txn])
    assert picked.line_status == "PICKCONF"

    (packed,) = client.pack([txn])
    assert isinstance(packed, PackResult)
    assert packed.ok, packed.error
    assert packed.error is None
    assert packed.line_status == "SCANNED"
    assert packed.invoice_number
    assert packed.invoice_date is not None
    assert packed.awb_number.startswith("DL")
    assert packed.logistics_id == "DL"
    assert sandbox.line(txn).status == "SCANNED"

    label = client.shipping_label(txn)
    assert packed.awb_number in _pdf_text(label)
    invoice_text = _pdf_text(client.invoice_document(txn))
    assert packed.invoice_number in invoice_text
    assert "TAX INVOICE" in invoice_text
    assert "CGST @ 6.00%" in invoice_text
    assert "SGST @ 6.00%" in invoice_text
    assert "6211" in invoice_text
    assert "GSTIN" in invoice_text

    (handed,) = client.hand_over([txn])
    assert isinstance(handed, HandoverResult)
    assert handed.ok
    assert handed.handed_over
    assert handed.line_status == "HOTCOURI"
    assert handed.awb_number == packed.awb_number
    assert handed.handover_date is not None
    assert sandbox.line(txn).status == "HOTCOURI"

    manifest = client.create_manifest([txn])
    assert isinstance(manifest, ManifestResult)
    assert manifest.ok
    assert manifest.manifest_id
    assert manifest.logistics_id == "DL"
    assert manifest.lines[0].manifest_id == manifest.manifest_id
    manifest_text = _pdf_text(client.manifest_document(manifest.manifest_id))
    assert packed.awb_number in manifest_text
    assert "Delhivery" in manifest_text


def test_sship_every_step(sandbox, version):
    client = _client(sandbox, version=version)
    (txn,) = _seed(sandbox, _line(fulfillment="SSHIP", courier="NA"))
    _pack_ready(client, [txn])

    (packed,) = client.pack([txn])
    assert packed.ok, packed.error
    assert packed.invoice_number
    assert packed.awb_number is None
    assert packed.logistics_id is None
    with pytest.raises(MarketplaceError, match="confirm its shipment"):
        client.shipping_label(txn)
    assert packed.invoice_number in _pdf_text(client.invoice_document(txn))

    (confirmed,) = client.confirm_shipments(
        [Shipment(txn, "Seller Express", "SEX-000123456")]
    )
    assert confirmed.ok, confirmed.error
    assert confirmed.courier_name == "Seller Express"
    assert confirmed.awb_number == "SEX-000123456"
    assert "SEX-000123456" in _pdf_text(client.shipping_label(txn))

    (handed,) = client.hand_over([txn])
    assert handed.ok, handed.error
    manifest = client.create_manifest([txn])
    assert manifest.ok
    assert manifest.logistics_id == "Seller Express"
    assert "SEX-000123456" in _pdf_text(client.manifest_document(manifest.manifest_id))


def test_luxury_every_step(sandbox):
    client = _client(sandbox, LUXURY, version="V1")
    (txn,) = _seed(
        sandbox, _line(LUXURY, f"{LUXURY}-WH01", courier="BD"), seller_id=LUXURY
    )
    _pack_ready(client, [txn])

    (packed,) = client.pack([txn])
    assert packed.ok, packed.error
    assert packed.logistics_id == "BD"
    assert packed.awb_number.startswith("BD")
    assert packed.awb_number in _pdf_text(client.shipping_label(txn))
    assert client.hand_over([txn])[0].ok
    manifest = client.create_manifest([txn], logistics_id="BD")
    assert manifest.ok
    manifest_text = _pdf_text(client.manifest_document(manifest.manifest_id))
    assert packed.awb_number in manifest_text


def test_omni_store_every_step(sandbox):
    client = _client(sandbox)
    (txn,) = _seed(sandbox, _line(slave_id=STORE, courier="EE"))
    _pack_ready(client, [txn])

    (packed,) = client.pack([txn])
    assert packed.ok, packed.error
    assert packed.logistics_id == "EE"
    label_text = _pdf_text(client.shipping_label(txn))
    assert packed.awb_number in label_text
    assert STORE in label_text
    assert client.hand_over([txn])[0].ok
    manifest = client.create_manifest([txn])
    assert manifest.ok
    manifest_text = _pdf_text(client.manifest_document(manifest.manifest_id))
    assert packed.awb_number in manifest_text
    assert f"({STORE})" in manifest_text


def test_omni_manifest_one_location(sandbox):
    client = _client(sandbox)
    store_txn, warehouse_txn = _seed(
        sandbox, _line(slave_id=STORE), _line(slave_id=WAREHOUSE)
    )
    _pack_ready(client, [store_txn, warehouse_txn])
    client.pack([store_txn, warehouse_txn])
    client.hand_over([store_txn, warehouse_txn])

    manifest = client.create_manifest([store_txn, warehouse_txn])
    assert manifest.ok
    assert [line.ok for line in manifest.lines] == [True, False]
    assert "one manifest per location" in manifest.lines[1].error.message


# Errors ---------------------------------------------------------------------


def test_pack_before_courier_assigned(sandbox):
    client = _client(sandbox, DELAYED)
    (txn,) = _seed(sandbox, _line(DELAYED, f"{DELAYED}-WH01"), seller_id=DELAYED)
    _pack_ready(client, [txn])

    (early,) = client.pack([txn])
    assert not early.ok
    assert isinstance(early.error, NoShipmentAvailableError)
    assert isinstance(early.error, TransientError)
    assert early.error.message == f"No Shipment Available for Transactions '{txn}'"
    assert early.error.transaction_ids == (txn,)
    assert early.line_status == "PICKCONF"
    assert sandbox.line(txn).status == "PICKCONF"

    sandbox.clock.advance(minutes=31)
    (packed,) = client.pack([txn])
    assert packed.ok, packed.error
    assert packed.awb_number


def test_steps_out_of_order(sandbox):
    client = _client(sandbox)
    allocated, handed = _seed(sandbox, _line(), _line())
    _pack_ready(client, [handed])
    client.pack([handed])
    client.hand_over([handed])

    (early,) = client.pack([allocated])
    assert isinstance(early.error, StatusOrderError)
    assert "Order Not in PICKCONG status" in early.error.message
    assert early.line_status == "ORDALLOC"
    (late,) = client.pack([handed])
    assert isinstance(late.error, StatusOrderError)
    (unpacked,) = client.hand_over([allocated])
    assert not unpacked.ok
    assert not unpacked.already_handed_over
    assert sandbox.line(allocated).status == "ORDALLOC"


def test_status_mappings_missing(sandbox):
    client = _client(sandbox, NO_MAPPINGS)
    (txn,) = _seed(
        sandbox, _line(NO_MAPPINGS, f"{NO_MAPPINGS}-WH01"), seller_id=NO_MAPPINGS
    )
    for call in (client.accept_lines, client.pick_confirm, client.pack):
        with pytest.raises(StatusMappingMissingError) as raised:
            call([txn])
        assert "Kindly Connect to Seller Portal team" in raised.value.message
    assert sandbox.line(txn).status == "ORDALLOC"


def test_documents_before_pack(sandbox, version):
    client = _client(sandbox, version=version)
    (txn,) = _seed(sandbox, _line())
    with pytest.raises(MarketplaceError, match="pack it or prefetch its label"):
        client.shipping_label(txn)
    with pytest.raises(MarketplaceError, match="pack the line first"):
        client.invoice_document(txn)
    with pytest.raises(MarketplaceError, match="not found"):
        client.invoice_document("999999999999999")
    with pytest.raises(MarketplaceError, match="Failed to Generate Manifest PDF"):
        client.manifest_document("MF000000")


def test_label_prefetch(sandbox):
    client = _client(sandbox)
    txn, self_ship = _seed(sandbox, _line(courier="XC"), _line(fulfillment="SSHIP"))

    first, refused = client.prefetch_labels([txn, self_ship])
    assert first.ok, first.error
    assert first.awb_number.startswith("XC")
    assert first.logistics_id == "XC"
    assert not refused.ok
    assert "self-ship" in refused.error.message
    (second,) = client.prefetch_labels([txn])
    assert second.awb_number == first.awb_number
    assert first.awb_number in _pdf_text(client.shipping_label(txn))
    assert sandbox.line(txn).status == "ORDALLOC"

    _pack_ready(client, [txn])
    (packed,) = client.pack([txn])
    assert packed.awb_number == first.awb_number


def test_label_prefetch_before_courier(sandbox):
    client = _client(sandbox, DELAYED)
    (txn,) = _seed(sandbox, _line(DELAYED, f"{DELAYED}-WH01"), seller_id=DELAYED)
    (result,) = client.prefetch_labels([txn])
    assert not result.ok
    assert isinstance(result.error, NoShipmentAvailableError)
    with pytest.raises(MarketplaceError):
        client.shipping_label(txn)


def test_shipment_confirm_rules(sandbox):
    client = _client(sandbox)
    tship, unpacked, handed = _seed(
        sandbox, _line(), _line(fulfillment="SSHIP"), _line(fulfillment="SSHIP")
    )
    _pack_ready(client, [tship, handed])
    client.pack([tship, handed])
    client.hand_over([handed])

    results = client.confirm_shipments(
        [
            Shipment(tship, "Seller Express", "SEX-1000001"),
            Shipment(unpacked, "Seller Express", "SEX-1000002"),
            Shipment(handed, "Seller Express", "SEX-1000003"),
        ]
    )
    assert [result.ok for result in results] == [False, False, False]
    assert "only for self-ship (SSHIP) lines" in results[0].error.message
    assert "Order Not in SCANNED status" in results[1].error.message
    assert "Shipment Already in HOTC" in results[2].error.message
    assert sandbox.line(tship).extra["awb_number"].startswith("DL")


def test_handover_repeat(sandbox, version):
    client = _client(sandbox, version=version)
    (txn,) = _seed(sandbox, _line())
    _pack_ready(client, [txn])
    client.pack([txn])
    assert client.hand_over([txn])[0].ok

    (again,) = client.hand_over([txn])
    assert not again.ok
    assert again.error.message == "Shipment Already in HOTC"
    assert again.already_handed_over
    assert again.handed_over
    assert again.line_status == "HOTCOURI"


def test_manifest_errors(sandbox):
    client = _client(sandbox)
    delhivery, bluedart, no_awb, not_handed, cnc = _seed(
        sandbox,
        _line(courier="DL"),
        _line(courier="BD"),
        _line(fulfillment="SSHIP"),
        _line(courier="DL"),
        _line(courier="DL", delivery="CNC"),
    )
    everything = [delhivery, bluedart, no_awb, not_handed, cnc]
    _pack_ready(client, everything)
    client.pack([delhivery, bluedart, no_awb, not_handed])
    client.hand_over([delhivery, bluedart, no_awb, cnc])

    manifest = client.create_manifest(everything, logistics_id="DL")
    assert manifest.ok
    assert manifest.logistics_id == "DL"
    messages = {line.transaction_id: line.error for line in manifest.failed}
    assert manifest.lines[0].ok
    assert messages[bluedart].message == "p1logistic of Shipment is Invalid"
    assert messages[no_awb].message == "AWB Does Not Exists against Shipment"
    assert messages[not_handed].message == "Order Not in HOTCOURI status"
    assert messages[cnc].message == "Wrong Delivery Mode for Shipment"

    (courier_only,) = client.create_manifest([bluedart]).lines
    assert courier_only.ok
    assert courier_only.logistics_id == "BD"


def test_manifest_repeat_same_id(sandbox):
    client = _client(sandbox)
    first, second = _seed(sandbox, _line(), _line())
    _pack_ready(client, [first, second])
    client.pack([first, second])
    client.hand_over([first, second])

    created = client.create_manifest([first, second])
    repeated = client.create_manifest([first, second])
    assert repeated.ok
    assert repeated.manifest_id == created.manifest_id
    assert {line.manifest_id for line in repeated.lines} == {created.manifest_id}


def test_manifest_without_lines_fails(sandbox):
    client = _client(sandbox)
    (txn,) = _seed(sandbox, _line())
    manifest = client.create_manifest([txn])
    assert not manifest.ok
    assert manifest.manifest_id is None
    assert len(manifest.failed) == 1


# Batches and idempotency ----------------------------------------------------


def test_pack_batch_mixed_outcomes(sandbox, version):
    client = _client(sandbox, version=version)
    good, allocated, self_ship = _seed(
        sandbox, _line(), _line(), _line(fulfillment="SSHIP")
    )
    _pack_ready(client, [good, self_ship])
    unknown = "273570999999999999"

    results = client.pack([good, unknown, allocated, self_ship, good])
    assert [result.transaction_id for result in results] == [
        good,
        unknown,
        allocated,
        self_ship,
    ]
    assert [result.ok for result in results] == [True, False, False, True]
    assert "not found" in results[1].error.message
    assert results[1].error.error_code == "TC-404"
    assert isinstance(results[2].error, StatusOrderError)
    assert results[2].error.error_code == "TC-409"
    assert results[3].awb_number is None
    assert sandbox.line(good).status == "SCANNED"
    assert sandbox.line(allocated).status == "ORDALLOC"


def test_pack_repeat_returns_same(sandbox, version):
    client = _client(sandbox, version=version)
    (txn,) = _seed(sandbox, _line())
    _pack_ready(client, [txn])
    (first,) = client.pack([txn])
    (second,) = client.pack([txn])
    assert second.ok
    assert second.invoice_number == first.invoice_number
    assert second.awb_number == first.awb_number
    assert second.logistics_id == first.logistics_id


def test_pack_retry_after_lost_response(sandbox):
    client = _client(sandbox)
    (txn,) = _seed(sandbox, _line())
    _pack_ready(client, [txn])
    sandbox.faults.inject("pack", "5xx", after_handling=True)
    calls_before = len(sandbox.calls.for_route("pack"))

    (packed,) = client.pack([txn])
    assert packed.ok, packed.error
    assert len(sandbox.calls.for_route("pack")) - calls_before == 2
    assert sandbox.line(txn).extra["invoice_number"] == packed.invoice_number
    assert sandbox.line(txn).extra["awb_number"] == packed.awb_number


def test_handover_retry_after_lost_response(sandbox):
    client = _client(sandbox)
    (txn,) = _seed(sandbox, _line())
    _pack_ready(client, [txn])
    client.pack([txn])
    sandbox.faults.inject("handover", "disconnect", after_handling=True)

    (handed,) = client.hand_over([txn])
    assert handed.handed_over
    assert sandbox.line(txn).status == "HOTCOURI"


def test_accept_and_pick_repeat(sandbox):
    client = _client(sandbox, version="V1")
    (txn,) = _seed(sandbox, _line())
    assert client.accept_lines([txn, txn])[0].ok
    assert client.accept_lines([txn])[0].ok
    assert client.pick_confirm([txn])[0].ok
    assert client.pick_confirm([txn])[0].line_status == "PICKCONF"


def test_large_batch_is_chunked(sandbox):
    client = _client(sandbox)
    transaction_ids = _seed(sandbox, *(_line() for _ in range(120)))
    calls_before = len(sandbox.calls.for_route("line_accept"))
    results = client.accept_lines(transaction_ids)
    assert len(results) == 120
    assert all(result.ok for result in results)
    assert len(sandbox.calls.for_route("line_accept")) - calls_before == 2


def test_pack_assigns_missing_courier(sandbox):
    client = _client(sandbox)
    (txn,) = _seed(sandbox, _line(courier="NA"))
    _pack_ready(client, [txn])

    (packed,) = client.pack([txn])
    assert packed.ok, packed.error
    assert packed.logistics_id in ("DL", "BD", "EE", "XC")
    assert packed.awb_number.startswith(packed.logistics_id)
    assert sandbox.line(txn).data["p1LogisticsID"] == packed.logistics_id


def test_pack_after_hop_to_other_seller(sandbox):
    client = _client(sandbox)
    (txn,) = _seed(sandbox, _line())
    sandbox.state.allocate(sandbox.line(txn), LUXURY, f"{LUXURY}-WH01")

    (result,) = client.pack([txn])
    assert not result.ok
    assert "reallocated to another seller" in result.error.message
    assert result.error.error_code == "TC-409"
    with pytest.raises(MarketplaceError, match="reallocated"):
        client.shipping_label(txn)
