"""Benchmark the order import against a plain ORM import of the same orders.

The sandbox marketplace (a child process on 127.0.0.1) generates orders of
one to three lines (fixed seed, TSHIP, every SKU mapped to a product). Each
measurement runs in its own copy of a database that has the connector
installed, after a warm-up import of other orders in the same copy:

- connector: ``tatacliq.channel.action_sync_orders()`` over HTTP, with
  paging, decoding, the check for lines imported before, one savepoint per
  order, exceptions bookkeeping, the API log and a commit per batch;
- baseline: the same sale orders created and confirmed with the ORM from
  the orders decoded beforehand. It finds or creates the same customers and
  contacts, sets the same line prices, taxes and marketplace fields, groups
  free gifts with their paid line, confirms each order (which creates its
  delivery) and commits per batch of the same size. It does no HTTP, no
  decoding and no check for lines imported before;
- second sync: ``action_sync_orders()`` again on the connector's database,
  where every order is already imported.

When the import takes more than ``--goal-ratio`` times the baseline or the
second sync more than ``--goal-second-share`` of the first, the first (or
second) sync runs once more under cProfile in another fresh copy and the
top functions are printed. ``--profile`` always profiles.

Run: ``.venv/bin/python bench/bench_import.py --orders 1000``.
"""

import argparse
import sys
from datetime import date, timezone
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _odoo  # noqa: E402

from tatacliq.client import Client, clear_token_cache  # noqa: E402
from tatacliq_sandbox.auth import demo_seller  # noqa: E402
from tatacliq_sandbox.generator import DEFAULT_CATALOGUE  # noqa: E402

SELLER = demo_seller()
WAREHOUSE_SLAVE_ID = "273570-WH01"
WARMUP_SEED = "bench-warmup"
PAISA = Decimal("0.01")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--orders",
        type=int,
        default=1000,
        help="orders to import (default %(default)s)",
    )
    parser.add_argument(
        "--seed",
        default="20261128",
        help="random seed of the generated orders (default %(default)s)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        default=20,
        help="orders imported before each measurement (default %(default)s)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="measurements of each kind, each on a fresh database; the median "
        "is reported (default %(default)s)",
    )
    parser.add_argument(
        "--api-version",
        choices=("v1", "v2"),
        default="v1",
        help="channel API version: v1 XML, the channel default, or v2 JSON",
    )
    parser.add_argument(
        "--page-size", type=int, default=100, help="channel page size (default 100)"
    )
    parser.add_argument(
        "--batch-size",
        type=int,
        default=50,
        help="orders per commit, for both imports (default 50, the channel default)",
    )
    parser.add_argument(
        "--goal-ratio",
        type=float,
        default=1.5,
        help="maximum connector/baseline time ratio (default %(default)s)",
    )
    parser.add_argument(
        "--goal-second-share",
        type=float,
        default=0.05,
        help="maximum second sync time as a share of the first (default %(default)s)",
    )
    profile = parser.add_mutually_exclusive_group()
    profile.add_argument(
        "--profile", action="store_true", help="profile even when the goals are met"
    )
    profile.add_argument(
        "--no-profile", action="store_true", help="never profile the connector"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases after the run"
    )
    args = parser.parse_args(argv)
    if args.orders < 1 or args.repeat < 1 or args.warmup < 0:
        parser.error("--orders and --repeat must be 1 or more, --warmup 0 or more")
    return args


# -- Fixture -----------------------------------------------------------------------


def create_channel(env, sandbox_url, args):
    """Create the benchmark channel, its location and one product per SKU.

    Products get internal references that differ from the marketplace SKUs,
    so every line is found through its product mapping.
    """
    company = env.company
    warehouse = env["stock.warehouse"].search(
        [("company_id", "=", company.id)], limit=1
    )
    products = env["product.product"].create(
        [
            {
                "name": f"Bench {product.sku}",
                "default_code": f"BENCH-{product.sku}",
                "type": "consu",
                "is_storable": True,
                "list_price": float(product.price),
            }
            for product in DEFAULT_CATALOGUE
        ]
    )
    return env["tatacliq.channel"].create(
        {
            "name": "Tata CLiQ benchmark",
            **_odoo.tship_channel_values(
                env,
                sandbox_url,
                SELLER,
                WAREHOUSE_SLAVE_ID,
                warehouse,
                args.api_version,
                [
                    (item.sku, product)
                    for item, product in zip(DEFAULT_CATALOGUE, products, strict=True)
                ],
            ),
            "page_size": args.page_size,
            "batch_size": args.batch_size,
        }
    )


