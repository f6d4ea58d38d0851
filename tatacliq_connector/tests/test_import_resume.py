import logging

import psycopg2

from odoo.sql_db import connection_info_for
from odoo.tests import tagged

from .common import make_order, make_order_line
from .test_import import ImportCase

# Marketplace SKUs of the test channel's mappings, cycled through the orders.
SKUS = ("KURTA-BLU-M", "KURTA-BLU-L", "WALLET-BRN")


def make_orders(count, first=1):
    """Return ``count`` one-line orders with distinct numbers and transactions."""
    return [
        make_order(
            f"9100-0000-{number:06d}",
            [
                make_order_line(
                    f"273570091{number:08d}",
                    SKUS[number % len(SKUS)],
                    price="799.00",
                )
            ],
        )
        for number in range(first, first + count)
    ]


@tagged("post_install", "-at_install")
class TestImportResume(ImportCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel.write({"page_size": 10, "batch_size": 4})

    def fail_after_first_page(self, kind):
        """Let the first order page through, then fail every later page request.

        Faults apply first in, first out: a "slow" fault without delay takes
        the first call, the failing fault the following ones. Ten failures are
        more than the client's retries.
        """
        self.sandbox.faults.inject("orders_list", "slow", times=1, delay=0)
        self.sandbox.faults.inject("orders_list", kind, times=10)

    def assert_resumed(self, kind):
        orders = make_orders(25)
        self.seed(*orders)
        self.fail_after_first_page(kind)

        run = self.sync()

        self.assertTrue(run.error)
        self.assertEqual(run.pages_read, 1)
        self.assertEqual(run.lines_imported, 10)
        self.assertIn("stopped early", self.channel.last_sync_message)
        self.assertEqual(self.channel.last_sync_imported, 10)
        self.assertEqual(len(self.imported_transaction_counts()), 10)

        self.sandbox.faults.clear()
        run = self.sync()

        self.assertFalse(run.error)
        self.assertEqual(run.lines_imported, 15)
        self.assertEqual(run.orders_skipped, 10)
        counts = self.imported_transaction_counts()
        expected = {order["orderLine"][0]["transactionId"] for order in orders}
        self.assertEqual(set(counts), expected)
        self.assertTrue(all(count == 1 for count in counts.values()))

    def test_resume_after_disconnect(self):
        self.assert_resumed("disconnect")

    def test_resume_after_server_errors(self):
        self.assert_resumed("5xx")

    def test_all_pages_in_batches(self):
        orders = make_orders(23)
        self.seed(*orders)

        run = self.sync()

        self.assertEqual(run.pages_read, 3)
        self.assertEqual(run.total_pages, 3)
        self.assertEqual(run.lines_imported, 23)
        page_calls = self.sandbox.calls.for_route("orders_list")
        self.assertEqual(len(page_calls), 3)

    def test_cron_reports_progress(self):
        # Only the test channel syncs; the demo channel points at a port that
        # no sandbox of this test listens on.
        self.env["tatacliq.channel"].search([("id", "!=", self.channel.id)]).write(
            {"active": False}
        )
        self.seed(*make_orders(12))
        cron = self.channel.order_cron_id
        progress = self.env["ir.cron.progress"].create({"cron_id": cron.id})

        self.channel.with_context(ir_cron_progress_id=progress.id)._cron_sync_orders()

        self.assertEqual(progress.done, 12)
        self.assertEqual(progress.remaining, 0)
        self.assertEqual(len(self.imported_transaction_counts()), 12)
        self.assertIn("12 order(s) read", self.channel.last_sync_message)

    def test_cron_continues_after_failing_channel(self):
        broken = self._create_channel(
            name="Unreachable channel", base_url="http://127.0.0.1:9"
        )
        broken.sequence = 1
        self.env["tatacliq.channel"].search(
            [("id", "not in", (self.channel | broken).ids)]
        ).write({"active": False})
        self.seed(*make_orders(3))

        self.env["tatacliq.channel"]._cron_sync_orders()

        self.assertIn("stopped early", broken.last_sync_message)
        self.assertEqual(len(self.imported_transaction_counts()), 3)


@tagged("post_install", "-at_install")
class TestSyncLock(ImportCase):
    """Two servers must never sync one channel at the same time.

    The lock is a row lock on the channel, so the competing server is played
    by a second database connection. That connection can only lock a committed
    row, so these tests use the channel of the demo data.
    """

    def setUp(self):
        super().setUp()
        self.demo_channel = self.env.ref(
            "tatacliq_connector.demo_channel_tship", raise_if_not_found=False
        )
        if not self.demo_channel:
            self.skipTest("the demo channel is needed: install with demo data")
        _dsn_name, params = connection_info_for(self.env.cr.dbname)
        self.other_server = psycopg2.connect(**params)
        self.addCleanup(self.other_server.close)

    def lock_from_other_server(self, channel):
        with self.other_server.cursor() as cr:
            cr.execute("SET lock_timeout = '5s'")
            cr.execute(
                "SELECT id FROM tatacliq_channel WHERE id = %s FOR NO KEY UPDATE",
                [channel.id],
            )
            self.assertEqual(cr.fetchone(), (channel.id,))

    def test_locked_channel_skipped(self):
        sync_date = self.demo_channel.last_sync_date
        self.lock_from_other_server(self.demo_channel)

        self.assertFalse(self.demo_channel._acquire_sync_lock())
        self.assertIsNone(self.demo_channel._sync_orders())
        self.assertEqual(self.demo_channel.last_sync_date, sync_date)
        self.assertFalse(self.sandbox.calls.for_route("orders_list"))

    def test_lock_free_after_other_server_ends(self):
        self.lock_from_other_server(self.demo_channel)
        self.assertFalse(self.demo_channel._acquire_sync_lock())

        self.other_server.rollback()

        self.assertTrue(self.demo_channel._acquire_sync_lock())

    def test_cron_skips_locked_channel(self):
        self.env["tatacliq.channel"].search(
            [("id", "not in", (self.channel | self.demo_channel).ids)]
        ).write({"active": False})
        self.seed(*make_orders(2))
        self.lock_from_other_server(self.demo_channel)

        # Odoo renames level 25 "INFO", so the level is given as a number.
        with self.assertLogs(
            "odoo.addons.tatacliq_connector.models.tatacliq_channel_import",
            logging.INFO,
        ) as logs:
            self.env["tatacliq.channel"]._cron_sync_orders()

        self.assertTrue(
            any(
                "skipped" in line and str(self.demo_channel.id) in line
                for line in logs.output
            )
        )
        # The other channels still sync.
        self.assertEqual(len(self.imported_transaction_counts()), 2)

    def test_lock_lets_references_through(self):
        # While a sync has the lock, the API log is inserted from another
        # cursor. Its foreign key check takes a KEY SHARE lock on the channel
        # row, which the sync lock must not block.
        self.assertTrue(self.demo_channel._acquire_sync_lock())
        with self.other_server.cursor() as cr:
            cr.execute("SET lock_timeout = '5s'")
            cr.execute(
                "SELECT id FROM tatacliq_channel WHERE id = %s FOR KEY SHARE",
                [self.demo_channel.id],
            )
            self.assertEqual(cr.fetchone(), (self.demo_channel.id,))
            cr.execute(
                "SELECT id FROM tatacliq_channel WHERE id = %s "
                "FOR NO KEY UPDATE SKIP LOCKED",
                [self.demo_channel.id],
            )
            self.assertIsNone(cr.fetchone())
