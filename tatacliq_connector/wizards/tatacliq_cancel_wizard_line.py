from odoo import fields, models


class TataCliqCancelWizardLine(models.TransientModel):
    _name = "tatacliq.cancel.wizard.line"
    _description = "Tata CLiQ line to cancel"

    wizard_id = fields.Many2one(
        "tatacliq.cancel.wizard", required=True, ondelete="cascade"
    )
    sale_line_id = fields.Many2one("sale.order.line", required=True, readonly=True)
    selected = fields.Boolean(string="Cancel", default=True)
    transaction_id = fields.Char(related="sale_line_id.tatacliq_transaction_id")
    slave_id = fields.Char(related="sale_line_id.tatacliq_slave_id", string="Store")
    product_id = fields.Many2one(related="sale_line_id.product_id")
    status_name = fields.Char(
        related="sale_line_id.tatacliq_status_name", string="Marketplace Status"
    )
    result = fields.Selection(
        [("done", "Cancelled"), ("failed", "Refused")], readonly=True
    )
    result_message = fields.Char(string="Message", readonly=True)
