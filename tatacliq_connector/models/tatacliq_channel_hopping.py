"""Cancellations and order hopping of a channel.

A store loses a line in three ways, and each reaches Odoo once:

- the cancellation feed, read after every order sync from the channel's
  cursor date, lists the lines the customer, the seller or the marketplace
  cancelled, and those reallocated to another store (ODREALOC);
- the order feed shows the new status of a line already imported;
- a seller cancellation sent from Odoo returns the line's status at once.

A line not packed yet is cancelled in Odoo with its delivery move, and a
packed one gets an activity. When an OMNI store cancels a line for lack of
stock, the marketplace reallocates it: the next store receives the same
transaction id in its order feed as a new allocation. The order import turns
it into a new line, because a line is identified by its channel, transaction
id and slave id.
"""

import dataclasses
import logging

from odoo import _, fields, models
from odoo.exceptions import UserError

from tatacliq.errors import StatusOrderError, TataCliqError
from tatacliq.returns import MAX_PAGE_SIZE, REASON_CODES, CancelItem

from .sale_order_line_returns import REALLOCATED_STATUS, is_lost_status
from .tatacliq_channel_import import _is_test_mode
from .tatacliq_order_builder import ImportRun, to_naive_utc

_logger = logging.getLogger(__name__)

CANCELLED_BY = {
    "CUSTOMER": "customer",
    "SELLER": "seller",
    "MARKETPLACE": "marketplace",
}
NO_STOCK = "NOSTOCK"
# Next step for a seller cancellation that the marketplace rejects, where it
# differs from the general next step of the error class.
CANCEL_NEXT_STEPS = {
    StatusOrderError: (
        "Tata CLiQ accepts a seller cancellation only before the line is packed. "
        "Ship the line, or ask Tata CLiQ seller support to cancel it; the next "
        "order sync shows its status."
    ),
}


@dataclasses.dataclass
class FeedRun:
    """Counters of one read of the cancellation or the return feed."""

    feed: str  # "cancellation" or "return"
    trigger: str
    pages: int = 0
    records: int = 0
    applied: int = 0  # cancellations applied, or returns created
    updated: int = 0  # status updates of lines or returns already handled
    unchanged: int = 0  # records already applied (read again)
    unknown: int = 0  # records of lines that Odoo does not have
    skipped: int = 0  # records of other stores or before the start date
    problems: int = 0
    error: str = ""
    skipped_run: bool = False


def count_outcome(run, outcome):
    """Add the outcome of one feed record to the run's counters."""
    if outcome in ("cancelled", "hopped", "to_review", "created"):
        run.applied += 1
    elif outcome == "updated":
        run.updated += 1
    elif outcome == "unknown":
        run.unknown += 1
    elif outcome in ("skipped", "filtered"):
        run.skipped += 1
    else:
        run.unchanged += 1


