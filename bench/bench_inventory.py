"""Benchmark the inventory push against a per-product ORM loop.

A copy of a database with the connector installed gets ``--skus`` storable
products mapped on one channel with ``--locations`` locations, each its own
warehouse with one quant per product (created by SQL, about one in ten with
a reservation). The sandbox marketplace runs in a child process on
127.0.0.1 with a seller that has one slave id per location. Measured:

- first full push: ``tatacliq.channel._push_inventory(mode="full")`` on a
  channel that never pushed, so it creates the state rows too;
- full push: the same again, as the nightly run does it;
- compute: ``tatacliq.inventory.state._iter_push_rows`` over every row, the
  set-based free quantity part of a full push;
- naive compute: one ``product.free_qty`` read per product and warehouse,
  each product browsed on its own with ``warehouse_id`` in the context (the
  Odoo 18.0 key), on ``--naive-sample`` products and extrapolated;
- delta push: ``_push_inventory(mode="delta")`` after 1% of the SKUs changed
  stock at every location. The changes go through
  ``stock.quant._update_available_quantity``, so the quant hook queues them.
  Then an idle delta push, with no change.

The naive full sync is estimated as the extrapolated naive compute plus the
part of the connector's full push that is not compute (HTTP, state rows,
commits), because a naive loop must send the same items.

Run: ``.venv/bin/python bench/bench_inventory.py --skus 50000 --locations 5``.
"""

import argparse
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _odoo  # noqa: E402

from tatacliq.client import clear_token_cache  # noqa: E402

SELLER = {
    "seller_id": "990001",
    "seller_code": "TCQ990001",
    "username": "bench.slave",
    "password": "bench-password",
    "api_key": "bench-key",
    "api_secret": "bench-secret",
}
SKU_PREFIX = "BENCH-"
PRODUCT_BATCH = 2000
TEMPLATE_DB = "tcq_bench_inventory_tmpl"
RUN_DB = "tcq_bench_inventory_run"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--skus", type=int, default=50_000, help="number of mapped products"
    )
    parser.add_argument(
        "--locations",
        type=int,
        default=5,
        help="number of locations, one warehouse each",
    )
    parser.add_argument(
        "--naive-sample",
        type=int,
        default=1000,
        help="products read one by one per warehouse by the naive loop; the "
        "result is extrapolated to --skus (default %(default)s)",
    )
    parser.add_argument(
        "--changed-share",
        type=float,
        default=0.01,
        help="share of SKUs whose stock changes before the delta push "
        "(default %(default)s)",
    )
    parser.add_argument(
        "--api-version",
        choices=("v1", "v2"),
        default="v2",
        help="API version of the channel",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases after the run"
    )
    return parser.parse_args(argv)


