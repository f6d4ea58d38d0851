from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import STORE_SLAVE_IDS
from .common import WAREHOUSE_SLAVE_ID as WH01
from .inventory_common import ALL_SLAVE_IDS, InventoryCase

ST01, ST02 = STORE_SLAVE_IDS
SKUS = ("KURTA-BLU-L", "KURTA-BLU-M", "POUCH-FREE", "WALLET-BRN")


@tagged("post_install", "-at_install")
class TestInventorySync(InventoryCase):
    def _stock_all(self):
        """Give every SKU a different quantity at every location; return them."""
        quantities = {}
        for sku_index, sku in enumerate(SKUS):
            for slave_index, slave_id in enumerate(ALL_SLAVE_IDS):
                quantities[(sku, slave_id)] = 10 * (sku_index + 1) + slave_index
        self.set_stock_everywhere(quantities)
        return quantities

    def test_many_locations_push_each_warehouse(self):
        quantities = self._stock_all()

        self.channel.action_push_inventory_full()

        pushed = self.pushed_items()
        self.assertEqual(len(pushed), 12)
        for (sku, slave_id), quantity in quantities.items():
            record = self.marketplace(sku, slave_id)
            self.assertEqual(record.inventory, quantity, (sku, slave_id))
            self.assertEqual(record.safety_stock, 0)
        states = self.states()
        self.assertEqual(len(states), 12)
        self.assertEqual(set(states.mapped("last_result")), {"success"})
        self.assertFalse(any(states.mapped("dirty")))
        self.assertEqual(self.channel.inventory_last_push_sent, 12)
        self.assertEqual(self.channel.inventory_last_push_accepted, 12)
        self.assertEqual(self.channel.inventory_last_push_failed, 0)
        self.assertEqual(self.channel.inventory_last_push_mode, "full")
        self.assertIn("12 item(s) sent", self.channel.inventory_last_push_message)

    def test_single_location_uses_source_warehouse(self):
        channel = self._create_channel(
            name="Single location channel",
            inventory_method="api",
            default_slave_id=" 273570-WH01 ",
            mapping_ids=[
                Command.create({"article_number": sku, "product_id": product.id})
                for sku, product in self.products.items()
            ],
        )
        self.set_stock("WALLET-BRN", WH01, 7)
        # Stock of another warehouse is not sold on this channel.
        self.set_stock("WALLET-BRN", ST01, 50)

        channel.action_push_inventory_full()

        self.assertEqual(len(self.states(channel)), 4)
        self.assertEqual(set(self.states(channel).mapped("slave_id")), {WH01})
        self.assertEqual(self.marketplace("WALLET-BRN", WH01).inventory, 7)
        self.assertEqual(self.marketplace("KURTA-BLU-M", WH01).inventory, 0)
        self.assertIsNone(self.marketplace("WALLET-BRN", ST01))

    def test_single_location_without_slave_id(self):
        channel = self._create_channel(
            name="Channel without slave id",
            inventory_method="api",
            mapping_ids=[
                Command.create(
                    {
                        "article_number": "WALLET-BRN",
                        "product_id": self.products["WALLET-BRN"].id,
                    }
                )
            ],
        )

        channel.action_push_inventory_full()

        self.assertFalse(self.states(channel))
        self.assertEqual(self.pushed_items(), [])
        self.assertIn("default slave ID", channel.inventory_last_push_message)

    def test_reservation_reduces_sellable_quantity(self):
        self.set_stock("KURTA-BLU-M", WH01, 10)
        self.channel.action_push_inventory_full()
        self.assertEqual(self.marketplace("KURTA-BLU-M", WH01).inventory, 10)

        picking = self.reserve("KURTA-BLU-M", WH01, 4)
        self.assertEqual(picking.state, "assigned")
        self.channel.action_push_inventory()

        self.assertEqual(self.marketplace("KURTA-BLU-M", WH01).inventory, 6)
        state = self.state("KURTA-BLU-M", WH01)
        self.assertEqual(state.last_inventory, 6)
        self.assertEqual(state.last_pushed_qty, 6)

        # Shipping the reserved units keeps the free quantity at 6.
        picking.move_ids.quantity = 4
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        items_before = len(self.pushed_items())
        self.channel.action_push_inventory()
        self.assertEqual(len(self.pushed_items()), items_before)
        self.assertFalse(state.dirty)

    def test_safety_stock_channel_default_and_override(self):
        self.channel.inventory_safety_stock = 2
        self.mappings["WALLET-BRN"].safety_stock = 5
        self.set_stock("KURTA-BLU-M", WH01, 3)
        self.set_stock("WALLET-BRN", WH01, 3)

        self.channel.action_push_inventory_full()

        pushed = {(sku, slave): rest for sku, slave, *rest in self.pushed_items()}
        self.assertEqual(pushed[("KURTA-BLU-M", WH01)], [3, 2])
        self.assertEqual(pushed[("WALLET-BRN", WH01)], [3, 5])
        self.assertEqual(pushed[("POUCH-FREE", ST01)], [0, 2])
        kurta = self.state("KURTA-BLU-M", WH01)
        wallet = self.state("WALLET-BRN", WH01)
        self.assertEqual(kurta.last_pushed_qty, 1)
        # More safety stock than stock: nothing to sell, never below zero.
        self.assertEqual(wallet.last_pushed_qty, 0)
        report = self.channel._get_client().get_inventory_report(WH01)
        self.assertEqual(report["KURTA-BLU-M"].available, 1)
        self.assertEqual(report["WALLET-BRN"].available, 0)

    def test_safety_stock_change_marks_changed(self):
        self._stock_all()
        self.channel.action_push_inventory_full()
        start = len(self.pushed_items())

        self.mappings["POUCH-FREE"].safety_stock = 1
        self.channel.action_push_inventory()

        sent = self.pushed_items()[start:]
        self.assertEqual(len(sent), 3)
        self.assertEqual({item[0] for item in sent}, {"POUCH-FREE"})
        self.assertEqual({item[3] for item in sent}, {1})

        self.channel.inventory_safety_stock = 2
        self.channel.action_push_inventory()
        # The channel default applies to the three mappings without their own.
        self.assertEqual(len(self.pushed_items()[start + 3 :]), 9)

    def test_delta_push_sends_only_changed_skus(self):
        quantities = self._stock_all()
        self.channel.action_push_inventory_full()
        full_calls = len(self.sandbox.calls.for_route("inventory_update"))
        start = len(self.pushed_items())

        self.assertEqual(self.channel.inventory_changed_count, 0)
        self.set_stock("POUCH-FREE", ST02, quantities[("POUCH-FREE", ST02)] + 5)
        # What a commit does: the stock change reaches the queue.
        self.env.cr.precommit.run()
        self.channel.invalidate_recordset(["inventory_changed_count"])
        self.assertEqual(self.channel.inventory_changed_count, 1)
        self.channel.action_push_inventory()

        self.assertEqual(
            self.pushed_items()[start:],
            [("POUCH-FREE", ST02, quantities[("POUCH-FREE", ST02)] + 5, 0)],
        )
        self.assertEqual(self.channel.inventory_last_push_mode, "delta")
        self.assertEqual(self.channel.inventory_last_push_sent, 1)

        # Nothing changed since: no request at all.
        self.channel.action_push_inventory()
        self.assertEqual(
            len(self.sandbox.calls.for_route("inventory_update")), full_calls + 1
        )
        self.assertEqual(self.channel.inventory_last_push_sent, 0)

    def test_delta_push_skips_unchanged_quantity(self):
        self.set_stock("WALLET-BRN", ST01, 5)
        self.channel.action_push_inventory_full()
        start = len(self.pushed_items())

        picking = self.reserve("WALLET-BRN", ST01, 2)
        picking.do_unreserve()
        state = self.state("WALLET-BRN", ST01)
        self.channel.action_push_inventory()

        self.assertEqual(self.pushed_items()[start:], [])
        self.assertFalse(state.dirty)
        self.assertIn("1 unchanged", self.channel.inventory_last_push_message)

    def test_full_push_sends_everything_again(self):
        self._stock_all()
        self.channel.action_push_inventory_full()
        # Drift the marketplace behind Odoo's back.
        self.marketplace("KURTA-BLU-L", ST01).inventory = 999

        self.channel.action_push_inventory_full()

        self.assertEqual(len(self.pushed_items()), 24)
        self.assertEqual(self.marketplace("KURTA-BLU-L", ST01).inventory, 11)

    def test_new_mapping_and_location_are_pushed(self):
        self.channel.action_push_inventory_full()
        start = len(self.pushed_items())
        product = self.env["product.product"].create(
            {"name": "Silk Scarf", "is_storable": True, "type": "consu"}
        )
        self.env["tatacliq.product.mapping"].create(
            {
                "channel_id": self.channel.id,
                "article_number": "SCARF-RED",
                "product_id": product.id,
            }
        )

        self.channel.action_push_inventory()

        sent = self.pushed_items()[start:]
        self.assertEqual(sorted(item[1] for item in sent), sorted(ALL_SLAVE_IDS))
        self.assertEqual({item[0] for item in sent}, {"SCARF-RED"})

        # An archived location is no longer pushed and its rows go away.
        self.channel.location_ids.filtered(
            lambda loc: loc.slave_id == ST02
        ).active = False
        self.channel.action_push_inventory_full()
        self.assertNotIn(ST02, self.states().mapped("slave_id"))

    def test_location_warehouse_change_pushed(self):
        self.set_stock("WALLET-BRN", ST01, 5)
        self.set_stock("WALLET-BRN", ST02, 9)
        self.channel.action_push_inventory_full()
        self.assertFalse(self.channel.inventory_states_outdated)
        start = len(self.pushed_items())

        location = self.channel.location_ids.filtered(lambda loc: loc.slave_id == ST01)
        location.warehouse_id = self.slave_warehouses[ST02]
        self.assertTrue(self.channel.inventory_states_outdated)
        self.channel.action_push_inventory()

        # The other SKUs have no stock in either warehouse: nothing to send.
        self.assertEqual(self.pushed_items()[start:], [("WALLET-BRN", ST01, 9, 0)])
        self.assertEqual(self.state("WALLET-BRN", ST01).warehouse_id.code, "TST2")
        self.assertFalse(self.channel.inventory_states_outdated)

    def test_delisted_sku_in_middle_of_batch(self):
        self.channel.inventory_batch_size = 5
        self._stock_all()
        self.delist("KURTA-BLU-M")

        action = self.channel.action_push_inventory_full()

        self.assertEqual(action["params"]["type"], "warning")
        mapping = self.mappings["KURTA-BLU-M"]
        self.assertTrue(mapping.delisted)
        self.assertTrue(mapping.delisted_date)
        for slave_id in ALL_SLAVE_IDS:
            state = self.state("KURTA-BLU-M", slave_id)
            self.assertEqual(state.last_result, "delisted")
            self.assertEqual(
                state.last_error, "Product Delisted or Removed in Inventory Push"
            )
            self.assertIsNone(self.marketplace("KURTA-BLU-M", slave_id))
            # The other SKUs of the same batches were applied.
            self.assertIsNotNone(self.marketplace("KURTA-BLU-L", slave_id))
            self.assertIsNotNone(self.marketplace("POUCH-FREE", slave_id))
        self.assertEqual(self.channel.inventory_last_push_accepted, 9)
        self.assertEqual(self.channel.inventory_last_push_delisted, 3)

        # Later pushes leave the delisted SKU out.
        start = len(self.pushed_items())
        self.set_stock("KURTA-BLU-M", ST01, 100)
        self.channel.action_push_inventory_full()
        skus = {item[0] for item in self.pushed_items()[start:]}
        self.assertEqual(skus, {"KURTA-BLU-L", "POUCH-FREE", "WALLET-BRN"})

        # Enabled again once the marketplace lists it: the next delta sends it.
        self.relist("KURTA-BLU-M")
        start = len(self.pushed_items())
        mapping.action_enable_again()
        self.assertFalse(mapping.delisted)
        self.channel.action_push_inventory()
        sent = self.pushed_items()[start:]
        self.assertEqual({item[0] for item in sent}, {"KURTA-BLU-M"})
        self.assertEqual(len(sent), 3)
        self.assertEqual(self.marketplace("KURTA-BLU-M", ST01).inventory, 100)
        self.assertEqual(self.state("KURTA-BLU-M", ST01).last_result, "success")

    def test_failed_batch_stays_changed_for_next_run(self):
        self.channel.inventory_batch_size = 4
        self._stock_all()
        # The client tries each batch 4 times (3 retries); all of the first
        # batch's attempts fail, the later batches go through.
        self.sandbox.faults.inject("inventory_update", "5xx", times=4, status=503)

        action = self.channel.action_push_inventory_full()

        self.assertEqual(action["params"]["type"], "warning")
        statuses = [
            call.status for call in self.sandbox.calls.for_route("inventory_update")
        ]
        self.assertEqual(statuses, [503, 503, 503, 503, 200, 200])
        states = self.states()
        failed = states.filtered("dirty")
        self.assertEqual(len(failed), 4)
        self.assertEqual(set(failed.mapped("last_result")), {"failed"})
        self.assertIn("503", failed[0].last_error)
        self.assertEqual(set((states - failed).mapped("last_result")), {"success"})
        self.assertEqual(self.channel.inventory_last_push_accepted, 8)
        self.assertIn("1 batch(es) failed", self.channel.inventory_last_push_message)
        for state in failed:
            self.assertIsNone(self.marketplace(state.article_number, state.slave_id))

        start = len(self.pushed_items())
        self.channel.action_push_inventory()

        sent = self.pushed_items()[start:]
        self.assertEqual(
            sorted((sku, slave) for sku, slave, *_rest in sent),
            sorted((state.article_number, state.slave_id) for state in failed),
        )
        self.assertFalse(any(self.states().mapped("dirty")))

    def test_authentication_error_keeps_rows_changed(self):
        self._stock_all()
        self.channel.sudo().password = "wrong-password"

        action = self.channel.action_push_inventory_full()

        self.assertEqual(action["params"]["type"], "danger")
        self.assertEqual(len(self.sandbox.calls.for_route("inventory_update")), 0)
        self.assertTrue(all(self.states().mapped("dirty")))
        self.assertIn("Stopped", self.channel.inventory_last_push_message)

    def test_v1_channel_pushes_xml(self):
        self.channel.api_version = "v1"
        self.set_stock("WALLET-BRN", ST02, 4)

        self.channel.action_push_inventory_full()

        calls = self.sandbox.calls.for_route("inventory_update")
        self.assertEqual({call.version for call in calls}, {"V1"})
        self.assertEqual(self.marketplace("WALLET-BRN", ST02).inventory, 4)
        self.assertEqual(self.channel.inventory_last_push_accepted, 12)

    def test_sftp_push_reads_result_file(self):
        self.channel.sudo().write(self.sftp_settings())
        self._stock_all()
        self.delist("WALLET-BRN")

        action = self.channel.action_push_inventory_full()

        self.assertEqual(action["params"]["type"], "warning")
        self.assertEqual(self.sandbox.calls.for_route("inventory_update"), [])
        record = self.marketplace("POUCH-FREE", ST01)
        self.assertEqual(record.source, "SFTP")
        self.assertEqual(record.inventory, 31)
        states = self.states()
        accepted = states.filtered(lambda state: state.last_result == "success")
        self.assertEqual(len(accepted), 9)
        self.assertFalse(any(states.mapped("sftp_file")))
        self.assertTrue(self.mappings["WALLET-BRN"].delisted)
        self.assertEqual(
            set(states.filtered("delisted").mapped("last_result")), {"delisted"}
        )
        self.assertEqual(self.channel.inventory_last_push_accepted, 9)
        self.assertEqual(self.channel.inventory_last_push_delisted, 3)

        # A delta by SFTP sends only the change.
        self.set_stock("POUCH-FREE", ST01, 2)
        self.channel.action_push_inventory()
        self.assertEqual(self.channel.inventory_last_push_sent, 1)
        self.assertEqual(self.marketplace("POUCH-FREE", ST01).inventory, 2)

    def test_sftp_result_read_by_next_push(self):
        self.channel.sudo().write(self.sftp_settings(sftp_result_wait=0))
        self.set_stock("WALLET-BRN", ST01, 6)
        # Hold the server's processing during the first push, so the upload
        # has no result file yet when the push looks for it.
        with self.sandbox.sftp._process_lock:
            self.channel.action_push_inventory_full()

        self.assertIn(
            "wait for the SFTP result", self.channel.inventory_last_push_message
        )
        waiting = self.states().filtered(lambda state: state.last_result == "sent")
        self.assertEqual(len(waiting), 12)
        self.assertFalse(any(waiting.mapped("dirty")))

        self.sandbox.sftp.process_pending()
        self.channel.action_push_inventory()

        state = self.state("WALLET-BRN", ST01)
        self.assertEqual(state.last_result, "success")
        self.assertEqual(state.last_inventory, 6)
        self.assertFalse(state.sftp_file)
        self.assertEqual(self.channel.inventory_last_push_accepted, 12)
        self.assertEqual(self.channel.inventory_last_push_sent, 0)

    def test_sftp_wrong_host_key_rejected(self):
        from tatacliq_sandbox.sftp_server import generate_host_key

        other_key = generate_host_key()
        self.channel.sudo().write(
            self.sftp_settings(
                sftp_host_key=f"{other_key.get_name()} {other_key.get_base64()}"
            )
        )
        self.set_stock("WALLET-BRN", ST01, 6)

        action = self.channel.action_push_inventory_full()

        self.assertEqual(action["params"]["type"], "danger")
        message = action["params"]["message"]
        self.assertIn("SFTP host key mismatch", message)
        self.assertIn(self.sandbox.sftp.fingerprint, message)
        self.assertIn("account manager", message)
        self.assertIn(
            "SFTP host key mismatch", self.channel.inventory_last_push_message
        )
        self.assertTrue(all(self.states().mapped("dirty")))
        upload = self.sandbox.sftp.home("273570") / "inventory" / "upload"
        archive = self.sandbox.sftp.home("273570") / "inventory" / "archive"
        self.assertEqual(list(upload.iterdir()) + list(archive.iterdir()), [])

    def test_push_with_method_none_rejected(self):
        self.channel.inventory_method = "none"

        with self.assertRaisesRegex(UserError, "Inventory push is off"):
            self.channel.action_push_inventory()

    def test_cron_pushes_changes_of_every_channel(self):
        # Leave out channels of other tests and demo data pointing elsewhere.
        self.env["tatacliq.channel"].search(
            [("id", "!=", self.channel.id)]
        ).inventory_method = "none"
        self.set_stock("POUCH-FREE", WH01, 8)

        self.env["tatacliq.channel"]._cron_push_inventory()

        self.assertEqual(len(self.pushed_items()), 12)
        self.assertEqual(self.marketplace("POUCH-FREE", WH01).inventory, 8)
        self.set_stock("POUCH-FREE", WH01, 9)
        self.env["tatacliq.channel"]._cron_push_inventory()
        self.assertEqual(len(self.pushed_items()), 13)

        self.env["tatacliq.channel"]._cron_push_inventory(full=True)
        self.assertEqual(len(self.pushed_items()), 25)

    def test_stock_change_of_unmapped_product_queues_nothing(self):
        self.channel.action_push_inventory_full()
        product = self.env["product.product"].create(
            {"name": "Unmapped Belt", "is_storable": True, "type": "consu"}
        )
        self.env["stock.quant"]._update_available_quantity(
            product, self.warehouse.lot_stock_id, 5
        )
        self.set_stock("WALLET-BRN", ST02, 3)
        Change = self.env["tatacliq.inventory.change"]
        Change._write_queued()

        changes = Change.search([])
        self.assertEqual(len(changes), 1)
        self.assertEqual(changes.product_id, self.products["WALLET-BRN"])
        self.assertEqual(changes.warehouse_id, self.slave_warehouses[ST02])
