"""Set-up shared by the inventory push and reconciliation tests.

``InventoryCase`` starts the sandbox with its SFTP server too, turns the
inventory push of the test channel on (API, V2 JSON), and offers helpers that
change Odoo stock the way users do (inventory adjustments, reservations by a
delivery) and read what the sandbox marketplace received and holds.
"""

from odoo import Command

from tatacliq.client import clear_token_cache
from tatacliq.inventory import as_list

from .common import STORE_SLAVE_IDS, WAREHOUSE_SLAVE_ID, TataCliqCase

SELLER_ID = "273570"
ALL_SLAVE_IDS = (WAREHOUSE_SLAVE_ID, *STORE_SLAVE_IDS)
SFTP_USER = "demo.sftp"
SFTP_PASSWORD = "demo-sftp-password"


class InventoryCase(TataCliqCase):
    """Sandbox (HTTP and SFTP) and a channel that pushes inventory by API."""

    @classmethod
    def _start_sandbox(cls):
        from tatacliq_sandbox import Sandbox

        cls.sandbox = Sandbox.demo(port=0, sftp_port=0)
        cls.sandbox.start()
        cls.addClassCleanup(cls.sandbox.stop)
        # Pick up uploads quickly, so a push reads its result in the same run.
        cls.sandbox.sftp.scan_interval = 0.2

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.channel.write({"inventory_method": "api", "inventory_reconciliation": True})
        cls.mappings = {
            mapping.article_number: mapping for mapping in cls.channel.mapping_ids
        }
        cls.slave_warehouses = dict(
            zip(
                ALL_SLAVE_IDS,
                (cls.warehouse, *cls.store_warehouses),
                strict=True,
            )
        )
        cls.customers = cls.env.ref("stock.stock_location_customers")

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.sandbox.seller(SELLER_ID).delisted_skus.clear()
        clear_token_cache()

    # Odoo stock

    def set_stock(self, sku, slave_id, quantity):
        """Set the on-hand quantity with an inventory adjustment."""
        warehouse = self.slave_warehouses[slave_id]
        self.env["stock.quant"].with_context(inventory_mode=True).create(
            {
                "product_id": self.products[sku].id,
                "location_id": warehouse.lot_stock_id.id,
                "inventory_quantity": quantity,
            }
        ).action_apply_inventory()

    def set_stock_everywhere(self, quantities):
        """Set stock from ``{(sku, slave_id): quantity}``."""
        for (sku, slave_id), quantity in quantities.items():
            self.set_stock(sku, slave_id, quantity)

    def reserve(self, sku, slave_id, quantity):
        """Reserve ``quantity`` units for a confirmed delivery; return the picking."""
        warehouse = self.slave_warehouses[slave_id]
        product = self.products[sku]
        picking = self.env["stock.picking"].create(
            {
                "picking_type_id": warehouse.out_type_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": self.customers.id,
                "move_ids": [
                    Command.create(
                        {
                            "name": product.name,
                            "product_id": product.id,
                            "product_uom_qty": quantity,
                            "product_uom": product.uom_id.id,
                            "location_id": warehouse.lot_stock_id.id,
                            "location_dest_id": self.customers.id,
                        }
                    )
                ],
            }
        )
        picking.action_confirm()
        picking.action_assign()
        return picking

    # Sandbox marketplace

    def pushed_items(self):
        """Return the items the sandbox accepted by API, as (SKU, slave, inv, ss)."""
        items = []
        for call in self.sandbox.calls.for_route("inventory_update"):
            if call.status != 200:
                continue
            body = call.body or {}
            for item in as_list(body.get("InventoryUpdate", body).get("Item")):
                items.append(
                    (
                        item["SKU"],
                        item["SlaveID"],
                        int(item["Inventory"]),
                        int(item.get("SafetyStock") or 0),
                    )
                )
        return items

    def marketplace(self, sku, slave_id):
        """Return the sandbox's stock record of ``sku`` at ``slave_id``, or None."""
        from tatacliq_sandbox.handlers.inventory import stock_record

        return stock_record(self.sandbox.state, SELLER_ID, sku, slave_id)

    def marketplace_records(self):
        """Return the sandbox's stock records of the seller keyed by (SKU, slave)."""
        with self.sandbox.state.lock:
            table = self.sandbox.state.table("inventory")
            return {
                (sku, slave_id): record
                for (seller_id, sku, slave_id), record in table.items()
                if seller_id == SELLER_ID
            }

    def delist(self, *skus):
        from tatacliq_sandbox.handlers.inventory import delist

        delist(self.sandbox.seller(SELLER_ID), *skus)

    def relist(self, *skus):
        from tatacliq_sandbox.handlers.inventory import relist

        relist(self.sandbox.seller(SELLER_ID), *skus)

    def sftp_settings(self, **values):
        """Return channel values that push by SFTP to the sandbox's server."""
        return {
            "inventory_method": "sftp",
            "sftp_host": "127.0.0.1",
            "sftp_port": self.sandbox.sftp.port,
            "sftp_username": SFTP_USER,
            "sftp_password": SFTP_PASSWORD,
            "sftp_host_key": self.sandbox.sftp.host_key_line,
            "sftp_upload_dir": "/inventory/upload/",
            "sftp_result_dir": "/inventory/result/",
            "sftp_report_dir": "/inventory/report/",
            "sftp_result_wait": 15,
            **values,
        }

    # Odoo side

    def states(self, channel=None):
        channel = channel or self.channel
        return self.env["tatacliq.inventory.state"].search(
            [("channel_id", "=", channel.id)]
        )

    def state(self, sku, slave_id, channel=None):
        channel = channel or self.channel
        return self.env["tatacliq.inventory.state"].search(
            [
                ("channel_id", "=", channel.id),
                ("mapping_id.article_number", "=", sku),
                ("slave_id", "=", slave_id),
            ]
        )
