from odoo import _, fields, models


class TataCliqChannel(models.Model):
    _inherit = "tatacliq.channel"

    manifest_ids = fields.One2many("tatacliq.manifest", "channel_id")
    manifest_count = fields.Integer(compute="_compute_manifest_count")
    delivery_problem_count = fields.Integer(
        compute="_compute_delivery_problem_count",
        help="Deliveries waiting for a retry or needing attention.",
    )

    def _compute_manifest_count(self):
        counts = {}
        channels = self.filtered("id")
        if channels:
            for channel, count in self.env["tatacliq.manifest"]._read_group(
                [("channel_id", "in", channels.ids)],
                groupby=["channel_id"],
                aggregates=["__count"],
            ):
                counts[channel.id] = count
        for channel in self:
            channel.manifest_count = counts.get(channel.id, 0)

    def _compute_delivery_problem_count(self):
        counts = {}
        channels = self.filtered("id")
        if channels:
            for channel, count in self.env["stock.picking"]._read_group(
                [
                    ("tatacliq_channel_id", "in", channels.ids),
                    ("tatacliq_problem", "!=", False),
                ],
                groupby=["tatacliq_channel_id"],
                aggregates=["__count"],
            ):
                counts[channel.id] = count
        for channel in self:
            channel.delivery_problem_count = counts.get(channel.id, 0)

    def action_prefetch_labels(self):
        """Fetch the labels of the channel's TSHIP deliveries not packed yet."""
        self.ensure_one()
        Picking = self.env["stock.picking"]
        pickings = Picking.search(Picking._tatacliq_prefetch_domain(self))
        if not pickings:
            return self._notification(
                _("Label prefetch"),
                _(
                    "No delivery of channel %(channel)s needs a label: every TSHIP "
                    "delivery waiting for the pack has one already.",
                    channel=self.name,
                ),
                "info",
            )
        return pickings._tatacliq_run("prefetch").notification()

    def action_view_manifests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_manifest"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id, "create": False}
        return action

    def action_view_delivery_problems(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        action["domain"] = [
            ("tatacliq_channel_id", "=", self.id),
            ("tatacliq_problem", "!=", False),
        ]
        action["context"] = {"create": False}
        return action
