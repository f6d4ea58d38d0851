import logging

from odoo import _, api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)


class TataCliqReconciliationLine(models.Model):
    """A SKU at a location whose marketplace quantity differs from Odoo's.

    Each reconciliation run stores one line per difference it finds and marks
    the open lines of earlier runs of the same channel as outdated.
    Quantities are sellable quantities: inventory minus safety stock, and for
    the marketplace also minus the units it sold since the last push.
    """

    _name = "tatacliq.reconciliation.line"
    _description = "Tata CLiQ Inventory Reconciliation Line"
    _order = "run_date desc, channel_id, slave_id, article_number, id"
    _rec_name = "article_number"

    channel_id = fields.Many2one(
        "tatacliq.channel", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True, readonly=True
    )
    location_id = fields.Many2one(
        "tatacliq.location", ondelete="set null", index=True, readonly=True
    )
    slave_id = fields.Char(string="Slave ID", required=True, readonly=True)
    mapping_id = fields.Many2one(
        "tatacliq.product.mapping", ondelete="set null", index=True, readonly=True
    )
    state_id = fields.Many2one(
        "tatacliq.inventory.state",
        string="Inventory state",
        ondelete="set null",
        readonly=True,
    )
    article_number = fields.Char(string="SKU", required=True, readonly=True)
    product_id = fields.Many2one("product.product", ondelete="set null", readonly=True)
    odoo_qty = fields.Integer(
        string="Odoo quantity",
        readonly=True,
        help="Sellable quantity Odoo computed at the run: free quantity of the "
        "warehouse minus safety stock, never below zero.",
    )
    pushed_qty = fields.Integer(
        string="Pushed quantity",
        readonly=True,
        help="Sellable quantity of the last push the marketplace accepted.",
    )
    marketplace_qty = fields.Integer(
        string="Marketplace quantity",
        readonly=True,
        help="Quantity the marketplace can still sell (Available in its report); "
        "0 when the SKU is missing there.",
    )
    marketplace_inventory = fields.Integer(readonly=True)
    marketplace_safety_stock = fields.Integer(readonly=True)
    marketplace_sold = fields.Integer(
        readonly=True, help="Units sold on the marketplace since the last push."
    )
    difference = fields.Integer(
        readonly=True,
        help="Odoo quantity minus marketplace quantity: above zero the "
        "marketplace sells too little, below zero it may oversell.",
    )
    cause = fields.Selection(
        [
            ("odoo_changed", "Odoo changed since the last push"),
            ("marketplace_changed", "Marketplace differs from the last push"),
            ("missing", "Missing on the marketplace"),
            ("delisted", "Delisted on the marketplace"),
            ("unmapped", "Not mapped in Odoo"),
        ],
        required=True,
        readonly=True,
    )
    run_date = fields.Datetime(required=True, readonly=True, index=True)
    state = fields.Selection(
        [
            ("open", "Open"),
            ("corrected", "Corrected"),
            ("outdated", "Outdated"),
        ],
        string="Status",
        default="open",
        required=True,
        readonly=True,
        index=True,
    )
    correction_date = fields.Datetime(readonly=True)
    correction_error = fields.Text(readonly=True)

    @api.depends("article_number", "slave_id")
    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.article_number} @ {line.slave_id}"

    def action_push_corrections(self):
        """Push the Odoo quantity, computed now, of the selected open lines.

        Lines of a SKU that Odoo does not map push 0, so the marketplace stops
        selling stock Odoo does not know. A line whose item the marketplace
        accepts becomes corrected; the others keep the marketplace's message.
        """
        lines = self.filtered(lambda line: line.state == "open")
        if not lines:
            raise UserError(
                _(
                    "None of the selected reconciliation lines is open. Select "
                    "open lines of the latest run, or run the reconciliation again."
                )
            )
        messages = []
        kinds = set()
        for channel in lines.channel_id:
            channel_lines = lines.filtered(lambda line, c=channel: line.channel_id == c)
            message, kind = channel._push_reconciliation_corrections(channel_lines)
            messages.append(message)
            kinds.add(kind)
        kind = next(
            (kind for kind in ("danger", "warning") if kind in kinds), "success"
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Push corrections"),
                "message": "\n".join(messages),
                "type": kind,
                "sticky": kind == "danger",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
