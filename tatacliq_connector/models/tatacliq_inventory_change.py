import logging

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Key of the pending (product, location) pairs in the cursor's precommit data.
PRECOMMIT_KEY = "tatacliq_connector.inventory_changes"
# Advisory lock key: one transaction at a time moves the queue into the flags.
APPLY_LOCK_KEY = 7_302_551_001


class TataCliqInventoryChange(models.Model):
    """Queue of stock changes of mapped products, per warehouse.

    Stock operations only insert here, once per transaction, so they do not
    wait for an inventory push that locks ``tatacliq.inventory.state`` rows.
    The push moves the queue into the state rows' changed flag with
    ``_apply_pending``. Changes committed after the push's snapshot stay in
    the queue for the next push, so no change is lost between the two.
    """

    _name = "tatacliq.inventory.change"
    _description = "Tata CLiQ Inventory Change"
    _log_access = False
    _order = "id"

    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", readonly=True
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, ondelete="cascade", readonly=True
    )

    @api.model
    def _queue(self, pairs):
        """Queue ``(product_id, location_id)`` pairs at the end of the transaction.

        The pairs are collected in the cursor's precommit data and written by
        one statement when the transaction flushes or commits.
        """
        pairs = {(product, location) for product, location in pairs if product}
        if not pairs:
            return
        precommit = self.env.cr.precommit
        pending = precommit.data.get(PRECOMMIT_KEY)
        if pending is None:
            pending = precommit.data[PRECOMMIT_KEY] = set()
            env = self.env

            @precommit.add
            def flush_inventory_changes():
                env["tatacliq.inventory.change"]._write_queued()

        pending.update(pairs)

    @api.model
    def _write_queued(self):
        """Insert the collected pairs, keeping only mapped products of warehouses."""
        pending = self.env.cr.precommit.data.pop(PRECOMMIT_KEY, None)
        if not pending:
            return 0
        self.env["stock.location"].flush_model(["usage", "warehouse_id"])
        self.env["tatacliq.inventory.state"].flush_model(["product_id", "warehouse_id"])
        product_ids, location_ids = zip(*pending, strict=True)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO tatacliq_inventory_change (product_id, warehouse_id)
                SELECT DISTINCT changed.product_id, loc.warehouse_id
                  FROM unnest(%(products)s::int[], %(locations)s::int[])
                       AS changed(product_id, location_id)
                  JOIN stock_location loc ON loc.id = changed.location_id
                 WHERE loc.usage = 'internal'
                   AND loc.warehouse_id IS NOT NULL
                   AND EXISTS (
                           SELECT 1
                             FROM tatacliq_inventory_state state
                            WHERE state.product_id = changed.product_id
                              AND state.warehouse_id = loc.warehouse_id
                       )
                """,
                products=list(product_ids),
                locations=list(location_ids),
            )
        )
        return self.env.cr.rowcount

    @api.model
    def _apply_pending(self):
        """Move the queued changes into the changed flag of the state rows.

        Returns the number of rows newly flagged, or None when another
        transaction is applying the queue right now (its push sends them).
        """
        # Changes of this transaction are still in the precommit data.
        self._write_queued()
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s)", APPLY_LOCK_KEY))
        if not self.env.cr.fetchone()[0]:
            _logger.info(
                "Tata CLiQ inventory changes not applied: another transaction "
                "is applying them"
            )
            return None
        self.env["tatacliq.inventory.state"].flush_model()
        self.env.cr.execute(
            """
            WITH consumed AS (
                DELETE FROM tatacliq_inventory_change
                RETURNING product_id, warehouse_id
            )
            UPDATE tatacliq_inventory_state state
               SET dirty = true
              FROM (SELECT DISTINCT product_id, warehouse_id FROM consumed) changed
             WHERE state.product_id = changed.product_id
               AND state.warehouse_id = changed.warehouse_id
               AND NOT state.dirty
            """
        )
        flagged = self.env.cr.rowcount
        self.env["tatacliq.inventory.state"].invalidate_model(["dirty"])
        return flagged
