from odoo import api, fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    tatacliq_channel_id = fields.Many2one(
        comodel_name="tatacliq.channel",
        string="Tata CLiQ Channel",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="restrict",
    )
    tatacliq_order_no = fields.Char(
        string="Tata CLiQ Order",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="Marketplace order number, for example 7462-3452-969027.",
    )
    tatacliq_order_date = fields.Datetime(
        string="Marketplace Order Date",
        readonly=True,
        copy=False,
        help="When the customer placed the order on Tata CLiQ.",
    )
    tatacliq_allocation_date = fields.Datetime(
        string="Allocation Date",
        readonly=True,
        copy=False,
        help="When Tata CLiQ allocated the order to this seller or store. A late "
        "allocation explains an order that reaches Odoo long after its order date.",
    )
    tatacliq_payment_mode = fields.Char(
        string="Payment Mode",
        readonly=True,
        copy=False,
        help="Payment mode sent by the marketplace, for example Prepaid or COD.",
    )
    tatacliq_gift_message = fields.Text(
        string="Gift Message",
        compute="_compute_tatacliq_gift_message",
        help="Gift messages of the marketplace lines, one per line.",
    )

    @api.depends("order_line.tatacliq_gift_message")
    def _compute_tatacliq_gift_message(self):
        for order in self:
            messages = order.order_line.filtered("tatacliq_gift_message").mapped(
                "tatacliq_gift_message"
            )
            order.tatacliq_gift_message = "\n".join(dict.fromkeys(messages)) or False
