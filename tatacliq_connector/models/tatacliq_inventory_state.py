import math

from odoo import api, fields, models
from odoo.tools import SQL, split_every

# Quantities closer than this to the next whole unit count as that unit, so a
# float sum such as 2.9999999 still sends 3.
QUANTITY_EPSILON = 1e-6
# State rows read per query. A push works chunk by chunk, so its memory does
# not grow with the size of the catalogue.
PUSH_ROWS_CHUNK = 10_000


class TataCliqInventoryState(models.Model):
    """Push state of one mapped SKU at one marketplace location (slave id).

    Rows are kept in step with the channel's mappings and locations by
    ``tatacliq.channel._sync_inventory_states``. Stock changes reach them
    through ``tatacliq.inventory.change``: the delta push marks the affected
    rows ``dirty`` and sends only those.
    """

    _name = "tatacliq.inventory.state"
    _description = "Tata CLiQ Inventory State"
    _order = "channel_id, slave_id, mapping_id"
    _rec_name = "article_number"

    channel_id = fields.Many2one(
        "tatacliq.channel", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True, readonly=True
    )
    mapping_id = fields.Many2one(
        "tatacliq.product.mapping",
        required=True,
        ondelete="cascade",
        index=True,
        readonly=True,
    )
    article_number = fields.Char(related="mapping_id.article_number", string="SKU")
    delisted = fields.Boolean(related="mapping_id.delisted")
    location_id = fields.Many2one(
        "tatacliq.location",
        ondelete="cascade",
        index=True,
        readonly=True,
        help="Empty for a channel without locations, which pushes its default "
        "slave id from the order source warehouse.",
    )
    slave_id = fields.Char(string="Slave ID", required=True, readonly=True)
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", readonly=True
    )
    warehouse_id = fields.Many2one(
        "stock.warehouse", required=True, ondelete="cascade", readonly=True
    )
    dirty = fields.Boolean(
        string="Changed",
        readonly=True,
        help="Stock, reservations or the mapping changed since the last accepted "
        "push; the next delta push sends this SKU.",
    )
    last_inventory = fields.Integer(
        string="Last pushed inventory",
        readonly=True,
        help="Inventory (free quantity) of the last push the marketplace accepted.",
    )
    last_safety_stock = fields.Integer(string="Last pushed safety stock", readonly=True)
    last_pushed_qty = fields.Integer(
        string="Last pushed sellable quantity",
        readonly=True,
        help="Inventory minus safety stock of the last accepted push, never below "
        "zero: what the storefront could sell right after it.",
    )
    last_push_date = fields.Datetime(
        string="Last accepted push", readonly=True, copy=False
    )
    last_attempt_date = fields.Datetime(readonly=True, copy=False)
    last_result = fields.Selection(
        [
            ("new", "Not pushed yet"),
            ("success", "Accepted"),
            ("sent", "Waiting for SFTP result"),
            ("failed", "Failed"),
            ("delisted", "Delisted"),
        ],
        default="new",
        required=True,
        readonly=True,
    )
    last_error = fields.Text(readonly=True, copy=False)
    sftp_file = fields.Char(
        string="SFTP upload",
        readonly=True,
        copy=False,
        help="Name of the uploaded file whose result has not been read yet.",
    )
    sent_inventory = fields.Integer(readonly=True, copy=False)
    sent_safety_stock = fields.Integer(readonly=True, copy=False)

    _sql_constraints = [
        (
            "mapping_slave_unique",
            "UNIQUE(mapping_id, slave_id)",
            "A mapped SKU has one inventory state per slave id.",
        ),
    ]

    def init(self):
        # The stock hook finds rows by product and warehouse, the delta push by
        # channel among the few changed rows.
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS tatacliq_inventory_state_product_warehouse_idx
                ON tatacliq_inventory_state (product_id, warehouse_id);
            CREATE INDEX IF NOT EXISTS tatacliq_inventory_state_dirty_idx
                ON tatacliq_inventory_state (channel_id) WHERE dirty;
            """
        )

    @api.depends("article_number", "slave_id")
    def _compute_display_name(self):
        for state in self:
            state.display_name = f"{state.article_number} @ {state.slave_id}"

    # Quantities

    @api.model
    def _count_waiting(self, channel_ids):
        """Return ``{channel id: rows the next delta push sends or checks}``.

        A row waits when it is flagged, or when a committed stock change of
        its product and warehouse is still queued. Rows of delisted mappings
        are left out because no push sends them.
        """
        self.env["tatacliq.product.mapping"].flush_model(["delisted"])
        self.flush_model(["channel_id", "dirty", "product_id", "warehouse_id"])
        self.env.cr.execute(
            SQL(
                """
                SELECT state.channel_id, COUNT(*)
                  FROM tatacliq_inventory_state state
                  JOIN tatacliq_product_mapping mapping
                    ON mapping.id = state.mapping_id
                 WHERE state.channel_id = ANY(%(channels)s)
                   AND NOT COALESCE(mapping.delisted, false)
                   AND (state.dirty OR EXISTS (
                           SELECT 1 FROM tatacliq_inventory_change change
                            WHERE change.product_id = state.product_id
                              AND change.warehouse_id = state.warehouse_id
                       ))
              GROUP BY state.channel_id
                """,
                channels=list(channel_ids),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _iter_push_rows(self, state_ids, chunk_size=PUSH_ROWS_CHUNK):
        """Yield the push data of ``state_ids`` in lists of ``chunk_size`` rows.

        Each row is a dict with the keys ``id``, ``channel_id``,
        ``mapping_id``, ``location_id``, ``slave_id``, ``sku``,
        ``product_id``, ``warehouse_id``, ``safety_stock``,
        ``last_inventory``, ``last_safety_stock``, ``last_pushed_qty``,
        ``last_result``, ``free`` (on hand minus reserved), ``inventory``
        (the free quantity as a whole number of 0 or more) and ``sellable``.
        Rows come in id order. Working in chunks keeps the memory of a push of a large
        catalogue bounded.
        """
        self.env["stock.quant"].flush_model(
            ["product_id", "location_id", "quantity", "reserved_quantity"]
        )
        self.env["stock.location"].flush_model(["usage", "warehouse_id"])
        self.env["tatacliq.product.mapping"].flush_model(
            ["article_number", "safety_stock"]
        )
        self.env["tatacliq.channel"].flush_model(["inventory_safety_stock"])
        self.flush_model()
        for chunk in split_every(chunk_size, sorted(state_ids)):
            yield self._fetch_push_rows(list(chunk))

    @api.model
    def _read_push_rows(self, state_ids):
        """Return the push data of ``state_ids`` (see ``_iter_push_rows``)."""
        return [row for rows in self._iter_push_rows(state_ids) for row in rows]

    @api.model
    def _fetch_push_rows(self, ids):
        """Return the push rows of ``ids`` with their free quantities.

        Two queries whatever the number of rows: one reads the rows, the
        other sums the quants of all their products per warehouse over the
        warehouse's internal locations (the locations under its view
        location, as Odoo's ``free_qty`` counts them). Both are plain scans
        or index lookups, so the plan does not depend on fresh statistics of
        the state table.
        """
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT state.id,
                       state.channel_id,
                       state.mapping_id,
                       state.location_id,
                       state.slave_id,
                       mapping.article_number AS sku,
                       state.product_id,
                       state.warehouse_id,
                       CASE WHEN COALESCE(mapping.safety_stock, 0) > 0
                            THEN mapping.safety_stock
                            ELSE COALESCE(channel.inventory_safety_stock, 0)
                       END AS safety_stock,
                       state.last_inventory,
                       state.last_safety_stock,
                       state.last_pushed_qty,
                       state.last_result
                  FROM tatacliq_inventory_state state
                  JOIN tatacliq_product_mapping mapping
                    ON mapping.id = state.mapping_id
                  JOIN tatacliq_channel channel ON channel.id = state.channel_id
                 WHERE state.id = ANY(%(ids)s)
              ORDER BY state.id
                """,
                ids=ids,
            )
        )
        columns = [column.name for column in cr.description]
        rows = [dict(zip(columns, values, strict=True)) for values in cr.fetchall()]
        if not rows:
            return rows

        cr.execute(
            SQL(
                """
                SELECT loc.warehouse_id,
                       quant.product_id,
                       SUM(quant.quantity),
                       SUM(quant.reserved_quantity)
                  FROM stock_quant quant
                  JOIN stock_location loc ON loc.id = quant.location_id
                 WHERE loc.usage = 'internal'
                   AND loc.warehouse_id = ANY(%(warehouses)s)
                   AND quant.product_id = ANY(%(products)s)
              GROUP BY loc.warehouse_id, quant.product_id
                """,
                warehouses=list({row["warehouse_id"] for row in rows}),
                products=list({row["product_id"] for row in rows}),
            )
        )
        free = {
            (warehouse_id, product_id): (quantity or 0.0) - (reserved or 0.0)
            for warehouse_id, product_id, quantity, reserved in cr.fetchall()
        }

        for row in rows:
            row["free"] = free.get((row["warehouse_id"], row["product_id"]), 0.0)
            row["inventory"] = whole_units(row["free"])
            row["safety_stock"] = max(int(row["safety_stock"] or 0), 0)
            row["sellable"] = max(row["inventory"] - row["safety_stock"], 0)
        return rows

    # Results

    @api.model
    def _set_accepted(self, rows, sent_only=False):
        """Store accepted pushes: ``rows`` are push rows (see ``_read_push_rows``).

        The rows become clean, with the sent inventory and safety stock as the
        last pushed values. With ``sent_only`` they record an SFTP upload whose
        result is not read yet: clean, but waiting for that result.
        """
        if not rows:
            return
        now = fields.Datetime.now()
        ids = [row["id"] for row in rows]
        inventories = [row["inventory"] for row in rows]
        safety_stocks = [row["safety_stock"] for row in rows]
        if sent_only:
            files = [row["sftp_file"] for row in rows]
            query = SQL(
                """
                UPDATE tatacliq_inventory_state state
                   SET dirty = false,
                       last_result = 'sent',
                       sftp_file = sent.file,
                       sent_inventory = sent.inventory,
                       sent_safety_stock = sent.safety_stock,
                       last_attempt_date = %(now)s,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(inventories)s::int[],
                              %(safety_stocks)s::int[], %(files)s::varchar[])
                       AS sent(id, inventory, safety_stock, file)
                 WHERE state.id = sent.id
                """,
                ids=ids,
                inventories=inventories,
                safety_stocks=safety_stocks,
                files=files,
                now=now,
                uid=self.env.uid,
            )
        else:
            query = SQL(
                """
                UPDATE tatacliq_inventory_state state
                   SET dirty = false,
                       last_result = 'success',
                       last_error = NULL,
                       sftp_file = NULL,
                       last_inventory = sent.inventory,
                       last_safety_stock = sent.safety_stock,
                       last_pushed_qty =
                           GREATEST(sent.inventory - sent.safety_stock, 0),
                       last_push_date = %(now)s,
                       last_attempt_date = %(now)s,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(inventories)s::int[],
                              %(safety_stocks)s::int[])
                       AS sent(id, inventory, safety_stock)
                 WHERE state.id = sent.id
                """,
                ids=ids,
                inventories=inventories,
                safety_stocks=safety_stocks,
                now=now,
                uid=self.env.uid,
            )
        self.env.cr.execute(query)
        self.invalidate_model()

    @api.model
    def _set_sftp_accepted(self, state_ids, file_name):
        """Store the accepted lines of an SFTP result file.

        Only rows still waiting for ``file_name`` change: a row sent again in a
        later file waits for that file instead. The changed flag is left as it
        is, because stock may have changed since the upload.
        """
        if not state_ids:
            return
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                UPDATE tatacliq_inventory_state
                   SET last_result = 'success',
                       last_error = NULL,
                       sftp_file = NULL,
                       last_inventory = sent_inventory,
                       last_safety_stock = sent_safety_stock,
                       last_pushed_qty =
                           GREATEST(sent_inventory - sent_safety_stock, 0),
                       last_push_date = %(now)s,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                 WHERE id = ANY(%(ids)s) AND sftp_file = %(file)s
                """,
                ids=list(state_ids),
                file=file_name,
                now=now,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _set_failed(
        self,
        errors,
        result="failed",
        keep_dirty=False,
        clear_dirty=True,
        file_name=None,
    ):
        """Store failed pushes: ``errors`` maps a state id to its error message.

        ``keep_dirty`` leaves the rows for the next delta push (a batch that
        could not be sent). Otherwise, with ``clear_dirty``, they wait for the
        next change or full push, because sending the same item again gets the
        same refusal. SFTP results pass ``clear_dirty=False``, because a row
        flagged again since its upload must still be sent, and ``file_name``,
        so only rows still waiting for that file change.
        """
        if not errors:
            return
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                UPDATE tatacliq_inventory_state state
                   SET dirty = (%(keep)s OR (state.dirty AND NOT %(clear)s)),
                       last_result = %(result)s,
                       last_error = failed.message,
                       sftp_file = NULL,
                       last_attempt_date = %(now)s,
                       write_uid = %(uid)s,
                       write_date = %(now)s
                  FROM unnest(%(ids)s::int[], %(messages)s::text[])
                       AS failed(id, message)
                 WHERE state.id = failed.id
                   AND (%(file)s::varchar IS NULL OR state.sftp_file = %(file)s)
                """,
                file=file_name,
                ids=list(errors),
                messages=list(errors.values()),
                keep=bool(keep_dirty),
                clear=bool(clear_dirty),
                result=result,
                now=now,
                uid=self.env.uid,
            )
        )
        self.invalidate_model()

    @api.model
    def _set_unchanged(self, state_ids):
        """Clear the changed flag of rows whose quantities equal the last push."""
        if not state_ids:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE tatacliq_inventory_state SET dirty = false "
                "WHERE id = ANY(%(ids)s)",
                ids=list(state_ids),
            )
        )
        self.invalidate_model(["dirty"])

    def _mark_dirty(self):
        """Flag these rows for the next delta push."""
        if not self:
            return
        self.flush_recordset()
        self.env.cr.execute(
            SQL(
                "UPDATE tatacliq_inventory_state SET dirty = true "
                "WHERE id = ANY(%(ids)s) AND NOT dirty",
                ids=self.ids,
            )
        )
        self.invalidate_recordset(["dirty"])


def whole_units(quantity):
    """Return a free quantity as whole units, rounded down, never below zero.

    The marketplace sells whole units, so a fraction left in a unit of measure
    such as kilograms is not offered.
    """
    return max(int(math.floor(float(quantity) + QUANTITY_EPSILON)), 0)