def load_orders(sandbox, count, seed):
    """Replace the sandbox's orders with ``count`` new TSHIP orders of ``seed``."""
    sandbox.admin("POST", "reset")
    # The reset revoked the tokens that clients of this process cached.
    clear_token_cache()
    if count:
        sandbox.admin(
            "POST",
            "generate",
            {
                "seller_id": SELLER.seller_id,
                "count": count,
                "seed": seed,
                "fulfillment_types": ["TSHIP"],
            },
        )


def fetch_decoded_orders(sandbox, args):
    """Return the sandbox's active orders decoded, as the connector receives them."""
    client = Client(
        base_url=sandbox.url,
        seller_id=SELLER.seller_id,
        seller_code=SELLER.seller_code,
        username=SELLER.username,
        password=SELLER.password,
        api_key=SELLER.api_key,
        api_secret=SELLER.api_secret,
        version=args.api_version.upper(),
    )
    orders = []
    for page in client.iter_order_pages(page_size=args.page_size):
        if page.failures:
            raise _odoo.BenchError(
                f"{len(page.failures)} generated order(s) could not be decoded, "
                f"first {page.failures[0].order_no}: {page.failures[0].error}"
            )
        orders += page.orders
    return orders


# -- Baseline: the same sale orders with the plain ORM ---------------------------


def naive_utc(value):
    if not value:
        return False
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def rate_text(rate):
    return format(Decimal(rate).normalize(), "f")


