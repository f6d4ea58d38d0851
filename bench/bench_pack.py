"""Benchmark packing many deliveries in one batch against packing them one by one.

The sandbox marketplace (a child process on 127.0.0.1) contains ``2 x
--deliveries`` single-line TSHIP orders whose courier is already assigned.
The channel imports them all (not measured), so every order has one
delivery. Then, in the same database:

- batch: the "Tata CLiQ: Pack" list action on the first half, as a user
  selecting them all in the list of transfers would run it;
- one by one: the Pack button of each delivery of the second half, one
  after the other.

Both accept, pick confirm and pack the lines, store the invoice number and
AWB, download the label and the invoice PDF of each delivery and commit per
delivery, as outside tests. The report gives the marketplace calls per
delivery (from the sandbox's call log, token requests left out) and the
wall time per delivery.

Run: ``.venv/bin/python bench/bench_pack.py --deliveries 200``.
"""

import argparse
import collections
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _odoo  # noqa: E402

from tatacliq.client import clear_token_cache  # noqa: E402
from tatacliq_sandbox.auth import demo_seller  # noqa: E402

SELLER = demo_seller()
WAREHOUSE_SLAVE_ID = "273570-WH01"
SKU = "BENCH-KURTA-M"
# Routes of the token and of the order import, left out of the counts.
SETUP_ROUTES = {"token", "orders_list", "order_get"}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--deliveries",
        type=int,
        default=200,
        help="deliveries packed by each method (default %(default)s)",
    )
    parser.add_argument(
        "--api-version",
        choices=("v1", "v2"),
        default="v1",
        help="channel API version: v1 XML, the channel default, or v2 JSON",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases for inspection"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the batch pack under cProfile and print its top functions",
    )
    return parser.parse_args(argv)


def order_payload(number):
    """Return a single-line TSHIP order allocated in the past (courier set)."""
    transaction_id = f"2735708{number:09d}"
    address = {
        "name": "Asha Verma",
        "phone": "9800000001",
        "address1": "Flat 12, Example Residency",
        "city": "Pune",
        "state": "27",
        "pincode": "411001",
        "country": "IN",
    }
    return {
        "orderNo": f"8{number:03d}-7000-{number:06d}",
        "orderType": "01",
        "orderDate": "2026-11-28 14:05:33",
        "addressInfo": [
            dict(address, addressType="DA"),
            dict(address, addressType="BA"),
        ],
        "paymentInfo": [{"paymentCost": "1299.00", "paymentMode": "Prepaid"}],
        "orderLine": [
            {
                "transactionId": transaction_id,
                "omsStatusCode": "ORDALLOC",
                "allocationDate": "2026-11-28 15:00:00",
                "shipByDate": "2026-12-31 23:59:59",
                "sellerID": SELLER.seller_id,
                "articleNumber": SKU,
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
                "p1SlaveId": WAREHOUSE_SLAVE_ID,
                "p1LogisticsID": "DL",
                "gst": {
                    "hsnCode": "6211",
                    "hsnTax": [
                        {"taxType": "CGST", "taxRate": "6.00", "taxValue": "69.59"},
                        {"taxType": "SGST", "taxRate": "6.00", "taxValue": "69.59"},
                    ],
                },
            }
        ],
    }


def create_channel(env, sandbox_url, args):
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", env.company.id)], limit=1
    )
    product = env["product.product"].create(
        {
            "name": "Bench kurta",
            "default_code": "BENCH-PRODUCT",
            "type": "consu",
            "is_storable": True,
            "list_price": 1299.0,
        }
    )
    return env["tatacliq.channel"].create(
        {
            "name": "Tata CLiQ pack benchmark",
            **_odoo.tship_channel_values(
                env,
                sandbox_url,
                SELLER,
                WAREHOUSE_SLAVE_ID,
                warehouse,
                args.api_version,
                [(SKU, product)],
            ),
            "use_marketplace_invoice": True,
            "use_shipping_label": True,
        }
    )


def import_deliveries(env, sandbox, args):
    """Seed and import the orders; return the two halves of their deliveries."""
    count = 2 * args.deliveries
    sandbox.admin("POST", "reset")
    clear_token_cache()
    sandbox.admin(
        "POST",
        "seed",
        {
            "seller_id": SELLER.seller_id,
            "order": [order_payload(number) for number in range(1, count + 1)],
        },
    )
    channel = create_channel(env, sandbox.url, args)
    env.cr.commit()
    started = time.perf_counter()
    channel.action_sync_orders()
    if channel.last_sync_imported != count:
        raise _odoo.BenchError(
            f"The sync imported {channel.last_sync_imported} line(s), expected "
            f"{count}: {channel.last_sync_message}"
        )
    print(f"Imported {count} orders in {time.perf_counter() - started:.1f} s")
    pickings = env["stock.picking"].search(
        [("tatacliq_channel_id", "=", channel.id)], order="id"
    )
    if len(pickings) != count:
        raise _odoo.BenchError(f"Expected {count} deliveries, found {len(pickings)}.")
    env.cr.commit()
    return pickings[: args.deliveries], pickings[args.deliveries :]


