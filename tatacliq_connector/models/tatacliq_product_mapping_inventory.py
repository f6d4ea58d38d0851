from odoo import _, api, fields, models

# Mapping fields that change what is pushed for the SKU.
PUSH_FIELDS = frozenset({"safety_stock", "article_number"})
# Mapping fields that change which state rows exist or what they point at.
STATE_FIELDS = frozenset({"product_id", "active", "channel_id"})


class TataCliqProductMapping(models.Model):
    """Inventory push side of a product mapping: its states and re-listing."""

    _inherit = "tatacliq.product.mapping"

    inventory_state_ids = fields.One2many("tatacliq.inventory.state", "mapping_id")

    @api.model_create_multi
    def create(self, vals_list):
        mappings = super().create(vals_list)
        mappings.channel_id.sudo().inventory_states_outdated = True
        return mappings

    def write(self, vals):
        if not STATE_FIELDS.isdisjoint(vals):
            self.channel_id.sudo().inventory_states_outdated = True
        relisted = self.browse()
        if "delisted" in vals and not vals["delisted"]:
            relisted = self.filtered("delisted")
        result = super().write(vals)
        if "channel_id" in vals:
            self.channel_id.sudo().inventory_states_outdated = True
        # A product or activity change is picked up by the next state sync;
        # these changes keep the rows, so they are flagged here.
        if relisted or not PUSH_FIELDS.isdisjoint(vals):
            states = self.inventory_state_ids
            if PUSH_FIELDS.isdisjoint(vals):
                states = relisted.inventory_state_ids
            states._mark_dirty()
        return result

    def action_enable_again(self):
        """Clear the delisted flag so the next inventory push sends the SKU again.

        Use it once the SKU is active again on the Tata CLiQ seller portal.
        """
        delisted = self.filtered("delisted")
        delisted.write({"delisted": False})
        delisted.inventory_state_ids.sudo().write(
            {"last_result": "new", "last_error": False}
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Enabled again"),
                "message": _(
                    "%(count)s SKU(s) enabled again: the next inventory push "
                    "sends them.",
                    count=len(delisted),
                ),
                "type": "success",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }
