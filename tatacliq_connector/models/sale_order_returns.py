from odoo import _, fields, models

# Hops and returns are marketplace records that only Tata CLiQ users may read.
TATACLIQ_USER = "tatacliq_connector.group_tatacliq_user"


class SaleOrder(models.Model):
    _inherit = "sale.order"

    tatacliq_hop_ids = fields.Many2many(
        comodel_name="tatacliq.hop",
        string="Order Hops",
        compute="_compute_tatacliq_hop_ids",
        groups=TATACLIQ_USER,
        help="Stores that lost the lines of this order before or after it, "
        "oldest first: the route of each transaction through the stores.",
    )
    tatacliq_hop_count = fields.Integer(
        compute="_compute_tatacliq_hop_ids", groups=TATACLIQ_USER
    )
    tatacliq_return_ids = fields.One2many(
        comodel_name="tatacliq.return",
        inverse_name="sale_order_id",
        string="Tata CLiQ Returns",
        readonly=True,
        groups=TATACLIQ_USER,
    )
    tatacliq_return_count = fields.Integer(
        compute="_compute_tatacliq_return_count", groups=TATACLIQ_USER
    )
    tatacliq_can_cancel = fields.Boolean(
        compute="_compute_tatacliq_can_cancel", groups=TATACLIQ_USER
    )

    def _compute_tatacliq_hop_ids(self):
        Hop = self.env["tatacliq.hop"]
        transactions = {
            order.id: set(
                order.order_line.filtered("tatacliq_transaction_id").mapped(
                    "tatacliq_transaction_id"
                )
            )
            for order in self
        }
        all_transactions = set().union(*transactions.values()) if self else set()
        hops = Hop.search(
            [
                ("company_id", "in", self.company_id.ids),
                ("transaction_id", "in", sorted(all_transactions)),
            ]
        ).sorted(lambda hop: (hop.hop_date, hop.id))
        for order in self:
            order_hops = hops.filtered(
                lambda hop, order=order: (
                    hop.transaction_id in transactions[order.id]
                    and hop.company_id == order.company_id
                )
            )
            order.tatacliq_hop_ids = order_hops
            order.tatacliq_hop_count = len(order_hops)

    def _compute_tatacliq_return_count(self):
        for order in self:
            order.tatacliq_return_count = len(order.tatacliq_return_ids)

    def _compute_tatacliq_can_cancel(self):
        for order in self:
            order.tatacliq_can_cancel = bool(
                order.tatacliq_channel_id
                and order.state == "sale"
                and order.order_line._tatacliq_cancellable_lines()
            )

    def action_tatacliq_cancel_lines(self):
        """Open the wizard that cancels lines on Tata CLiQ as the seller."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Cancel on Tata CLiQ"),
            "res_model": "tatacliq.cancel.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_sale_order_id": self.id},
        }

    def action_view_tatacliq_returns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_return"
        )
        action["domain"] = [("sale_order_id", "=", self.id)]
        action["context"] = {"create": False}
        if len(self.tatacliq_return_ids) == 1:
            action["views"] = [(False, "form")]
            action["res_id"] = self.tatacliq_return_ids.id
        return action
