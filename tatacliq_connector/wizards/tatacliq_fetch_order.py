from odoo import _, fields, models
from odoo.exceptions import UserError

from tatacliq.errors import TataCliqError


class TataCliqFetchOrder(models.TransientModel):
    """Import one marketplace order by its number, outside the regular sync."""

    _name = "tatacliq.fetch.order"
    _description = "Fetch a Tata CLiQ order"

    channel_id = fields.Many2one(
        comodel_name="tatacliq.channel",
        required=True,
        ondelete="cascade",
    )
    order_no = fields.Char(
        string="Order number",
        required=True,
        help="Tata CLiQ order number, for example 7462-3452-969027.",
    )

    def action_fetch(self):
        self.ensure_one()
        order_no = (self.order_no or "").strip()
        if not order_no:
            raise UserError(_("Enter the Tata CLiQ order number to fetch."))
        try:
            run = self.channel_id._fetch_order(order_no)
        except TataCliqError as error:
            raise UserError(
                _(
                    "Order %(order)s could not be fetched from Tata CLiQ: "
                    "%(message)s %(next_step)s",
                    order=order_no,
                    message=error.message,
                    next_step=error.next_step,
                )
            ) from error

        orders = self.env["sale.order"].search(
            [
                ("tatacliq_channel_id", "=", self.channel_id.id),
                ("tatacliq_order_no", "=", order_no),
            ]
        )
        if run.problems_found:
            message = _(
                "Order %(order)s was not fully imported: %(problems)s problem(s). "
                "Open the channel's exceptions, fix the cause and click Process "
                "again.",
                order=order_no,
                problems=run.problems_found,
            )
            kind = "warning"
        elif run.lines_imported:
            message = _(
                "Order %(order)s imported: %(lines)s line(s) in %(count)s sale "
                "order(s).",
                order=order_no,
                lines=run.lines_imported,
                count=run.sale_orders_created,
            )
            kind = "success"
        else:
            message = _(
                "Order %(order)s was already imported; nothing new to import.",
                order=order_no,
            )
            kind = "info"
        notification = {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Fetch order"),
                "message": message,
                "type": kind,
                "sticky": kind == "warning",
            },
        }
        if orders:
            notification["params"]["next"] = {
                "type": "ir.actions.act_window",
                "name": _("Tata CLiQ order %(order)s", order=order_no),
                "res_model": "sale.order",
                "view_mode": "list,form",
                "views": [(False, "list"), (False, "form")],
                "domain": [("id", "in", orders.ids)],
                "context": {"create": False},
            }
        else:
            notification["params"]["next"] = {"type": "ir.actions.act_window_close"}
        return notification
