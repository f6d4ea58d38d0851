from odoo.tests import tagged

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