class BaselineImport:
    """Create and confirm the sale orders of decoded orders with the ORM only.

    It writes the same records as the connector's order builder. Each
    transaction becomes one sale order, and a free gift goes on the order of
    its paid line. The customer is found by the connector's customer key,
    and its invoice and delivery contacts are matched by address. GST taxes
    (tax included) are found or created by name. Shipping and cash on
    delivery charges become lines of their own, and orders and lines carry
    the same marketplace fields.
    """

    def __init__(self, env, channel):
        self.channel = channel.with_env(env).with_company(channel.company_id)
        self.env = self.channel.env
        self.cache = {}
        # Both imports must put customers in the same states, so the
        # baseline reads the connector's GST state code table.
        from odoo.addons.tatacliq_connector.models.tatacliq_order_builder import (
            GST_STATE_CODES,
        )

        self.gst_state_codes = GST_STATE_CODES

    def run(self, orders, batch_size):
        for start in range(0, len(orders), batch_size):
            for order in orders[start : start + batch_size]:
                self.import_order(order)
            self.env.cr.commit()

    def import_order(self, order):
        customer, invoice, shipping = self.partners(order)
        lines = list(order.lines)
        by_transaction = {line.transaction_id: line for line in lines}
        # A free gift joins the order of its paid line when both ship from
        # the same warehouse. Otherwise it gets a sale order of its own.
        gifts = set()
        for line in lines:
            parent = by_transaction.get(line.parent_transaction_id)
            if (
                line.is_freebie
                and parent is not None
                and not parent.is_freebie
                and self.warehouse(line) == self.warehouse(parent)
            ):
                gifts.add(line.transaction_id)
        for line in lines:
            if line.transaction_id in gifts:
                continue
            group = [line] + [
                gift
                for gift in lines
                if gift.transaction_id in gifts
                and gift.parent_transaction_id == line.transaction_id
            ]
            self.create_sale_order(order, line, group, (customer, invoice, shipping))

    # Lookups, cached for the run as the connector caches them.

    def cached(self, key, factory):
        if key not in self.cache:
            self.cache[key] = factory()
        return self.cache[key]

    def product(self, line):
        def search():
            mappings = self.env["tatacliq.product.mapping"].search(
                [("channel_id", "=", self.channel.id)]
            )
            return {m.article_number.lower(): m.product_id for m in mappings}

        return self.cached("products", search)[line.article_number.lower()]

    def warehouse(self, line):
        def search():
            return {
                location.slave_id.lower(): location.warehouse_id
                for location in self.channel.location_ids
            }

        return self.cached("warehouses", search)[line.slave_id.lower()]

    def country(self, code):
        return self.cached(
            ("country", code),
            lambda: self.env["res.country"].search([("code", "=", code)], limit=1),
        )

    def state(self, country, gst_code):
        code = self.gst_state_codes.get((gst_code or "").zfill(2))
        if country.code != "IN" or not code:
            return self.env["res.country.state"]
        return self.cached(
            ("state", code),
            lambda: self.env["res.country.state"].search(
                [("country_id", "=", country.id), ("code", "=", code)], limit=1
            ),
        )

    # Customers

    def partners(self, order):
        billing = order.billing_address
        customer = self.customer(billing)
        invoice = self.contact(customer, billing, "invoice")
        shipping = self.contact(customer, order.delivery_address, "delivery")
        return customer, invoice, shipping

    def customer(self, address):
        email = (address.email or "").strip().lower()
        if "@" in email:
            key = f"email:{email}"
        else:
            phone = "".join(ch for ch in address.phone or "" if ch.isdigit())[-10:]
            name = " ".join((address.name or "").split()).casefold()
            key = f"phone:{phone}|{name}|{(address.pincode or '').replace(' ', '')}"
        Partner = self.env["res.partner"].with_context(active_test=False)
        customer = self.cache.get(("customer", key)) or Partner.search(
            [("tatacliq_customer_key", "=", key), ("parent_id", "=", False)],
            order="id",
            limit=1,
        )
        if not customer:
            customer = Partner.create(
                dict(
                    self.address_vals(address),
                    tatacliq_customer_key=key,
                    customer_rank=1,
                )
            )
        self.cache[("customer", key)] = customer
        return customer

    def contact(self, customer, address, contact_type):
        vals = self.address_vals(address)
        for contact in customer.with_context(active_test=False).child_ids:
            if contact.type == contact_type and all(
                (contact[name] or False) == (vals[name] or False)
                for name in ("name", "street", "street2", "zip", "city")
            ):
                return contact
        return self.env["res.partner"].create(
            dict(vals, type=contact_type, parent_id=customer.id)
        )

    def address_vals(self, address):
        country = self.country((address.country or "IN").upper())
        email = (address.email or "").strip()
        street2 = ", ".join(
            part
            for part in (address.address2, address.address3, address.landmark)
            if part
        )
        return {
            "name": address.name or "Tata CLiQ customer",
            "phone": address.phone or False,
            "email": email if "@" in email else False,
            "street": address.address1 or False,
            "street2": street2 or False,
            "city": address.city or False,
            "zip": address.pincode or False,
            "country_id": country.id,
            "state_id": self.state(country, address.state_code).id or False,
        }

    # Taxes

    def taxes(self, line):
        components = [
            (tax.tax_type.upper(), tax.rate) for tax in line.hsn_taxes if tax.rate
        ]
        Tax = self.env["account.tax"]
        if len(components) == 2 and components[0][0] == "CGST":
            (_cgst, half), (state_type, _rate) = components
            return self.group_tax(half, state_type)
        taxes = Tax
        for tax_type, rate in components:
            taxes |= self.single_tax(tax_type, rate, "sale")
        return taxes

    def single_tax(self, tax_type, rate, use):
        name = f"{tax_type} {rate_text(rate)}% incl."
        return self.cached(
            ("tax", name, use),
            lambda: self.find_or_create_tax(
                {
                    "name": name,
                    "description": f"{tax_type} {rate_text(rate)}%",
                    "amount_type": "percent",
                    "amount": float(rate),
                    "type_tax_use": use,
                }
            ),
        )

    def group_tax(self, half, state_type):
        total = rate_text(Decimal(half) * 2)
        name = f"GST {total}% incl. (CGST+{state_type})"

        def find_or_create():
            children = self.single_tax("CGST", half, "none") | self.single_tax(
                state_type, half, "none"
            )
            return self.find_or_create_tax(
                {
                    "name": name,
                    "description": f"GST {total}%",
                    "amount_type": "group",
                    "amount": 0.0,
                    "type_tax_use": "sale",
                    "children_tax_ids": [(6, 0, children.ids)],
                }
            )

        return self.cached(("tax", name, "sale"), find_or_create)

    def find_or_create_tax(self, vals):
        company = self.env.company
        Tax = self.env["account.tax"]
        tax = Tax.search(
            [
                ("company_id", "=", company.id),
                ("name", "=", vals["name"]),
                ("type_tax_use", "=", vals["type_tax_use"]),
                ("amount_type", "=", vals["amount_type"]),
                ("price_include_override", "=", "tax_included"),
            ],
            limit=1,
        )
        if tax:
            return tax
        group = self.cached(
            "tax_group",
            lambda: (
                self.env["account.tax.group"].search(
                    [("company_id", "=", company.id), ("name", "=", "GST")], limit=1
                )
                or self.env["account.tax.group"].create(
                    {"name": "GST", "company_id": company.id}
                )
            ),
        )
        return Tax.create(
            dict(
                vals,
                company_id=company.id,
                price_include_override="tax_included",
                tax_group_id=group.id,
            )
        )

    # Sale orders

    def pricelist(self):
        def find():
            inr = self.env.ref("base.INR")
            return self.env["product.pricelist"].search(
                [
                    ("currency_id", "=", inr.id),
                    ("company_id", "in", [self.env.company.id, False]),
                ],
                order="company_id, sequence, id",
                limit=1,
            )

        return self.cached("pricelist", find)

    def create_sale_order(self, order, first, group, partners):
        customer, invoice, shipping = partners
        channel = self.channel
        payment = order.payments[0] if order.payments else None
        order_date = naive_utc(order.order_date)
        line_vals = [self.line_vals(line) for line in group]
        line_vals += self.charge_vals(order, group)
        sale_order = self.env["sale.order"].create(
            {
                "partner_id": customer.id,
                "partner_invoice_id": invoice.id,
                "partner_shipping_id": shipping.id,
                "company_id": channel.company_id.id,
                "warehouse_id": self.warehouse(first).id,
                "pricelist_id": self.pricelist().id,
                "team_id": channel.team_id.id or False,
                "client_order_ref": f"{order.order_no} / {first.transaction_id}",
                "origin": f"Tata CLiQ {order.order_no}",
                "date_order": order_date,
                "commitment_date": naive_utc(
                    min(line.ship_by_date for line in group if line.ship_by_date)
                ),
                "tatacliq_channel_id": channel.id,
                "tatacliq_order_no": order.order_no,
                "tatacliq_order_date": order_date,
                "tatacliq_allocation_date": naive_utc(
                    min(line.allocation_date for line in group if line.allocation_date)
                ),
                "tatacliq_payment_mode": payment.mode if payment else False,
                "order_line": [(0, 0, vals) for vals in line_vals],
            }
        )
        if len(group) > 1:
            by_transaction = {
                line.tatacliq_transaction_id: line
                for line in sale_order.order_line
                if line.tatacliq_transaction_id
            }
            for line in group[1:]:
                by_transaction[
                    line.transaction_id
                ].tatacliq_freebie_parent_id = by_transaction[
                    line.parent_transaction_id
                ]
        sale_order.action_confirm()
        sale_order.date_order = order_date
        return sale_order

    def line_vals(self, line):
        from tatacliq.models import STATUS_CODES

        product = self.product(line)
        quantity = max(line.quantity or 1, 1)
        price = (line.apportioned_price / quantity).quantize(PAISA, ROUND_HALF_UP)
        vals = {
            "product_id": product.id,
            "product_uom_qty": quantity,
            "price_unit": float(price),
            "discount": 0.0,
            "tax_id": [(6, 0, self.taxes(line).ids)],
            "tatacliq_line_kind": "product",
            "tatacliq_transaction_id": line.transaction_id,
            "tatacliq_slave_id": line.slave_id or False,
            "tatacliq_status_code": line.status or False,
            "tatacliq_status_name": STATUS_CODES.get(
                line.status or "", (None, line.status)
            )[1]
            or False,
            "tatacliq_allocation_date": naive_utc(line.allocation_date),
            "tatacliq_ship_by_date": naive_utc(line.ship_by_date),
            "tatacliq_fulfillment_type": line.fulfillment_type or False,
            "tatacliq_delivery_mode": line.delivery_mode or False,
            "tatacliq_transport_mode": line.transport_mode or False,
            "tatacliq_logistics_id": line.logistics_id or False,
            "tatacliq_is_cod": line.is_cod,
            "tatacliq_gift_message": line.gift_message or False,
            "tatacliq_is_freebie": line.is_freebie,
            "tatacliq_hsn_code": line.hsn_code or False,
        }
        if line.is_freebie:
            vals["name"] = (
                f"{product.display_name} (free gift with "
                f"{line.parent_transaction_id or 'the order'})"
            )
        return vals

    def charge_vals(self, order, group):
        charges = (
            (
                "shipping",
                "tatacliq_connector.product_tatacliq_shipping",
                sum((line.apportioned_shipping_charge for line in group), Decimal(0)),
                f"Shipping charge of Tata CLiQ order {order.order_no}",
            ),
            (
                "cod",
                "tatacliq_connector.product_tatacliq_cod",
                sum((line.apportioned_cod_price for line in group), Decimal(0)),
                f"Cash on delivery charge of Tata CLiQ order {order.order_no}",
            ),
        )
        return [
            {
                "product_id": self.env.ref(xmlid).id,
                "name": label,
                "product_uom_qty": 1,
                "price_unit": float(amount.quantize(PAISA)),
                "discount": 0.0,
                "tax_id": [(6, 0, [])],
                "tatacliq_line_kind": kind,
            }
            for kind, xmlid, amount, label in charges
            if amount
        ]


