import json
from decimal import Decimal
from pathlib import Path

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

import tatacliq_sandbox
from tatacliq.client import clear_token_cache
from tatacliq_sandbox.generator import DEFAULT_CATALOGUE

from .common import (
    DEMO_SELLER,
    STORE_SLAVE_IDS,
    WAREHOUSE_SLAVE_ID,
    TataCliqCase,
    make_order,
    make_order_line,
)

SAMPLE_FILE = Path(tatacliq_sandbox.__file__).parent / "samples" / "orders-v2.json"
SELLER_ID = DEMO_SELLER["seller_id"]
# The two orders of the sample file and their transactions.
SAMPLE_ORDER = "7462-3452-969027"  # two kurtas and a free pouch, Maharashtra
SAMPLE_COD_ORDER = "6204-2443-4245366"  # a wallet, cash on delivery, Kerala
KURTA_M_TX = "27357000012002701"
KURTA_L_TX = "27357000012002702"
POUCH_TX = "27357000012002703"
WALLET_TX = "27357000012002811"


def load_samples():
    return json.loads(SAMPLE_FILE.read_text(encoding="utf-8"))


def make_paid_order(order_no, lines, **values):
    """Return an order whose paymentCost includes its shipping and COD charges."""
    order = make_order(order_no, lines, **values)
    total = sum(
        Decimal(line["apportionedPrice"])
        + Decimal(line.get("apportionedShippingCharge") or "0")
        + Decimal(line.get("apportionedCODPrice") or "0")
        for line in lines
    )
    order["paymentInfo"][0]["paymentCost"] = f"{total:.2f}"
    return order


class ImportCase(TataCliqCase):
    """Base of the order import tests: an empty marketplace before each test."""

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        # The reset revoked the tokens the client cached; without this the
        # first call of each test would be a rejected one.
        clear_token_cache()

    def seed(self, *orders):
        return self.sandbox.seed(SELLER_ID, {"order": list(orders)})

    def seed_samples(self):
        return self.sandbox.seed(SELLER_ID, load_samples())

    def sync(self, channel=None):
        channel = channel or self.channel
        run = channel._sync_orders()
        self.assertIsNotNone(run, "the sync was skipped by the channel lock")
        return run

    def sale_orders(self, order_no=None, channel=None):
        domain = [("tatacliq_channel_id", "=", (channel or self.channel).id)]
        if order_no:
            domain.append(("tatacliq_order_no", "=", order_no))
        return self.env["sale.order"].search(domain, order="id")

    def order_line(self, transaction_id, channel=None):
        return self.env["sale.order.line"].search(
            [
                ("tatacliq_channel_id", "=", (channel or self.channel).id),
                ("tatacliq_transaction_id", "=", transaction_id),
            ]
        )

    def imported_transaction_counts(self, channel=None):
        lines = self.env["sale.order.line"].search(
            [
                ("tatacliq_channel_id", "=", (channel or self.channel).id),
                ("tatacliq_transaction_id", "!=", False),
            ]
        )
        counts = {}
        for line in lines:
            counts[line.tatacliq_transaction_id] = (
                counts.get(line.tatacliq_transaction_id, 0) + 1
            )
        return counts

    def assert_total_matches(self, payload):
        """Check that the sale orders of a marketplace order add up to what it cost."""
        order_no = payload["orderNo"]
        expected = sum(Decimal(p["paymentCost"]) for p in payload["paymentInfo"])
        sale_orders = self.sale_orders(order_no)
        self.assertTrue(sale_orders, f"order {order_no} was not imported")
        currency = sale_orders[0].currency_id
        self.assertEqual(currency.name, "INR")
        total = sum(sale_orders.mapped("amount_total"))
        self.assertTrue(
            currency.is_zero(total - float(expected)),
            f"order {order_no}: Odoo total {total} != marketplace {expected}",
        )


