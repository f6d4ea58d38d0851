"""Shared set-up of the fulfilment tests: orders imported from the sandbox.

Each test starts from an empty marketplace with real time on the sandbox
clock, imports its own orders over HTTP with the channel's order fetch, and
gets their deliveries in Odoo, with stock on hand so they can be validated.
"""

import io
import itertools
from datetime import timedelta

import pypdf

from odoo import Command

from tatacliq.client import clear_token_cache
from tatacliq_sandbox import Seller
from tatacliq_sandbox.clock import india_time

from .common import DEMO_SELLER, TataCliqCase, make_order, make_order_line

SELLER_ID = DEMO_SELLER["seller_id"]
LUXURY_SELLER_ID = "410001"
LUXURY_SLAVE_ID = "410001-WH01"
MARKETPLACE_ROUTES = (
    "line_accept",
    "pick_confirm",
    "pack",
    "label_prefetch",
    "shipment_confirm",
    "handover",
    "manifest_create",
    "shipping_label",
    "invoice_document",
    "manifest_document",
)

_numbers = itertools.count(1)


class FulfilmentCase(TataCliqCase):
    """Import orders from the sandbox and run the fulfilment steps on them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sandbox.add_seller(
            Seller(
                seller_id=LUXURY_SELLER_ID,
                seller_code=f"TCQ{LUXURY_SELLER_ID}",
                username="luxury.slave",
                password="luxury-password",
                api_key="luxury-key",
                api_secret="luxury-secret",
                slave_ids=(LUXURY_SLAVE_ID,),
                name="Luxury Seller",
            )
        )
        cls.luxury_channel = cls._create_channel(
            name="Tata CLiQ Luxury test channel",
            fulfillment_model="luxury",
            seller_id=LUXURY_SELLER_ID,
            seller_code=f"TCQ{LUXURY_SELLER_ID}",
            username="luxury.slave",
            password="luxury-password",
            api_key="luxury-key",
            api_secret="luxury-secret",
            location_ids=[
                Command.create(
                    {
                        "slave_id": LUXURY_SLAVE_ID,
                        "name": "Luxury warehouse",
                        "warehouse_id": cls.warehouse.id,
                    }
                )
            ],
            mapping_ids=[
                Command.create({"article_number": sku, "product_id": product.id})
                for sku, product in cls.products.items()
            ],
        )
        Quant = cls.env["stock.quant"]
        for warehouse in cls.warehouse | cls.store_warehouses:
            for product in cls.products.values():
                Quant._update_available_quantity(product, warehouse.lot_stock_id, 100)

    def setUp(self):
        super().setUp()
        self.sandbox.reset()
        self.sandbox.clock.reset()
        # The reset revoked the tokens the client cached.
        clear_token_cache()
        for seller_id in (SELLER_ID, LUXURY_SELLER_ID):
            seller = self.sandbox.seller(seller_id)
            seller.status_mappings = True
            seller.options.pop("courier_delay_minutes", None)

    # Orders

    def import_delivery(
        self,
        channel=None,
        sku="KURTA-BLU-M",
        courier_in=timedelta(0),
        lines=1,
        **line_values,
    ):
        """Seed one order in the sandbox, fetch it into Odoo; return its delivery.

        ``courier_in`` sets how long after now the marketplace assigns the
        courier of its TSHIP lines (the sandbox counts from the allocation).
        """
        channel = channel or self.channel
        seller_id = channel.seller_id
        number = next(_numbers)
        order_no = f"9{number:03d}-5100-{number:06d}"
        allocation = india_time(self.sandbox.clock.now() + courier_in)
        order_lines = []
        for position in range(lines):
            line_values.setdefault("sellerID", seller_id)
            if channel == self.luxury_channel:
                line_values.setdefault("p1SlaveId", LUXURY_SLAVE_ID)
            order_lines.append(
                make_order_line(
                    f"{seller_id}{number:07d}{position:03d}",
                    sku,
                    allocationDate=allocation,
                    **line_values,
                )
            )
        self.sandbox.seed(seller_id, {"order": [make_order(order_no, order_lines)]})
        run = channel._fetch_order(order_no)
        self.assertEqual(run.lines_imported, lines, f"order {order_no} not imported")
        sale_order = self.env["sale.order"].search(
            [
                ("tatacliq_channel_id", "=", channel.id),
                ("tatacliq_order_no", "=", order_no),
            ]
        )
        self.assertEqual(len(sale_order), 1)
        picking = sale_order.picking_ids.filtered(
            lambda p: p.picking_type_code == "outgoing"
        )
        self.assertEqual(len(picking), 1)
        return picking

    # Assertions and helpers

    def calls(self, route=None):
        """Return the marketplace calls the sandbox served (of ``route``)."""
        if route:
            return self.sandbox.calls.for_route(route)
        return [call for call in self.sandbox.calls if call.route in MARKETPLACE_ROUTES]

    def call_counts(self):
        return {route: len(self.calls(route)) for route in MARKETPLACE_ROUTES}

    def transaction_ids(self, picking):
        return picking._tatacliq_lines().mapped("tatacliq_transaction_id")

    def pdf_text(self, attachment):
        self.assertEqual(attachment.mimetype, "application/pdf")
        reader = pypdf.PdfReader(io.BytesIO(attachment.raw))
        return "\n".join(page.extract_text() for page in reader.pages)

    def picking_attachments(self, picking):
        return self.env["ir.attachment"].search(
            [("res_model", "=", "stock.picking"), ("res_id", "=", picking.id)]
        )

    def fulfilment_activities(self, record):
        activity_type = self.env.ref(
            "tatacliq_connector.mail_activity_type_tatacliq_fulfilment"
        )
        return record.activity_ids.filtered(
            lambda activity: activity.activity_type_id == activity_type
        )

    def validate(self, picking):
        """Validate a delivery with its full demand, as a warehouse user would."""
        picking.action_assign()
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        return picking.button_validate()

    def make_due(self, pickings):
        """Move the next retry of ``pickings`` to the past, as time passing would."""
        pickings.write({"tatacliq_next_retry": "2000-01-01 00:00:00"})
