from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields
from odoo.tests import TransactionCase, tagged

from .common import DEMO_SELLER, LoopbackRequestsMixin, TataCliqCase


@tagged("post_install", "-at_install")
class TestApiLog(TataCliqCase):
    def test_api_log_written_and_redacted(self):
        self.channel.action_test_connection()
        logs = self._api_logs()
        self.assertEqual(set(logs.mapped("route")), {"token", "orders_list"})
        token_log = logs.filtered(lambda log: log.route == "token")
        self.assertEqual(token_log.method, "POST")
        self.assertEqual(token_log.status_code, 200)
        self.assertFalse(token_log.is_error)
        self.assertTrue(token_log.url.startswith(self.sandbox.url))
        token = self.channel._get_client().get_token()
        secrets = [
            DEMO_SELLER["password"],
            DEMO_SELLER["api_secret"],
            token,
        ]
        for log in logs:
            text = " ".join(
                value or ""
                for value in (log.url, log.request_body, log.response_body, log.error)
            )
            for secret in secrets:
                with self.subTest(route=log.route, secret=secret[:4]):
                    self.assertNotIn(secret, text)

    def test_api_log_of_failed_call(self):
        channel = self._create_channel(name="Log failure", password="not-it")
        channel.action_test_connection()
        log = self._api_logs(channel)
        self.assertEqual(len(log), 1)
        self.assertEqual(log.route, "token")
        self.assertGreaterEqual(log.status_code, 400)
        self.assertTrue(log.is_error)
        self.assertNotIn("not-it", log.request_body or "")

    def test_log_without_response(self):
        self.channel.base_url = "http://127.0.0.1:9"
        self.channel.action_test_connection()
        logs = self._api_logs()
        self.assertTrue(logs)
        for log in logs:
            self.assertEqual(log.status_code, 0)
            self.assertTrue(log.error)
            self.assertTrue(log.is_error)

    def test_log_removes_channel_secrets(self):
        # The client redacts its own credentials and tokens. The log also
        # removes the channel's credentials wherever they appear.
        logger = self.env["tatacliq.api.log"]._make_call_logger(
            self.channel, ["demo-password", "abc"]
        )
        from tatacliq.client import CallRecord

        logger(
            CallRecord(
                route="token",
                method="POST",
                url=self.sandbox.url + "/security/createJWTToken?p=demo-password",
                status=500,
                duration_ms=12,
                request_body='{"password": "demo-password"}',
                response_body="abc demo-password",
                error="failed for demo-password",
                attempt=2,
            )
        )
        log = self._api_logs()
        self.assertEqual(len(log), 1)
        for value in (log.url, log.request_body, log.response_body, log.error):
            self.assertNotIn("demo-password", value)
            self.assertIn("***", value)
        # Values shorter than four characters are left alone.
        self.assertIn("abc", log.response_body)
        self.assertEqual(log.attempt, 2)
        self.assertEqual(log.duration_ms, 12)


@tagged("post_install", "-at_install")
class TestApiLogSurvivesRollback(LoopbackRequestsMixin, TransactionCase):
    """Check the log against a real second transaction, as in production.

    This class stays out of registry test mode, so ``registry.cursor()`` opens
    a real connection. The records it commits are deleted in the clean-up.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        from tatacliq_sandbox import Sandbox

        cls.sandbox = Sandbox.demo(port=0)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)

    def _delete_channel(self, channel_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["tatacliq.channel"].browse(channel_id).exists().unlink()

    def _create_committed_channel(self, name):
        warehouse = self.env.ref("stock.warehouse0")
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["tatacliq.channel"].create(
                {
                    "name": name,
                    "company_id": warehouse.company_id.id,
                    "base_url": self.sandbox.url,
                    "warehouse_id": warehouse.id,
                    "api_version": "v2",
                    **DEMO_SELLER,
                }
            )
            channel_id = channel.id
        self.addCleanup(self._delete_channel, channel_id)
        return channel_id

    def _committed_logs(self, channel_id):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            logs = env["tatacliq.api.log"].search([("channel_id", "=", channel_id)])
            return logs.mapped(lambda log: (log.route, log.status_code))

    def _list_one_page(self, channel):
        client = channel._get_client()
        return next(iter(client.iter_order_pages(page_size=1)), None)

    def test_log_kept_after_rollback(self):
        self.assertFalse(self.registry.in_test_mode())
        channel_id = self._create_committed_channel("Rollback channel")

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["tatacliq.channel"].browse(channel_id)
            channel.last_sync_message = "written by the rolled back sync"
            self._list_one_page(channel)
            channel.flush_recordset()
            cr.rollback()

        self.assertIn(("orders_list", 200), self._committed_logs(channel_id))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["tatacliq.channel"].browse(channel_id)
            self.assertFalse(channel.last_sync_message)

    def test_log_written_while_sync_lock_held(self):
        # The order sync locks its channel row for the whole run; the log's
        # foreign key check on that row must not wait for the lock.
        channel_id = self._create_committed_channel("Locked channel")

        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            channel = env["tatacliq.channel"].browse(channel_id)
            self.assertTrue(channel._acquire_sync_lock())
            self._list_one_page(channel)
            self.assertIn(("orders_list", 200), self._committed_logs(channel_id))
            cr.rollback()


@tagged("post_install", "-at_install")
class TestApiLogPurge(TataCliqCase):
    def _make_log(self, channel, age_days):
        log = self.env["tatacliq.api.log"].create(
            {"channel_id": channel.id, "route": "token", "status_code": 200}
        )
        log.flush_recordset()
        created = fields.Datetime.now() - timedelta(days=age_days)
        self.env.cr.execute(
            "UPDATE tatacliq_api_log SET create_date = %s WHERE id = %s",
            [created, log.id],
        )
        log.invalidate_recordset(["create_date"])
        return log

    def test_purge_keeps_recent_logs(self):
        self.env["ir.config_parameter"].set_param(
            "tatacliq_connector.api_log_days", "10"
        )
        old = self._make_log(self.channel, 11)
        recent = self._make_log(self.channel, 9)
        short = self._create_channel(name="Short retention", log_retention_days=3)
        short_old = self._make_log(short, 4)
        short_recent = self._make_log(short, 2)

        self.env["tatacliq.api.log"]._cron_purge()

        self.assertFalse(old.exists())
        self.assertTrue(recent.exists())
        self.assertFalse(short_old.exists())
        self.assertTrue(short_recent.exists())

    def test_purge_default_retention(self):
        parameter = self.env["ir.config_parameter"]
        for value in (False, "not a number", "0"):
            with self.subTest(value=value):
                parameter.set_param("tatacliq_connector.api_log_days", value)
                old = self._make_log(self.channel, 31)
                kept = self._make_log(self.channel, 29)
                self.env["tatacliq.api.log"]._cron_purge()
                self.assertFalse(old.exists())
                self.assertTrue(kept.exists())

    def test_purge_in_batches(self):
        logs = [self._make_log(self.channel, 40) for _index in range(3)]
        purged = self.env["tatacliq.api.log"]._cron_purge(batch_size=2)
        self.assertEqual(purged, 2)
        self.assertEqual(sum(1 for log in logs if log.exists()), 1)

    def test_purge_cron_record(self):
        cron = self.env.ref("tatacliq_connector.ir_cron_tatacliq_purge_api_logs")
        old = self._make_log(self.channel, 400)
        cron.method_direct_trigger()
        self.assertFalse(old.exists())
