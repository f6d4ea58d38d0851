from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged

from .fulfilment_common import FulfilmentCase


@tagged("post_install", "-at_install")
class TestManifest(FulfilmentCase):
    def pack_and_hand_over(self, pickings):
        pickings.action_tatacliq_pack()
        return pickings.action_tatacliq_hand_over()

    def test_one_manifest_per_courier(self):
        delhivery = self.import_delivery() | self.import_delivery()
        blue_dart = self.import_delivery(p1LogisticsID="BD")

        action = self.pack_and_hand_over(delhivery | blue_dart)

        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(len(self.calls("handover")), 1)
        self.assertEqual(len(self.calls("manifest_create")), 2)
        manifests = self.env["tatacliq.manifest"].search([])
        self.assertEqual(sorted(manifests.mapped("courier_code")), ["BD", "DL"])
        by_courier = {manifest.courier_code: manifest for manifest in manifests}
        self.assertEqual(by_courier["DL"].picking_ids, delhivery)
        self.assertEqual(by_courier["DL"].parcel_count, 2)
        self.assertEqual(by_courier["BD"].picking_ids, blue_dart)
        for manifest in manifests:
            self.assertEqual(manifest.state, "done")
            self.assertEqual(manifest.channel_id, self.channel)
            self.assertEqual(
                manifest.manifest_date, fields.Date.context_today(manifest)
            )
            text = self.pdf_text(manifest.attachment_id)
            self.assertIn(manifest.name, text)
            for awb in manifest.line_ids.mapped("tatacliq_awb_number"):
                self.assertIn(awb, text)
        self.assertEqual(set(delhivery.mapped("tatacliq_state")), {"manifested"})

    def test_manifest_print_downloads_pdf(self):
        picking = self.import_delivery()
        self.pack_and_hand_over(picking)
        manifest = picking.tatacliq_manifest_ids

        action = manifest.action_print()

        self.assertEqual(action["type"], "ir.actions.act_url")
        self.assertEqual(
            action["url"], f"/web/content/{manifest.attachment_id.id}?download=true"
        )
        self.assertEqual(len(self.calls("manifest_document")), 1)

    def test_manifest_pdf_retried(self):
        picking = self.import_delivery()
        self.sandbox.faults.inject("manifest_document", "5xx", times=4)

        self.pack_and_hand_over(picking)

        manifest = picking.tatacliq_manifest_ids
        self.assertEqual(manifest.state, "created")
        self.assertTrue(manifest.name.startswith("MF273570"))
        self.assertFalse(manifest.attachment_id)
        self.assertIn("HTTP 5", manifest.message)
        self.assertTrue(manifest.next_retry)
        # The manifest exists on the marketplace, so the delivery is on it.
        self.assertEqual(picking.tatacliq_state, "manifested")

        manifest.next_retry = "2000-01-01 00:00:00"
        self.env["tatacliq.manifest"]._cron_retry()

        self.assertEqual(manifest.state, "done")
        self.assertIn(manifest.name, self.pdf_text(manifest.attachment_id))
        self.assertEqual(len(self.calls("manifest_create")), 1)

    def test_manifest_creation_retried(self):
        picking = self.import_delivery()
        self.sandbox.faults.inject("manifest_create", "5xx", times=4)

        action = self.pack_and_hand_over(picking)

        # The handover itself succeeded and is not repeated.
        self.assertEqual(action["params"]["type"], "success", action["params"])
        line = picking._tatacliq_lines()
        self.assertEqual(line.tatacliq_status_code, "HOTCOURI")
        manifest = line.tatacliq_manifest_id
        self.assertEqual(manifest.state, "draft")
        self.assertTrue(manifest.next_retry)
        self.assertEqual(picking.tatacliq_state, "handed_over")
        waiting = manifest.message_ids.filtered(
            lambda message: "did not answer" in (message.body or "")
        )
        self.assertEqual(len(waiting), 1)

        manifest.next_retry = "2000-01-01 00:00:00"
        self.env["stock.picking"]._cron_tatacliq_retry()

        self.assertEqual(manifest.state, "done")
        self.assertEqual(picking.tatacliq_state, "manifested")
        self.assertEqual(len(self.calls("handover")), 1)

    def test_manifest_rejects_returned_parcel(self):
        kept = self.import_delivery()
        returned = self.import_delivery()
        self.sandbox.faults.inject("manifest_create", "5xx", times=4)
        self.pack_and_hand_over(kept | returned)
        manifest = kept.tatacliq_manifest_ids
        self.assertEqual(manifest.parcel_count, 2)
        # The courier returns one parcel before the manifest reaches Tata CLiQ.
        self.sandbox.transition(
            self.transaction_ids(returned)[0], "RTOINITD", force=True
        )

        manifest.next_retry = "2000-01-01 00:00:00"
        self.env["tatacliq.manifest"]._cron_retry()

        self.assertEqual(manifest.state, "done")
        self.assertEqual(manifest.line_ids, kept._tatacliq_lines())
        self.assertFalse(returned._tatacliq_lines().tatacliq_manifest_id)
        self.assertEqual(returned.tatacliq_problem, "blocked")
        self.assertEqual(returned.tatacliq_problem_step, "manifest")
        activity = self.fulfilment_activities(returned)
        self.assertIn("Order Not in HOTCOURI status", activity.note)
        self.assertIn("Tata CLiQ rejected 1 parcel(s)", manifest.message_ids[1].body)

        # Retry now sends the parcel on a new manifest, which Tata CLiQ rejects
        # again: the delivery keeps its one activity.
        action = returned.action_tatacliq_retry()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertIn("Order Not in HOTCOURI status", action["params"]["message"])
        self.assertEqual(len(self.fulfilment_activities(returned)), 1)
        self.assertEqual(len(self.calls("manifest_create")), 6)

    def test_create_manifest_action(self):
        picking = self.import_delivery()
        picking.action_tatacliq_pack()
        line = picking._tatacliq_lines()
        # The parcel was handed over in the seller portal and the order sync
        # brought the new status.
        self.sandbox.transition(line.tatacliq_transaction_id, "HOTCOURI")
        line.write({"tatacliq_status_code": "HOTCOURI"})
        self.assertEqual(picking.tatacliq_state, "handed_over")
        server_action = self.env.ref(
            "tatacliq_connector.action_server_tatacliq_create_manifest"
        )

        action = server_action.with_context(
            active_model="stock.picking", active_ids=picking.ids
        ).run()

        manifest = line.tatacliq_manifest_id
        self.assertEqual(action["res_model"], "tatacliq.manifest")
        self.assertEqual(action["res_id"], manifest.id)
        self.assertEqual(manifest.state, "done")
        self.assertEqual(picking.tatacliq_state, "manifested")

        with self.assertRaisesRegex(UserError, "without a manifest"):
            picking.action_tatacliq_create_manifest()
        self.assertEqual(len(self.calls("manifest_create")), 1)
