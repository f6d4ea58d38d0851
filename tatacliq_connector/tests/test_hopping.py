from odoo import Command
from odoo.tests import tagged

from tatacliq_sandbox import Seller

from .common_returns import (
    PARTNER,
    PARTNER_STORE,
    SELLER_ID,
    SKU,
    STORE_1,
    STORE_2,
    ReturnsCase,
)

TXN = "27357000066600001"
ORDER_NO = "6666-0000-000001"


@tagged("post_install", "-at_install")
class TestOrderHopping(ReturnsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel.fulfillment_model = "omni"

    def hops(self, transaction_id=TXN):
        return self.env["tatacliq.hop"].search(
            [("transaction_id", "=", transaction_id)], order="hop_date, id"
        )

    def test_hop_three_stores_until_fulfilled(self):
        self.sandbox.set_stock(SELLER_ID, SKU, STORE_2, 1)
        self.sandbox.set_stock(PARTNER["seller_id"], SKU, PARTNER_STORE, 1)
        self.seed(ORDER_NO, self.order_line(TXN, STORE_1))
        self.sync()
        first = self.sale_line(TXN, STORE_1)
        self.assertEqual(first.order_id.warehouse_id, self.store_warehouse_1)

        wizard = self.cancel_wizard(first.order_id, "NOSTOCK", "shelf empty")

        self.assertEqual(wizard.line_ids.result, "done")
        self.assertIn("reallocated", wizard.line_ids.result_message)
        self.assertEqual(first.tatacliq_cancel_state, "hopped")
        self.assertEqual(first.tatacliq_status_code, "ODREALOC")
        self.assertEqual(set(first.move_ids.mapped("state")), {"cancel"})
        self.assertEqual(first.order_id.state, "cancel")
        self.assertEqual(self.sandbox.line(TXN).slave_id, STORE_2)

        self.sync()

        second = self.sale_line(TXN, STORE_2)
        self.assertEqual(len(second), 1)
        self.assertEqual(second.order_id.warehouse_id, self.store_warehouse_2)
        self.assertEqual(second.tatacliq_status_code, "ORDALLOC")
        self.assertFalse(second.tatacliq_cancel_state)
        (hop_1,) = self.hops()
        self.assertEqual(hop_1.from_slave_id, STORE_1)
        self.assertEqual(hop_1.from_line_id, first)
        self.assertEqual(hop_1.to_slave_id, STORE_2)
        self.assertEqual(hop_1.to_line_id, second)
        self.assertEqual(hop_1.to_warehouse_id, self.store_warehouse_2)
        self.assertEqual(hop_1.reason_code, "NOSTOCK")
        self.assertEqual(hop_1.result, "reallocated")

        self.cancel_wizard(second.order_id, "NOSTOCK")
        self.assertEqual(second.tatacliq_cancel_state, "hopped")
        self.assertEqual(self.sandbox.line(TXN).slave_id, PARTNER_STORE)
        # The line moved to another seller login: nothing new for this one.
        self.assertEqual(self.sync().lines_imported, 0)
        self.sync(self.partner_channel)

        third = self.sale_line(TXN, PARTNER_STORE, channel=self.partner_channel)
        self.assertEqual(len(third), 1)
        self.assertEqual(third.order_id.warehouse_id, self.partner_warehouse)
        hop_1, hop_2 = self.hops()
        self.assertEqual(hop_2.from_slave_id, STORE_2)
        self.assertEqual(hop_2.from_channel_id, self.channel)
        self.assertEqual(hop_2.to_slave_id, PARTNER_STORE)
        self.assertEqual(hop_2.to_channel_id, self.partner_channel)
        self.assertEqual(hop_2.to_line_id, third)

        self.pack_on_marketplace([TXN], self.partner_channel)
        self.hand_over_on_marketplace([TXN], self.partner_channel)
        self.sync(self.partner_channel)
        self.sync()

        self.assertEqual(third.tatacliq_status_code, "HOTCOURI")
        self.assertFalse(third.tatacliq_cancel_state)
        self.assertEqual(third.order_id.state, "sale")
        self.assertEqual(len(self.all_lines(TXN)), 3)
        self.assertEqual(self.all_lines(TXN), first | second | third)
        for order in (first | second | third).order_id:
            self.assertEqual(order.tatacliq_hop_ids, hop_1 | hop_2)
        self.assertEqual(
            third.order_id.tatacliq_hop_ids.sorted("hop_date").mapped("from_slave_id"),
            [STORE_1, STORE_2],
        )

    def test_no_store_can_take_the_line(self):
        self.seed(ORDER_NO, self.order_line(TXN, STORE_1))
        self.sync()
        line = self.sale_line(TXN, STORE_1)

        wizard = self.cancel_wizard(line.order_id, "NOSTOCK")

        self.assertEqual(wizard.line_ids.result, "done")
        self.assertIn("no other store could take it", wizard.line_ids.result_message)
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_status_code, "ORDCANCL")
        self.assertEqual(line.order_id.state, "cancel")
        self.assertEqual(self.sandbox.line(TXN).status, "ORDCANCL")
        (hop,) = self.hops()
        self.assertEqual(hop.result, "cancelled")
        self.assertFalse(hop.to_slave_id)

        self.sync()

        self.assertIn("no other store has stock", hop.reason)
        self.assertEqual(len(self.all_lines(TXN)), 1)

    def test_reallocation_seen_in_feeds(self):
        # The store cancelled the line in the seller portal, outside Odoo.
        self.sandbox.set_stock(SELLER_ID, SKU, STORE_2, 1)
        self.seed(ORDER_NO, self.order_line(TXN, STORE_1))
        self.sync()
        first = self.sale_line(TXN, STORE_1)
        (result,) = self.channel._get_client().cancel_lines([(TXN, "NOSTOCK", STORE_1)])
        self.assertTrue(result.reallocated)

        run = self.sync()

        self.assertEqual(run.lines_imported, 1)
        self.assertEqual(first.tatacliq_cancel_state, "hopped")
        self.assertEqual(set(first.move_ids.mapped("state")), {"cancel"})
        second = self.sale_line(TXN, STORE_2)
        self.assertEqual(second.order_id.warehouse_id, self.store_warehouse_2)
        (hop,) = self.hops()
        self.assertEqual(hop.origin, "marketplace")
        self.assertEqual(hop.reason_code, "NOSTOCK")
        self.assertEqual(hop.from_line_id, first)
        self.assertEqual(hop.to_line_id, second)
        self.assertEqual(self.sync().lines_imported, 0)
        self.assertEqual(len(self.all_lines(TXN)), 2)

    def test_unknown_lost_line_not_imported(self):
        # The line hopped before Odoo ever saw it at the first store.
        self.sandbox.set_stock(SELLER_ID, SKU, STORE_2, 1)
        self.seed(ORDER_NO, self.order_line(TXN, STORE_1))
        self.channel._get_client().cancel_lines([(TXN, "NOSTOCK", STORE_1)])

        self.sync()

        self.assertFalse(self.sale_line(TXN, STORE_1))
        self.assertEqual(len(self.sale_line(TXN, STORE_2)), 1)
        (hop,) = self.hops()
        self.assertFalse(hop.from_line_id)
        self.assertEqual(hop.to_line_id, self.sale_line(TXN, STORE_2))


