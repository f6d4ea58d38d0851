from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import STORE_SLAVE_IDS
from .fulfilment_common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestFulfilmentSteps(FulfilmentCase):
    def test_tship_every_step(self):
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        self.assertEqual(picking.tatacliq_state, "allocated")
        self.assertEqual(picking.tatacliq_fulfillment_type, "TSHIP")

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        market = self.sandbox.line(line.tatacliq_transaction_id)
        self.assertEqual(market.status, "SCANNED")
        self.assertEqual(line.tatacliq_status_code, "SCANNED")
        self.assertEqual(line.tatacliq_status_name, "Packed")
        self.assertEqual(line.tatacliq_invoice_number, market.extra["invoice_number"])
        self.assertTrue(line.tatacliq_invoice_date)
        self.assertEqual(line.tatacliq_awb_number, market.extra["awb_number"])
        self.assertEqual(line.tatacliq_logistics_id, "DL")
        self.assertEqual(picking.tatacliq_state, "packed")
        self.assertEqual(picking.carrier_tracking_ref, line.tatacliq_awb_number)
        self.assertEqual(picking.tatacliq_courier_code, "DL")
        self.assertEqual(picking.tatacliq_courier_name, "Delhivery")
        self.assertEqual(
            picking.carrier_tracking_url,
            f"https://www.delhivery.com/track/package/{line.tatacliq_awb_number}",
        )
        self.assertIn(line.tatacliq_awb_number, picking.tatacliq_tracking_html)
        self.assertEqual(
            picking.sale_id.tatacliq_invoice_number, line.tatacliq_invoice_number
        )

        # Label on the delivery, invoice on the sale order and the delivery.
        label = line.tatacliq_label_attachment_id
        self.assertEqual((label.res_model, label.res_id), (picking._name, picking.id))
        self.assertIn(line.tatacliq_awb_number, self.pdf_text(label))
        invoice = line.tatacliq_invoice_attachment_id
        self.assertEqual(
            (invoice.res_model, invoice.res_id), ("sale.order", picking.sale_id.id)
        )
        self.assertIn(line.tatacliq_invoice_number, self.pdf_text(invoice))
        names = self.picking_attachments(picking).mapped("name")
        self.assertIn(invoice.name, names)
        self.assertTrue(picking.tatacliq_has_label)

        action = picking.action_tatacliq_print_label()
        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(action["url"], f"/web/content/{label.id}?download=true")

        self.assertIs(self.validate(picking), True)
        self.assertEqual(picking.state, "done")

        action = picking.action_tatacliq_hand_over()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(market.status, "HOTCOURI")
        self.assertEqual(line.tatacliq_status_code, "HOTCOURI")
        self.assertTrue(line.tatacliq_handover_date)
        manifest = line.tatacliq_manifest_id
        self.assertEqual(manifest.state, "done")
        self.assertEqual(manifest.name, market.extra["manifest_id"])
        self.assertEqual(manifest.courier_code, "DL")
        self.assertEqual(manifest.picking_ids, picking)
        self.assertIn(line.tatacliq_awb_number, self.pdf_text(manifest.attachment_id))
        self.assertEqual(picking.tatacliq_state, "manifested")
        self.assertEqual(picking.tatacliq_manifest_ids, manifest)

    def test_sship_every_step(self):
        self.channel.fulfillment_model = "sship"
        picking = self.import_delivery(fulfillmentType="SSHIP", p1LogisticsID="NA")
        line = picking._tatacliq_lines()
        self.assertEqual(picking.tatacliq_fulfillment_type, "SSHIP")

        picking.action_tatacliq_pack()

        self.assertEqual(line.tatacliq_status_code, "SCANNED")
        self.assertTrue(line.tatacliq_invoice_number)
        self.assertFalse(line.tatacliq_awb_number)
        self.assertFalse(line.tatacliq_label_attachment_id)
        self.assertTrue(line.tatacliq_invoice_attachment_id)
        self.assertEqual(picking.tatacliq_state, "packed")
        with self.assertRaisesRegex(UserError, "Ship with your courier and AWB"):
            self.validate(picking)
        with self.assertRaisesRegex(UserError, "has no label for transaction"):
            picking.action_tatacliq_print_label()

        action = picking.action_tatacliq_ship()
        wizard_form = Form(
            self.env[action["res_model"]].with_context(**action["context"])
        )
        wizard_form.courier_name = "Blue Dart"
        with wizard_form.line_ids.edit(0) as wizard_line:
            wizard_line.awb_number = "BD-000123456"
        action = wizard_form.save().action_confirm()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        market = self.sandbox.line(line.tatacliq_transaction_id)
        self.assertEqual(market.extra["courier_name"], "Blue Dart")
        self.assertEqual(market.extra["awb_number"], "BD-000123456")
        self.assertTrue(line.tatacliq_shipment_confirmed)
        self.assertEqual(line.tatacliq_courier_name, "Blue Dart")
        self.assertEqual(line.tatacliq_awb_number, "BD-000123456")
        self.assertEqual(picking.carrier_tracking_ref, "BD-000123456")
        self.assertEqual(picking.tatacliq_state, "shipped")
        self.assertEqual(picking.tatacliq_courier_name, "Blue Dart")
        self.assertIn("bluedart.com", picking.carrier_tracking_url)
        self.assertIn("BD-000123456", self.pdf_text(line.tatacliq_label_attachment_id))
        self.assertIs(self.validate(picking), True)

        picking.action_tatacliq_hand_over()

        self.assertEqual(market.status, "HOTCOURI")
        manifest = line.tatacliq_manifest_id
        self.assertEqual(manifest.state, "done")
        self.assertEqual(manifest.courier_code, "Blue Dart")
        self.assertIn("BD-000123456", self.pdf_text(manifest.attachment_id))
        self.assertEqual(picking.tatacliq_state, "manifested")

    def test_luxury_every_step(self):
        picking = self.import_delivery(channel=self.luxury_channel, p1LogisticsID="BD")
        line = picking._tatacliq_lines()

        picking.action_tatacliq_pack()

        market = self.sandbox.line(line.tatacliq_transaction_id)
        self.assertEqual(market.seller_id, "410001")
        self.assertEqual(market.status, "SCANNED")
        self.assertEqual(line.tatacliq_awb_number, market.extra["awb_number"])
        self.assertEqual(picking.tatacliq_courier_name, "Blue Dart")
        self.assertIn(
            line.tatacliq_awb_number, self.pdf_text(line.tatacliq_label_attachment_id)
        )
        self.assertTrue(line.tatacliq_invoice_attachment_id)

        picking.action_tatacliq_hand_over()

        manifest = line.tatacliq_manifest_id
        self.assertEqual(manifest.channel_id, self.luxury_channel)
        self.assertEqual(manifest.state, "done")
        self.assertTrue(manifest.name.startswith("MF410001"))
        self.assertEqual(picking.tatacliq_state, "manifested")

    def test_omni_store_every_step(self):
        self.channel.fulfillment_model = "omni"
        picking = self.import_delivery(p1SlaveId=STORE_SLAVE_IDS[0])
        line = picking._tatacliq_lines()
        self.assertEqual(picking.picking_type_id.warehouse_id, self.store_warehouses[0])

        picking.action_tatacliq_pack()
        picking.action_tatacliq_hand_over()

        self.assertEqual(line.tatacliq_status_code, "HOTCOURI")
        manifest = line.tatacliq_manifest_id
        self.assertEqual(manifest.slave_id, STORE_SLAVE_IDS[0])
        self.assertEqual(manifest.state, "done")

    def test_order_wise_delivery_with_two_lines(self):
        self.channel.api_type = "order_wise"
        picking = self.import_delivery(lines=2)
        lines = picking._tatacliq_lines()
        self.assertEqual(len(lines), 2)

        picking.action_tatacliq_pack()

        self.assertEqual(set(lines.mapped("tatacliq_status_code")), {"SCANNED"})
        self.assertEqual(len(self.calls("pack")), 1)
        awbs = lines.mapped("tatacliq_awb_number")
        self.assertEqual(picking.carrier_tracking_ref, ",".join(awbs))
        self.assertEqual(len(picking._tatacliq_tracking_links()), 2)
        self.assertTrue(picking.carrier_tracking_url.startswith("[["))
        action = picking.action_tatacliq_print_label()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/")[3].split("?")[0])
        )
        text = self.pdf_text(attachment)
        for awb in awbs:
            self.assertIn(awb, text)
        self.assertEqual(picking.action_tatacliq_print_label()["url"], action["url"])


