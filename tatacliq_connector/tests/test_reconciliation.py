from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import STORE_SLAVE_IDS
from .common import WAREHOUSE_SLAVE_ID as WH01
from .inventory_common import SELLER_ID, InventoryCase

ST01, ST02 = STORE_SLAVE_IDS


@tagged("post_install", "-at_install")
class TestReconciliation(InventoryCase):
    def setUp(self):
        super().setUp()
        self.set_stock_everywhere(
            {
                ("KURTA-BLU-M", WH01): 10,
                ("KURTA-BLU-L", ST01): 4,
                ("WALLET-BRN", ST01): 6,
                ("POUCH-FREE", ST02): 20,
            }
        )
        self.channel.action_push_inventory_full()

    def _plant_differences(self):
        """Change both sides behind each other's back; return the expected lines.

        Keys are (SKU, slave id); values (odoo qty, pushed qty, marketplace qty,
        cause).
        """
        from tatacliq_sandbox.handlers.inventory import apply_items

        # The marketplace holds less than was pushed (someone edited the portal).
        self.marketplace("KURTA-BLU-M", WH01).inventory = 4
        # The marketplace lost a SKU.
        with self.sandbox.state.lock:
            del self.sandbox.state.table("inventory")[(SELLER_ID, "WALLET-BRN", ST01)]
        # The marketplace sells a SKU Odoo does not map.
        apply_items(
            self.sandbox.state,
            self.sandbox.seller(SELLER_ID),
            [{"SKU": "GHOST-SKU", "SlaveID": ST02, "Inventory": "5"}],
            source="API",
        )
        # Odoo stock moved after the last push.
        self.set_stock("POUCH-FREE", ST02, 15)
        return {
            ("KURTA-BLU-M", WH01): (10, 10, 4, "marketplace_changed"),
            ("WALLET-BRN", ST01): (6, 6, 0, "missing"),
            ("GHOST-SKU", ST02): (0, 0, 5, "unmapped"),
            ("POUCH-FREE", ST02): (15, 20, 20, "odoo_changed"),
        }

    def _open_lines(self):
        return self.env["tatacliq.reconciliation.line"].search(
            [("channel_id", "=", self.channel.id), ("state", "=", "open")]
        )

    def test_no_difference_after_push(self):
        self.channel.action_reconcile_inventory()

        self.assertFalse(self._open_lines())
        self.assertIn("0 difference(s)", self.channel.reconciliation_last_message)
        self.assertIn("3 location(s) read", self.channel.reconciliation_last_message)

    def test_reconciliation_finds_planted_differences(self):
        expected = self._plant_differences()

        action = self.channel.action_reconcile_inventory()

        self.assertEqual(action["params"]["type"], "warning")
        lines = self._open_lines()
        found = {
            (line.article_number, line.slave_id): (
                line.odoo_qty,
                line.pushed_qty,
                line.marketplace_qty,
                line.cause,
            )
            for line in lines
        }
        self.assertEqual(found, expected)
        for line in lines:
            self.assertEqual(line.difference, line.odoo_qty - line.marketplace_qty)
            self.assertTrue(line.run_date)
        kurta = lines.filtered(lambda line: line.article_number == "KURTA-BLU-M")
        self.assertEqual(kurta.product_id, self.products["KURTA-BLU-M"])
        self.assertEqual(kurta.mapping_id, self.mappings["KURTA-BLU-M"])
        self.assertEqual(kurta.location_id.slave_id, WH01)
        self.assertEqual(kurta.marketplace_inventory, 4)
        ghost = lines.filtered(lambda line: line.article_number == "GHOST-SKU")
        self.assertFalse(ghost.mapping_id)
        self.assertEqual(ghost.location_id.slave_id, ST02)
        self.assertEqual(self.channel.reconciliation_open_count, 4)

    def test_second_run_outdates_open_lines(self):
        self._plant_differences()
        self.channel.action_reconcile_inventory()
        first = self._open_lines()

        self.channel.action_reconcile_inventory()

        self.assertEqual(set(first.mapped("state")), {"outdated"})
        self.assertEqual(len(self._open_lines()), 4)

    def test_push_corrections(self):
        self._plant_differences()
        self.channel.action_reconcile_inventory()
        lines = self._open_lines()
        start = len(self.pushed_items())

        action = lines.action_push_corrections()

        self.assertEqual(action["params"]["type"], "success")
        sent = sorted(self.pushed_items()[start:])
        self.assertEqual(
            sent,
            [
                ("GHOST-SKU", ST02, 0, 0),
                ("KURTA-BLU-M", WH01, 10, 0),
                ("POUCH-FREE", ST02, 15, 0),
                ("WALLET-BRN", ST01, 6, 0),
            ],
        )
        self.assertEqual(set(lines.mapped("state")), {"corrected"})
        self.assertTrue(all(lines.mapped("correction_date")))
        self.assertEqual(self.marketplace("KURTA-BLU-M", WH01).inventory, 10)
        self.assertEqual(self.marketplace("WALLET-BRN", ST01).inventory, 6)
        self.assertEqual(self.marketplace("GHOST-SKU", ST02).inventory, 0)
        pouch = self.state("POUCH-FREE", ST02)
        self.assertEqual(pouch.last_inventory, 15)
        self.assertFalse(pouch.dirty)
        self.assertEqual(self.channel.inventory_last_push_mode, "corrections")

        self.channel.action_reconcile_inventory()
        self.assertFalse(self._open_lines())

        with self.assertRaisesRegex(UserError, "None of the selected"):
            lines.action_push_corrections()

    def test_push_corrections_uses_quantity_of_now(self):
        self._plant_differences()
        self.channel.action_reconcile_inventory()
        line = self._open_lines().filtered(
            lambda line: line.article_number == "POUCH-FREE"
        )
        self.set_stock("POUCH-FREE", ST02, 12)

        line.action_push_corrections()

        self.assertEqual(line.state, "corrected")
        self.assertEqual(line.odoo_qty, 12)
        self.assertEqual(self.marketplace("POUCH-FREE", ST02).inventory, 12)

    def test_push_correction_of_delisted_sku(self):
        self._plant_differences()
        self.channel.action_reconcile_inventory()
        self.delist("KURTA-BLU-M")
        line = self._open_lines().filtered(
            lambda line: line.article_number == "KURTA-BLU-M"
        )

        action = line.action_push_corrections()

        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(line.state, "open")
        self.assertEqual(
            line.correction_error, "Product Delisted or Removed in Inventory Push"
        )
        self.assertTrue(self.mappings["KURTA-BLU-M"].delisted)

    def test_marketplace_sold_units_show_as_difference(self):
        from .common import make_order, make_order_line

        # An order allocated after the push that Odoo has not imported yet.
        self.sandbox.clock.advance(timedelta(minutes=1))
        allocated = self.sandbox.clock.india_now()
        self.sandbox.seed(
            SELLER_ID,
            {
                "order": [
                    make_order(
                        "7462-3452-000001",
                        [
                            make_order_line(
                                "27357000000000011",
                                "KURTA-BLU-L",
                                p1SlaveId=ST01,
                                allocationDate=allocated,
                            )
                        ],
                    )
                ]
            },
        )

        self.channel.action_reconcile_inventory()

        line = self._open_lines()
        self.assertEqual(len(line), 1)
        self.assertEqual(line.article_number, "KURTA-BLU-L")
        self.assertEqual(line.marketplace_sold, 1)
        self.assertEqual(line.marketplace_qty, 3)
        self.assertEqual(line.odoo_qty, 4)
        self.assertEqual(line.cause, "marketplace_changed")

    def test_reconciliation_by_sftp_report(self):
        self.channel.sudo().write(self.sftp_settings())
        expected = self._plant_differences()

        self.channel.action_reconcile_inventory()

        found = {
            (line.article_number, line.slave_id): line.cause
            for line in self._open_lines()
        }
        self.assertEqual(found, {key: value[3] for key, value in expected.items()})
        self.assertEqual(self.sandbox.calls.for_route("inventory_report"), [])

    def test_report_error_keeps_other_locations(self):
        self._plant_differences()
        self.sandbox.faults.inject("inventory_report", "5xx", times=4, status=500)

        action = self.channel.action_reconcile_inventory()

        self.assertEqual(action["params"]["type"], "danger")
        # Slave ids are read in sorted order: the report of ST01 failed, the
        # other two locations were compared.
        found = {line.slave_id for line in self._open_lines()}
        self.assertEqual(found, {WH01, ST02})
        self.assertIn(ST01, self.channel.reconciliation_last_message)
        self.assertIn("2 location(s) read", self.channel.reconciliation_last_message)

    def test_reconciliation_off_rejected(self):
        self.channel.inventory_reconciliation = False

        with self.assertRaisesRegex(UserError, "reconciliation is off"):
            self.channel.action_reconcile_inventory()

    def test_cron_reconciles_enabled_channels(self):
        self.env["tatacliq.channel"].search(
            [("id", "!=", self.channel.id)]
        ).inventory_reconciliation = False
        self._plant_differences()

        self.env["tatacliq.channel"]._cron_reconcile_inventory()

        self.assertEqual(len(self._open_lines()), 4)
        self.assertTrue(self.channel.reconciliation_last_date)
