from odoo import api, models

# Quant fields whose change alters the free quantity of a warehouse.
STOCK_FIELDS = frozenset({"quantity", "reserved_quantity", "product_id", "location_id"})


class StockQuant(models.Model):
    """Queue a Tata CLiQ inventory change when a quant's free quantity changes.

    Done moves, inventory adjustments, reservations and unreservations all
    change quants through ``create`` and ``write`` (``_update_available_quantity``
    and ``_update_reserved_quantity`` end there), so this one hook covers them.
    """

    _inherit = "stock.quant"

    @api.model_create_multi
    def create(self, vals_list):
        quants = super().create(vals_list)
        quants._queue_tatacliq_change()
        return quants

    def write(self, vals):
        if STOCK_FIELDS.isdisjoint(vals):
            return super().write(vals)
        # A product or location change affects the old and the new pair.
        self._queue_tatacliq_change()
        result = super().write(vals)
        self._queue_tatacliq_change()
        return result

    def unlink(self):
        self._queue_tatacliq_change()
        return super().unlink()

    def _queue_tatacliq_change(self):
        if not self:
            return
        self.env["tatacliq.inventory.change"].sudo()._queue(
            (quant.product_id.id, quant.location_id.id) for quant in self
        )