# -- Measurements ----------------------------------------------------------------


def imported_summary(env, channel, order_nos):
    """Return counts and totals of the sale orders of ``order_nos``, for checks."""
    env.cr.execute(
        """
        WITH orders AS (
            SELECT id, state, amount_total, amount_tax, partner_id,
                   partner_shipping_id
              FROM sale_order
             WHERE tatacliq_channel_id = %s AND tatacliq_order_no = ANY(%s)
        )
        SELECT (SELECT count(*) FROM orders),
               (SELECT count(*) FROM orders WHERE state = 'sale'),
               (SELECT COALESCE(sum(amount_total), 0) FROM orders),
               (SELECT COALESCE(sum(amount_tax), 0) FROM orders),
               (SELECT count(*) FROM sale_order_line
                 WHERE order_id IN (SELECT id FROM orders)),
               (SELECT count(*) FROM stock_picking
                 WHERE sale_id IN (SELECT id FROM orders)),
               (SELECT count(DISTINCT partner_id) FROM orders),
               (SELECT count(DISTINCT partner_shipping_id) FROM orders)
        """,
        [channel.id, list(order_nos)],
    )
    row = env.cr.fetchone()
    keys = (
        "sale_orders",
        "confirmed",
        "amount_total",
        "amount_tax",
        "lines",
        "pickings",
        "customers",
        "delivery_contacts",
    )
    return {
        key: round(float(value), 2) if key.startswith("amount") else value
        for key, value in zip(keys, row, strict=True)
    }


