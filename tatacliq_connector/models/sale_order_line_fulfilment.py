"""Fulfilment step results on a marketplace line (one transaction).

A transaction is the marketplace's unit of fulfilment, with its own invoice,
AWB, label and manifest. The values are stored as soon as the marketplace
returns them, so a step that succeeded is never sent again.
"""

from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    tatacliq_invoice_number = fields.Char(
        string="Marketplace Invoice",
        readonly=True,
        copy=False,
        help="Tax invoice number Tata CLiQ issued when the line was packed.",
    )
    tatacliq_invoice_date = fields.Datetime(
        string="Marketplace Invoice Date", readonly=True, copy=False
    )
    tatacliq_awb_number = fields.Char(
        string="AWB",
        readonly=True,
        copy=False,
        help="Air waybill of the parcel: from Tata CLiQ's courier (TSHIP) or "
        "from the seller's courier (SSHIP).",
    )
    tatacliq_courier_name = fields.Char(
        string="Seller Courier",
        readonly=True,
        copy=False,
        help="Courier the seller booked for a self-ship (SSHIP) line, as sent "
        "with the shipment confirmation.",
    )
    tatacliq_shipment_confirmed = fields.Boolean(
        string="Shipment Confirmed",
        readonly=True,
        copy=False,
        help="The seller's courier and AWB of this self-ship (SSHIP) line were "
        "confirmed to Tata CLiQ.",
    )
    tatacliq_handover_date = fields.Datetime(
        string="Handed Over", readonly=True, copy=False
    )
    tatacliq_label_attachment_id = fields.Many2one(
        comodel_name="ir.attachment",
        string="Shipping Label",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    tatacliq_invoice_attachment_id = fields.Many2one(
        comodel_name="ir.attachment",
        string="Marketplace Invoice PDF",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    tatacliq_manifest_id = fields.Many2one(
        comodel_name="tatacliq.manifest",
        string="Manifest",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
    )

    def _tatacliq_label_available(self):
        """Return whether Tata CLiQ has a shipping label for this line now.

        A TSHIP line has one once it is packed or its label was prefetched,
        because both give it an AWB. A self-ship line has one once its
        shipment is confirmed.
        """
        self.ensure_one()
        if self.tatacliq_fulfillment_type == "SSHIP":
            return self.tatacliq_shipment_confirmed and bool(self.tatacliq_awb_number)
        return bool(self.tatacliq_awb_number)

    def _tatacliq_needs_label(self):
        """Return whether the parcel of this line needs a shipping label.

        Click and collect lines are picked up at the store, without a courier.
        """
        self.ensure_one()
        return self.tatacliq_delivery_mode != "CNC"