@tagged("post_install", "-at_install")
class TestImportSamples(ImportCase):
    def test_normal_one_order_per_transaction(self):
        self.seed_samples()
        run = self.sync()

        self.assertFalse(run.error)
        self.assertEqual(run.orders_read, 2)
        self.assertEqual(run.lines_imported, 4)
        self.assertEqual(run.sale_orders_created, 3)
        kurta_m, kurta_l = self.sale_orders(SAMPLE_ORDER)
        self.assertEqual(kurta_m.client_order_ref, f"{SAMPLE_ORDER} / {KURTA_M_TX}")
        self.assertEqual(kurta_l.client_order_ref, f"{SAMPLE_ORDER} / {KURTA_L_TX}")
        # The free pouch ships in the sale order of the kurta it came with.
        self.assertEqual(
            kurta_m.order_line.mapped("tatacliq_transaction_id"),
            [KURTA_M_TX, POUCH_TX],
        )
        self.assertEqual(
            kurta_l.order_line.mapped("tatacliq_transaction_id"), [KURTA_L_TX]
        )
        for sale_order in self.sale_orders():
            self.assertEqual(sale_order.state, "sale")
            self.assertTrue(sale_order.picking_ids)

    def test_order_wise_one_order_per_marketplace_order(self):
        self.channel.api_type = "order_wise"
        self.seed_samples()
        self.sync()

        sale_order = self.sale_orders(SAMPLE_ORDER)
        self.assertEqual(len(sale_order), 1)
        self.assertEqual(sale_order.client_order_ref, SAMPLE_ORDER)
        self.assertEqual(
            sale_order.order_line.mapped("tatacliq_transaction_id"),
            [KURTA_M_TX, KURTA_L_TX, POUCH_TX],
        )
        self.assertEqual(len(self.sale_orders()), 2)

    def test_line_fields(self):
        self.seed_samples()
        self.sync()

        line = self.order_line(KURTA_M_TX)
        self.assertEqual(line.product_id, self.products["KURTA-BLU-M"])
        self.assertEqual(line.tatacliq_line_kind, "product")
        self.assertEqual(line.tatacliq_slave_id, WAREHOUSE_SLAVE_ID)
        self.assertEqual(line.tatacliq_status_code, "ORDALLOC")
        self.assertEqual(line.tatacliq_status_name, "Allocated")
        self.assertEqual(line.tatacliq_fulfillment_type, "TSHIP")
        self.assertEqual(line.tatacliq_delivery_mode, "HD")
        self.assertEqual(line.tatacliq_transport_mode, "SUR")
        self.assertEqual(line.tatacliq_logistics_id, "DL")
        self.assertEqual(line.tatacliq_hsn_code, "6211")
        # 23:59:59 India time is 18:29:59 UTC.
        self.assertEqual(str(line.tatacliq_ship_by_date), "2026-11-30 18:29:59")
        self.assertEqual(line.price_unit, 1299.0)
        self.assertEqual(line.discount, 0.0)

    def test_totals_match_payment_cost(self):
        self.seed_samples()
        self.sync()
        for payload in load_samples()["order"]:
            self.assert_total_matches(payload)

    def test_totals_match_order_wise(self):
        self.channel.api_type = "order_wise"
        self.seed_samples()
        self.sync()
        for payload in load_samples()["order"]:
            self.assert_total_matches(payload)

    def test_gst_taxes(self):
        self.seed_samples()
        self.sync()

        kurta = self.order_line(KURTA_M_TX)
        self.assertEqual(len(kurta.tax_id), 1)
        group = kurta.tax_id
        self.assertEqual(group.amount_type, "group")
        self.assertEqual(
            sorted(group.children_tax_ids.mapped("name")),
            ["CGST 6% incl.", "SGST 6% incl."],
        )
        self.assertTrue(all(group.children_tax_ids.mapped("price_include")))
        # 1299 with 12 % GST included contains 139.18 of tax, as in the payload.
        self.assertAlmostEqual(kurta.price_tax, 139.18, places=2)
        wallet = self.order_line(WALLET_TX)
        self.assertEqual(wallet.tax_id.name, "IGST 18% incl.")
        self.assertTrue(wallet.tax_id.price_include)
        self.assertAlmostEqual(wallet.price_tax, 121.88, places=2)
        self.assertFalse(self.order_line(POUCH_TX).tax_id)

    def test_taxes_reused(self):
        self.seed_samples()
        self.sync()
        taxes_before = self.env["account.tax"].search_count([])
        second = load_samples()["order"][0]
        second["orderNo"] = "7462-3452-000001"
        for index, line in enumerate(second["orderLine"]):
            line["transactionId"] = f"2735700009900{index}"
            line["parentTransactionID"] = "null"
        self.seed(second)
        self.sync()

        self.assertEqual(self.env["account.tax"].search_count([]), taxes_before)

    def test_freebie_at_zero_whatever_the_pricelist(self):
        inr = self.env.ref("base.INR")
        inr.active = True
        pricelist = self.env["product.pricelist"].create(
            {
                "name": "INR with rules",
                "currency_id": inr.id,
                "company_id": self.company.id,
                "sequence": 1,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.products["POUCH-FREE"].id,
                            "compute_price": "fixed",
                            "fixed_price": 150.0,
                        }
                    ),
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": self.products["KURTA-BLU-M"].id,
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        }
                    ),
                ],
            }
        )
        self.seed_samples()
        self.sync()

        sale_order = self.order_line(POUCH_TX).order_id
        self.assertEqual(sale_order.pricelist_id, pricelist)
        # "Update prices" recomputes prices and discounts from the pricelist;
        # marketplace lines keep what the customer paid.
        sale_order.action_update_prices()
        pouch = self.order_line(POUCH_TX)
        self.assertTrue(pouch.tatacliq_is_freebie)
        self.assertEqual(pouch.price_unit, 0.0)
        self.assertEqual(pouch.price_total, 0.0)
        self.assertEqual(pouch.tatacliq_freebie_parent_id, self.order_line(KURTA_M_TX))
        kurta = self.order_line(KURTA_M_TX)
        self.assertEqual(kurta.price_unit, 1299.0)
        self.assertEqual(kurta.discount, 0.0)
        self.assertEqual(sale_order.amount_total, 1299.0)

    def test_cod_charge_line(self):
        self.seed_samples()
        self.sync()

        sale_order = self.sale_orders(SAMPLE_COD_ORDER)
        self.assertEqual(sale_order.tatacliq_payment_mode, "COD")
        cod_line = sale_order.order_line.filtered(
            lambda line: line.tatacliq_line_kind == "cod"
        )
        self.assertEqual(len(cod_line), 1)
        self.assertEqual(
            cod_line.product_id, self.env.ref("tatacliq_connector.product_tatacliq_cod")
        )
        self.assertEqual(cod_line.price_unit, 50.0)
        self.assertFalse(cod_line.tax_id)
        self.assertTrue(self.order_line(WALLET_TX).tatacliq_is_cod)
        self.assertEqual(sale_order.amount_total, 849.0)

    def test_gift_message(self):
        self.seed_samples()
        self.sync()

        self.assertEqual(
            self.order_line(WALLET_TX).tatacliq_gift_message, "Happy birthday!"
        )
        self.assertEqual(
            self.sale_orders(SAMPLE_COD_ORDER).tatacliq_gift_message, "Happy birthday!"
        )
        self.assertFalse(self.order_line(KURTA_M_TX).tatacliq_gift_message)

    def test_state_from_gst_code(self):
        self.seed_samples()
        self.sync()

        pune = self.sale_orders(SAMPLE_ORDER)[0].partner_shipping_id
        self.assertEqual(pune.state_id, self.env.ref("base.state_in_mh"))
        self.assertEqual(pune.country_id, self.env.ref("base.in"))
        self.assertEqual(pune.zip, "411001")
        self.assertEqual(pune.city, "Pune")
        self.assertEqual(pune.street2, "Sector 4, Near Example Park")
        kochi = self.sale_orders(SAMPLE_COD_ORDER).partner_shipping_id
        self.assertEqual(kochi.state_id, self.env.ref("base.state_in_kl"))

    def test_customer_and_contacts(self):
        self.seed_samples()
        self.sync()

        kurta_m, kurta_l = self.sale_orders(SAMPLE_ORDER)
        customer = kurta_m.partner_id
        self.assertEqual(customer.name, "Asha Verma")
        self.assertEqual(kurta_l.partner_id, customer)
        self.assertEqual(kurta_m.partner_shipping_id, kurta_l.partner_shipping_id)
        self.assertEqual(kurta_m.partner_shipping_id.type, "delivery")
        self.assertEqual(kurta_m.partner_shipping_id.parent_id, customer)
        self.assertEqual(kurta_m.partner_invoice_id.type, "invoice")
        self.assertEqual(kurta_m.partner_invoice_id.parent_id, customer)
        # The email arrived as "NA": the key is phone, name and pincode.
        self.assertEqual(
            customer.tatacliq_customer_key, "phone:9800000001|asha verma|411001"
        )
        wallet_customer = self.sale_orders(SAMPLE_COD_ORDER).partner_id
        self.assertEqual(
            wallet_customer.tatacliq_customer_key, "email:ravi.example@example.com"
        )

    def test_customer_found_again(self):
        self.seed_samples()
        self.sync()
        customer = self.sale_orders(SAMPLE_ORDER)[0].partner_id
        partners_before = self.env["res.partner"].search_count([])
        # Same person, phone written differently, billing address only.
        payload = load_samples()["order"][0]
        payload["orderNo"] = "7462-3452-000002"
        payload["orderLine"] = [payload["orderLine"][1]]
        payload["orderLine"][0]["transactionId"] = "27357000099000021"
        for address in payload["addressInfo"]:
            address["phone"] = "+91 98000 00001"
        self.seed(payload)
        self.sync()

        self.assertEqual(self.sale_orders("7462-3452-000002").partner_id, customer)
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)

    def test_order_and_allocation_dates(self):
        late = make_order(
            "1111-2222-333333",
            [
                make_order_line(
                    "27357000055500001",
                    "KURTA-BLU-M",
                    allocationDate="2026-12-03 10:00:00",
                )
            ],
        )
        self.seed(late)
        self.sync()

        sale_order = self.sale_orders("1111-2222-333333")
        # India time 14:05:33 and 10:00:00 are 08:35:33 and 04:30:00 UTC.
        self.assertEqual(str(sale_order.tatacliq_order_date), "2026-11-28 08:35:33")
        self.assertEqual(str(sale_order.date_order), "2026-11-28 08:35:33")
        self.assertEqual(
            str(sale_order.tatacliq_allocation_date), "2026-12-03 04:30:00"
        )
        self.assertEqual(
            str(sale_order.order_line.tatacliq_allocation_date), "2026-12-03 04:30:00"
        )