def prepare_baseline(env, sandbox, args):
    """Create the channel, import the warm-up orders; return it and the orders.

    The measured orders are fetched and decoded here, before the clock starts.
    """
    channel = create_channel(env, sandbox.url, args)
    env.cr.commit()
    load_orders(sandbox, args.warmup, WARMUP_SEED)
    if args.warmup:
        warmup = fetch_decoded_orders(sandbox, args)
        BaselineImport(env, channel).run(warmup, args.batch_size)
    load_orders(sandbox, args.orders, args.seed)
    orders = fetch_decoded_orders(sandbox, args)
    env.invalidate_all()
    return channel, orders


def prepare_connector(env, sandbox, args):
    """Create the channel, import the warm-up orders, load the measured orders."""
    channel = create_channel(env, sandbox.url, args)
    env.cr.commit()
    load_orders(sandbox, args.warmup, WARMUP_SEED)
    if args.warmup:
        sync(channel, expected_lines=None)
    load_orders(sandbox, args.orders, args.seed)
    env.invalidate_all()
    return channel


def sync(channel, expected_lines):
    """Run the channel's sync as the button does; check that it imported cleanly."""
    channel.action_sync_orders()
    if channel.last_sync_exceptions:
        raise _odoo.BenchError(
            f"The sync recorded {channel.last_sync_exceptions} problem(s): "
            f"{channel.last_sync_message}"
        )
    if expected_lines is not None and channel.last_sync_imported != expected_lines:
        raise _odoo.BenchError(
            f"The sync imported {channel.last_sync_imported} line(s), expected "
            f"{expected_lines}: {channel.last_sync_message}"
        )


