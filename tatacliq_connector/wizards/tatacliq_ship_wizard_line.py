from odoo import fields, models


class TataCliqShipWizardLine(models.TransientModel):
    _name = "tatacliq.ship.wizard.line"
    _description = "Delivery to ship with the seller's courier"

    wizard_id = fields.Many2one(
        comodel_name="tatacliq.ship.wizard", required=True, ondelete="cascade"
    )
    picking_id = fields.Many2one(
        comodel_name="stock.picking", string="Delivery", required=True, readonly=True
    )
    transaction_ids = fields.Char(
        string="Transactions", compute="_compute_transaction_ids"
    )
    courier_name = fields.Char(
        string="Courier", help="Leave empty to use the courier of the wizard."
    )
    awb_number = fields.Char(string="AWB", required=True)

    def _compute_transaction_ids(self):
        for line in self:
            line.transaction_ids = ", ".join(
                line.picking_id._tatacliq_lines().mapped("tatacliq_transaction_id")
            )