@tagged("post_install", "-at_install")
class TestFulfilmentDocuments(FulfilmentCase):
    def test_validation_blocked_without_label(self):
        picking = self.import_delivery()
        transaction_id = self.transaction_ids(picking)[0]

        with self.assertRaises(UserError) as caught:
            self.validate(picking)

        message = str(caught.exception)
        self.assertIn(picking.name, message)
        self.assertIn(transaction_id, message)
        self.assertIn("shipping label", message)
        self.assertIn("click Pack", message)
        self.assertNotEqual(picking.state, "done")

        picking.action_tatacliq_pack()
        self.assertIs(self.validate(picking), True)

    def test_validation_without_label_flag(self):
        self.channel.use_shipping_label = False
        picking = self.import_delivery()

        action = picking.action_tatacliq_pack()

        # Tata CLiQ packs only with its invoice and label, so the pack is
        # refused before any call, and validation no longer waits for a label.
        self.assertIn("Use shipping label is off", action["params"]["message"])
        self.assertEqual(self.calls(), [])
        line = picking._tatacliq_lines()
        self.assertFalse(line.tatacliq_invoice_number)
        self.assertFalse(line.tatacliq_label_attachment_id)
        self.assertIs(self.validate(picking), True)

    def test_invoice_number_on_account_move(self):
        picking = self.import_delivery()
        picking.action_tatacliq_pack()
        line = picking._tatacliq_lines()

        invoice = picking.sale_id._create_invoices()

        self.assertEqual(invoice.tatacliq_invoice_number, line.tatacliq_invoice_number)

    def test_pack_refused_without_marketplace_invoice(self):
        self.channel.use_marketplace_invoice = False
        picking = self.import_delivery()

        action = picking.action_tatacliq_pack()

        self.assertIn("Use marketplace invoice is off", action["params"]["message"])
        self.assertEqual(self.calls(), [])
        invoice = picking.sale_id._create_invoices()
        self.assertFalse(invoice.tatacliq_invoice_number)
        self.assertFalse(picking._tatacliq_lines().tatacliq_invoice_attachment_id)

    def test_prefetch_labels_reused_by_pack(self):
        picking = self.import_delivery()
        other = self.import_delivery(fulfillmentType="SSHIP")
        line = picking._tatacliq_lines()

        action = self.channel.action_prefetch_labels()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(len(self.calls("label_prefetch")), 1)
        self.assertEqual(line.tatacliq_status_code, "ORDALLOC")
        self.assertTrue(line.tatacliq_awb_number)
        self.assertTrue(picking.tatacliq_has_label)
        self.assertFalse(other.tatacliq_has_label)
        report = (picking | other)._tatacliq_run("prefetch")
        self.assertIn("Self-ship delivery", report.failed[other.id])
        self.assertEqual(len(self.calls("label_prefetch")), 1)
        awb = line.tatacliq_awb_number
        label = line.tatacliq_label_attachment_id
        self.assertIn(awb, self.pdf_text(label))

        # Nothing left to prefetch: the scheduled action makes no call.
        self.env["stock.picking"]._cron_tatacliq_prefetch_labels()
        self.assertEqual(len(self.calls("label_prefetch")), 1)

        picking.action_tatacliq_pack()

        self.assertEqual(line.tatacliq_status_code, "SCANNED")
        self.assertEqual(line.tatacliq_awb_number, awb)
        self.assertEqual(line.tatacliq_label_attachment_id, label)
        self.assertEqual(len(self.calls("shipping_label")), 1)

    def test_prefetch_cron_waits_for_courier(self):
        picking = self.import_delivery(courier_in=timedelta(hours=1))

        self.env["stock.picking"]._cron_tatacliq_prefetch_labels()

        self.assertFalse(picking.tatacliq_has_label)
        # A prefetch failure is not recorded on the delivery, because the cron
        # repeats the prefetch.
        self.assertFalse(picking.tatacliq_problem)
        self.sandbox.clock.advance(minutes=61)
        self.env["stock.picking"]._cron_tatacliq_prefetch_labels()
        self.assertTrue(picking.tatacliq_has_label)
        self.assertEqual(len(self.calls("label_prefetch")), 2)