class TataCliqChannel(models.Model):
    _inherit = "tatacliq.channel"

    auto_reject_no_stock = fields.Boolean(
        string="Reject lines without stock",
        help="OMNI channels only. At import, a new line whose store warehouse has "
        "less free stock of the product than the line's quantity is cancelled on "
        "Tata CLiQ with reason NOSTOCK instead of being imported, so the "
        "marketplace reallocates it to another store at once.",
    )
    cancellation_cursor_date = fields.Datetime(
        string="Cancellations read up to",
        copy=False,
        help="The next read of the cancellation feed starts at this date "
        "(inclusive). Empty: from the order sync start date, or the whole feed. "
        "Set it back to read older cancellations again; each is applied once.",
    )
    last_cancellation_sync_date = fields.Datetime(readonly=True, copy=False)
    last_cancellation_sync_message = fields.Text(readonly=True, copy=False)

    # Sync

    def _sync_orders(self, trigger="manual sync", progress_done=0, channels_left=0):
        run = super()._sync_orders(trigger, progress_done, channels_left)
        if run is not None:
            # Cancellations come after the orders, so a line imported by this
            # sync can be cancelled by the same sync.
            run.feed_runs.append(self._sync_cancellations(trigger=trigger))
        return run

    def _sync_cancellations(self, trigger="manual sync"):
        """Apply the cancellation feed since the cursor date; return a ``FeedRun``.

        The cursor moves to the newest record date once the whole feed was
        read. It stays where it was when a record came twice during the read,
        because its status changed between two pages and shifted the pages by
        one. The next read then gets every record, and records already applied
        are recognised.
        """
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        run = FeedRun("cancellation", trigger)
        if not channel._acquire_sync_lock():
            run.skipped_run = True
            return run
        start = channel.cancellation_cursor_date or channel.order_sync_from or None
        newest = start
        seen = set()
        shifted = False

        def apply_page(page):
            nonlocal newest, shifted
            for record in page.records:
                run.records += 1
                shifted = shifted or record.key in seen
                seen.add(record.key)
                count_outcome(run, channel._apply_cancellation(record))
                updated = to_naive_utc(record.updated_date)
                if updated and (not newest or updated > newest):
                    newest = updated

        completed = channel._read_feed(
            run, "iter_cancellation_pages", start, apply_page
        )
        if completed and newest and not shifted and newest != start:
            channel.cancellation_cursor_date = newest
        channel._write_feed_result(run, "cancellation")
        return run

    def _apply_cancellation(self, record):
        """Apply one record of the cancellation feed; return what happened."""
        self.ensure_one()
        slave_id = record.slave_id
        if not self._owns_slave(slave_id):
            return "skipped"
        lines = self._find_marketplace_lines(record.transaction_id, slave_id)
        cancelled_by = CANCELLED_BY.get(record.cancelled_by or "")
        date = to_naive_utc(record.cancellation_date) or None

        hop_result = None
        if record.reallocated:
            hop_result = "reallocated"
        elif record.reason_code == NO_STOCK and (
            self.fulfillment_model == "omni" or self._has_hop(record)
        ):
            hop_result = "cancelled"
        if hop_result and slave_id:
            self.env["tatacliq.hop"]._record(
                self,
                record.transaction_id,
                slave_id,
                hop_result,
                "marketplace",
                hop_date=date,
                reason_code=record.reason_code,
                reason=record.reason,
                line=lines[:1] or None,
                order_no=record.order_no,
            )

        if not lines:
            _logger.info(
                "Tata CLiQ cancellation of line %s at %s on channel %s (id %s) "
                "skipped: no sale order line has it",
                record.transaction_id,
                slave_id,
                self.name,
                self.id,
            )
            return "unknown"
        outcomes = {
            line._tatacliq_apply_cancellation(
                record.status,
                cancelled_by=cancelled_by,
                reason_code=record.reason_code,
                reason=record.reason,
                date=date,
            )
            for line in lines
        }
        for outcome in ("cancelled", "hopped", "to_review", "updated"):
            if outcome in outcomes:
                return outcome
        return "unchanged"

    def _has_hop(self, record):
        return bool(
            self.env["tatacliq.hop"].search_count(
                [
                    ("company_id", "=", self.company_id.id),
                    ("transaction_id", "=", record.transaction_id),
                    ("from_slave_id", "=", record.slave_id),
                ],
                limit=1,
            )
        )

    def _owns_slave(self, slave_id):
        """Return whether lines of ``slave_id`` belong to this channel.

        A channel without locations takes every line of its seller, as the
        order import does. A channel with locations takes only its own slave
        ids, so channels that share a seller login never act on each other's
        lines.
        """
        self.ensure_one()
        if not self.location_ids:
            return True
        return bool(slave_id and self._find_location(slave_id))

    def _find_marketplace_lines(self, transaction_id, slave_id):
        return self.env["sale.order.line"].search(
            [
                ("tatacliq_channel_id", "=", self.id),
                ("tatacliq_transaction_id", "=", transaction_id),
                ("tatacliq_slave_id", "=", slave_id or False),
            ]
        )

    # Order import hooks

    def _import_order_item(self, order, existing, run, close_when_skipped=False):
        order = self._drop_lost_lines(order, existing)
        if self.auto_reject_no_stock and self.fulfillment_model == "omni":
            order = self._reject_lines_without_stock(order, existing, run)
        return super()._import_order_item(order, existing, run, close_when_skipped)

    def _drop_lost_lines(self, order, existing):
        """Leave out new lines that this store has lost already.

        With one login for several stores the order feed lists a reallocated
        line twice: ODREALOC at the store that lost it and ORDALLOC at the
        store it was reallocated to. A line Odoo never imported at the first store
        must not become a delivery there.
        """
        kept = [
            line
            for line in order.lines
            if (line.transaction_id, line.slave_id or "") in existing
            or not is_lost_status(line.status)
        ]
        if len(kept) == len(order.lines):
            return order
        _logger.info(
            "Tata CLiQ order %s on channel %s (id %s): %s line(s) already "
            "cancelled or reallocated at their store were not imported",
            order.order_no,
            self.name,
            self.id,
            len(order.lines) - len(kept),
        )
        return dataclasses.replace(order, lines=tuple(kept))

    def _update_line_statuses(self, status_changes, run):
        lines = self.env["sale.order.line"].browse(
            [line_id for line_ids in status_changes.values() for line_id in line_ids]
        )
        previous = {line.id: line.tatacliq_status_code for line in lines}
        result = super()._update_line_statuses(status_changes, run)
        for line in lines:
            status = line.tatacliq_status_code
            if line.tatacliq_cancel_state or not is_lost_status(
                status, previous[line.id]
            ):
                continue
            if status == REALLOCATED_STATUS and line.tatacliq_slave_id:
                self.env["tatacliq.hop"]._record(
                    self,
                    line.tatacliq_transaction_id,
                    line.tatacliq_slave_id,
                    "reallocated",
                    "marketplace",
                    line=line,
                )
            line._tatacliq_apply_cancellation(status, previous_status=previous[line.id])
        return result

    # Automatic rejection

    def _reject_lines_without_stock(self, order, existing, run):
        """Cancel new lines whose store lacks free stock; return the order without them.

        The marketplace reallocates each rejected line to another store (or
        cancels it when none has stock), so it is not imported here. A line
        the marketplace refuses to cancel is imported as usual.
        """
        if (
            self.order_sync_from
            and order.order_date
            and to_naive_utc(order.order_date) < self.order_sync_from
        ):
            return order
        shortages = {}
        for line in order.lines:
            if (line.transaction_id, line.slave_id or "") in existing:
                continue
            if line.status not in (None, "ORDALLOC"):
                continue
            shortage = self._get_stock_shortage(run, line)
            if shortage:
                shortages[line.transaction_id] = (line, *shortage)
        if not shortages:
            return order

        items = [
            CancelItem(
                line.transaction_id,
                NO_STOCK,
                line.slave_id,
                # Remarks go to the marketplace, so they are not translated.
                f"Automatic rejection: {free:g} free in warehouse {warehouse.code}, "
                f"{max(line.quantity or 1, 1)} needed",
            )
            for line, _product, warehouse, free in shortages.values()
        ]
        try:
            results = self._get_client().cancel_lines(items)
        except TataCliqError as error:
            message = _(
                "Automatic rejection of %(count)s line(s) of order %(order)s "
                "without stock failed: %(error)s The lines are imported. Cancel "
                "them from the sale order if the stock does not arrive.",
                count=len(items),
                order=order.order_no,
                error=error.message,
            )
            _logger.warning(
                "Tata CLiQ channel %s (id %s): %s", self.name, self.id, message
            )
            self.message_post(body=message)
            return order

        rejected = set()
        for result in results:
            line, product, warehouse, free = shortages[result.transaction_id]
            if result.ok:
                rejected.add(result.transaction_id)
            self._report_rejection(order, line, product, warehouse, free, result)
        if not rejected:
            return order
        kept = tuple(
            line for line in order.lines if line.transaction_id not in rejected
        )
        return dataclasses.replace(order, lines=kept)

    def _get_stock_shortage(self, run, line):
        """Return (product, warehouse, free quantity) when the store lacks stock.

        Units promised to earlier lines of the same run count as taken. Lines
        whose product or store Odoo does not know are left to the import,
        which reports them.
        """
        warehouse = self._get_warehouse_for_slave(line.slave_id)
        if not warehouse:
            return None
        lookup = run.cached(
            ("product", (line.article_number or "").strip().lower()),
            lambda: self._find_product(line.article_number),
        )
        product = lookup.product
        if not product or not product.is_storable:
            return None
        key = ("tatacliq_free_qty", product.id, warehouse.id)
        if key not in run.cache:
            run.cache[key] = product.with_context(warehouse_id=warehouse.id).free_qty
        free = run.cache[key]
        quantity = max(line.quantity or 1, 1)
        if free < quantity:
            return product, warehouse, free
        run.cache[key] = free - quantity
        return None

    def _report_rejection(self, order, line, product, warehouse, free, result):
        if result.ok:
            hop = self.env["tatacliq.hop"]._record(
                self,
                line.transaction_id,
                line.slave_id,
                "reallocated" if result.reallocated else "cancelled",
                "auto_reject",
                reason_code=NO_STOCK,
                reason=_(
                    "No stock in warehouse %(warehouse)s (%(free)s free, "
                    "%(quantity)s needed)",
                    warehouse=warehouse.code,
                    free=f"{free:g}",
                    quantity=max(line.quantity or 1, 1),
                ),
                order_no=order.order_no,
            )
            message = _(
                "Rejected line %(transaction)s of order %(order)s (%(product)s) at "
                "import: %(route)s",
                transaction=line.transaction_id,
                order=order.order_no,
                product=product.display_name,
                route=hop._get_route_summary(),
            )
            _logger.info(
                "Tata CLiQ channel %s (id %s): %s", self.name, self.id, message
            )
        else:
            error = result.error
            message = _(
                "Line %(transaction)s of order %(order)s has no stock in warehouse "
                "%(warehouse)s, but Tata CLiQ refused to cancel it: %(error)s It "
                "is imported; ship it or cancel it from the sale order.",
                transaction=line.transaction_id,
                order=order.order_no,
                warehouse=warehouse.code,
                error=error.message if error else result.line_status,
            )
            _logger.warning(
                "Tata CLiQ channel %s (id %s): %s", self.name, self.id, message
            )
        self.message_post(body=message)

    # Seller cancellation

    def _cancel_lines_as_seller(self, lines, reason_code, remarks=None):
        """Cancel ``lines`` on Tata CLiQ, then in Odoo; return one result per line.

        Each result is ``(line, ok, message)``. A line the marketplace refuses
        stays as it is in Odoo, and the message gives the reason and the next
        step.
        Raises ``TataCliqError`` when the whole call fails; nothing is changed
        then.
        """
        self.ensure_one()
        reason = REASON_CODES[reason_code]
        if remarks:
            reason = f"{reason}: {remarks}"
        items = [
            CancelItem(
                line.tatacliq_transaction_id,
                reason_code,
                line.tatacliq_slave_id or None,
                remarks or None,
            )
            for line in lines
        ]
        results = {
            result.transaction_id: result
            for result in self._get_client().cancel_lines(items)
        }
        outcomes = []
        for line in lines:
            result = results[line.tatacliq_transaction_id]
            if not result.ok:
                outcomes.append((line, False, self._describe_refusal(line, result)))
                continue
            outcomes.append(
                (
                    line,
                    True,
                    self._apply_seller_cancellation(line, result, reason_code, reason),
                )
            )
        return outcomes

    def _apply_seller_cancellation(self, line, result, reason_code, reason):
        status = result.line_status or (
            REALLOCATED_STATUS if result.reallocated else "ORDCANCL"
        )
        now = fields.Datetime.now()
        hop = None
        if line.tatacliq_slave_id and (
            result.reallocated
            or (reason_code == NO_STOCK and self.fulfillment_model == "omni")
        ):
            hop = self.env["tatacliq.hop"]._record(
                self,
                line.tatacliq_transaction_id,
                line.tatacliq_slave_id,
                "reallocated" if result.reallocated else "cancelled",
                "odoo",
                hop_date=now,
                reason_code=reason_code,
                reason=reason,
                line=line,
            )
        outcome = line._tatacliq_apply_cancellation(
            status,
            cancelled_by="seller",
            reason_code=reason_code,
            reason=reason,
            date=now,
        )
        if hop:
            message = hop._get_route_summary()
        else:
            message = _(
                "Cancelled on Tata CLiQ (%(status)s).", status=line.tatacliq_status_name
            )
        if outcome == "to_review":
            message += " " + _(
                "The parcel was already packed in Odoo: see the activity on the "
                "sale order."
            )
        return message

    def _describe_refusal(self, line, result):
        error = result.error
        if error is None:
            return _(
                "Tata CLiQ did not cancel transaction %(transaction)s (status "
                "%(status)s). Check the line in the seller portal.",
                transaction=line.tatacliq_transaction_id,
                status=result.line_status or "-",
            )
        next_step = CANCEL_NEXT_STEPS.get(type(error), error.next_step)
        _logger.warning(
            "Seller cancellation of Tata CLiQ line %s (sale order line %s) "
            "rejected: %s",
            line.tatacliq_transaction_id,
            line.id,
            error.message,
        )
        return _(
            "Tata CLiQ refused: %(message)s Next: %(next_step)s",
            message=error.message,
            next_step=next_step,
        )

    # Feed bookkeeping

    def _read_feed(self, run, pages_method, start, apply_page):
        """Read a feed page by page; return whether the read reached the end.

        ``pages_method`` names the client method that yields the pages from
        ``start``. Each page that has records runs in its own transaction:
        its unreadable records become exceptions, then ``apply_page(page)``
        handles the others, and the exceptions of records read wrongly before
        are closed. A marketplace error ends the read and is stored in
        ``run.error``.
        """
        import_run = ImportRun(self, run.trigger)
        try:
            client = self._get_client()
        except UserError as error:
            # Incomplete channel settings, stored in the feed result.
            run.error = error.args[0]
            return False
        try:
            pages = getattr(client, pages_method)(
                from_date=start, page_size=min(self.page_size, MAX_PAGE_SIZE)
            )
            for page in pages:
                run.pages += 1
                if not (page.records or page.failures):
                    # An empty page needs no transaction of its own.
                    continue
                with self._batch_transaction(import_run):
                    for failure in page.failures:
                        self._register_feed_failure(failure, run, import_run)
                    apply_page(page)
                    self._close_feed_exceptions(run.feed, page.records, run.trigger)
        except TataCliqError as error:
            run.error = f"{error.message} {error.next_step}"
            return False
        return True

    def _write_feed_result(self, run, feed):
        """Store the outcome of a feed read on the channel and log it in one line."""
        if run.feed == "cancellation":
            message = _(
                "%(records)s cancellation record(s) read: %(applied)s applied, "
                "%(updated)s status update(s), %(unchanged)s already applied, "
                "%(unknown)s of lines not in Odoo, %(skipped)s of other stores, "
                "%(problems)s unreadable.",
                records=run.records,
                applied=run.applied,
                updated=run.updated,
                unchanged=run.unchanged,
                unknown=run.unknown,
                skipped=run.skipped,
                problems=run.problems,
            )
        else:
            message = _(
                "%(records)s return event(s) read: %(applied)s new return(s), "
                "%(updated)s update(s), %(unchanged)s already imported, "
                "%(skipped)s of other stores or before the start date, "
                "%(problems)s unreadable.",
                records=run.records,
                applied=run.applied,
                updated=run.updated,
                unchanged=run.unchanged,
                skipped=run.skipped,
                problems=run.problems,
            )
        if run.error:
            message += " " + _("The read stopped early: %(error)s", error=run.error)
        self.sudo().write(
            {
                f"last_{feed}_sync_date": fields.Datetime.now(),
                f"last_{feed}_sync_message": message,
            }
        )
        log = _logger.warning if run.error else _logger.info
        log(
            "Tata CLiQ %s feed of channel %s (id %s, %s): %s page(s), %s",
            run.feed,
            self.name,
            self.id,
            run.trigger,
            run.pages,
            message,
        )
        if not _is_test_mode():
            self.env.cr.commit()