def peak_rss_mib():
    """Return the peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Fixtures


def create_fixtures(env, args, sandbox_url):
    """Create warehouses, products, mappings, quants and the channel; return it."""
    company = env.company
    warehouses = env["stock.warehouse"].create(
        [
            {"name": f"Bench warehouse {n}", "code": f"BW{n}", "company_id": company.id}
            for n in range(1, args.locations + 1)
        ]
    )
    env.cr.commit()

    started = time.monotonic()
    Product = env["product.product"].with_context(
        tracking_disable=True, mail_create_nolog=True
    )
    for start in range(0, args.skus, PRODUCT_BATCH):
        stop = min(start + PRODUCT_BATCH, args.skus)
        Product.create(
            [
                {
                    "name": f"Bench product {n}",
                    "default_code": f"{SKU_PREFIX}{n:06d}",
                    "type": "consu",
                    "is_storable": True,
                }
                for n in range(start, stop)
            ]
        )
        env.cr.commit()
    print(
        f"Created {args.skus} products in {time.monotonic() - started:.0f} s",
        flush=True,
    )

    slave_ids = [
        f"{SELLER['seller_id']}-L{n:02d}" for n in range(1, args.locations + 1)
    ]
    channel = env["tatacliq.channel"].create(
        {
            "name": "Bench channel",
            "company_id": company.id,
            "base_url": sandbox_url,
            "warehouse_id": warehouses[0].id,
            "api_version": args.api_version,
            "inventory_method": "api",
            "inventory_batch_size": 500,
            **SELLER,
            "location_ids": [
                (0, 0, {"slave_id": slave_id, "warehouse_id": warehouse.id})
                for slave_id, warehouse in zip(slave_ids, warehouses, strict=True)
            ],
        }
    )
    env.flush_all()
    # Bulk rows by SQL: the ORM's per-record checks of mappings and quants are
    # not what is measured here.
    env.cr.execute(
        """
        INSERT INTO tatacliq_product_mapping (
            channel_id, company_id, article_number, product_id, active,
            delisted, safety_stock, create_uid, create_date, write_uid, write_date
        )
        SELECT %s, %s, product.default_code, product.id, true, false, 0,
               1, now() at time zone 'utc', 1, now() at time zone 'utc'
          FROM product_product product
         WHERE product.default_code LIKE %s
        """,
        [channel.id, company.id, SKU_PREFIX + "%"],
    )
    for warehouse in warehouses:
        # About one quant in ten has a reservation; quantities 0 to 49.
        env.cr.execute(
            """
            INSERT INTO stock_quant (
                product_id, company_id, location_id, quantity, reserved_quantity,
                in_date, create_uid, create_date, write_uid, write_date
            )
            SELECT product.id, %s, %s,
                   (product.id * 7 + %s) %% 50,
                   CASE WHEN product.id %% 10 = 0
                        THEN LEAST((product.id * 7 + %s) %% 50, 2) ELSE 0 END,
                   now() at time zone 'utc', 1, now() at time zone 'utc', 1,
                   now() at time zone 'utc'
              FROM product_product product
             WHERE product.default_code LIKE %s
            """,
            [
                company.id,
                warehouse.lot_stock_id.id,
                warehouse.id,
                warehouse.id,
                SKU_PREFIX + "%",
            ],
        )
    env.cr.commit()
    # Planner statistics as autovacuum would leave them after a bulk load;
    # without them PostgreSQL guesses a few rows and picks nested loops.
    env.cr.execute("ANALYZE stock_quant, stock_location, tatacliq_product_mapping")
    env.invalidate_all()
    return channel, slave_ids


# Measurements


def timed(label, function):
    started = time.perf_counter()
    result = function()
    elapsed = time.perf_counter() - started
    print(f"{label}: {elapsed:.2f} s (peak RSS {peak_rss_mib():.0f} MiB)", flush=True)
    return elapsed, result


def push(channel, mode):
    run = channel._push_inventory(mode=mode, trigger="benchmark")
    channel.env.cr.commit()
    if run is None or run.error:
        raise _odoo.BenchError(f"{mode} push failed: {run and run.error}")
    return run


def naive_compute(env, product_ids, warehouses):
    """Read free_qty one product and one warehouse at a time, as a loop would."""
    Product = env["product.product"]
    total = 0.0
    for warehouse in warehouses:
        for product_id in product_ids:
            # A record browsed alone has no prefetch set, so the computed
            # field is evaluated for this product only.
            product = Product.browse(product_id).with_context(warehouse_id=warehouse.id)
            total += product.free_qty
        env.invalidate_all()
    return total


def change_stock(env, product_ids, warehouses):
    """Add one unit of each product in each warehouse through the quant API."""
    Quant = env["stock.quant"]
    products = env["product.product"].browse(product_ids)
    for warehouse in warehouses:
        for product in products:
            Quant._update_available_quantity(product, warehouse.lot_stock_id, 1)
    env.cr.commit()


def run(args):
    odoo = _odoo.load_odoo(
        log_file=_odoo.VAR_DIR / "bench-inventory-odoo.log", log_level="info"
    )
    template = _odoo.connector_template(odoo, TEMPLATE_DB)
    results = {}
    try:
        with _odoo.sandbox_process(_odoo.VAR_DIR / "bench-inventory-sandbox.log") as (
            sandbox
        ):
            seller = dict(SELLER)
            seller["slave_ids"] = [
                f"{SELLER['seller_id']}-L{n:02d}" for n in range(1, args.locations + 1)
            ]
            sandbox.admin("POST", "sellers", seller)
            with (
                _odoo.fresh_database(template, RUN_DB, keep=args.keep),
                _odoo.environment(RUN_DB, su=True) as env,
            ):
                clear_token_cache()
                channel, _slave_ids = create_fixtures(env, args, sandbox.url)
                results = measure(env, channel, args)
    finally:
        if not args.keep:
            _odoo.drop_databases([TEMPLATE_DB])
    report(args, results)


def measure(env, channel, args):
    results = {}
    rss_before = peak_rss_mib()
    warehouses = channel.location_ids.warehouse_id
    rows = args.skus * args.locations

    results["first_full"], first_run = timed(
        "first full push (creates state rows)", lambda: push(channel, "full")
    )
    if first_run.accepted != rows:
        raise _odoo.BenchError(
            f"first full push accepted {first_run.accepted} of {rows} items"
        )
    results["full"], full_run = timed("full push", lambda: push(channel, "full"))
    results["full_batches"] = full_run.batches
    results["rss_after_full"] = peak_rss_mib()

    State = env["tatacliq.inventory.state"]
    state_ids = State.search([("channel_id", "=", channel.id)]).ids
    results["compute"], _count = timed(
        "compute (set-based)",
        lambda: sum(len(chunk) for chunk in State._iter_push_rows(state_ids)),
    )

    # Memory of the Python objects a full push allocates, on its own pass
    # because tracemalloc slows every allocation down.
    tracemalloc.start()
    push(channel, "full")
    _current, results["full_traced_peak"] = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    product_ids = sorted(set(State.browse(state_ids).mapped("product_id").ids))
    sample = product_ids[: args.naive_sample]
    sample_states = State.search(
        [("channel_id", "=", channel.id), ("product_id", "in", sample)]
    )
    expected = {
        (row["product_id"], row["warehouse_id"]): row["free"]
        for row in State._read_push_rows(sample_states.ids)
    }
    results["naive_sample_reads"] = len(sample) * len(warehouses)
    results["naive_sample"], _total = timed(
        f"naive compute ({results['naive_sample_reads']} reads)",
        lambda: naive_compute(env, sample, warehouses),
    )
    check_naive_matches(env, sample[:50], warehouses, expected)
    results["naive_compute"] = (
        results["naive_sample"] * rows / results["naive_sample_reads"]
    )
    results["naive_full"] = results["naive_compute"] + (
        results["full"] - results["compute"]
    )

    rng = random.Random(20261204)
    changed = rng.sample(product_ids, int(args.skus * args.changed_share))
    results["changed_rows"] = len(changed) * len(warehouses)
    timed(
        "stock change of the changed SKUs",
        lambda: change_stock(env, changed, warehouses),
    )
    results["delta"], delta_run = timed("delta push", lambda: push(channel, "delta"))
    if delta_run.sent != results["changed_rows"]:
        raise _odoo.BenchError(
            f"delta push sent {delta_run.sent} items, expected "
            f"{results['changed_rows']}"
        )
    results["idle_delta"], _idle = timed(
        "idle delta push", lambda: push(channel, "delta")
    )
    results["rss_before"] = rss_before
    results["rss_peak"] = peak_rss_mib()
    return results


def check_naive_matches(env, product_ids, warehouses, expected):
    """Raise BenchError unless the ORM's free_qty equals the set-based figure."""
    Product = env["product.product"]
    for warehouse in warehouses:
        for product_id in product_ids:
            orm = (
                Product.browse(product_id)
                .with_context(warehouse_id=warehouse.id)
                .free_qty
            )
            ours = float(expected[(product_id, warehouse.id)])
            if abs(orm - ours) > 1e-6:
                raise _odoo.BenchError(
                    f"free quantity of product {product_id} in warehouse "
                    f"{warehouse.id}: ORM {orm}, set-based {ours}"
                )


