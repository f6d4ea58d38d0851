"""Return feed of a channel: customer returns and returns to origin.

The feed is read from the channel's cursor date (at first its "Return sync
from" date) page by page. Return events never change once sent, so the
cursor moves to the newest event date after each page, and a read that stops
halfway goes on from there. The feed's ``fromDate`` is inclusive, so the
events of the cursor's second come again and are recognised by their ids.
"""

import logging

import psycopg2.errors

from odoo import _, api, fields, models

from .tatacliq_channel_hopping import FeedRun, count_outcome
from .tatacliq_order_builder import to_naive_utc

_logger = logging.getLogger(__name__)

RETURN_TYPES = {"CR": "cr", "RTO": "rto"}


class TataCliqChannel(models.Model):
    _inherit = "tatacliq.channel"

    return_cursor_date = fields.Datetime(
        string="Returns read up to",
        copy=False,
        help="The next read of the return feed starts at this date (inclusive). "
        "Empty: from the Return sync from date, or the whole feed. Set it back to "
        "read older return events again; each is imported once.",
    )
    last_return_sync_date = fields.Datetime(readonly=True, copy=False)
    last_return_sync_message = fields.Text(readonly=True, copy=False)
    return_count = fields.Integer(compute="_compute_return_count")

    def _compute_return_count(self):
        counts = {}
        channels = self.filtered("id")
        if channels:
            for channel, count in self.env["tatacliq.return"]._read_group(
                [("channel_id", "in", channels.ids)],
                groupby=["channel_id"],
                aggregates=["__count"],
            ):
                counts[channel.id] = count
        for channel in self:
            channel.return_count = counts.get(channel.id, 0)

    # Actions

    def action_sync_returns(self):
        """Read the cancellation and return feeds now and show the outcome."""
        self.ensure_one()
        cancellations = self._sync_cancellations(trigger="manual sync")
        returns = self._sync_returns(trigger="manual sync")
        if cancellations.skipped_run or returns.skipped_run:
            return self._notification(
                _("Sync skipped"),
                _(
                    "Another sync of channel %(channel)s is running. Wait until it "
                    "ends, then try again.",
                    channel=self.name,
                ),
                "warning",
            )
        failed = cancellations.error or returns.error
        message = "\n".join(
            (self.last_cancellation_sync_message, self.last_return_sync_message)
        )
        return self._notification(
            _("Cancellations and returns"), message, "danger" if failed else "success"
        )

    def action_view_returns(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_return"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"create": False}
        return action

    @api.model
    def _cron_sync_returns(self):
        """Read the return feed of every active channel; used by a scheduled action.

        A failed channel does not stop the others; the next run tries again.
        """
        for channel in self.search([]):
            try:
                channel._sync_returns(trigger="scheduled sync")
            except Exception:
                _logger.exception(
                    "Return sync of Tata CLiQ channel %s (id %s) failed",
                    channel.name,
                    channel.id,
                )
                channel._rollback_to_last_commit()

    # Sync

    def _sync_returns(self, trigger="manual sync"):
        """Import the return events since the cursor date; return a ``FeedRun``."""
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        run = FeedRun("return", trigger)
        if not channel._acquire_sync_lock():
            run.skipped_run = True
            return run
        cursor = channel.return_cursor_date or channel.return_sync_from or None

        def apply_page(page):
            nonlocal cursor
            channel._import_return_page(page.records, run)
            dates = [
                to_naive_utc(record.event_date)
                for record in page.records
                if record.event_date
            ]
            if dates and (not cursor or max(dates) > cursor):
                cursor = max(dates)
                channel.return_cursor_date = cursor

        channel._read_feed(run, "iter_return_pages", cursor, apply_page)
        channel._write_feed_result(run, "return")
        return run

    def _import_return_page(self, records, run):
        """Store the new events of a page, then update each return they touch once."""
        touched = self.env["tatacliq.return"]
        for record in records:
            run.records += 1
            outcome, ret = self._import_return_event(record)
            count_outcome(run, outcome)
            if ret is not None:
                touched |= ret
        touched._update_from_events()

    def _import_return_event(self, record):
        """Store one return event; return (outcome, the return it changed or None)."""
        ret = self.env["tatacliq.return"].search(
            [
                ("channel_id", "=", self.id),
                ("marketplace_return_id", "=", record.return_id),
            ],
            limit=1,
        )
        outcome = "updated"
        if not ret:
            if (
                self.return_sync_from
                and record.return_date
                and to_naive_utc(record.return_date) < self.return_sync_from
            ):
                return "filtered", None
            if not self._owns_slave(record.slave_id):
                return "skipped", None
            ret = self._create_return(record)
            outcome = "created"
        if ret._add_event(record) is None:
            return "unchanged", None
        return outcome, ret

    def _create_return(self, record):
        Return = self.env["tatacliq.return"]
        line = self._find_returned_line(record)
        warehouse = line.order_id.warehouse_id or self._get_warehouse_for_slave(
            record.slave_id
        )
        vals = {
            "channel_id": self.id,
            "marketplace_return_id": record.return_id,
            "return_type": RETURN_TYPES.get(record.return_type or "", False),
            "transaction_id": record.transaction_id,
            "order_no": record.order_no or line.order_id.tatacliq_order_no or False,
            "slave_id": record.slave_id or False,
            "article_number": record.article_number or False,
            "sale_line_id": line.id or False,
            "warehouse_id": warehouse.id or False,
            "logistics_id": record.logistics_id or False,
            "reason": record.reason or False,
            "return_date": to_naive_utc(record.return_date),
        }
        try:
            with self.env.cr.savepoint():
                ret = Return.create(vals)
        except psycopg2.errors.UniqueViolation:
            # Another transaction imported the same return in the meantime.
            return Return.search(
                [
                    ("channel_id", "=", self.id),
                    ("marketplace_return_id", "=", record.return_id),
                ],
                limit=1,
            )
        _logger.info(
            "Imported Tata CLiQ return %s (%s) of line %s on channel %s (id %s)",
            record.return_id,
            record.return_type,
            record.transaction_id,
            self.name,
            self.id,
        )
        return ret

    def _find_returned_line(self, record):
        """Return the sale order line the return is about, or an empty recordset.

        The line of the same store first; without a store in the record, the
        line of this transaction that was not cancelled or reallocated.
        """
        lines = self._find_marketplace_lines(record.transaction_id, record.slave_id)
        if lines or record.slave_id:
            return lines[:1]
        return self.env["sale.order.line"].search(
            [
                ("tatacliq_channel_id", "=", self.id),
                ("tatacliq_transaction_id", "=", record.transaction_id),
                ("tatacliq_cancel_state", "=", False),
            ],
            order="id desc",
            limit=1,
        )
