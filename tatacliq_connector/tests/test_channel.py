import json

from psycopg2 import IntegrityError

from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import DEMO_SELLER, TataCliqCase, make_order, make_order_line


@tagged("post_install", "-at_install")
class TestChannelConfiguration(TataCliqCase):
    def test_channel_defaults(self):
        channel = self.env["tatacliq.channel"].create(
            {
                "name": "Defaults",
                "base_url": "https://marketplace.example/ ",
                "seller_id": " 273570 ",
                "warehouse_id": self.warehouse.id,
            }
        )
        self.assertEqual(channel.api_version, "v1")
        self.assertEqual(channel.api_type, "normal")
        self.assertEqual(channel.inventory_method, "none")
        self.assertEqual(channel.fulfillment_model, "tship")
        self.assertTrue(channel.use_marketplace_invoice)
        self.assertTrue(channel.use_shipping_label)
        self.assertEqual(channel.connection_state, "unknown")
        self.assertEqual(channel.company_id, self.env.company)
        self.assertEqual(channel.base_url, "https://marketplace.example")
        self.assertEqual(channel.seller_id, "273570")

    def test_api_type_normalised(self):
        cases = {
            "Normal": "normal",
            "normal": "normal",
            "Order-wise": "order_wise",
            "order_wise": "order_wise",
            "ORDER WISE": "order_wise",
            "orderwise": "order_wise",
            "": "normal",
            False: "normal",
            "dummy": "normal",
        }
        for value, expected in cases.items():
            with self.subTest(value=value):
                channel = self._create_channel(name=f"Type {value}", api_type=value)
                self.assertEqual(channel.api_type, expected)
                self.assertEqual(channel._get_api_type(), expected)
        self.channel.write({"api_type": "Order-wise"})
        self.assertEqual(self.channel._get_api_type(), "order_wise")
        self.channel.write({"api_type": "anything else"})
        self.assertEqual(self.channel._get_api_type(), "normal")

    def test_inventory_method_guide_codes(self):
        channel = self._create_channel(name="Inventory", inventory_method="INVV1")
        self.assertEqual(channel.inventory_method, "api")
        channel.write({"inventory_method": ""})
        self.assertEqual(channel.inventory_method, "none")
        channel.write({"sftp_host": "127.0.0.1", "inventory_method": False})
        self.assertEqual(channel.inventory_method, "sftp")
        channel.write({"inventory_method": "invv1"})
        self.assertEqual(channel.inventory_method, "api")
        with self.assertRaisesRegex(ValidationError, "INVV2"):
            channel.write({"inventory_method": "INVV2"})

    def test_route_overrides_valid(self):
        overrides = {
            "orders_list": {
                "path": "/PartnerConnect/PC_{seller_id}/AP_ORDERS/AV_{version}/"
            },
            "pack": {"method": "PUT"},
        }
        self.channel.route_overrides = json.dumps(overrides)
        self.assertEqual(self.channel._get_route_overrides(), overrides)
        self.channel.route_overrides = "  "
        self.assertEqual(self.channel._get_route_overrides(), {})

    def test_route_overrides_invalid(self):
        cases = {
            "not json": "not valid JSON",
            "[1, 2]": "object of objects",
            '{"orders_list": "GET"}': "object of objects",
            '{"orders_lst": {"method": "GET"}}': "orders_lst",
            '{"orders_list": {"verb": "GET"}}': "verb",
            '{"orders_list": {"method": "FETCH"}}': "FETCH",
            '{"orders_list": {"response": "csv"}}': "csv",
            '{"orders_list": {"path": "no-slash"}}': "must start with /",
            '{"orders_list": {"path": "/PC_{seller}/"}}': "unknown placeholder",
        }
        for text, fragment in cases.items():
            with (
                self.subTest(text=text),
                self.assertRaisesRegex(ValidationError, fragment),
                self.cr.savepoint(),
            ):
                self.channel.write({"route_overrides": text})

    def test_marketplace_flags_warning(self):
        self.assertFalse(self.channel.marketplace_flags_warning)
        self.channel.use_shipping_label = False
        warning = self.channel.marketplace_flags_warning
        self.assertIn("Use shipping label", warning)
        self.assertIn("cannot be packed", warning)
        self.assertIn("labels are not pulled", warning)
        self.assertNotIn("Use marketplace invoice", warning)
        self.channel.use_marketplace_invoice = False
        warning = self.channel.marketplace_flags_warning
        self.assertIn("Use marketplace invoice and Use shipping label are off", warning)

    def test_marketplace_flags_warning_posted(self):
        self.channel.write({"use_marketplace_invoice": False})
        warnings_posted = self._count_flag_warnings()
        self.assertEqual(warnings_posted, 1)
        self.channel.write({"use_marketplace_invoice": True})
        self.assertFalse(self.channel.marketplace_flags_warning)
        self.assertEqual(self._count_flag_warnings(), warnings_posted)

    def _count_flag_warnings(self):
        bodies = self.channel.message_ids.mapped("body")
        return sum(1 for body in bodies if "cannot be packed" in str(body))

    def test_page_size_positive(self):
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            self.channel.write({"page_size": 0})
            self.channel.flush_recordset()

    def test_counters_without_orders(self):
        self.assertEqual(self.channel.order_to_process_count, 0)
        self.assertEqual(self.channel.order_today_count, 0)
        self.assertEqual(self.channel.exception_count, 0)
        self.assertEqual(self.channel.mapping_count, 4)

    def test_counters_after_sync(self):
        self.sandbox.seed(
            DEMO_SELLER["seller_id"],
            {
                "order": [
                    make_order(
                        "1002-0001-000001",
                        [
                            make_order_line("27357000020000101", "KURTA-BLU-M"),
                            make_order_line("27357000020000102", "WALLET-BRN"),
                        ],
                    ),
                    make_order(
                        "1002-0001-000002",
                        [make_order_line("27357000020000201", "NOT-MAPPED-SKU")],
                    ),
                ]
            },
        )
        self.channel.action_sync_orders()

        orders = self.env["sale.order"].search(
            [("tatacliq_channel_id", "=", self.channel.id)]
        )
        exceptions = self.env["tatacliq.exception"].search(
            [("channel_id", "=", self.channel.id), ("state", "=", "open")]
        )
        self.assertTrue(orders)
        self.assertTrue(exceptions)
        self.channel.invalidate_recordset()
        self.assertEqual(self.channel.order_today_count, len(orders))
        self.assertEqual(self.channel.order_to_process_count, len(orders))
        self.assertEqual(self.channel.exception_count, len(exceptions))

        # Validating a delivery without a marketplace label needs the label
        # option off; the counter only looks at the delivery status.
        self.channel.use_shipping_label = False
        delivered = orders[0]
        delivered.picking_ids.move_ids.quantity = 1
        delivered.picking_ids.move_ids.picked = True
        delivered.picking_ids.button_validate()
        self.assertEqual(delivered.delivery_status, "full")
        self.channel.invalidate_recordset()
        self.assertEqual(self.channel.order_to_process_count, len(orders) - 1)
        self.assertEqual(self.channel.order_today_count, len(orders))

    def test_view_actions(self):
        for method in (
            "action_view_orders",
            "action_view_orders_to_process",
            "action_view_orders_today",
            "action_view_exceptions",
            "action_view_api_logs",
            "action_view_mappings",
        ):
            with self.subTest(method=method):
                action = getattr(self.channel, method)()
                self.assertEqual(action["type"], "ir.actions.act_window")
                domain = action["domain"]
                leaves = [leaf for leaf in domain if isinstance(leaf, (list, tuple))]
                self.assertIn(self.channel.id, [leaf[2] for leaf in leaves])


