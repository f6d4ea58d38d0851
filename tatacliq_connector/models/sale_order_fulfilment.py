from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    tatacliq_invoice_number = fields.Char(
        string="Marketplace Invoice",
        compute="_compute_tatacliq_invoice_number",
        store=True,
        copy=False,
        help="Tax invoice number(s) Tata CLiQ issued when the order's lines were "
        "packed, one per transaction.",
    )

    @api.depends("order_line.tatacliq_invoice_number")
    def _compute_tatacliq_invoice_number(self):
        for order in self:
            numbers = order.order_line.mapped("tatacliq_invoice_number")
            order.tatacliq_invoice_number = ", ".join(
                dict.fromkeys(number for number in numbers if number)
            )