@tagged("post_install", "-at_install")
class TestFulfilmentErrors(FulfilmentCase):
    def waiting_messages(self, picking):
        return picking.message_ids.filtered(
            lambda message: "is waiting" in (message.body or "")
        )

    def test_no_courier_then_success(self):
        self.sandbox.seller("273570").options["courier_delay_minutes"] = 60
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        before = fields.Datetime.now()

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("No Shipment Available", action["params"]["message"])
        self.assertEqual(line.tatacliq_status_code, "PICKCONF")
        self.assertFalse(line.tatacliq_invoice_number)
        self.assertEqual(picking.tatacliq_state, "picked")
        self.assertEqual(picking.tatacliq_problem, "waiting")
        self.assertEqual(picking.tatacliq_problem_step, "pack")
        self.assertEqual(picking.tatacliq_retry_count, 1)
        delay = picking.tatacliq_next_retry - before
        self.assertGreaterEqual(delay, timedelta(minutes=5))
        self.assertLess(delay, timedelta(minutes=6))
        self.assertEqual(len(self.waiting_messages(picking)), 1)
        self.assertFalse(self.fulfilment_activities(picking))

        # The retry cron skips a delivery whose retry is not due yet.
        self.env["stock.picking"]._cron_tatacliq_retry()
        self.assertEqual(len(self.calls("pack")), 1)

        # A due retry that fails again backs off and posts no second message.
        self.make_due(picking)
        self.env["stock.picking"]._cron_tatacliq_retry()
        self.assertEqual(len(self.calls("pack")), 2)
        self.assertEqual(picking.tatacliq_retry_count, 2)
        delay = picking.tatacliq_next_retry - before
        self.assertGreaterEqual(delay, timedelta(minutes=10))
        self.assertEqual(len(self.waiting_messages(picking)), 1)
        # Accept and pick confirm succeeded once and are not sent again.
        self.assertEqual(len(self.calls("line_accept")), 1)
        self.assertEqual(len(self.calls("pick_confirm")), 1)

        self.sandbox.clock.advance(minutes=61)
        self.make_due(picking)
        self.env["stock.picking"]._cron_tatacliq_retry()

        self.assertEqual(line.tatacliq_status_code, "SCANNED")
        self.assertTrue(line.tatacliq_label_attachment_id)
        self.assertFalse(picking.tatacliq_problem)
        self.assertFalse(picking.tatacliq_next_retry)
        self.assertEqual(picking.tatacliq_retry_count, 0)
        self.assertIn("succeeded after 2 failed tries", picking.message_ids[0].body)

    def test_retry_delay_is_capped(self):
        Fulfilment = self.env["tatacliq.fulfilment"]
        self.assertEqual(Fulfilment._retry_delay(1), timedelta(minutes=5))
        self.assertEqual(Fulfilment._retry_delay(3), timedelta(minutes=20))
        self.assertEqual(Fulfilment._retry_delay(7), timedelta(hours=4))
        self.assertEqual(Fulfilment._retry_delay(30), timedelta(hours=4))

    def test_out_of_order_needs_a_person(self):
        self.sandbox.seller("273570").options["courier_delay_minutes"] = 60
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        picking.action_tatacliq_pack()
        self.assertEqual(picking.tatacliq_problem, "waiting")
        # Meanwhile the parcel leaves without the ERP, through the portal.
        self.sandbox.transition(line.tatacliq_transaction_id, "HOTCOURI", force=True)
        self.sandbox.clock.advance(minutes=61)
        self.make_due(picking)

        self.env["stock.picking"]._cron_tatacliq_retry()

        self.assertEqual(picking.tatacliq_problem, "blocked")
        self.assertFalse(picking.tatacliq_next_retry)
        self.assertIn("Order Not in PICKCONG status", picking.tatacliq_problem_message)
        self.assertEqual(line.tatacliq_status_code, "HOTCOURI")
        activity = self.fulfilment_activities(picking)
        self.assertEqual(len(activity), 1)
        self.assertIn("Order Not in PICKCONG status", activity.note)
        self.assertIn("Check the line in the seller portal", activity.note)

        # Pack again is rejected locally and adds no second activity.
        action = picking.action_tatacliq_pack()
        self.assertIn("nothing to pack", action["params"]["message"])
        self.assertEqual(len(self.fulfilment_activities(picking)), 1)

    def test_missing_status_mappings(self):
        self.sandbox.seller("273570").status_mappings = False
        picking = self.import_delivery()

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(picking.tatacliq_problem, "blocked")
        self.assertEqual(picking._tatacliq_lines().tatacliq_status_code, "ORDALLOC")
        activity = self.fulfilment_activities(picking)
        self.assertEqual(len(activity), 1)
        self.assertIn("Kindly Connect to Seller Portal team", activity.note)
        self.assertIn("account manager", activity.note)

        # Once the account manager fixed the mappings, the pack goes through
        # and the activity is marked done.
        self.sandbox.seller("273570").status_mappings = True
        picking.action_tatacliq_pack()
        self.assertFalse(picking.tatacliq_problem)
        self.assertFalse(self.fulfilment_activities(picking))
        self.assertEqual(picking.tatacliq_state, "packed")

    def test_server_error_is_retried(self):
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        # More 5xx responses than the client's own retries, so the step fails.
        self.sandbox.faults.inject("pack", "5xx", times=4)

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("HTTP 5", action["params"]["message"])
        self.assertEqual(picking.tatacliq_problem, "waiting")
        self.assertEqual(line.tatacliq_status_code, "PICKCONF")
        self.assertEqual(len(self.waiting_messages(picking)), 1)

        self.make_due(picking)
        self.env["stock.picking"]._cron_tatacliq_retry()

        self.assertEqual(line.tatacliq_status_code, "SCANNED")
        self.assertFalse(picking.tatacliq_problem)

    def test_lost_pack_response_gets_same_invoice(self):
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        # The marketplace packs the line, but every response is lost.
        self.sandbox.faults.inject("pack", "5xx", times=4, after_handling=True)

        picking.action_tatacliq_pack()

        market = self.sandbox.line(line.tatacliq_transaction_id)
        self.assertEqual(market.status, "SCANNED")
        self.assertFalse(line.tatacliq_invoice_number)
        self.make_due(picking)
        self.env["stock.picking"]._cron_tatacliq_retry()
        self.assertEqual(line.tatacliq_invoice_number, market.extra["invoice_number"])
        self.assertEqual(line.tatacliq_awb_number, market.extra["awb_number"])

    def test_batch_server_action_mixed_outcomes(self):
        ready = self.import_delivery() | self.import_delivery()
        no_courier = self.import_delivery(courier_in=timedelta(hours=2))
        cancelled = self.import_delivery()
        self.sandbox.transition(
            self.transaction_ids(cancelled)[0], "ORDCANCL", force=True
        )
        self.sandbox.calls.clear()
        pickings = ready | no_courier | cancelled
        server_action = self.env.ref("tatacliq_connector.action_server_tatacliq_pack")

        action = server_action.with_context(
            active_model="stock.picking", active_ids=pickings.ids
        ).run()

        # One call per step for all deliveries, not one per delivery.
        self.assertEqual(len(self.calls("line_accept")), 1)
        self.assertEqual(len(self.calls("pick_confirm")), 1)
        self.assertEqual(len(self.calls("pack")), 1)
        self.assertEqual(action["params"]["type"], "warning")
        message = action["params"]["message"]
        self.assertIn("2 of 4 deliveries succeeded", message)
        self.assertIn(f"{no_courier.name}: No Shipment Available", message)
        self.assertIn(f"{cancelled.name}: Order Not in ORDALLOC status", message)
        self.assertEqual(set(ready.mapped("tatacliq_state")), {"packed"})
        self.assertTrue(all(ready.mapped("tatacliq_has_label")))
        self.assertEqual(no_courier.tatacliq_problem, "waiting")
        self.assertEqual(cancelled.tatacliq_problem, "blocked")
        self.assertTrue(self.fulfilment_activities(cancelled))

    def test_not_a_marketplace_delivery(self):
        picking = self.import_delivery()
        receipt = self.env["stock.picking"].create(
            {
                "picking_type_id": self.warehouse.in_type_id.id,
                "location_id": self.env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": self.warehouse.lot_stock_id.id,
            }
        )

        action = (picking | receipt).action_tatacliq_pack()

        self.assertIn(
            f"{receipt.name}: Not a Tata CLiQ delivery", action["params"]["message"]
        )
        self.assertEqual(picking.tatacliq_state, "packed")