def measure_baseline(template, sandbox, args, index):
    """Return the baseline's ``Timing`` and the summary of what it created."""
    name = f"{_odoo.DB_PREFIX}import_{index}_base"
    with _odoo.fresh_environment(template, name, keep=args.keep, su=True) as env:
        channel, orders = prepare_baseline(env, sandbox, args)
        with _odoo.timed() as timing:
            BaselineImport(env, channel).run(orders, args.batch_size)
        summary = imported_summary(env, channel, [o.order_no for o in orders])
    return timing, summary


def measure_connector(template, sandbox, args, index, order_nos, lines):
    """Return the ``Timing`` of the first and second sync and the summary."""
    name = f"{_odoo.DB_PREFIX}import_{index}_conn"
    with _odoo.fresh_environment(template, name, keep=args.keep) as env:
        channel = prepare_connector(env, sandbox, args)
        with _odoo.timed() as first:
            sync(channel, expected_lines=lines)
        summary = imported_summary(env, channel, order_nos)
        env.invalidate_all()
        with _odoo.timed() as second:
            sync(channel, expected_lines=0)
    return first, second, summary


def profile_connector(template, sandbox, args, lines, with_second):
    """Profile the first sync, and the second one too when ``with_second``."""
    name = f"{_odoo.DB_PREFIX}import_prof_conn"
    paths = {"first sync": _odoo.VAR_DIR / "bench-import-first-sync.prof"}
    with _odoo.fresh_environment(template, name, keep=args.keep) as env:
        channel = prepare_connector(env, sandbox, args)
        with _odoo.profiled(paths["first sync"]):
            sync(channel, expected_lines=lines)
        if with_second:
            env.invalidate_all()
            paths["second sync"] = _odoo.VAR_DIR / "bench-import-second-sync.prof"
            with _odoo.profiled(paths["second sync"]):
                sync(channel, expected_lines=0)
    return paths


def profile_baseline(template, sandbox, args):
    name = f"{_odoo.DB_PREFIX}import_prof_base"
    path = _odoo.VAR_DIR / "bench-import-baseline.prof"
    with _odoo.fresh_environment(template, name, keep=args.keep, su=True) as env:
        channel, orders = prepare_baseline(env, sandbox, args)
        with _odoo.profiled(path):
            BaselineImport(env, channel).run(orders, args.batch_size)
    return path


def check_same_records(base, conn):
    """Raise BenchError when the two imports did not create the same records."""
    if base != conn:
        raise _odoo.BenchError(
            "The baseline and the connector created different records, so the "
            f"comparison is not fair: baseline {base}, connector {conn}."
        )


# -- Main ----------------------------------------------------------------------------