@tagged("post_install", "-at_install")
class TestImportRules(ImportCase):
    def test_shipping_charge_line(self):
        payload = make_paid_order(
            "2222-3333-444444",
            [
                make_order_line(
                    "27357000066600001",
                    "WALLET-BRN",
                    price="799.00",
                    apportionedShippingCharge="49.00",
                )
            ],
        )
        self.seed(payload)
        self.sync()

        sale_order = self.sale_orders("2222-3333-444444")
        shipping = sale_order.order_line.filtered(
            lambda line: line.tatacliq_line_kind == "shipping"
        )
        self.assertEqual(
            shipping.product_id,
            self.env.ref("tatacliq_connector.product_tatacliq_shipping"),
        )
        self.assertEqual(shipping.price_unit, 49.0)
        self.assertEqual(shipping.product_id.type, "service")
        self.assertEqual(sale_order.amount_total, 848.0)
        self.assert_total_matches(payload)

    def test_order_wise_charges_summed(self):
        self.channel.api_type = "order_wise"
        payload = make_paid_order(
            "2222-3333-555555",
            [
                make_order_line(
                    "27357000066600011",
                    "KURTA-BLU-M",
                    apportionedShippingCharge="24.50",
                    apportionedCODPrice="25.00",
                    isCOD="Y",
                ),
                make_order_line(
                    "27357000066600012",
                    "KURTA-BLU-L",
                    apportionedShippingCharge="24.50",
                    apportionedCODPrice="24.00",
                    isCOD="Y",
                ),
            ],
        )
        self.seed(payload)
        self.sync()

        sale_order = self.sale_orders("2222-3333-555555")
        kinds = sale_order.order_line.mapped("tatacliq_line_kind")
        self.assertEqual(kinds, ["product", "product", "shipping", "cod"])
        charges = {
            line.tatacliq_line_kind: line.price_unit for line in sale_order.order_line
        }
        self.assertEqual(charges["shipping"], 49.0)
        self.assertEqual(charges["cod"], 49.0)
        self.assert_total_matches(payload)

    def test_warehouse_by_slave_id(self):
        slaves = (WAREHOUSE_SLAVE_ID, *STORE_SLAVE_IDS)
        payload = make_order(
            "3333-4444-555555",
            [
                make_order_line(
                    f"2735700007770000{index}", "KURTA-BLU-M", p1SlaveId=slave
                )
                for index, slave in enumerate(slaves)
            ],
        )
        self.seed(payload)
        self.sync()

        expected = (self.warehouse, *self.store_warehouses)
        for index, warehouse in enumerate(expected):
            sale_order = self.order_line(f"2735700007770000{index}").order_id
            self.assertEqual(sale_order.warehouse_id, warehouse)
            self.assertEqual(
                sale_order.picking_ids.picking_type_id.warehouse_id, warehouse
            )

    def test_order_wise_split_per_warehouse(self):
        self.channel.api_type = "order_wise"
        payload = make_order(
            "3333-4444-666666",
            [
                make_order_line("27357000088800001", "KURTA-BLU-M"),
                make_order_line(
                    "27357000088800002", "KURTA-BLU-L", p1SlaveId=STORE_SLAVE_IDS[0]
                ),
                make_order_line("27357000088800003", "WALLET-BRN", price="799.00"),
            ],
        )
        self.seed(payload)
        self.sync()

        sale_orders = self.sale_orders("3333-4444-666666")
        self.assertEqual(len(sale_orders), 2)
        self.assertEqual(
            sale_orders.mapped("warehouse_id"),
            self.warehouse | self.store_warehouses[0],
        )
        self.assertEqual(
            set(sale_orders.mapped("client_order_ref")), {"3333-4444-666666"}
        )
        main = sale_orders.filtered(lambda so: so.warehouse_id == self.warehouse)
        self.assertEqual(
            main.order_line.mapped("tatacliq_transaction_id"),
            ["27357000088800001", "27357000088800003"],
        )
        self.assert_total_matches(payload)

    def test_warehouse_fallback_without_slave_id(self):
        payload = make_order(
            "4444-5555-666666",
            [make_order_line("27357000099900001", "KURTA-BLU-M", p1SlaveId="NA")],
        )
        self.seed(payload)
        self.sync()

        sale_order = self.sale_orders("4444-5555-666666")
        self.assertEqual(sale_order.warehouse_id, self.channel.warehouse_id)
        self.assertFalse(sale_order.order_line.tatacliq_slave_id)

    def test_warehouse_fallback_without_locations(self):
        self.channel.location_ids.unlink()
        store = self.store_warehouses[1]
        self.channel.warehouse_id = store
        payload = make_order(
            "4444-5555-777777",
            [
                make_order_line(
                    "27357000099900011", "KURTA-BLU-M", p1SlaveId="ANY-SLAVE"
                )
            ],
        )
        self.seed(payload)
        self.sync()

        sale_order = self.sale_orders("4444-5555-777777")
        self.assertEqual(sale_order.warehouse_id, store)
        self.assertEqual(sale_order.order_line.tatacliq_slave_id, "ANY-SLAVE")

    def test_sync_twice_same_counts(self):
        self.seed_samples()
        self.sync()
        orders_before = len(self.sale_orders())
        lines_before = self.env["sale.order.line"].search_count(
            [("tatacliq_channel_id", "=", self.channel.id)]
        )
        partners_before = self.env["res.partner"].search_count([])

        run = self.sync()

        self.assertEqual(run.lines_imported, 0)
        self.assertEqual(run.orders_skipped, 2)
        self.assertEqual(len(self.sale_orders()), orders_before)
        self.assertEqual(
            self.env["sale.order.line"].search_count(
                [("tatacliq_channel_id", "=", self.channel.id)]
            ),
            lines_before,
        )
        self.assertEqual(self.env["res.partner"].search_count([]), partners_before)
        self.assertEqual(self.channel.last_sync_imported, 0)
        self.assertTrue(
            all(n == 1 for n in self.imported_transaction_counts().values())
        )

    def count_sync_queries(self):
        # The first sync after an import fills caches (defaults, access
        # rights); the second one shows the steady cost.
        self.channel._sync_orders()
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        self.channel._sync_orders()
        return self.env.cr.sql_log_count - before

    def test_skip_cost_independent_of_size(self):
        self.seed_samples()
        self.sync()
        few = self.count_sync_queries()
        self.seed(
            *(
                make_order(
                    f"5555-0000-00000{index}",
                    [make_order_line(f"2735700011110000{index}", "KURTA-BLU-M")],
                )
                for index in range(5)
            )
        )
        self.sync()

        many = self.count_sync_queries()

        # Imported orders are found with one query per page, so skipping seven
        # orders costs as many queries as skipping two.
        self.assertEqual(many, few)

    def test_status_change_updates_line(self):
        self.seed_samples()
        self.sync()
        self.sandbox.transition(KURTA_L_TX, "ORDACCEP", force=True)

        run = self.sync()

        self.assertEqual(run.status_updates, 1)
        self.assertEqual(run.lines_imported, 0)
        line = self.order_line(KURTA_L_TX)
        self.assertEqual(len(line), 1)
        self.assertEqual(line.tatacliq_status_code, "ORDACCEP")
        self.assertEqual(line.tatacliq_status_name, "Accepted")

    def test_reallocated_line_imported_for_new_store(self):
        self.seed_samples()
        self.sync()
        sandbox_line = self.sandbox.line(KURTA_L_TX)
        self.sandbox.state.allocate(sandbox_line, SELLER_ID, STORE_SLAVE_IDS[1])

        run = self.sync()

        self.assertEqual(run.lines_imported, 1)
        lines = self.order_line(KURTA_L_TX).sorted("id")
        self.assertEqual(len(lines), 2)
        old, new = lines
        self.assertEqual(old.tatacliq_slave_id, WAREHOUSE_SLAVE_ID)
        self.assertEqual(old.tatacliq_status_code, "ODREALOC")
        self.assertEqual(new.tatacliq_slave_id, STORE_SLAVE_IDS[1])
        self.assertEqual(new.tatacliq_status_code, "ORDALLOC")
        self.assertEqual(new.order_id.warehouse_id, self.store_warehouses[1])
        self.assertEqual(self.sync().lines_imported, 0)

    def test_sync_from_date_leaves_older_orders_out(self):
        self.channel.order_sync_from = "2026-11-29 00:00:00"
        self.seed_samples()
        run = self.sync()

        self.assertEqual(run.orders_filtered, 1)
        self.assertFalse(self.sale_orders(SAMPLE_ORDER))
        self.assertTrue(self.sale_orders(SAMPLE_COD_ORDER))

    def test_sync_result_on_channel(self):
        self.seed_samples()
        self.sync()

        channel = self.channel
        self.assertTrue(channel.last_sync_date)
        self.assertEqual(channel.last_sync_imported, 4)
        self.assertEqual(channel.last_sync_exceptions, 0)
        self.assertGreater(channel.last_sync_duration, 0)
        self.assertIn(
            "4 line(s) imported into 3 sale order(s)", channel.last_sync_message
        )

    def test_sync_button_notification(self):
        self.seed_samples()
        action = self.channel.action_sync_orders()

        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn("4 line(s) imported", action["params"]["message"])

    def test_xml_channel_imports_the_same(self):
        self.channel.api_version = "v1"
        self.seed_samples()
        self.sync()

        self.assertEqual(len(self.sale_orders()), 3)
        for payload in load_samples()["order"]:
            self.assert_total_matches(payload)


