import json

from odoo.exceptions import UserError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

from .common import WAREHOUSE_SLAVE_ID, make_order
from .common_returns import SELLER_ID, ReturnsCase

HOPPING_LOGGER = "odoo.addons.tatacliq_connector.models.tatacliq_channel_hopping"
FEED_LOGGER = "odoo.addons.tatacliq_connector.models.tatacliq_channel_feed_failure"
TXN_A = "27357000055500001"
TXN_B = "27357000055500002"
TXN_C = "27357000055500003"


@tagged("post_install", "-at_install")
class TestCustomerCancellation(ReturnsCase):
    def test_cancel_before_packing_cancels_order(self):
        self.seed("5555-0000-000001", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        order = line.order_id
        picking = order.picking_ids
        self.assertNotIn(picking.state, ("done", "cancel"))

        self.sandbox.customer_cancel(TXN_A, "Ordered by mistake")
        run = self.sync()

        self.assertEqual(run.orders_read, 0)
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_status_code, "ORDCANCL")
        self.assertEqual(line.tatacliq_status_name, "Cancelled")
        self.assertEqual(line.tatacliq_cancelled_by, "customer")
        self.assertEqual(line.tatacliq_cancel_reason, "Ordered by mistake")
        self.assertEqual(set(line.move_ids.mapped("state")), {"cancel"})
        self.assertEqual(order.state, "cancel")
        self.assertEqual(picking.state, "cancel")
        self.assertIn("1 applied", self.channel.last_cancellation_sync_message)

    def test_cancel_one_line_keeps_the_other(self):
        self.channel.api_type = "order_wise"
        self.seed(
            "5555-0000-000002",
            self.order_line(TXN_A),
            self.order_line(TXN_B, sku="WALLET-BRN"),
        )
        self.sync()
        line_a, line_b = self.sale_line(TXN_A), self.sale_line(TXN_B)
        order = line_a.order_id
        self.assertEqual(order, line_b.order_id)

        self.sandbox.customer_cancel(TXN_A)
        self.sync()

        self.assertEqual(line_a.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line_a.product_uom_qty, 0)
        self.assertEqual(set(line_a.move_ids.mapped("state")), {"cancel"})
        self.assertEqual(order.state, "sale")
        self.assertFalse(line_b.tatacliq_cancel_state)
        self.assertEqual(line_b.product_uom_qty, 1)
        self.assertNotIn("cancel", line_b.move_ids.mapped("state"))
        open_moves = order.picking_ids.move_ids.filtered(lambda m: m.state != "cancel")
        self.assertEqual(open_moves.product_id, line_b.product_id)

    def seed_order_with_charges(self, order_no):
        """Seed an order-wise order of three lines; two carry charges, one none."""
        self.channel.api_type = "order_wise"
        lines = [
            self.order_line(
                TXN_A,
                isCOD="Y",
                apportionedShippingCharge="24.50",
                apportionedCODPrice="25.00",
            ),
            self.order_line(
                TXN_B,
                sku="KURTA-BLU-L",
                isCOD="Y",
                apportionedShippingCharge="24.50",
                apportionedCODPrice="24.00",
            ),
            self.order_line(TXN_C, sku="WALLET-BRN", isCOD="Y"),
        ]
        order = make_order(order_no, lines)
        # What the customer pays: the three prices and both charges.
        order["paymentInfo"][0]["paymentCost"] = f"{1299 + 1299 + 899 + 98:.2f}"
        order["paymentInfo"][0]["paymentMode"] = "COD"
        self.sandbox.seed(SELLER_ID, {"order": [order]})
        self.sync()
        return self.sale_line(TXN_A).order_id

    def charges(self, order):
        return {
            line.tatacliq_line_kind: (line.price_unit, line.product_uom_qty)
            for line in order.order_line
            if line.tatacliq_line_kind in ("shipping", "cod")
        }

    def test_partial_cancel_takes_charge_share_off(self):
        order = self.seed_order_with_charges("5555-0000-000007")
        self.assertEqual(self.sale_line(TXN_A).tatacliq_shipping_charge, 24.5)
        self.assertEqual(self.sale_line(TXN_A).tatacliq_cod_charge, 25.0)
        self.assertEqual(self.charges(order), {"shipping": (49.0, 1), "cod": (49.0, 1)})
        self.assertEqual(order.amount_total, 3595.0)

        # A line without a share leaves the charges as they are.
        self.sandbox.customer_cancel(TXN_C)
        self.sync()

        self.assertEqual(self.sale_line(TXN_C).tatacliq_cancel_state, "cancelled")
        self.assertEqual(self.charges(order), {"shipping": (49.0, 1), "cod": (49.0, 1)})
        self.assertEqual(order.amount_total, 2696.0)

        self.sandbox.customer_cancel(TXN_A)
        self.sync()

        self.assertEqual(self.sale_line(TXN_A).tatacliq_cancel_state, "cancelled")
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.charges(order), {"shipping": (24.5, 1), "cod": (24.0, 1)})
        self.assertEqual(order.amount_total, 1299.0 + 24.5 + 24.0)
        chatter = "\n".join(order.message_ids.mapped("body"))
        self.assertIn("shipping charge of", chatter)
        self.assertIn("was taken off the order", chatter)

        # The last product line goes: the order and its charges are cancelled.
        self.sandbox.customer_cancel(TXN_B)
        self.sync()

        self.assertEqual(order.state, "cancel")
        self.assertEqual(set(order.picking_ids.mapped("state")), {"cancel"})

    def test_charge_reaching_zero_drops_quantity(self):
        order = self.seed_order_with_charges("5555-0000-000008")
        self.sandbox.customer_cancel(TXN_A)
        self.sync()
        # Only B's share is left in the charges; C, without a share, ships.
        cancel_wizard = self.cancel_wizard(order, "PRICE", transactions=[TXN_B])

        self.assertEqual(cancel_wizard.line_ids.filtered("selected").result, "done")
        self.assertEqual(self.sale_line(TXN_B).tatacliq_cancel_state, "cancelled")
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.charges(order), {"shipping": (0.0, 0), "cod": (0.0, 0)})
        self.assertEqual(order.amount_total, 899.0)
        self.assertFalse(self.sale_line(TXN_C).tatacliq_cancel_state)

    def test_cancellation_applied_once(self):
        self.seed("5555-0000-000003", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        self.sandbox.customer_cancel(TXN_A)
        self.sync()
        messages = len(line.order_id.message_ids)

        run = self.channel._sync_cancellations()
        self.channel.cancellation_cursor_date = False
        again = self.channel._sync_cancellations()

        self.assertEqual(run.applied, 0)
        self.assertEqual(again.records, 1)
        self.assertEqual(again.applied, 0)
        self.assertEqual(again.unchanged, 1)
        self.assertEqual(len(line.order_id.message_ids), messages)

    def test_refund_step_updates_status(self):
        self.seed("5555-0000-000004", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        self.sandbox.customer_cancel(TXN_A)
        self.sync()

        self.sandbox.advance_refund(TXN_A, "REFUINIT")
        run = self.channel._sync_cancellations()

        self.assertEqual(run.updated, 1)
        self.assertEqual(line.tatacliq_status_code, "REFUINIT")
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")

    def test_cancel_after_packing_is_flagged(self):
        self.seed("5555-0000-000005", self.order_line(TXN_A))
        self.sync()
        self.pack_on_marketplace([TXN_A])
        self.sync()
        line = self.sale_line(TXN_A)
        self.assertEqual(line.tatacliq_status_code, "SCANNED")
        order = line.order_id
        picking = order.picking_ids

        self.sandbox.customer_cancel(TXN_A, "Found it cheaper")
        self.sync()

        self.assertEqual(line.tatacliq_cancel_state, "to_review")
        self.assertEqual(line.tatacliq_status_code, "ORDCANCL")
        self.assertEqual(order.state, "sale")
        self.assertNotIn("cancel", line.move_ids.mapped("state"))
        summary = "cancelled after packing"
        self.assertEqual(len(self.activities(order, summary)), 1)
        self.assertEqual(len(self.activities(picking, summary)), 1)
        note = self.activities(order, summary).note
        self.assertIn("Do not hand the parcel", note)
        self.assertIn("SCANNED", note)

        self.channel.cancellation_cursor_date = False
        self.sync()

        self.assertEqual(len(self.activities(order, summary)), 1)

    def test_cancel_seen_in_order_feed(self):
        # The order stays in the active feed through its other line, so the
        # order sync reads the cancelled line before the cancellation feed.
        self.channel.api_type = "order_wise"
        self.seed(
            "5555-0000-000006",
            self.order_line(TXN_A),
            self.order_line(TXN_B, sku="WALLET-BRN"),
        )
        self.sync()
        self.sandbox.customer_cancel(TXN_A, "Changed my mind")

        run = self.channel._sync_orders()

        self.assertEqual(run.status_updates, 1)
        line = self.sale_line(TXN_A)
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_cancelled_by, "customer")
        self.assertEqual(line.tatacliq_cancel_reason, "Changed my mind")


@tagged("post_install", "-at_install")
class TestSellerCancellation(ReturnsCase):
    def test_wizard_cancels_on_marketplace_and_odoo(self):
        self.seed("5555-0000-000101", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        order = line.order_id

        wizard = self.cancel_wizard(order, "DAMAGED", "torn seam")

        self.assertEqual(wizard.state, "done")
        self.assertEqual(wizard.line_ids.result, "done")
        self.assertEqual(self.sandbox.line(TXN_A).status, "ORDCANCL")
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_cancelled_by, "seller")
        self.assertEqual(line.tatacliq_cancel_reason_code, "DAMAGED")
        self.assertEqual(
            line.tatacliq_cancel_reason, "The only unit is damaged: torn seam"
        )
        self.assertEqual(order.state, "cancel")
        self.assertFalse(
            self.env["tatacliq.hop"].search([("transaction_id", "=", TXN_A)])
        )

        run = self.channel._sync_cancellations()

        self.assertEqual(run.records, 1)
        self.assertEqual(run.unchanged, 1)

    def test_wizard_from_delivery(self):
        self.seed("5555-0000-000102", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        picking = line.order_id.picking_ids

        wizard = self.cancel_wizard(picking, "PRICE")

        self.assertEqual(wizard.sale_order_id, line.order_id)
        self.assertEqual(wizard.line_ids.sale_line_id, line)
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(picking.state, "cancel")

    def test_refused_push_leaves_line_untouched(self):
        self.channel.api_type = "order_wise"
        self.seed(
            "5555-0000-000103",
            self.order_line(TXN_A),
            self.order_line(TXN_B, sku="WALLET-BRN"),
        )
        self.sync()
        # The store packed B outside Odoo; Odoo still shows it allocated.
        self.pack_on_marketplace([TXN_B])
        line_a, line_b = self.sale_line(TXN_A), self.sale_line(TXN_B)
        order = line_a.order_id

        with mute_logger(
            "odoo.addons.tatacliq_connector.models.tatacliq_channel_hopping"
        ):
            wizard = self.cancel_wizard(order, "OTHER", "customer asked by phone")

        results = {w.transaction_id: w for w in wizard.line_ids}
        self.assertEqual(results[TXN_A].result, "done")
        self.assertEqual(results[TXN_B].result, "failed")
        self.assertIn("Order Not in PICKCONG status", results[TXN_B].result_message)
        self.assertIn("only before the line is packed", results[TXN_B].result_message)
        self.assertIn("1 of 2 line(s)", wizard.result_message)
        self.assertEqual(line_a.tatacliq_cancel_state, "cancelled")
        self.assertFalse(line_b.tatacliq_cancel_state)
        self.assertEqual(line_b.tatacliq_status_code, "ORDALLOC")
        self.assertEqual(line_b.product_uom_qty, 1)
        self.assertNotIn("cancel", line_b.move_ids.mapped("state"))
        self.assertEqual(order.state, "sale")
        self.assertEqual(self.sandbox.line(TXN_B).status, "SCANNED")

    def test_failed_call_changes_nothing(self):
        self.seed("5555-0000-000104", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        seller = self.sandbox.seller(SELLER_ID)
        seller.status_mappings = False
        self.addCleanup(setattr, seller, "status_mappings", True)

        with self.assertRaises(UserError) as caught:
            self.cancel_wizard(line.order_id, "DAMAGED")

        self.assertIn("Kindly Connect to Seller Portal team", str(caught.exception))
        self.assertIn("account manager", str(caught.exception))
        self.assertFalse(line.tatacliq_cancel_state)
        self.assertEqual(line.order_id.state, "sale")
        self.assertEqual(self.sandbox.line(TXN_A).status, "ORDALLOC")

    def test_wizard_needs_open_lines(self):
        self.seed("5555-0000-000105", self.order_line(TXN_A))
        self.sync()
        order = self.sale_line(TXN_A).order_id
        self.cancel_wizard(order, "PRICE")

        with self.assertRaises(UserError):
            self.cancel_wizard(order, "PRICE")

    def test_other_reason_needs_remarks(self):
        self.seed("5555-0000-000106", self.order_line(TXN_A))
        self.sync()
        order = self.sale_line(TXN_A).order_id

        with self.assertRaises(UserError):
            self.cancel_wizard(order, "OTHER")

        self.assertEqual(self.sandbox.line(TXN_A).status, "ORDALLOC")


@tagged("post_install", "-at_install")
class TestCancellationViews(ReturnsCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A salesman reads only their own orders unless given all documents.
        cls.tatacliq_user = cls._create_user(
            "tcq.cancel.user",
            [
                "tatacliq_connector.group_tatacliq_user",
                "sales_team.group_sale_salesman_all_leads",
            ],
        )
        cls.salesman = cls._create_user(
            "tcq.salesman", ["sales_team.group_sale_salesman"]
        )

    def test_wizard_form_as_user(self):
        self.seed("5555-0000-000201", self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        order = line.order_id.with_user(self.tatacliq_user)
        self.assertTrue(order.tatacliq_can_cancel)

        action = order.action_tatacliq_cancel_lines()
        wizard_form = Form(
            self.env[action["res_model"]]
            .with_user(self.tatacliq_user)
            .with_context(**action["context"])
        )
        wizard_form.reason_code = "PRICE"
        wizard = wizard_form.save()
        wizard.action_cancel_lines()

        self.assertEqual(wizard.line_ids.result, "done")
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertFalse(order.tatacliq_can_cancel)

    def test_order_form_by_group(self):
        SaleOrder = self.env["sale.order"]
        user_arch = SaleOrder.with_user(self.tatacliq_user).get_views(
            [(False, "form")]
        )["views"]["form"]["arch"]
        salesman_arch = SaleOrder.with_user(self.salesman).get_views([(False, "form")])[
            "views"
        ]["form"]["arch"]

        self.assertIn("tatacliq_hop_ids", user_arch)
        self.assertIn("action_tatacliq_cancel_lines", user_arch)
        self.assertNotIn("tatacliq_hop_ids", salesman_arch)
        self.assertNotIn("action_tatacliq_cancel_lines", salesman_arch)

    def test_delivery_button_for_marketplace_orders(self):
        arch = (
            self.env["stock.picking"]
            .with_user(self.tatacliq_user)
            .get_views([(False, "form")])["views"]["form"]["arch"]
        )

        self.assertIn("Cancel on Tata CLiQ", arch)


@tagged("post_install", "-at_install")
class TestUnreadableCancellationRecord(ReturnsCase):
    ORDER_NO = "5555-0000-000301"

    def cancel_with_unreadable_record(self):
        """Import a line, cancel it as the customer, and break its feed record."""
        self.seed(self.ORDER_NO, self.order_line(TXN_A))
        self.sync()
        self.sandbox.customer_cancel(TXN_A, "Ordered by mistake")
        # A list where the feed sends text: the decoder rejects the record.
        self.set_reason(["Ordered", "by mistake"])
        with mute_logger(FEED_LOGGER):
            self.sync()
        return self.sale_line(TXN_A)

    def set_reason(self, reason):
        self.sandbox.line(TXN_A).extra["cancellation"]["reason"] = reason

    def feed_exceptions(self):
        return self.env["tatacliq.exception"].search(
            [("channel_id", "=", self.channel.id), ("source", "=", "cancellation")]
        )

    def test_unreadable_record_becomes_exception(self):
        line = self.cancel_with_unreadable_record()

        exception = self.feed_exceptions()
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.kind, "decode_error")
        self.assertEqual(exception.state, "open")
        self.assertEqual(exception.reference, f"{TXN_A}/{WAREHOUSE_SLAVE_ID}")
        self.assertEqual(exception.order_no, self.ORDER_NO)
        self.assertIn("cancellationReason", exception.message)
        self.assertIn('"transactionId"', exception.payload)
        self.assertFalse(line.tatacliq_cancel_state)
        self.assertIn("1 unreadable", self.channel.last_cancellation_sync_message)

    def test_process_again_applies_cancellation(self):
        line = self.cancel_with_unreadable_record()
        exception = self.feed_exceptions()

        exception.action_process_again()

        self.assertEqual(exception.state, "open")
        self.assertEqual(exception.attempt_count, 1)
        self.assertIn("still cannot be read", exception.message)
        self.assertIn("cancellationReason", exception.message)
        self.assertFalse(line.tatacliq_cancel_state)

        self.set_reason("Ordered by mistake")
        action = exception.action_process_again()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(exception.state, "done")
        self.assertEqual(exception.attempt_count, 1)
        self.assertIn('"Ordered by mistake"', exception.payload)
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_cancelled_by, "customer")
        self.assertEqual(line.tatacliq_cancel_reason, "Ordered by mistake")
        self.assertEqual(line.order_id.state, "cancel")
        self.assertEqual(len(self.all_lines(TXN_A)), 1)
        self.assertIn("delivery are cancelled", exception.message_ids[0].body)

    def test_corrected_record_closes_exception(self):
        line = self.cancel_with_unreadable_record()
        exception = self.feed_exceptions()

        self.set_reason("Ordered by mistake")
        self.sync()

        self.assertEqual(exception.state, "done")
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_cancel_reason, "Ordered by mistake")

    def test_stored_record_applied_when_feed_lacks_it(self):
        # A record stored by a decoder that rejected it; the feed no longer
        # lists the line, so only the stored payload can be applied.
        self.seed(self.ORDER_NO, self.order_line(TXN_A))
        self.sync()
        line = self.sale_line(TXN_A)
        payload = {
            "transactionId": TXN_A,
            "orderNo": self.ORDER_NO,
            "sellerID": SELLER_ID,
            "p1SlaveId": WAREHOUSE_SLAVE_ID,
            "articleNumber": "KURTA-BLU-M",
            "omsStatusCode": "ORDCANCL",
            "cancelledBy": "MARKETPLACE",
            "cancellationReason": "Payment not received",
            "cancellationDate": "2026-11-29 10:00:00",
            "updatedDate": "2026-11-29 10:00:00",
        }
        exception = self.env["tatacliq.exception"].create(
            {
                "channel_id": self.channel.id,
                "source": "cancellation",
                "kind": "decode_error",
                "reference": f"{TXN_A}/{WAREHOUSE_SLAVE_ID}",
                "order_no": self.ORDER_NO,
                "message": "Invalid value in cancellation.",
                "payload": json.dumps(payload),
            }
        )

        exception.action_process_again()

        self.assertEqual(exception.state, "done")
        self.assertEqual(line.tatacliq_cancel_state, "cancelled")
        self.assertEqual(line.tatacliq_cancelled_by, "marketplace")
        self.assertEqual(line.tatacliq_cancel_reason, "Payment not received")
        self.assertTrue(self.sandbox.calls.for_route("cancellations"))

    def test_order_exception_keeps_order_path(self):
        exception = self.env["tatacliq.exception"].create(
            {
                "channel_id": self.channel.id,
                "kind": "decode_error",
                "reference": self.ORDER_NO,
                "order_no": self.ORDER_NO,
                "payload": "{}",
            }
        )
        self.seed(self.ORDER_NO, self.order_line(TXN_A))

        exception.action_process_again()

        self.assertEqual(exception.source, "order")
        self.assertEqual(exception.state, "done")
        self.assertEqual(len(self.sale_line(TXN_A)), 1)
