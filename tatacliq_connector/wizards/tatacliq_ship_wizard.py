from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError


class TataCliqShipWizard(models.TransientModel):
    """Send the courier and AWB of self-ship (SSHIP) deliveries to Tata CLiQ."""

    _name = "tatacliq.ship.wizard"
    _description = "Ship Tata CLiQ deliveries with the seller's courier"

    courier_name = fields.Char(
        string="Courier",
        required=True,
        help="Courier that carries the parcels, for example Blue Dart. A line "
        "can name another courier.",
    )
    line_ids = fields.One2many(
        comodel_name="tatacliq.ship.wizard.line",
        inverse_name="wizard_id",
        string="Deliveries",
    )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") != "stock.picking":
            return values
        pickings = self.env["stock.picking"].browse(
            self.env.context.get("active_ids") or []
        )
        pickings = pickings.filtered(
            lambda picking: (
                picking._is_tatacliq_delivery()
                and picking.tatacliq_fulfillment_type == "SSHIP"
            )
        )
        if not pickings:
            raise UserError(
                _(
                    "Select self-ship (SSHIP) Tata CLiQ deliveries. Tata CLiQ books "
                    "the courier of the other deliveries itself when they are packed."
                )
            )
        if "courier_name" in fields_list:
            couriers = pickings.mapped("tatacliq_ship_courier_name")
            values["courier_name"] = couriers[0] if couriers else False
        if "line_ids" in fields_list:
            values["line_ids"] = [
                Command.create(
                    {
                        "picking_id": picking.id,
                        "awb_number": picking.tatacliq_ship_awb_number,
                    }
                )
                for picking in pickings
            ]
        return values

    def action_confirm(self):
        """Store the courier and AWB on each delivery, then confirm them in one call."""
        self.ensure_one()
        missing = self.line_ids.filtered(
            lambda line: not (line.awb_number or "").strip()
        )
        if missing:
            raise UserError(
                _(
                    "Enter the AWB of %(pickings)s: each parcel needs the number "
                    "its courier gave it.",
                    pickings=", ".join(missing.picking_id.mapped("name")),
                )
            )
        for line in self.line_ids:
            line.picking_id.write(
                {
                    "tatacliq_ship_courier_name": (
                        line.courier_name or self.courier_name
                    ).strip(),
                    "tatacliq_ship_awb_number": line.awb_number.strip(),
                }
            )
        return self.line_ids.picking_id._tatacliq_run("ship").notification()
