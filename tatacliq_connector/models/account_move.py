from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    tatacliq_invoice_number = fields.Char(
        string="Marketplace Invoice",
        compute="_compute_tatacliq_invoice_number",
        store=True,
        readonly=True,
        copy=False,
        help="Tax invoice number(s) Tata CLiQ issued for the invoiced order lines. "
        "Set on channels that use the marketplace invoice.",
    )

    @api.depends(
        "invoice_line_ids.sale_line_ids.tatacliq_invoice_number",
        "invoice_line_ids.sale_line_ids.order_id.tatacliq_channel_id."
        "use_marketplace_invoice",
    )
    def _compute_tatacliq_invoice_number(self):
        for move in self:
            sale_lines = move.invoice_line_ids.sale_line_ids.filtered(
                lambda line: (
                    line.tatacliq_invoice_number
                    and line.order_id.tatacliq_channel_id.use_marketplace_invoice
                )
            )
            numbers = sale_lines.mapped("tatacliq_invoice_number")
            move.tatacliq_invoice_number = ", ".join(dict.fromkeys(numbers)) or False