def marketplace_calls(sandbox):
    """Return the fulfilment calls the sandbox served since the last clear, by route."""
    calls = sandbox.admin("GET", "calls")["calls"]
    return collections.Counter(
        call["route"] for call in calls if call["route"] not in SETUP_ROUTES
    )


def check_packed(pickings, label):
    lines = pickings._tatacliq_lines()
    missing = [
        line.tatacliq_transaction_id
        for line in lines
        if line.tatacliq_status_code != "SCANNED"
        or not line.tatacliq_label_attachment_id
        or not line.tatacliq_invoice_attachment_id
    ]
    if missing or len(lines) != len(pickings):
        raise _odoo.BenchError(
            f"{label}: {len(missing)} line(s) not packed with their documents, "
            f"for example {missing[:3]}."
        )


def measure(env, sandbox, pickings, label, run, profile_path=None):
    sandbox.admin("DELETE", "calls")
    env.invalidate_all()
    started = time.perf_counter()
    if profile_path:
        with _odoo.profiled(profile_path):
            run(pickings)
    else:
        run(pickings)
    elapsed = time.perf_counter() - started
    env.invalidate_all()
    check_packed(pickings, label)
    return elapsed, marketplace_calls(sandbox)


def pack_batch(pickings):
    env = pickings.env
    action = env.ref("tatacliq_connector.action_server_tatacliq_pack")
    result = action.with_context(
        active_model="stock.picking", active_ids=pickings.ids
    ).run()
    if result["params"]["type"] != "success":
        raise _odoo.BenchError(f"Batch pack failed: {result['params']['message']}")


def pack_one_by_one(pickings):
    for picking in pickings:
        result = picking.action_tatacliq_pack()
        if result["params"]["type"] != "success":
            raise _odoo.BenchError(
                f"Pack of {picking.name} failed: {result['params']['message']}"
            )


def run(args):
    odoo_log = _odoo.VAR_DIR / "bench-pack-odoo.log"
    odoo = _odoo.load_odoo(log_file=odoo_log)
    print(f"Odoo {odoo.version} from {odoo.src}; Odoo log: {odoo_log}", flush=True)
    template = f"{_odoo.DB_PREFIX}pack_tmpl"
    database = f"{_odoo.DB_PREFIX}pack_run"
    try:
        _odoo.connector_template(odoo, template)
        with (
            _odoo.sandbox_process(_odoo.VAR_DIR / "bench-pack-sandbox.log") as sandbox,
            _odoo.fresh_environment(template, database, keep=args.keep) as env,
        ):
            batch_pickings, single_pickings = import_deliveries(env, sandbox, args)
            profile_path = _odoo.VAR_DIR / "bench-pack-batch.prof"
            batch = measure(
                env,
                sandbox,
                batch_pickings,
                "batch",
                pack_batch,
                profile_path if args.profile else None,
            )
            single = measure(
                env, sandbox, single_pickings, "one by one", pack_one_by_one
            )
            report(args, batch, single)
            if args.profile:
                print(f"\n=== Profile of the batch pack: {profile_path} ===")
                print(_odoo.profile_summary(profile_path, "cumulative", 40))
                print(_odoo.profile_summary(profile_path, "tottime", 25))
    finally:
        if not args.keep:
            _odoo.drop_databases([template, database])
    return 0


def report(args, batch, single):
    count = args.deliveries
    print()
    print(f"Pack benchmark, {date.today().isoformat()}")
    print(f"Machine: {_odoo.machine_summary()}")
    print(
        f"Deliveries: {count} per method, one TSHIP line each, API "
        f"{args.api_version}; label and invoice PDF downloaded for each"
    )
    print(
        f"{'method':<14}{'seconds':>9}{'ms/delivery':>13}{'calls':>7}{'calls/delivery':>16}"
    )
    for label, (seconds, calls) in (("batch", batch), ("one by one", single)):
        total = sum(calls.values())
        print(
            f"{label:<14}{seconds:9.2f}{seconds / count * 1000:13.1f}{total:7d}"
            f"{total / count:16.2f}"
        )
    for label, (_seconds, calls) in (("batch", batch), ("one by one", single)):
        routes = ", ".join(
            f"{route} {number}" for route, number in sorted(calls.items())
        )
        print(f"  {label} calls by route: {routes}")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except _odoo.BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