@tagged("post_install", "-at_install")
class TestFetchOrder(ImportCase):
    def fetch(self, order_no):
        wizard = self.env["tatacliq.fetch.order"].create(
            {"channel_id": self.channel.id, "order_no": order_no}
        )
        return wizard.action_fetch()

    def test_fetch_one_order(self):
        self.seed_samples()
        action = self.fetch(SAMPLE_COD_ORDER)

        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(len(self.sale_orders(SAMPLE_COD_ORDER)), 1)
        self.assertFalse(self.sale_orders(SAMPLE_ORDER))
        self.assertEqual(
            action["params"]["next"]["domain"],
            [("id", "in", self.sale_orders(SAMPLE_COD_ORDER).ids)],
        )

    def test_fetch_twice_imports_once(self):
        self.seed_samples()
        self.fetch(SAMPLE_ORDER)
        action = self.fetch(SAMPLE_ORDER)

        self.assertEqual(action["params"]["type"], "info")
        self.assertEqual(len(self.sale_orders(SAMPLE_ORDER)), 2)
        self.sync()
        self.assertEqual(len(self.sale_orders(SAMPLE_ORDER)), 2)
        self.assertTrue(
            all(n == 1 for n in self.imported_transaction_counts().values())
        )

    def test_fetch_unknown_order(self):
        self.seed_samples()
        with self.assertRaisesRegex(UserError, "9999-9999-999999"):
            self.fetch("9999-9999-999999")

    def test_fetch_button_opens_wizard(self):
        action = self.channel.action_fetch_order()
        self.assertEqual(action["res_model"], "tatacliq.fetch.order")
        self.assertEqual(action["context"]["default_channel_id"], self.channel.id)