@tagged("post_install", "-at_install")
class TestFulfilmentIdempotency(FulfilmentCase):
    def test_pack_twice_calls_once(self):
        picking = self.import_delivery()
        picking.action_tatacliq_pack()
        counts = self.call_counts()
        attachments = self.picking_attachments(picking)

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "success")
        self.assertEqual(self.call_counts(), counts)
        self.assertEqual(self.picking_attachments(picking), attachments)

    def test_pack_after_status_sync_fetches_invoice(self):
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        picking.action_tatacliq_pack()
        invoice_number = line.tatacliq_invoice_number
        # The local result got lost. The marketplace returns the same invoice
        # for a repeated pack instead of packing again.
        line.write({"tatacliq_invoice_number": False})

        picking.action_tatacliq_pack()

        self.assertEqual(line.tatacliq_invoice_number, invoice_number)
        self.assertEqual(len(self.calls("pack")), 2)
        self.assertEqual(len(self.calls("line_accept")), 1)

    def test_ship_twice_calls_once(self):
        picking = self.import_delivery(fulfillmentType="SSHIP")
        picking.action_tatacliq_pack()
        picking.write(
            {
                "tatacliq_ship_courier_name": "Seller Express",
                "tatacliq_ship_awb_number": "SEX-000123456",
            }
        )
        picking._tatacliq_run("ship")
        counts = self.call_counts()

        report = picking._tatacliq_run("ship")

        self.assertEqual(list(report.done), picking.ids)
        self.assertEqual(self.call_counts(), counts)

        # Another AWB before the handover replaces the first and its label.
        old_label = picking._tatacliq_lines().tatacliq_label_attachment_id
        picking.tatacliq_ship_awb_number = "SEX-000999999"
        picking._tatacliq_run("ship")
        self.assertEqual(len(self.calls("shipment_confirm")), 2)
        self.assertFalse(old_label.exists())
        new_label = picking._tatacliq_lines().tatacliq_label_attachment_id
        self.assertIn("SEX-000999999", self.pdf_text(new_label))

    def test_hand_over_twice_calls_once(self):
        picking = self.import_delivery()
        picking.action_tatacliq_pack()
        picking.action_tatacliq_hand_over()
        counts = self.call_counts()

        picking.action_tatacliq_hand_over()

        self.assertEqual(self.call_counts(), counts)
        self.assertEqual(len(self.env["tatacliq.manifest"].search([])), 1)

    def test_hand_over_repeat_on_marketplace(self):
        picking = self.import_delivery()
        line = picking._tatacliq_lines()
        picking.action_tatacliq_pack()
        # The courier scanned the parcel before Odoo's handover reached the
        # marketplace, which then returns "Shipment Already in HOTC".
        self.sandbox.transition(line.tatacliq_transaction_id, "HOTCOURI")

        action = picking.action_tatacliq_hand_over()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(line.tatacliq_status_code, "HOTCOURI")
        self.assertEqual(line.tatacliq_manifest_id.state, "done")

    def test_steps_refused_locally(self):
        picking = self.import_delivery()

        action = picking.action_tatacliq_hand_over()

        self.assertIn("not packed yet", action["params"]["message"])
        self.assertEqual(self.calls(), [])
        with self.assertRaisesRegex(UserError, "Click Hand over first"):
            picking.action_tatacliq_create_manifest()


@tagged("post_install", "-at_install")
class TestFulfilmentAccess(FulfilmentCase):
    def test_warehouse_user_runs_every_step(self):
        user = self._create_user("fulfil.warehouse", ["stock.group_stock_user"])
        picking = self.import_delivery().with_user(user)

        action = picking.action_tatacliq_pack()

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertTrue(picking.tatacliq_has_label)
        self.assertIs(self.validate(picking), True)
        action = picking.action_tatacliq_print_label()
        self.assertEqual(action["type"], "ir.actions.act_url")
        action = picking.action_tatacliq_hand_over()
        self.assertEqual(action["params"]["type"], "success", action["params"])
        manifest = picking.tatacliq_manifest_ids
        self.assertEqual(manifest.state, "done")
        self.assertEqual(manifest.action_print()["type"], "ir.actions.act_url")
