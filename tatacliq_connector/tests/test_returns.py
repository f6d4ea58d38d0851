from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common_returns import ReturnsCase

HOPPING_LOGGER = "odoo.addons.tatacliq_connector.models.tatacliq_channel_hopping"
FEED_LOGGER = "odoo.addons.tatacliq_connector.models.tatacliq_channel_feed_failure"
TXN = "27357000077700001"
ORDER_NO = "7777-0000-000001"


@tagged("post_install", "-at_install")
class TestReturns(ReturnsCase):
    def ship(self, transaction_id=TXN, deliver=True):
        """Import, pack, hand over and ship a line; return its sale order line."""
        self.seed(ORDER_NO, self.order_line(transaction_id))
        self.sync()
        self.pack_on_marketplace([transaction_id])
        self.hand_over_on_marketplace([transaction_id])
        line = self.sale_line(transaction_id)
        self.validate_delivery(line)
        if deliver:
            self.sandbox.mark_delivered(transaction_id)
        return line

    def sync_returns(self, channel=None):
        run = (channel or self.channel)._sync_returns()
        self.assertFalse(run.error, run.error)
        return run

    def returns(self):
        return self.env["tatacliq.return"].search([("transaction_id", "=", TXN)])

    def test_customer_return_quality_check_passed(self):
        line = self.ship()
        delivery = line.move_ids.picking_id
        return_id = self.sandbox.customer_return(TXN, "Size too small")

        run = self.sync_returns()

        self.assertEqual(run.applied, 1)
        ret = self.returns()
        self.assertEqual(ret.marketplace_return_id, return_id)
        self.assertEqual(ret.return_type, "cr")
        self.assertEqual(ret.status_code, "RETUINIT")
        self.assertEqual(ret.stage, "in_transit")
        self.assertEqual(ret.reason, "Size too small")
        self.assertEqual(ret.sale_line_id, line)
        receipt = ret.picking_id
        self.assertTrue(receipt)
        self.assertEqual(receipt.picking_type_code, "incoming")
        self.assertEqual(receipt.picking_type_id.warehouse_id, self.warehouse)
        self.assertEqual(receipt.return_id, delivery)
        self.assertEqual(receipt.move_ids.product_uom_qty, 1)
        self.assertIn("Size too small", str(receipt.note))
        self.assertEqual(line.tatacliq_status_code, "RETUINIT")

        self.sandbox.advance_return(return_id, "REVRSAWB", awb="RV8000000777")
        self.sync_returns()

        self.assertEqual(ret.reverse_awb, "RV8000000777")
        self.assertEqual(receipt.carrier_tracking_ref, "RV8000000777")

        for status in ("SRECTORI", "RETUCLOS", "REFUINIT"):
            self.sandbox.advance_return(return_id, status)
        self.sync_returns()

        self.assertEqual(ret.qc_status, "pass")
        self.assertEqual(ret.refund_status, "REFUINIT")
        self.assertEqual(ret.refund_status_name, "Refund initiated")
        self.assertEqual(ret.stage, "closed")
        self.assertEqual(ret.picking_id, receipt)
        self.assertNotEqual(receipt.state, "cancel")
        self.assertEqual(len(ret.event_ids), 5)
        self.assertEqual(line.tatacliq_return_id, ret)
        self.assertEqual(line.tatacliq_qc_status, "pass")
        self.assertEqual(line.tatacliq_refund_status, "Refund initiated")
        self.assertEqual(line.order_id.tatacliq_return_ids, ret)

    def test_customer_return_quality_check_failed(self):
        line = self.ship()
        return_id = self.sandbox.customer_return(TXN)
        self.sandbox.advance_return(return_id, "REVRSAWB")
        self.sandbox.advance_return(return_id, "SRECTORI")
        self.sync_returns()
        ret = self.returns()
        receipt = ret.picking_id
        self.assertEqual(ret.stage, "received")

        self.sandbox.advance_return(return_id, "QCFAILED")
        self.sync_returns()

        self.assertEqual(ret.qc_status, "fail")
        self.assertEqual(ret.status_code, "QCFAILED")
        self.assertEqual(line.tatacliq_qc_status, "fail")
        self.assertEqual(receipt.state, "cancel")
        self.assertEqual(len(self.activities(ret, "quality check failed")), 1)

        self.sandbox.advance_return(return_id, "RETUCLOS")
        self.sync_returns()

        self.assertEqual(ret.status_code, "RETUCLOS")
        self.assertEqual(ret.qc_status, "fail")
        self.assertFalse(ret.refund_status)
        self.assertEqual(len(self.activities(ret, "quality check failed")), 1)
        self.assertEqual(ret.picking_id, receipt)

    def test_return_to_origin(self):
        self.ship(deliver=False)
        return_id = self.sandbox.rto(TXN)
        for status in ("RTOINPRS", "RTODELVRD", "RTOQCPASS", "RTOCOMP", "REFUINIT"):
            self.sandbox.advance_return(return_id, status)

        self.sync_returns()

        ret = self.returns()
        self.assertEqual(ret.return_type, "rto")
        self.assertEqual(ret.status_code, "REFUINIT")
        self.assertEqual(ret.qc_status, "pass")
        awb = self.sandbox.line(TXN).extra.get("awb_number")
        self.assertTrue(awb)
        self.assertEqual(ret.reverse_awb, awb)
        self.assertEqual(ret.picking_id.picking_type_code, "incoming")
        self.assertEqual(ret.picking_id.picking_type_id.warehouse_id, self.warehouse)
        self.assertEqual(ret.picking_id.carrier_tracking_ref, awb)
        self.assertEqual(len(ret.event_ids), 6)

    def test_returns_pulled_twice_imported_once(self):
        self.ship()
        return_id = self.sandbox.customer_return(TXN)
        self.sandbox.advance_return(return_id, "REVRSAWB")
        first = self.sync_returns()
        ret = self.returns()
        receipt = ret.picking_id
        self.assertTrue(self.channel.return_cursor_date)

        second = self.sync_returns()
        self.channel.return_cursor_date = False
        third = self.sync_returns()

        self.assertEqual(first.applied, 1)
        self.assertEqual(second.applied, 0)
        self.assertEqual(second.unchanged, second.records)
        self.assertEqual(third.records, 2)
        self.assertEqual(third.unchanged, 2)
        self.assertEqual(self.returns(), ret)
        self.assertEqual(len(ret.event_ids), 2)
        self.assertEqual(ret.picking_id, receipt)
        self.assertEqual(
            self.env["stock.picking"].search_count(
                [("return_id", "=", receipt.return_id.id)]
            ),
            1,
        )

    def test_failed_read_resumes_from_cursor(self):
        self.channel.page_size = 1
        self.ship()
        return_id = self.sandbox.customer_return(TXN)
        self.sync_returns()
        ret = self.returns()
        cursor = self.channel.return_cursor_date
        self.sandbox.advance_return(return_id, "REVRSAWB")
        self.sandbox.advance_return(return_id, "SRECTORI")
        self.sandbox.faults.inject("returns", "malformed")

        with mute_logger(HOPPING_LOGGER):
            failed = self.channel._sync_returns()

        self.assertTrue(failed.error)
        self.assertEqual(self.channel.return_cursor_date, cursor)
        self.assertEqual(ret.status_code, "RETUINIT")
        self.assertIn("stopped early", self.channel.last_return_sync_message)

        run = self.sync_returns()

        # One event per page: the first one again (fromDate is inclusive),
        # then the two new ones.
        self.assertEqual(run.pages, 3)
        self.assertEqual(run.unchanged, 1)
        self.assertEqual(run.updated, 2)
        self.assertEqual(ret.status_code, "SRECTORI")
        self.assertEqual(len(ret.event_ids), 3)
        self.assertGreaterEqual(self.channel.return_cursor_date, cursor)

    def test_lost_in_transit_flagged(self):
        self.ship()
        return_id = self.sandbox.customer_return(TXN)
        self.sandbox.advance_return(return_id, "REVRSAWB")
        self.sync_returns()
        ret = self.returns()
        receipt = ret.picking_id

        self.sandbox.advance_return(return_id, "LOSTINTT")
        self.sync_returns()

        self.assertTrue(ret.lost_in_transit)
        self.assertEqual(ret.stage, "lost")
        self.assertEqual(receipt.state, "cancel")
        activity = self.activities(ret, "lost in transit")
        self.assertEqual(len(activity), 1)
        self.assertIn(ret.reverse_awb, activity.note)

        self.sandbox.advance_return(return_id, "REFUINIT")
        self.channel.return_cursor_date = False
        self.sync_returns()

        self.assertEqual(ret.refund_status, "REFUINIT")
        self.assertTrue(ret.lost_in_transit)
        self.assertEqual(len(self.activities(ret, "lost in transit")), 1)

    def test_receipt_waits_for_validated_delivery(self):
        self.seed(ORDER_NO, self.order_line(TXN))
        self.sync()
        self.pack_on_marketplace([TXN])
        self.hand_over_on_marketplace([TXN])
        self.sandbox.mark_delivered(TXN)
        line = self.sale_line(TXN)
        self.sandbox.customer_return(TXN)

        self.sync_returns()

        ret = self.returns()
        self.assertFalse(ret.picking_id)
        self.assertIn("not validated in Odoo", ret.receipt_note)
        with self.assertRaises(UserError):
            ret.action_create_receipt()

        self.validate_delivery(line)
        ret.action_create_receipt()

        self.assertEqual(ret.picking_id.picking_type_code, "incoming")

    def test_returns_before_start_date_left_out(self):
        self.ship()
        self.sandbox.customer_return(TXN)
        now = fields.Datetime.now()
        # The cursor reads the return; the start date keeps it out.
        self.channel.write(
            {
                "return_cursor_date": fields.Datetime.subtract(now, days=1),
                "return_sync_from": fields.Datetime.add(now, days=1),
            }
        )

        run = self.sync_returns()

        self.assertFalse(self.returns())
        self.assertEqual(run.records, 1)
        self.assertEqual(run.skipped, 1)

    def test_cron_imports_returns(self):
        self.ship()
        self.sandbox.customer_return(TXN)
        # Channels of the demo data point at a marketplace that is not running.
        others = self.env["tatacliq.channel"].search(
            [("id", "not in", (self.channel | self.partner_channel).ids)]
        )
        others.active = False

        self.env["tatacliq.channel"]._cron_sync_returns()

        self.assertEqual(len(self.returns()), 1)

    def test_unreadable_return_processed_again(self):
        line = self.ship()
        return_id = self.sandbox.customer_return(TXN, "Size too small")
        case = self.sandbox.return_case(return_id)
        # Fields where the feed sends text: the decoder rejects the event.
        case.reason = {"text": "Size too small"}

        with mute_logger(FEED_LOGGER):
            run = self.sync_returns()

        self.assertEqual(run.problems, 1)
        self.assertFalse(self.returns())
        exception = self.env["tatacliq.exception"].search(
            [("channel_id", "=", self.channel.id), ("source", "=", "return")]
        )
        self.assertEqual(len(exception), 1)
        self.assertEqual(exception.kind, "decode_error")
        self.assertEqual(exception.reference, f"{return_id}-01")
        self.assertEqual(exception.order_no, ORDER_NO)
        self.assertIn("returnReason", exception.message)

        exception.action_process_again()

        self.assertEqual(exception.state, "open")
        self.assertEqual(exception.attempt_count, 1)
        self.assertIn("still cannot be read", exception.message)
        self.assertFalse(self.returns())

        case.reason = "Size too small"
        exception.action_process_again()

        self.assertEqual(exception.state, "done")
        ret = self.returns()
        self.assertEqual(len(ret), 1)
        self.assertEqual(ret.reason, "Size too small")
        self.assertEqual(ret.status_code, "RETUINIT")
        self.assertEqual(ret.sale_line_id, line)
        self.assertEqual(ret.picking_id.picking_type_code, "incoming")
        self.assertEqual(len(ret.event_ids), 1)

        # The feed read that follows finds the event imported already.
        run = self.sync_returns()

        self.assertEqual(run.unchanged, run.records)
        self.assertEqual(self.returns(), ret)
        self.assertEqual(len(ret.event_ids), 1)
