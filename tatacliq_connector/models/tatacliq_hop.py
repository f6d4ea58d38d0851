import logging

import psycopg2.errors

from odoo import _, api, fields, models

_logger = logging.getLogger(__name__)


class TataCliqHop(models.Model):
    """One store losing a marketplace line: the steps of order hopping.

    When an OMNI store cancels a line for lack of stock, Tata CLiQ reallocates
    the same transaction id to the next store with stock, up to its hop limit.
    After that, or when no store has stock, the line is cancelled. One record
    exists per transaction id and store that lost it, so the chain of records
    of a transaction is the line's route through the stores.
    """

    _name = "tatacliq.hop"
    _description = "Tata CLiQ Order Hop"
    _order = "hop_date desc, id desc"
    _rec_name = "transaction_id"

    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    transaction_id = fields.Char(required=True, index=True, readonly=True)
    order_no = fields.Char(string="Tata CLiQ Order", readonly=True)
    hop_date = fields.Datetime(
        string="Date",
        required=True,
        readonly=True,
        help="When the store lost the line: the marketplace's cancellation date, "
        "or when Odoo sent the cancellation or first saw the reallocation.",
    )
    result = fields.Selection(
        selection=[
            ("reallocated", "Reallocated to another store"),
            ("cancelled", "Cancelled: no store could take it"),
        ],
        required=True,
        readonly=True,
    )
    origin = fields.Selection(
        selection=[
            ("odoo", "Seller cancellation from Odoo"),
            ("auto_reject", "Automatic rejection at import"),
            ("marketplace", "Seen on the marketplace"),
        ],
        required=True,
        readonly=True,
    )
    reason_code = fields.Char(readonly=True)
    reason = fields.Char(readonly=True)
    from_channel_id = fields.Many2one(
        "tatacliq.channel", string="From Channel", readonly=True, ondelete="set null"
    )
    from_slave_id = fields.Char(string="From Store", required=True, readonly=True)
    from_warehouse_id = fields.Many2one(
        "stock.warehouse", string="From Warehouse", readonly=True
    )
    from_line_id = fields.Many2one(
        "sale.order.line",
        string="From Line",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    from_order_id = fields.Many2one(
        related="from_line_id.order_id", string="From Sale Order"
    )
    to_channel_id = fields.Many2one(
        "tatacliq.channel", string="To Channel", readonly=True, ondelete="set null"
    )
    to_slave_id = fields.Char(
        string="To Store",
        readonly=True,
        help="The store that received the line next; empty until Odoo sees it.",
    )
    to_warehouse_id = fields.Many2one(
        "stock.warehouse", string="To Warehouse", readonly=True
    )
    to_line_id = fields.Many2one(
        "sale.order.line",
        string="To Line",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    to_order_id = fields.Many2one(related="to_line_id.order_id", string="To Sale Order")

    _sql_constraints = [
        (
            "transaction_store_unique",
            "UNIQUE(company_id, transaction_id, from_slave_id)",
            "A store loses a marketplace line only once.",
        ),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        hops = super().create(vals_list)
        self._invalidate_order_hops()
        return hops

    def write(self, vals):
        result = super().write(vals)
        self._invalidate_order_hops()
        return result

    def _invalidate_order_hops(self):
        # The hop list of a sale order is searched, not stored, so a new or
        # changed hop must drop the cached lists.
        self.env["sale.order"].invalidate_model(
            ["tatacliq_hop_ids", "tatacliq_hop_count"]
        )

    @api.model
    def _record(
        self,
        channel,
        transaction_id,
        slave_id,
        result,
        origin,
        hop_date=None,
        reason_code=None,
        reason=None,
        line=None,
        order_no=None,
    ):
        """Create the hop of ``transaction_id`` at ``slave_id``, or complete it.

        An existing record keeps what it has and takes the details it lacks.
        A date from the marketplace replaces the time Odoo first saw a
        reallocation in the order feed. Returns the record.
        """
        company = channel.company_id
        hop = self.search(
            [
                ("company_id", "=", company.id),
                ("transaction_id", "=", transaction_id),
                ("from_slave_id", "=", slave_id),
            ],
            limit=1,
        )
        if hop:
            hop._complete(result, origin, hop_date, reason_code, reason, line, order_no)
            return hop
        vals = {
            "company_id": company.id,
            "transaction_id": transaction_id,
            "order_no": order_no or (line and line.order_id.tatacliq_order_no) or False,
            "hop_date": hop_date or fields.Datetime.now(),
            "result": result,
            "origin": origin,
            "reason_code": reason_code or False,
            "reason": reason or False,
            "from_channel_id": channel.id,
            "from_slave_id": slave_id,
            "from_warehouse_id": channel._get_warehouse_for_slave(slave_id).id,
            "from_line_id": line.id if line else False,
        }
        try:
            with self.env.cr.savepoint():
                hop = self.create(vals)
        except psycopg2.errors.UniqueViolation:
            # Another transaction recorded the same hop in the meantime.
            return self._record(
                channel,
                transaction_id,
                slave_id,
                result,
                origin,
                hop_date,
                reason_code,
                reason,
                line,
                order_no,
            )
        _logger.info(
            "Tata CLiQ line %s left store %s (%s, %s); hop %s",
            transaction_id,
            slave_id,
            result,
            reason_code or reason or origin,
            hop.id,
        )
        self._link_hops(company, [transaction_id])
        return hop

    def _complete(self, result, origin, hop_date, reason_code, reason, line, order_no):
        self.ensure_one()
        vals = {}
        if reason_code and not self.reason_code:
            vals["reason_code"] = reason_code
        if reason and reason != self.reason:
            # The marketplace's words say why a line could not hop (hop limit,
            # no stock elsewhere); they replace Odoo's own summary.
            vals["reason"] = reason
        if line and not self.from_line_id:
            vals["from_line_id"] = line.id
        if order_no and not self.order_no:
            vals["order_no"] = order_no
        if result != self.result and origin == "marketplace":
            vals["result"] = result
        if hop_date and self.origin == "marketplace" and not self.reason_code:
            vals["hop_date"] = hop_date
        if vals:
            self.write(vals)

    @api.model
    def _link_hops(self, company, transaction_ids):
        """Point each hop of these transactions at the store that got the line next.

        The hops of a transaction, oldest first, form a chain: each store
        passed the line to the store of the next hop, and the last hop of a
        reallocated line passed it to the store that holds it now (the newest
        line of that transaction at a store that never lost it).
        """
        hops = self.search(
            [
                ("company_id", "in", company.ids),
                ("transaction_id", "in", list(set(transaction_ids))),
            ]
        )
        if not hops:
            return
        SaleLine = self.env["sale.order.line"].sudo()
        for transaction_id in set(hops.mapped("transaction_id")):
            chain = hops.filtered(
                lambda hop, txn=transaction_id: hop.transaction_id == txn
            ).sorted(lambda hop: (hop.hop_date, hop.id))
            lines = SaleLine.search(
                [
                    ("company_id", "in", chain.company_id.ids),
                    ("tatacliq_transaction_id", "=", transaction_id),
                ],
                order="id desc",
            )
            lost_at = set(chain.mapped("from_slave_id"))
            for position, hop in enumerate(chain):
                if position + 1 < len(chain):
                    following = chain[position + 1]
                    target = (
                        following.from_slave_id,
                        following.from_channel_id,
                        following.from_line_id,
                    )
                elif hop.result == "reallocated":
                    holder = lines.filtered(
                        lambda line, lost_at=lost_at: (
                            (line.tatacliq_slave_id or "") not in lost_at
                        )
                    )[:1]
                    if not holder:
                        continue
                    target = (
                        holder.tatacliq_slave_id,
                        holder.order_id.tatacliq_channel_id,
                        holder,
                    )
                else:
                    continue
                hop._set_destination(*target)

    def _set_destination(self, slave_id, channel, line):
        self.ensure_one()
        if not line and slave_id:
            line = self.env["sale.order.line"].search(
                [
                    ("company_id", "=", self.company_id.id),
                    ("tatacliq_transaction_id", "=", self.transaction_id),
                    ("tatacliq_slave_id", "=", slave_id),
                ],
                order="id desc",
                limit=1,
            )
            channel = channel or line.order_id.tatacliq_channel_id
        warehouse = line.order_id.warehouse_id if line else False
        if not warehouse and channel and slave_id:
            warehouse = channel._find_location(slave_id).warehouse_id
        if not warehouse and slave_id:
            warehouse = (
                self.env["tatacliq.location"]
                .search(
                    [
                        ("company_id", "=", self.company_id.id),
                        ("slave_id", "=", slave_id),
                    ],
                    limit=1,
                )
                .warehouse_id
            )
        vals = {
            "to_slave_id": slave_id or False,
            "to_channel_id": channel.id if channel else False,
            "to_line_id": line.id if line else False,
            "to_warehouse_id": warehouse.id if warehouse else False,
        }
        changes = {
            key: value
            for key, value in vals.items()
            if (self[key].id if key != "to_slave_id" else self[key]) != value
        }
        if changes:
            self.write(changes)

    def _get_route_summary(self):
        """Return the hop in words, for chatter messages and wizard results."""
        self.ensure_one()
        reason = self.reason or self.reason_code or _("no reason given")
        if self.result == "reallocated":
            return _(
                "Transaction %(transaction)s left store %(store)s (%(reason)s) and "
                "was reallocated to %(next_store)s.",
                transaction=self.transaction_id,
                store=self.from_slave_id,
                reason=reason,
                next_store=self.to_slave_id or _("another store"),
            )
        return _(
            "Transaction %(transaction)s was cancelled at store %(store)s "
            "(%(reason)s): no other store could take it.",
            transaction=self.transaction_id,
            store=self.from_slave_id,
            reason=reason,
        )
