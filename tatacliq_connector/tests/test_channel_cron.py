from odoo.tests import tagged

from tatacliq.client import clear_token_cache

from .common import DEMO_SELLER, TataCliqCase, make_order, make_order_line


@tagged("post_install", "-at_install")
class TestChannelOrderCron(TataCliqCase):
    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        clear_token_cache()

    def test_channel_gets_own_cron(self):
        cron = self.channel.order_cron_id

        self.assertTrue(cron)
        self.assertTrue(cron.active)
        self.assertEqual(cron.interval_number, 15)
        self.assertEqual(cron.interval_type, "minutes")
        self.assertIn(self.channel.name, cron.name)
        self.assertEqual(
            cron.code, f"model.browse({self.channel.id})._cron_sync_orders()"
        )

    def test_cron_follows_channel(self):
        channel = self._create_channel(name="Store channel")
        cron = channel.order_cron_id

        channel.write({"order_sync_interval": 5, "name": "Bandra store"})
        self.assertEqual(cron.interval_number, 5)
        self.assertIn("Bandra store", cron.name)

        channel.active = False
        self.assertFalse(cron.active)
        channel.active = True
        self.assertTrue(cron.active)

        channel.unlink()
        self.assertFalse(cron.exists())

    def test_cron_syncs_only_its_channel(self):
        other = self._create_channel(
            name="Other channel", base_url="http://127.0.0.1:9"
        )
        self.sandbox.seed(
            DEMO_SELLER["seller_id"],
            {
                "order": [
                    make_order(
                        "7000-0000-000001",
                        [make_order_line("27357000099000001", "KURTA-BLU-M")],
                    )
                ]
            },
        )

        self.channel.order_cron_id.ir_actions_server_id.run()

        lines = self.env["sale.order.line"].search(
            [("tatacliq_transaction_id", "=", "27357000099000001")]
        )
        self.assertEqual(lines.tatacliq_channel_id, self.channel)
        self.assertTrue(self.channel.last_sync_date)
        self.assertFalse(other.last_sync_date)
