from odoo import Command, _, api, fields, models
from odoo.exceptions import UserError

from tatacliq.errors import TataCliqError
from tatacliq.returns import REASON_CODES


class TataCliqCancelWizard(models.TransientModel):
    """Cancel marketplace lines as the seller, on Tata CLiQ first, then in Odoo.

    Opened from a sale order or a delivery. Every chosen line is sent in one
    call with the same reason. A line that Tata CLiQ cancels is cancelled in
    Odoo, or shows as cancelled by hopping when an OMNI store had no stock. A
    line it rejects stays as it is, and the wizard shows the marketplace's
    message and the next step.
    """

    _name = "tatacliq.cancel.wizard"
    _description = "Cancel Tata CLiQ lines"

    sale_order_id = fields.Many2one("sale.order", readonly=True)
    picking_id = fields.Many2one("stock.picking", string="Delivery", readonly=True)
    channel_id = fields.Many2one("tatacliq.channel", readonly=True)
    line_ids = fields.One2many("tatacliq.cancel.wizard.line", "wizard_id")
    reason_code = fields.Selection(
        selection=[(code, label) for code, label in REASON_CODES.items()],
        string="Reason",
        required=True,
        default="NOSTOCK",
        help="No stock at the store: at an OMNI store Tata CLiQ reallocates the "
        "line to another store with stock (order hopping). The other reasons "
        "cancel the line for the customer.",
    )
    remarks = fields.Char(
        help="Sent to Tata CLiQ with the cancellation. Say which reason when you "
        "choose Other reason."
    )
    state = fields.Selection([("draft", "Draft"), ("done", "Done")], default="draft")
    result_message = fields.Text(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        order = self.env["sale.order"].browse(values.get("sale_order_id"))
        picking = self.env["stock.picking"].browse(values.get("picking_id"))
        if not order and not picking:
            model = context.get("active_model")
            record_id = context.get("active_id")
            if model == "sale.order" and record_id:
                order = order.browse(record_id)
            elif model == "stock.picking" and record_id:
                picking = picking.browse(record_id)

        if picking:
            lines = picking.move_ids.sale_line_id
            order = picking.sale_id
            values["picking_id"] = picking.id
        else:
            lines = order.order_line
        if not order.tatacliq_channel_id:
            raise UserError(
                _(
                    "%(record)s is not a Tata CLiQ order. Only lines imported from "
                    "Tata CLiQ can be cancelled on the marketplace.",
                    record=(picking or order).display_name,
                )
            )

        lines = lines._tatacliq_cancellable_lines()
        if not lines:
            raise UserError(
                _(
                    "%(record)s has no line to cancel on Tata CLiQ: its lines are "
                    "cancelled, shipped or returned already.",
                    record=(picking or order).display_name,
                )
            )

        values["sale_order_id"] = order.id
        values["channel_id"] = order.tatacliq_channel_id.id
        values["line_ids"] = [
            Command.create({"sale_line_id": line.id, "selected": True})
            for line in lines
        ]
        return values

    def action_cancel_lines(self):
        """Send the cancellation of the chosen lines and show each line's result."""
        self.ensure_one()
        if self.state == "done":
            raise UserError(_("These lines were sent already. Close the window."))
        chosen = self.line_ids.filtered("selected")
        if not chosen:
            raise UserError(_("Choose at least one line to cancel."))
        if self.reason_code == "OTHER" and not (self.remarks or "").strip():
            raise UserError(
                _("Say in the remarks why the lines are cancelled (reason Other).")
            )
        sale_lines = chosen.sale_line_id
        stale = sale_lines - sale_lines._tatacliq_cancellable_lines()
        if stale:
            raise UserError(
                _(
                    "Transaction(s) %(transactions)s changed since this window "
                    "opened and can no longer be cancelled here. Close the window "
                    "and open it again.",
                    transactions=", ".join(stale.mapped("tatacliq_transaction_id")),
                )
            )

        channel = self.channel_id
        try:
            # The cancellation mirrors what the marketplace did. It also cancels
            # stock moves, which a sales user may not write directly.
            outcomes = channel.sudo()._cancel_lines_as_seller(
                sale_lines.sudo(), self.reason_code, (self.remarks or "").strip()
            )
        except TataCliqError as error:
            raise UserError(
                _(
                    "Tata CLiQ did not take the cancellation, nothing was changed: "
                    "%(message)s %(next_step)s",
                    message=error.message,
                    next_step=error.next_step,
                )
            ) from error

        by_line = {line.id: (ok, message) for line, ok, message in outcomes}
        for wizard_line in chosen:
            ok, message = by_line[wizard_line.sale_line_id.id]
            wizard_line.write(
                {"result": "done" if ok else "failed", "result_message": message}
            )
        done = sum(1 for _line, ok, _message in outcomes if ok)
        self.write(
            {
                "state": "done",
                "result_message": _(
                    "%(done)s of %(total)s line(s) cancelled on Tata CLiQ. Lines "
                    "that failed are unchanged in Odoo; read their result.",
                    done=done,
                    total=len(outcomes),
                ),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Cancel on Tata CLiQ"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