def report(args, results):
    if not results:
        return
    rows = args.skus * args.locations
    print()
    print(f"Machine: {_odoo.machine_summary()}")
    print(
        f"{args.skus} SKUs x {args.locations} locations = {rows} items, API "
        f"{args.api_version}, batches of 500"
    )
    print(f"first full push          {results['first_full']:8.2f} s")
    print(
        f"full push                {results['full']:8.2f} s "
        f"({results['full_batches']} requests)"
    )
    print(f"  of which compute       {results['compute']:8.2f} s")
    print(
        f"naive compute (est.)     {results['naive_compute']:8.2f} s "
        f"(measured {results['naive_sample']:.2f} s for "
        f"{results['naive_sample_reads']} reads)"
    )
    print(f"naive full sync (est.)   {results['naive_full']:8.2f} s")
    print(f"speed-up full sync       {results['naive_full'] / results['full']:8.1f} x")
    print(
        f"speed-up compute         "
        f"{results['naive_compute'] / results['compute']:8.1f} x"
    )
    print(
        f"delta push               {results['delta']:8.2f} s "
        f"({results['changed_rows']} items, "
        f"{100 * results['delta'] / results['full']:.1f}% of a full push)"
    )
    print(f"idle delta push          {results['idle_delta']:8.2f} s")
    print(
        f"peak RSS                 {results['rss_peak']:8.0f} MiB "
        f"(after set-up {results['rss_before']:.0f} MiB)"
    )
    print(
        f"full push traced peak    "
        f"{results['full_traced_peak'] / 1024 / 1024:8.0f} MiB (tracemalloc)"
    )


def main(argv=None):
    args = parse_args(argv if argv is not None else sys.argv[1:])
    try:
        run(args)
    except _odoo.BenchError as exc:
        print(f"Benchmark failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
