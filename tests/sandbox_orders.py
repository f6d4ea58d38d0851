"""Sellers, orders and clients for tests that run against the sandbox marketplace.

Every call builds fresh order numbers and transaction ids, so tests that
share one sandbox stay independent.
"""

from __future__ import annotations

import itertools

from tatacliq.client import Client
from tatacliq_sandbox import Seller, demo_seller

_numbers = itertools.count(1)

# Logins of the sandbox's demo seller, as ``Client`` keyword arguments.
DEMO_CREDENTIALS = demo_seller().credentials()


def make_seller(seller_id: str, *slave_ids: str, stores=None) -> Seller:
    """Return a seller whose credentials derive from its id.

    ``stores`` are its OMNI slave ids (default: every slave id).
    """
    return Seller(
        seller_id=seller_id,
        seller_code=f"TCQ{seller_id}",
        username=f"slave.{seller_id}",
        password=f"password-{seller_id}",
        api_key=f"key-{seller_id}",
        api_secret=f"secret-{seller_id}",
        slave_ids=slave_ids,
        store_slave_ids=slave_ids if stores is None else stores,
        name=f"Seller {seller_id}",
    )


def make_client(sandbox, seller_id: str, version: str = "V2") -> Client:
    """Return a client logged in as ``seller_id`` (the demo seller or make_seller)."""
    if seller_id == DEMO_CREDENTIALS["seller_id"]:
        credentials = DEMO_CREDENTIALS
    else:
        credentials = make_seller(seller_id).credentials()
    return Client(
        sandbox.url, **credentials, version=version, max_retries=1, backoff=0.01
    )


def unique_sku(prefix: str = "SKU") -> str:
    return f"{prefix}-{next(_numbers):05d}"


def make_line(seller_id: str, slave_id: str, sku: str = "KURTA-BLU-M", **fields):
    """Return one allocated TSHIP order line; ``fields`` override payload fields."""
    number = next(_numbers)
    line = {
        "transactionId": f"{seller_id}7{number:09d}",
        "shipByDate": "2026-12-31 23:59:59",
        "omsStatusCode": "ORDALLOC",
        "sellerID": seller_id,
        "articleNumber": sku,
        "price": "1299.00",
        "mrp": "1999.00",
        "isCOD": "N",
        "apportionedPrice": "1299.00",
        "apportionedCODPrice": "0.00",
        "apportionedShippingCharge": "0.00",
        "taxType": "GST",
        "taxValue": "139.18",
        "deliveryMode": "HD",
        "transportMode": "SUR",
        "fulfillmentType": "TSHIP",
        "p1SlaveId": slave_id,
        "p1LogisticsID": "DL",
        "returnLogisticsID": "DL",
    }
    line.update(fields)
    return line


def order_payload(order_no: str, lines, **fields) -> dict:
    """Return a prepaid order of ``lines`` delivered in Pune.

    ``fields`` add order fields, such as ``orderDate``.
    """
    return {
        "orderNo": order_no,
        "orderType": "01",
        **fields,
        "addressInfo": [
            {
                "addressType": "DA",
                "name": "Asha Verma",
                "phone": "9800000001",
                "address1": "Flat 12, Example Residency",
                "city": "Pune",
                "state": "27",
                "pincode": "411001",
                "country": "IN",
            }
        ],
        "paymentInfo": [{"paymentCost": "1299.00", "paymentMode": "Prepaid"}],
        "orderLine": list(lines),
    }


def seed_order(sandbox, seller_id: str, *lines: dict) -> tuple[str, list[str]]:
    """Seed one order holding ``lines``; return its number and transaction ids."""
    number = next(_numbers)
    order_no = f"9{number:03d}-5000-{number:06d}"
    order = order_payload(order_no, lines, orderDate="2026-11-28 14:05:33")
    sandbox.seed(seller_id, {"order": [order]})
    return order_no, [line["transactionId"] for line in lines]


def ship(client, transaction_ids: list[str]) -> list:
    """Accept, pick, pack and hand over lines; return the pack results."""
    steps = (client.accept_lines, client.pick_confirm, client.pack)
    results = []
    for step in steps:
        results = step(transaction_ids)
        assert all(result.ok for result in results), results
    handed = client.hand_over(transaction_ids)
    assert all(result.ok for result in handed), handed
    return results
