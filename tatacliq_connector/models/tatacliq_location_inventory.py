from odoo import api, models

# Location fields that change which state rows exist or what they point at.
STATE_FIELDS = frozenset({"warehouse_id", "active", "slave_id", "channel_id"})


class TataCliqLocation(models.Model):
    """Inventory side of a location: a change makes the next push match rows."""

    _inherit = "tatacliq.location"

    @api.model_create_multi
    def create(self, vals_list):
        locations = super().create(vals_list)
        locations.channel_id.sudo().inventory_states_outdated = True
        return locations

    def write(self, vals):
        if not STATE_FIELDS.isdisjoint(vals):
            self.channel_id.sudo().inventory_states_outdated = True
        result = super().write(vals)
        if "channel_id" in vals:
            self.channel_id.sudo().inventory_states_outdated = True
        return result