@tagged("post_install", "-at_install")
class TestImportGenerated(ImportCase):
    """Generated orders: every GST slab, gifts, freebies, COD and shipping."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        catalogue = {
            product.sku: cls.env["product.product"].create(
                {
                    "name": product.sku.replace("-", " ").title(),
                    "default_code": f"GEN-{product.sku}",
                    "type": "consu",
                    "is_storable": True,
                    "list_price": float(product.price),
                }
            )
            for product in DEFAULT_CATALOGUE
            if product.sku not in cls.products
        }
        cls.channel.write(
            {
                "mapping_ids": [
                    Command.create({"article_number": sku, "product_id": product.id})
                    for sku, product in catalogue.items()
                ]
            }
        )

    def generated_payloads(self, order_nos):
        return [
            self.sandbox.state.render_order(self.sandbox.order(order_no), SELLER_ID)
            for order_no in order_nos
        ]

    def test_200_orders_totals_to_the_paisa(self):
        order_nos = self.sandbox.generate(SELLER_ID, 200, seed=11)
        run = self.sync()

        self.assertFalse(run.error)
        self.assertEqual(run.orders_read, 200)
        self.assertEqual(run.problems_found, 0, self.channel.last_sync_message)
        payloads = self.generated_payloads(order_nos)
        for payload in payloads:
            self.assert_total_matches(payload)
            # Odoo rounds CGST and SGST separately: at most a paisa per line
            # away from the marketplace's tax, never more.
            expected_tax = sum(
                Decimal(line["taxValue"]) for line in payload["orderLine"]
            )
            tax = sum(self.sale_orders(payload["orderNo"]).mapped("amount_tax"))
            self.assertLessEqual(
                abs(Decimal(str(round(tax, 2))) - expected_tax),
                Decimal("0.01") * len(payload["orderLine"]),
                f"order {payload['orderNo']}: tax {tax} != {expected_tax}",
            )
        transactions = {
            line["transactionId"]
            for payload in payloads
            for line in payload["orderLine"]
        }
        counts = self.imported_transaction_counts()
        self.assertEqual(set(counts), transactions)
        self.assertTrue(all(n == 1 for n in counts.values()))
        freebies = self.env["sale.order.line"].search(
            [
                ("tatacliq_channel_id", "=", self.channel.id),
                ("tatacliq_is_freebie", "=", True),
            ]
        )
        self.assertTrue(freebies)
        self.assertEqual(set(freebies.mapped("price_total")), {0.0})

    def test_generated_orders_order_wise(self):
        self.channel.api_type = "order_wise"
        order_nos = self.sandbox.generate(SELLER_ID, 60, seed=12)
        self.sync()

        for payload in self.generated_payloads(order_nos):
            self.assertEqual(len(self.sale_orders(payload["orderNo"])), 1)
            self.assert_total_matches(payload)