@tagged("post_install", "-at_install")
class TestChannelConnection(TataCliqCase):
    def test_connection_success(self):
        self.sandbox.seed(
            DEMO_SELLER["seller_id"],
            {
                "order": [
                    make_order(
                        "1001-0001-000001",
                        [make_order_line("27357000010000101", "KURTA-BLU-M")],
                    ),
                    make_order(
                        "1001-0001-000002",
                        [make_order_line("27357000010000201", "WALLET-BRN")],
                    ),
                ]
            },
        )
        action = self.channel.action_test_connection()
        params = action["params"]
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(params["type"], "success")
        self.assertIn("seller 273570", params["message"])
        self.assertIn("2 active order(s)", params["message"])
        self.assertIn("Sync orders", params["message"])
        self.assertEqual(self.channel.connection_state, "ok")
        self.assertTrue(self.channel.connection_date)
        routes = [call.route for call in self.sandbox.calls]
        self.assertIn("token", routes)
        self.assertIn("orders_list", routes)

    def test_connection_xml_version(self):
        channel = self._create_channel(name="XML channel", api_version="v1")
        action = channel.action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(channel.connection_state, "ok")
        order_logs = self._api_logs(channel).filtered(
            lambda log: log.route == "orders_list"
        )
        self.assertIn("AVT_XML_", order_logs[:1].url)

    def test_connection_wrong_password(self):
        channel = self._create_channel(name="Wrong password", password="not-it")
        action = channel.action_test_connection()
        params = action["params"]
        self.assertEqual(params["type"], "danger")
        self.assertTrue(params["sticky"])
        self.assertIn("Connection to Tata CLiQ failed", params["message"])
        self.assertIn("demo.slave", params["message"])
        # The next step of an authentication error names what to check.
        self.assertIn("slave login", params["message"])
        self.assertEqual(channel.connection_state, "failed")
        self.assertNotIn("not-it", channel.connection_message)

    def test_connection_missing_credentials(self):
        self.channel.api_secret = False
        action = self.channel.action_test_connection()
        params = action["params"]
        self.assertEqual(params["type"], "danger")
        self.assertIn("not ready to connect", params["message"])
        self.assertIn("API secret", params["message"])
        self.assertEqual(self.channel.connection_state, "failed")
        self.assertFalse(self.sandbox.calls)

    def test_connection_refused_port(self):
        self.channel.base_url = "http://127.0.0.1:9"
        action = self.channel.action_test_connection()
        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(self.channel.connection_state, "failed")

    def test_user_can_test_connection(self):
        user = self._create_user(
            "tcq.connection.user", ["tatacliq_connector.group_tatacliq_user"]
        )
        action = self.channel.with_user(user).action_test_connection()
        self.assertEqual(action["params"]["type"], "success", action["params"])
        self.assertEqual(self.channel.connection_state, "ok")
