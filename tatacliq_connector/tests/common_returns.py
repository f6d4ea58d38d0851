"""Set-up shared by the cancellation, hopping and return tests.

Orders reach Odoo through the real import (a channel sync against the
sandbox). Later marketplace states come from the real client calls a store
makes (accept, pick confirm, pack, hand over) and from the sandbox's own
customer, courier and support actions.
"""

from odoo import Command

from tatacliq_sandbox import Seller

from .common import (
    DEMO_SELLER,
    MAPPED_SKUS,
    STORE_SLAVE_IDS,
    WAREHOUSE_SLAVE_ID,
    TataCliqCase,
    make_order,
    make_order_line,
)

SELLER_ID = DEMO_SELLER["seller_id"]
STORE_1, STORE_2 = STORE_SLAVE_IDS
# A brand partner whose single store has its own seller login, so its store is
# a channel of its own in Odoo and a hop to it crosses channels.
PARTNER = {
    "seller_id": "610001",
    "seller_code": "TCQ610001",
    "username": "partner.slave",
    "password": "partner-password",
    "api_key": "partner-key",
    "api_secret": "partner-secret",
}
PARTNER_STORE = "610001-ST01"
SKU = "KURTA-BLU-M"


class ReturnsCase(TataCliqCase):
    """A demo channel and a partner channel, with an empty marketplace per test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox.add_seller(
            Seller(
                **PARTNER,
                slave_ids=(PARTNER_STORE,),
                store_slave_ids=(PARTNER_STORE,),
                name="Partner Stores Pvt Ltd",
            )
        )
        cls.partner_warehouse = cls.env["stock.warehouse"].create(
            {"name": "Store Indiranagar", "code": "TST3", "company_id": cls.company.id}
        )
        cls.partner_channel = cls._create_channel(
            name="Tata CLiQ partner store",
            fulfillment_model="omni",
            warehouse_id=cls.partner_warehouse.id,
            location_ids=[
                Command.create(
                    {
                        "slave_id": PARTNER_STORE,
                        "name": "Indiranagar",
                        "warehouse_id": cls.partner_warehouse.id,
                    }
                )
            ],
            mapping_ids=[
                Command.create({"article_number": sku, "product_id": product.id})
                for sku, product in cls.products.items()
            ],
            **PARTNER,
        )
        cls.store_warehouse_1, cls.store_warehouse_2 = cls.store_warehouses

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.addCleanup(setattr, self.sandbox, "hop_limit", self.sandbox.hop_limit)

    # Marketplace side

    def seed(self, order_no, *lines, seller_id=SELLER_ID):
        self.sandbox.seed(seller_id, {"order": [make_order(order_no, list(lines))]})

    def order_line(
        self, transaction_id, slave_id=WAREHOUSE_SLAVE_ID, sku=SKU, **values
    ):
        price = f"{MAPPED_SKUS[sku][2]:.2f}"
        return make_order_line(
            transaction_id, sku, price=price, p1SlaveId=slave_id, **values
        )

    def pack_on_marketplace(self, transaction_ids, channel=None):
        """Accept, pick confirm and pack lines as the store does."""
        client = (channel or self.channel)._get_client()
        for step in (client.accept_lines, client.pick_confirm, client.pack):
            results = step(transaction_ids)
            for result in results:
                self.assertTrue(result.ok, f"{step.__name__}: {result.error}")
        return results

    def hand_over_on_marketplace(self, transaction_ids, channel=None):
        client = (channel or self.channel)._get_client()
        for result in client.hand_over(transaction_ids):
            self.assertTrue(result.ok, f"hand over: {result.error}")

    # Odoo side

    def sync(self, channel=None):
        """Run the channel's order sync, which reads the cancellation feed too."""
        run = (channel or self.channel)._sync_orders()
        self.assertIsNotNone(run, "the sync was skipped by the channel lock")
        self.assertFalse(run.error, run.error)
        return run

    def sale_line(self, transaction_id, slave_id=WAREHOUSE_SLAVE_ID, channel=None):
        return self.env["sale.order.line"].search(
            [
                ("tatacliq_channel_id", "=", (channel or self.channel).id),
                ("tatacliq_transaction_id", "=", transaction_id),
                ("tatacliq_slave_id", "=", slave_id),
            ]
        )

    def all_lines(self, transaction_id):
        return self.env["sale.order.line"].search(
            [("tatacliq_transaction_id", "=", transaction_id)], order="id"
        )

    def validate_delivery(self, sale_line):
        """Ship the line's delivery in Odoo, as the warehouse does at handover."""
        picking = sale_line.move_ids.picking_id.filtered(
            lambda p: p.picking_type_code == "outgoing"
        )
        self.assertEqual(len(picking), 1)
        for move in picking.move_ids:
            self.env["stock.quant"]._update_available_quantity(
                move.product_id, move.location_id, move.product_uom_qty
            )
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
            move.picked = True
        picking._action_done()
        self.assertEqual(picking.state, "done")
        return picking

    def put_in_stock(self, product, warehouse, quantity):
        self.env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, quantity
        )

    def cancel_wizard(self, record, reason_code, remarks=None, transactions=None):
        """Run the seller cancellation wizard on a sale order or a delivery."""
        field_name = (
            "picking_id" if record._name == "stock.picking" else "sale_order_id"
        )
        wizard = (
            self.env["tatacliq.cancel.wizard"]
            .with_context(**{f"default_{field_name}": record.id})
            .create({"reason_code": reason_code, "remarks": remarks})
        )
        if transactions is not None:
            for wizard_line in wizard.line_ids:
                wizard_line.selected = wizard_line.transaction_id in transactions
        wizard.action_cancel_lines()
        return wizard

    def activities(self, record, summary_part):
        return record.activity_ids.filtered(lambda a: summary_part in (a.summary or ""))
