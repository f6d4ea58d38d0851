from odoo import api, fields, models

# Channel fields that the scheduled action of the channel mirrors.
CRON_FIELDS = frozenset({"name", "active", "order_sync_interval"})


class TataCliqChannel(models.Model):
    """One order-sync scheduled action per channel.

    A seller can then pause one store, or sync a busy channel more often than
    the others. The action is created, updated and deleted with its channel.
    """

    _inherit = "tatacliq.channel"

    order_sync_interval = fields.Integer(
        string="Order sync every",
        default=15,
        help="Minutes between two scheduled order syncs of this channel.",
    )
    order_cron_id = fields.Many2one(
        "ir.cron",
        string="Order sync action",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="Scheduled action that imports this channel's orders.",
    )

    _sql_constraints = [
        (
            "order_sync_interval_positive",
            "CHECK(order_sync_interval > 0)",
            "The order sync interval must be at least one minute.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        channels = super().create(vals_list)
        channels._update_order_crons()
        return channels

    def write(self, vals):
        result = super().write(vals)
        if not CRON_FIELDS.isdisjoint(vals):
            self._update_order_crons()
        return result

    def unlink(self):
        crons = self.order_cron_id
        result = super().unlink()
        crons.sudo().unlink()
        return result

    def _prepare_order_cron_vals(self):
        self.ensure_one()
        return {
            "name": self.env._("Tata CLiQ: import orders of %s", self.name),
            "model_id": self.env["ir.model"]._get_id(self._name),
            "state": "code",
            "code": f"model.browse({self.id})._cron_sync_orders()",
            "interval_number": self.order_sync_interval,
            "interval_type": "minutes",
            "active": self.active,
        }

    def _update_order_crons(self):
        """Create or update the scheduled action of each channel in ``self``."""
        # Users who may configure a channel may not edit scheduled actions.
        for channel in self.with_context(active_test=False).sudo():
            vals = channel._prepare_order_cron_vals()
            if channel.order_cron_id:
                channel.order_cron_id.write(vals)
            else:
                channel.order_cron_id = self.env["ir.cron"].sudo().create(vals)

    def action_open_order_cron(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "ir.cron",
            "res_id": self.order_cron_id.id,
            "view_mode": "form",
        }