def run(args):
    odoo_log = _odoo.VAR_DIR / "bench-import-odoo.log"
    odoo = _odoo.load_odoo(log_file=odoo_log)
    print(f"Odoo {odoo.version} from {odoo.src}; Odoo log: {odoo_log}", flush=True)
    template = f"{_odoo.DB_PREFIX}import_tmpl"
    created = [template]
    try:
        _odoo.connector_template(odoo, template)
        with _odoo.sandbox_process(_odoo.VAR_DIR / "bench-import-sandbox.log") as sb:
            load_orders(sb, args.orders, args.seed)
            orders = fetch_decoded_orders(sb, args)
            order_nos = [order.order_no for order in orders]
            lines = sum(len(order.lines) for order in orders)
            print(
                f"{len(orders)} orders with {lines} lines (seed {args.seed}, API "
                f"{args.api_version}, page size {args.page_size}, batch size "
                f"{args.batch_size}, warm-up {args.warmup} orders)",
                flush=True,
            )

            timings = {"baseline": [], "first": [], "second": []}
            summary = None
            for index in range(1, args.repeat + 1):
                created += [
                    f"{_odoo.DB_PREFIX}import_{index}_base",
                    f"{_odoo.DB_PREFIX}import_{index}_conn",
                ]
                # Alternating which import runs first spreads the drift of a
                # shared machine's load over both.
                steps = ["baseline", "connector"]
                if index % 2 == 0:
                    steps.reverse()
                for step in steps:
                    if step == "baseline":
                        timing, base_summary = measure_baseline(
                            template, sb, args, index
                        )
                        timings["baseline"].append(timing)
                        print(f"  run {index} baseline:    {timing}", flush=True)
                    else:
                        first, second, summary = measure_connector(
                            template, sb, args, index, order_nos, lines
                        )
                        timings["first"].append(first)
                        timings["second"].append(second)
                        print(f"  run {index} first sync:  {first}", flush=True)
                        print(f"  run {index} second sync: {second}", flush=True)
                check_same_records(base_summary, summary)

            ratio, share = report(args, len(orders), lines, timings, summary)

            missed_first = ratio > args.goal_ratio
            missed_second = share > args.goal_second_share
            if args.profile or (
                not args.no_profile and (missed_first or missed_second)
            ):
                created += [
                    f"{_odoo.DB_PREFIX}import_prof_conn",
                    f"{_odoo.DB_PREFIX}import_prof_base",
                ]
                paths = profile_connector(
                    template, sb, args, lines, args.profile or missed_second
                )
                paths["baseline"] = profile_baseline(template, sb, args)
                for label, path in paths.items():
                    print(f"\n=== Profile of the {label}: {path} ===")
                    print(_odoo.profile_summary(path, "cumulative", 45))
                    print(_odoo.profile_summary(path, "tottime", 25))
    finally:
        if not args.keep:
            _odoo.drop_databases(created)
    return 0


def report(args, count, lines, timings, summary):
    """Print the result table; return the time ratio and the second sync share."""
    baseline = _odoo.Timing.median(timings["baseline"])
    first = _odoo.Timing.median(timings["first"])
    second = _odoo.Timing.median(timings["second"])
    ratio = first.wall / baseline.wall
    share = second.wall / first.wall
    print()
    print(f"Order import benchmark, {date.today().isoformat()}")
    print(f"Machine: {_odoo.machine_summary()}")
    print(
        f"Orders: {count} ({lines} lines) -> {summary['sale_orders']} confirmed sale "
        f"orders, {summary['lines']} sale order lines, {summary['pickings']} "
        f"deliveries, {summary['customers']} customers"
    )
    print(
        f"{'measurement':<24}{'wall s':>9}{'ms/order':>10}{'CPU s':>9}"
        f"{'(median of ' + str(args.repeat) + ')':>16}"
    )
    for label, timing in (
        ("baseline (plain ORM)", baseline),
        ("connector first sync", first),
        ("connector second sync", second),
    ):
        print(
            f"{label:<24}{timing.wall:9.2f}{timing.wall / count * 1000:10.1f}"
            f"{timing.cpu:9.2f}"
        )
    verdict = "met" if ratio <= args.goal_ratio else "MISSED"
    print(
        f"first sync / baseline: {ratio:.2f}x (goal at most {args.goal_ratio}x: "
        f"{verdict}); CPU {first.cpu / baseline.cpu:.2f}x"
    )
    verdict = "met" if share <= args.goal_second_share else "MISSED"
    print(
        f"second sync / first sync: {share:.1%} (goal under "
        f"{args.goal_second_share:.0%}: {verdict})"
    )
    if args.repeat > 1:
        for key, values in timings.items():
            print(f"{key} runs (wall s): {', '.join(f'{t.wall:.2f}' for t in values)}")
        pairs = zip(timings["first"], timings["baseline"], strict=True)
        ratios = ", ".join(f"{f.wall / b.wall:.2f}x" for f, b in pairs)
        print(f"first sync / baseline per run: {ratios}")
    return ratio, share


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except _odoo.BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