@tagged("post_install", "-at_install")
class TestAutomaticRejection(ReturnsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel.write({"fulfillment_model": "omni", "auto_reject_no_stock": True})
        cls.product = cls.products[SKU]

    def test_store_without_stock_hops_at_import(self):
        self.sandbox.set_stock(SELLER_ID, SKU, STORE_2, 1)
        self.put_in_stock(self.product, self.store_warehouse_2, 3)
        self.seed(ORDER_NO, self.order_line(TXN, STORE_1))
        messages = len(self.channel.message_ids)

        run = self.sync()

        self.assertEqual(run.lines_imported, 0)
        self.assertFalse(self.sale_line(TXN, STORE_1))
        self.assertEqual(self.sandbox.line(TXN).slave_id, STORE_2)
        hop = self.env["tatacliq.hop"].search([("transaction_id", "=", TXN)])
        self.assertEqual(hop.origin, "auto_reject")
        self.assertEqual(hop.result, "reallocated")
        self.assertIn(self.store_warehouse_1.code, hop.reason)
        self.assertEqual(len(self.channel.message_ids), messages + 1)
        self.assertIn("Rejected line", self.channel.message_ids[0].body)

        run = self.sync()

        line = self.sale_line(TXN, STORE_2)
        self.assertEqual(run.lines_imported, 1)
        self.assertEqual(line.order_id.warehouse_id, self.store_warehouse_2)
        self.assertEqual(hop.to_line_id, line)
        self.assertEqual(line.order_id.tatacliq_hop_ids, hop)

    def test_store_with_stock_imports(self):
        self.put_in_stock(self.product, self.store_warehouse_1, 1)
        self.seed(
            ORDER_NO,
            self.order_line(TXN, STORE_1),
            self.order_line("27357000066600002", STORE_1),
        )

        self.sync()

        # One unit in stock: the first line takes it, the second is rejected
        # and, with no other store, cancelled on the marketplace.
        self.assertEqual(len(self.sale_line(TXN, STORE_1)), 1)
        self.assertFalse(self.sale_line("27357000066600002", STORE_1))
        self.assertEqual(self.sandbox.line("27357000066600002").status, "ORDCANCL")
        hop = self.env["tatacliq.hop"].search(
            [("transaction_id", "=", "27357000066600002")]
        )
        self.assertEqual(hop.result, "cancelled")
        self.assertEqual(self.sandbox.line(TXN).status, "ORDALLOC")

    def test_channel_without_option_imports(self):
        self.channel.auto_reject_no_stock = False
        self.seed(ORDER_NO, self.order_line(TXN, STORE_1))

        self.sync()

        self.assertEqual(len(self.sale_line(TXN, STORE_1)), 1)
        self.assertEqual(self.sandbox.line(TXN).status, "ORDALLOC")


# A seller whose three OMNI stores share one login, so the whole route of a
# line stays within one channel with three store locations.
CHAIN_SELLER = {
    "seller_id": "630001",
    "seller_code": "TCQ630001",
    "username": "chain.slave",
    "password": "chain-password",
    "api_key": "chain-key",
    "api_secret": "chain-secret",
}
CHAIN_STORES = ("630001-ST01", "630001-ST02", "630001-ST03")
CHAIN_TXN = "63000100088800001"
CHAIN_ORDER_NO = "6300-0000-000001"


@tagged("post_install", "-at_install")
class TestHoppingAcrossStores(ReturnsCase):
    """One OMNI channel with three stores: a line hops from store to store."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox.add_seller(
            Seller(
                **CHAIN_SELLER,
                slave_ids=CHAIN_STORES,
                store_slave_ids=CHAIN_STORES,
                name="Chain Stores Pvt Ltd",
            )
        )
        cls.chain_warehouses = cls.env["stock.warehouse"].create(
            [
                {"name": f"Chain store {index}", "code": f"HOP{index}"}
                for index in (1, 2, 3)
            ]
        )
        cls.chain_channel = cls._create_channel(
            name="Tata CLiQ chain stores",
            fulfillment_model="omni",
            warehouse_id=cls.chain_warehouses[0].id,
            location_ids=[
                Command.create(
                    {
                        "slave_id": slave_id,
                        "name": warehouse.name,
                        "warehouse_id": warehouse.id,
                    }
                )
                for slave_id, warehouse in zip(
                    CHAIN_STORES, cls.chain_warehouses, strict=True
                )
            ],
            mapping_ids=[
                Command.create({"article_number": sku, "product_id": product.id})
                for sku, product in cls.products.items()
            ],
            **CHAIN_SELLER,
        )

    # Helpers

    def stock_on_marketplace(self, *slave_ids):
        """Store one unit of the SKU at each store, as a pushed inventory does."""
        for slave_id in slave_ids:
            self.sandbox.set_stock(CHAIN_SELLER["seller_id"], SKU, slave_id, 1)

    def import_at_first_store(self):
        line_values = {"sellerID": CHAIN_SELLER["seller_id"]}
        self.seed(
            CHAIN_ORDER_NO,
            self.order_line(CHAIN_TXN, CHAIN_STORES[0], **line_values),
            seller_id=CHAIN_SELLER["seller_id"],
        )
        self.sync(self.chain_channel)
        line = self.store_line(CHAIN_STORES[0])
        self.assertEqual(len(line), 1)
        return line

    def store_line(self, slave_id):
        return self.sale_line(CHAIN_TXN, slave_id, channel=self.chain_channel)

    def reject_for_no_stock(self, line):
        """Cancel the line from its sale order for lack of stock, then sync."""
        wizard = self.cancel_wizard(line.order_id, "NOSTOCK", "shelf empty")
        self.assertEqual(wizard.line_ids.result, "done", wizard.line_ids.result_message)
        self.sync(self.chain_channel)
        return wizard

    def hops(self):
        return self.env["tatacliq.hop"].search(
            [("transaction_id", "=", CHAIN_TXN)], order="hop_date, id"
        )

    def assert_no_live_delivery(self, lines):
        orders = lines.order_id
        for order in orders:
            self.assertEqual(order.state, "cancel", order.name)
        pickings = self.env["stock.picking"].search([("sale_id", "in", orders.ids)])
        self.assertTrue(pickings)
        self.assertEqual(set(pickings.mapped("state")), {"cancel"})
        self.assertEqual(set(lines.move_ids.mapped("state")), {"cancel"})

    def assert_read_again_changes_nothing(self, line_count, hop_count):
        self.chain_channel.cancellation_cursor_date = False
        run = self.sync(self.chain_channel)
        cancellations = self.chain_channel._sync_cancellations()

        self.assertEqual(run.lines_imported, 0)
        self.assertEqual(cancellations.applied, 0)
        self.assertEqual(cancellations.updated, 0)
        self.assertEqual(len(self.all_lines(CHAIN_TXN)), line_count)
        self.assertEqual(len(self.hops()), hop_count)

    # Tests

    def test_no_store_left_with_stock(self):
        self.stock_on_marketplace(CHAIN_STORES[1], CHAIN_STORES[2])
        first = self.import_at_first_store()

        self.reject_for_no_stock(first)
        second = self.store_line(CHAIN_STORES[1])
        self.assertEqual(len(second), 1)
        self.reject_for_no_stock(second)
        third = self.store_line(CHAIN_STORES[2])
        self.assertEqual(len(third), 1)
        wizard = self.reject_for_no_stock(third)

        self.assertIn("no other store could take it", wizard.line_ids.result_message)
        market = self.sandbox.line(CHAIN_TXN)
        self.assertEqual(market.status, "ORDCANCL")
        self.assertEqual(market.slave_id, CHAIN_STORES[2])
        lines = self.all_lines(CHAIN_TXN)
        self.assertEqual(lines, first | second | third)
        self.assertEqual(lines.mapped("tatacliq_slave_id"), list(CHAIN_STORES))
        self.assertEqual(
            lines.mapped("order_id.warehouse_id"), self.chain_warehouses.sorted("id")
        )
        self.assertEqual(
            lines.mapped("tatacliq_cancel_state"), ["hopped", "hopped", "cancelled"]
        )
        self.assertEqual(
            lines.mapped("tatacliq_status_code"), ["ODREALOC", "ODREALOC", "ORDCANCL"]
        )
        self.assert_no_live_delivery(lines)

        hops = self.hops()
        self.assertEqual(hops.mapped("from_slave_id"), list(CHAIN_STORES))
        self.assertEqual(hops.mapped("from_line_id"), lines)
        self.assertEqual(
            hops.mapped("result"), ["reallocated", "reallocated", "cancelled"]
        )
        self.assertEqual(hops.mapped("to_slave_id"), [*CHAIN_STORES[1:], False])
        self.assertEqual(hops[0].to_line_id, second)
        self.assertEqual(hops[1].to_line_id, third)
        for hop in hops:
            self.assertTrue(hop.hop_date, hop.from_slave_id)
            self.assertEqual(hop.reason_code, "NOSTOCK")
            self.assertTrue(hop.reason, hop.from_slave_id)
            self.assertEqual(hop.from_channel_id, self.chain_channel)
        self.assertIn("no other store has stock", hops[2].reason)
        for order in lines.order_id:
            self.assertEqual(order.tatacliq_hop_ids, hops)

        self.assert_read_again_changes_nothing(line_count=3, hop_count=3)

    def test_hop_limit_reached(self):
        self.sandbox.hop_limit = 1
        # The third store has stock, but the line may hop only once.
        self.stock_on_marketplace(CHAIN_STORES[1], CHAIN_STORES[2])
        first = self.import_at_first_store()

        self.reject_for_no_stock(first)
        second = self.store_line(CHAIN_STORES[1])
        self.reject_for_no_stock(second)

        self.assertEqual(self.sandbox.line(CHAIN_TXN).status, "ORDCANCL")
        self.assertFalse(self.store_line(CHAIN_STORES[2]))
        lines = self.all_lines(CHAIN_TXN)
        self.assertEqual(lines, first | second)
        self.assertEqual(lines.mapped("tatacliq_cancel_state"), ["hopped", "cancelled"])
        self.assert_no_live_delivery(lines)
        hops = self.hops()
        self.assertEqual(hops.mapped("from_slave_id"), list(CHAIN_STORES[:2]))
        self.assertEqual(hops.mapped("result"), ["reallocated", "cancelled"])
        self.assertIn("hop limit of 1", hops[1].reason)
        self.assertFalse(hops[1].to_slave_id)

        self.assert_read_again_changes_nothing(line_count=2, hop_count=2)

    def test_last_store_packs_the_line(self):
        self.stock_on_marketplace(CHAIN_STORES[1], CHAIN_STORES[2])
        first = self.import_at_first_store()
        self.reject_for_no_stock(first)
        second = self.store_line(CHAIN_STORES[1])
        self.reject_for_no_stock(second)
        third = self.store_line(CHAIN_STORES[2])
        picking = third.order_id.picking_ids
        self.assertEqual(picking.picking_type_id.warehouse_id, self.chain_warehouses[2])

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        market = self.sandbox.line(CHAIN_TXN)
        self.assertEqual(market.status, "SCANNED")
        self.assertEqual(market.slave_id, CHAIN_STORES[2])
        self.assertEqual(third.tatacliq_status_code, "SCANNED")
        self.assertEqual(third.tatacliq_awb_number, market.extra["awb_number"])
        self.assertTrue(third.tatacliq_label_attachment_id)

        self.put_in_stock(third.product_id, self.chain_warehouses[2], 1)
        picking.action_assign()
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        self.assertIs(picking.button_validate(), True)
        action = picking.action_tatacliq_hand_over()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(market.status, "HOTCOURI")
        self.sync(self.chain_channel)
        lines = self.all_lines(CHAIN_TXN)
        self.assertEqual(lines, first | second | third)
        self.assertEqual(
            lines.mapped("tatacliq_cancel_state"), ["hopped", "hopped", False]
        )
        self.assertEqual(third.tatacliq_status_code, "HOTCOURI")
        self.assertEqual(third.order_id.state, "sale")
        self.assert_no_live_delivery(first | second)
        hops = self.hops()
        self.assertEqual(hops.mapped("from_slave_id"), list(CHAIN_STORES[:2]))
        self.assertEqual(hops.mapped("result"), ["reallocated", "reallocated"])
        self.assertEqual(hops[1].to_line_id, third)
        self.assertEqual(third.order_id.tatacliq_hop_ids, hops)

        self.assert_read_again_changes_nothing(line_count=3, hop_count=2)
