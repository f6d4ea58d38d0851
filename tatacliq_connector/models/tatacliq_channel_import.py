"""Order import of a channel: sync, fetch one order, cron, exceptions.

A sync reads the active orders page by page and imports them in batches of
``batch_size`` orders. Each batch is committed on its own, so a failure (the
marketplace going away on page 3, a database error) loses at most the batch
in progress. The next run skips what is already imported. Under tests the
commits are savepoints, which keeps the same semantics inside the test
transaction.
"""

import hashlib
import json
import logging
from contextlib import contextmanager

import psycopg2.errors

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.tools import split_every

from tatacliq.codecs import decode_orders
from tatacliq.errors import TataCliqError
from tatacliq.models import STATUS_CODES, OrderDecodeFailure

from .tatacliq_order_builder import ImportRun, Problem, line_signature, to_naive_utc

_logger = logging.getLogger(__name__)

# Name of the unique index of imported marketplace lines (see sale.order.line).
LINE_UNIQUE_INDEX = "sale_order_line_tatacliq_transaction_uniq"
EXCEPTION_ACTIVITY_TYPE = "tatacliq_connector.mail_activity_type_tatacliq_exception"


class TataCliqChannel(models.Model):
    _name = "tatacliq.channel"
    _inherit = ["tatacliq.channel", "mail.activity.mixin"]

    exception_user_id = fields.Many2one(
        comodel_name="res.users",
        string="Exception responsible",
        default=lambda self: self.env.user,
        help="User who gets the to-do activity when orders of this channel "
        "cannot be imported. When empty, the user who created the channel.",
    )

    # Actions

    def action_sync_orders(self):
        """Import the active orders now and show the result of the run."""
        self.ensure_one()
        run = self._sync_orders(trigger="manual sync")
        if run is None:
            return self._notification(
                _("Sync skipped"),
                _(
                    "Another sync of channel %(channel)s is running. Wait until it "
                    "ends, then look at the last sync result on the channel.",
                    channel=self.name,
                ),
                "warning",
            )
        message = self.last_sync_message
        failed_feeds = [feed_run for feed_run in run.feed_runs if feed_run.error]
        for feed_run in failed_feeds:
            message += "\n" + self[f"last_{feed_run.feed}_sync_message"]
        if run.error or failed_feeds:
            kind = "danger"
        elif run.problems_found:
            kind = "warning"
        else:
            kind = "success"
        return self._notification(_("Order sync"), message, kind)

    def action_fetch_order(self):
        """Open the wizard that imports one order by its number."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Fetch a Tata CLiQ order"),
            "res_model": "tatacliq.fetch.order",
            "view_mode": "form",
            "target": "new",
            "context": {"default_channel_id": self.id},
        }

    @api.model
    def _cron_sync_orders(self):
        """Sync the channels of ``self``, else every active channel.

        Each channel's scheduled action calls this on its own channel.

        A channel that another server is syncing is skipped. Progress goes to
        the scheduled action as orders read (done) and an estimate of orders
        left (remaining), where each channel not reached yet counts as one.
        A failed channel does not stop the others; it is tried again at the
        next scheduled run.
        """
        channels = self or self.search([])
        done = 0
        for index, channel in enumerate(channels):
            channels_left = len(channels) - index - 1
            try:
                run = channel._sync_orders(
                    trigger="scheduled sync",
                    progress_done=done,
                    channels_left=channels_left,
                )
            except Exception:
                # _sync_orders records the errors it expects; this is a bug or a
                # database failure, logged so the other channels still run.
                _logger.exception(
                    "Order sync of Tata CLiQ channel %s (id %s) failed",
                    channel.name,
                    channel.id,
                )
                channel._rollback_to_last_commit()
                continue
            if run is not None:
                done += run.orders_read
            self.env["ir.cron"]._notify_progress(done=done, remaining=channels_left)
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)

    # Sync

    def _sync_orders(self, trigger="manual sync", progress_done=0, channels_left=0):
        """Import the channel's active orders; return the ``ImportRun``.

        Returns None without doing anything when another transaction holds the
        channel's row lock, so two servers never sync one channel at once.
        Marketplace errors and incomplete channel settings end the run and are
        stored in its result. Other errors are re-raised after the result is
        stored.
        """
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        if not channel._acquire_sync_lock():
            _logger.info(
                "Order sync of Tata CLiQ channel %s (id %s) skipped: another "
                "transaction holds its lock",
                channel.name,
                channel.id,
            )
            return None

        run = ImportRun(channel, trigger)
        _logger.info(
            "Order sync of Tata CLiQ channel %s (id %s) started (%s)",
            channel.name,
            channel.id,
            trigger,
        )
        unexpected = None
        try:
            client = channel._get_client()
        except UserError as error:
            # Incomplete channel settings: every run would fail the same way
            # until someone completes them, so this is no server error.
            client = None
            run.error = error.args[0]
            _logger.warning(
                "Order sync of Tata CLiQ channel %s (id %s) not started: %s",
                channel.name,
                channel.id,
                run.error,
            )
        try:
            if client is not None:
                channel._import_active_orders(client, run, progress_done, channels_left)
        except TataCliqError as error:
            run.error = f"{error.message} {error.next_step}"
            _logger.warning(
                "Order sync of Tata CLiQ channel %s (id %s) stopped after %s "
                "page(s): %s",
                channel.name,
                channel.id,
                run.pages_read,
                error.message,
            )
        except Exception as error:
            unexpected = error
            run.error = _(
                "Unexpected error: %(error)s. The batches imported before it are "
                "kept; see the server log for details.",
                error=error,
            )
            channel._rollback_to_last_commit()
        channel._update_exception_activity()
        channel._write_sync_result(run)
        if unexpected is not None:
            raise unexpected
        return run

    def _import_active_orders(self, client, run, progress_done, channels_left):
        for page in client.iter_order_pages(page_size=self.page_size):
            run.pages_read += 1
            run.total_pages = page.total_pages
            items = [*page.orders, *page.failures]
            existing = None
            for position, batch in enumerate(split_every(self.batch_size, items)):
                with self._batch_transaction(run):
                    # One query per page finds the lines imported before.
                    if existing is None:
                        existing = self._get_imported_lines(page.orders)
                    self._import_items(batch, existing, run)
                if not self._keep_sync_lock():
                    run.error = _(
                        "Another server took over the sync of this channel after "
                        "a batch was committed; it imports the rest."
                    )
                    return
                read_in_page = min((position + 1) * self.batch_size, len(items))
                remaining = (len(items) - read_in_page) + (
                    page.total_pages - page.page
                ) * self.page_size
                self.env["ir.cron"]._notify_progress(
                    done=progress_done + run.orders_read,
                    remaining=remaining + channels_left,
                )

    def _acquire_sync_lock(self):
        """Lock the channel row for this transaction; return False if it is taken."""
        self.ensure_one()
        # NO KEY UPDATE, not UPDATE: API logs are inserted from another
        # connection during the sync, and their foreign key check takes a KEY
        # SHARE lock on this row, which FOR UPDATE would block.
        self.env.cr.execute(
            "SELECT id FROM tatacliq_channel WHERE id = %s "
            "FOR NO KEY UPDATE SKIP LOCKED",
            [self.id],
        )
        return bool(self.env.cr.fetchone())

    def _keep_sync_lock(self):
        # A commit releases the row lock. Taking it again right away leaves a
        # short window in which another server may take it, and then that
        # server continues the sync while this one stops. Lines cannot be
        # imported twice in that window because of the unique index on
        # sale.order.line.
        if _is_test_mode():
            return True
        return self._acquire_sync_lock()

    @contextmanager
    def _batch_transaction(self, run):
        """Run a batch in its own transaction: committed, or rolled back alone.

        Under tests the batch runs in a savepoint instead, because a test may
        not commit.
        """
        cr = self.env.cr
        if _is_test_mode():
            try:
                with cr.savepoint():
                    yield
            except Exception:
                run.clear_cache()
                raise
            return
        try:
            yield
            cr.commit()
        except Exception:
            cr.rollback()
            run.clear_cache()
            raise

    def _rollback_to_last_commit(self):
        if not _is_test_mode():
            self.env.cr.rollback()

    def _write_sync_result(self, run):
        """Store the result of a run on the channel and log it in one line."""
        message = self._format_run_message(run)
        self.sudo().write(
            {
                "last_sync_date": fields.Datetime.now(),
                "last_sync_imported": run.lines_imported,
                "last_sync_exceptions": run.problems_found,
                "last_sync_duration": round(run.duration, 3),
                "last_sync_message": message,
            }
        )
        log = _logger.warning if run.error else _logger.info
        log(
            "Order sync of Tata CLiQ channel %s (id %s, %s): %s page(s), %s "
            "order(s) read, %s line(s) imported into %s sale order(s), %s already "
            "imported, %s before the sync start date, %s status update(s), %s "
            "problem(s) (%s new exception(s)), %s order(s) failed, %.2f s%s",
            self.name,
            self.id,
            run.trigger,
            run.pages_read,
            run.orders_read,
            run.lines_imported,
            run.sale_orders_created,
            run.orders_skipped,
            run.orders_filtered,
            run.status_updates,
            run.problems_found,
            run.exceptions_created,
            run.orders_failed,
            run.duration,
            f"; stopped: {run.error}" if run.error else "",
        )
        if not _is_test_mode():
            self.env.cr.commit()

    def _format_run_message(self, run):
        message = _(
            "%(orders)s order(s) read, %(lines)s line(s) imported into "
            "%(sale_orders)s sale order(s), %(skipped)s already imported, "
            "%(updates)s status update(s), %(problems)s problem(s) "
            "(%(new)s new exception(s)). Took %(duration).1f s.",
            orders=run.orders_read,
            lines=run.lines_imported,
            sale_orders=run.sale_orders_created,
            skipped=run.orders_skipped,
            updates=run.status_updates,
            problems=run.problems_found,
            new=run.exceptions_created,
            duration=run.duration,
        )
        if run.orders_filtered:
            message += " " + _(
                "%(count)s order(s) placed before the sync start date were left out.",
                count=run.orders_filtered,
            )
        if run.problems_found:
            message += " " + _(
                "Open the exceptions of the channel, fix their cause and click "
                "Process again."
            )
        if run.error:
            message += " " + _("The sync stopped early: %(error)s", error=run.error)
        return message

    # Fetch one order

    def _fetch_order(self, order_no):
        """Import one order by its number; return the ``ImportRun``.

        Raises the client's ``TataCliqError`` when the marketplace cannot
        return the order, for example ``MarketplaceError`` when it is unknown.
        """
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        run = ImportRun(channel, "order fetch")
        page = channel._get_client().get_order(order_no)
        existing = channel._get_imported_lines(page.orders)
        channel._import_items(
            [*page.orders, *page.failures], existing, run, close_when_skipped=True
        )
        channel._update_exception_activity()
        _logger.info(
            "Fetched Tata CLiQ order %s on channel %s (id %s): %s line(s) imported "
            "into %s sale order(s), %s problem(s), %.2f s",
            order_no,
            channel.name,
            channel.id,
            run.lines_imported,
            run.sale_orders_created,
            run.problems_found,
            run.duration,
        )
        return run

    # Import of orders

    def _get_imported_lines(self, orders):
        """Return ``{(transaction id, slave id): (line id, status, order no,
        signature)}``.

        One query for all the orders.
        """
        transaction_ids = sorted(
            {line.transaction_id for order in orders for line in order.lines}
        )
        if not transaction_ids:
            return {}
        self.env["sale.order.line"].flush_model(
            [
                "tatacliq_channel_id",
                "tatacliq_transaction_id",
                "tatacliq_slave_id",
                "tatacliq_status_code",
                "tatacliq_line_signature",
                "order_id",
            ]
        )
        self.env["sale.order"].flush_model(["tatacliq_order_no"])
        self.env.cr.execute(
            """
            SELECT line.id, line.tatacliq_transaction_id,
                   COALESCE(line.tatacliq_slave_id, ''),
                   line.tatacliq_status_code, so.tatacliq_order_no,
                   line.tatacliq_line_signature
              FROM sale_order_line line
              JOIN sale_order so ON so.id = line.order_id
             WHERE line.tatacliq_channel_id = %s
               AND line.tatacliq_transaction_id = ANY(%s)
            """,
            [self.id, transaction_ids],
        )
        return {
            (transaction_id, slave_id): (line_id, status, order_no, signature)
            for line_id, transaction_id, slave_id, status, order_no, signature in (
                self.env.cr.fetchall()
            )
        }

    def _import_items(self, items, existing, run, close_when_skipped=False):
        for item in items:
            if isinstance(item, OrderDecodeFailure):
                run.orders_read += 1
                self._register_decode_failure(item, run)
            else:
                self._import_order_item(item, existing, run, close_when_skipped)

    def _import_order_item(self, order, existing, run, close_when_skipped=False):
        """Import the lines of ``order`` not imported yet, update the others.

        The order is created in a savepoint: when it fails, nothing of it stays
        and the failure is stored as an exception with the payload.
        """
        run.orders_read += 1
        if (
            self.order_sync_from
            and order.order_date
            and to_naive_utc(order.order_date) < self.order_sync_from
        ):
            run.orders_filtered += 1
            return

        new_lines = []
        status_changes = {}
        other_orders = {}
        changed_lines = []
        for line in order.lines:
            known = existing.get((line.transaction_id, line.slave_id or ""))
            if known is None:
                new_lines.append(line)
            elif known[2] and known[2] != order.order_no:
                other_orders[line.transaction_id] = _(
                    "imported with order %(other)s", other=known[2]
                )
            else:
                if known[3] and known[3] != line_signature(line):
                    changed_lines.append((known[0], line))
                if line.status and known[1] != line.status:
                    status_changes.setdefault(line.status, []).append(known[0])
        if new_lines:
            other_orders.update(self._find_other_orders(order, new_lines))
        if other_orders:
            # Importing a transaction twice duplicates its delivery, and this
            # order's status would overwrite the other order's line.
            self._register_shared_transactions(order, other_orders, run)
            return
        if changed_lines:
            self._report_changed_lines(order, changed_lines)
        if status_changes:
            self._update_line_statuses(status_changes, run)
        if not new_lines:
            run.orders_skipped += 1
            if close_when_skipped:
                self._close_resolved_exceptions(order, set(), run.trigger)
            return

        builder = self.env["tatacliq.order.builder"]
        try:
            with self.env.cr.savepoint():
                outcome = builder._import_order(run, order, new_lines)
        except psycopg2.errors.UniqueViolation as error:
            run.clear_cache()
            if error.diag.constraint_name != LINE_UNIQUE_INDEX:
                self._register_order_failure(order, error, run)
                return
            # Another transaction imported the same lines in the meantime.
            _logger.info(
                "Tata CLiQ order %s on channel %s (id %s) was imported by another "
                "transaction; skipped",
                order.order_no,
                self.name,
                self.id,
            )
            run.orders_skipped += 1
            return
        except Exception as error:
            run.clear_cache()
            self._register_order_failure(order, error, run)
            return

        for sale_order in outcome.sale_orders:
            for line in sale_order.order_line.filtered("tatacliq_transaction_id"):
                key = (line.tatacliq_transaction_id, line.tatacliq_slave_id or "")
                existing[key] = (
                    line.id,
                    line.tatacliq_status_code,
                    sale_order.tatacliq_order_no,
                    line.tatacliq_line_signature,
                )
        run.lines_imported += outcome.lines_imported
        run.sale_orders_created += len(outcome.sale_orders)
        for problem in outcome.problems:
            self._register_problem(problem, order.order_no, order.raw, run)
        self._close_resolved_exceptions(order, outcome.problem_keys, run.trigger)

    def _find_other_orders(self, order, lines):
        """Return ``{transaction id: where}`` of ``lines`` imported elsewhere.

        Elsewhere is another marketplace order of this channel (whatever the
        slave id), or another channel of the same seller at the same slave id,
        which happens when two channels share a seller login without
        separate locations. ``where`` names the order and the channel.
        """
        self.env["sale.order.line"].flush_model(
            [
                "tatacliq_channel_id",
                "tatacliq_transaction_id",
                "tatacliq_slave_id",
                "order_id",
            ]
        )
        self.env["sale.order"].flush_model(["tatacliq_order_no"])
        self.env.cr.execute(
            """
            SELECT line.tatacliq_transaction_id,
                   COALESCE(line.tatacliq_slave_id, ''),
                   so.tatacliq_order_no, channel.id, channel.name
              FROM sale_order_line line
              JOIN sale_order so ON so.id = line.order_id
              JOIN tatacliq_channel channel ON channel.id = line.tatacliq_channel_id
             WHERE line.tatacliq_transaction_id = ANY(%s)
               AND channel.seller_id = %s
               AND (channel.id != %s OR so.tatacliq_order_no != %s)
            """,
            [
                sorted({line.transaction_id for line in lines}),
                self.seller_id,
                self.id,
                order.order_no,
            ],
        )
        keys = {(line.transaction_id, line.slave_id or "") for line in lines}
        found = {}
        for (
            transaction_id,
            slave_id,
            order_no,
            channel_id,
            channel_name,
        ) in self.env.cr.fetchall():
            if channel_id == self.id:
                found[transaction_id] = _(
                    "imported with order %(other)s", other=order_no
                )
            elif (transaction_id, slave_id) in keys:
                found.setdefault(
                    transaction_id,
                    _(
                        "imported with order %(other)s by channel %(channel)s",
                        other=order_no,
                        channel=channel_name,
                    ),
                )
        return found

    def _register_shared_transactions(self, order, other_orders, run):
        run.orders_failed += 1
        parts = []
        for transaction_id, where in sorted(other_orders.items()):
            parts.append(f"{transaction_id} ({where})")
        shared = ", ".join(parts)
        _logger.warning(
            "Tata CLiQ order %s on channel %s (id %s) not imported: its "
            "transaction(s) %s are imported already",
            order.order_no,
            self.name,
            self.id,
            shared,
        )
        message = _(
            "Order %(order)s lists transaction(s) %(shared)s. A transaction is "
            "imported once, so nothing of order %(order)s was imported and the "
            "imported order is unchanged. For another order of this channel, "
            "check both orders in the Tata CLiQ seller portal and ask the account "
            "manager which one is right. For another channel of the same seller, "
            "give each channel its own locations (slave ids), or archive one of "
            "the channels. Then click Process again.",
            order=order.order_no,
            shared=shared,
        )
        self._register_problem(
            Problem("other", order.order_no, message), order.order_no, order.raw, run
        )

    def _report_changed_lines(self, order, changed_lines):
        """Post on the sale order each imported line the marketplace changed.

        The sale order keeps the contents it was imported with, because it may
        be packed or invoiced already. The new contents become the reference,
        so a change is reported once.
        """
        Line = self.env["sale.order.line"]
        for line_id, line in changed_lines:
            sale_line = Line.browse(line_id)
            before = sale_line.tatacliq_line_signature
            after = line_signature(line)
            _logger.warning(
                "Tata CLiQ order %s on channel %s (id %s): transaction %s came "
                "again as %s instead of %s (article|quantity|amount); sale order "
                "%s (id %s) left unchanged",
                order.order_no,
                self.name,
                self.id,
                line.transaction_id,
                after,
                before,
                sale_line.order_id.name,
                sale_line.order_id.id,
            )
            sale_line.order_id.message_post(
                body=_(
                    "Tata CLiQ sent transaction %(transaction)s of order %(order)s "
                    "again with other contents (article|quantity|amount): "
                    "%(after)s, imported as %(before)s. This sale order was not "
                    "changed. Check the order in the Tata CLiQ seller portal and "
                    "correct this sale order by hand if the marketplace is right.",
                    transaction=line.transaction_id,
                    order=order.order_no,
                    after=after,
                    before=before,
                )
            )
            sale_line.tatacliq_line_signature = after

    def _update_line_statuses(self, status_changes, run):
        Line = self.env["sale.order.line"]
        for status, line_ids in status_changes.items():
            label = STATUS_CODES.get(status, (None, status))[1]
            Line.browse(line_ids).write(
                {"tatacliq_status_code": status, "tatacliq_status_name": label}
            )
            run.status_updates += len(line_ids)

    # Exceptions

    def _register_order_failure(self, order, error, run):
        run.orders_failed += 1
        _logger.exception(
            "Import of Tata CLiQ order %s on channel %s (id %s) failed",
            order.order_no,
            self.name,
            self.id,
        )
        message = _(
            "Import of order %(order)s failed: %(error)s Nothing of this order "
            "was imported. Fix the cause named in the message (for example the "
            "product, warehouse or tax setup), then click Process again.",
            order=order.order_no,
            error=str(error).strip() or error.__class__.__name__,
        )
        self._register_problem(
            Problem("other", order.order_no, message), order.order_no, order.raw, run
        )

    def _register_decode_failure(self, failure, run):
        payload = _dump_payload(failure.raw)
        reference = failure.order_no or (
            "payload-" + hashlib.sha1(payload.encode()).hexdigest()[:12]
        )
        error = failure.error
        next_step = getattr(error, "next_step", "")
        message = _(
            "Order %(order)s could not be read: %(error)s %(next_step)s Process "
            "again fetches the order from the marketplace again.",
            order=failure.order_no or _("without an order number"),
            error=getattr(error, "message", str(error)),
            next_step=next_step,
        )
        _logger.warning(
            "Tata CLiQ order %s on channel %s (id %s) could not be decoded: %s",
            failure.order_no,
            self.name,
            self.id,
            getattr(error, "message", error),
        )
        self._register_problem(
            Problem("decode_error", reference, message),
            failure.order_no,
            failure.raw,
            run,
        )

    def _register_problem(self, problem, order_no, raw, run, source="order"):
        """Store a problem as an open exception, unless one is open already.

        ``source`` is the feed of ``raw``: order, cancellation or return. A
        problem that someone ignored stays ignored: it is not recorded again
        until that exception is reopened.
        """
        run.problems_found += 1
        Exception_ = self.env["tatacliq.exception"]
        payload = _dump_payload(raw)
        domain = [
            ("channel_id", "=", self.id),
            ("source", "=", source),
            ("reference", "=", problem.reference),
            ("kind", "=", problem.kind),
            ("state", "in", ("open", "ignored")),
        ]
        record = Exception_.search(domain, order="state desc, id desc", limit=1)
        if record.state == "ignored":
            return record
        if record:
            changes = {}
            if record.message != problem.message:
                changes["message"] = problem.message
            if record.payload != payload:
                changes["payload"] = payload
            if changes:
                record.write(changes)
            return record
        try:
            with self.env.cr.savepoint():
                record = Exception_.create(
                    {
                        "channel_id": self.id,
                        "source": source,
                        "kind": problem.kind,
                        "reference": problem.reference,
                        "order_no": order_no or False,
                        "message": problem.message,
                        "payload": payload,
                    }
                )
        except psycopg2.errors.UniqueViolation:
            # Another transaction recorded the same problem in the meantime.
            _logger.info(
                "Tata CLiQ exception %s %s on channel %s (id %s) was recorded by "
                "another transaction",
                problem.kind,
                problem.reference,
                self.name,
                self.id,
            )
            return Exception_.search(domain, limit=1)
        run.exceptions_created += 1
        _logger.info(
            "Tata CLiQ exception %s (id %s) on channel %s (id %s): %s",
            record.name,
            record.id,
            self.name,
            self.id,
            problem.message,
        )
        return record

    def _close_resolved_exceptions(self, order, problem_keys, trigger):
        """Mark done the open exceptions of ``order`` whose problem is gone."""
        references = {order.order_no} | {line.transaction_id for line in order.lines}
        open_exceptions = self.env["tatacliq.exception"].search(
            [
                ("channel_id", "=", self.id),
                ("source", "=", "order"),
                ("state", "=", "open"),
                ("reference", "in", sorted(references)),
            ]
        )
        resolved = open_exceptions.filtered(
            lambda record: (record.reference, record.kind) not in problem_keys
        )
        if not resolved:
            return
        resolved.write({"state": "done"})
        for record in resolved:
            record.message_post(
                body=_(
                    "Resolved during %(trigger)s: the problem no longer occurs "
                    "for order %(order)s.",
                    trigger=trigger,
                    order=order.order_no,
                )
            )

    def _process_exceptions_again(self, exceptions):
        """Import the stored payload of each exception again.

        Undecodable orders and orders without an address are fetched from the
        marketplace again when possible, because their stored payload cannot
        have improved. An exception whose order now imports is marked done by
        the import itself; the others count one more attempt.
        """
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        exceptions = exceptions.sudo()
        run = ImportRun(channel, "process again")
        client = None
        for record in exceptions:
            item, fetch_error = None, None
            if record.kind in ("decode_error", "missing_address") and record.order_no:
                try:
                    client = client or channel._get_client()
                    page = client.get_order(record.order_no)
                    item = next(iter([*page.orders, *page.failures]), None)
                except TataCliqError as error:
                    fetch_error = error
                    _logger.warning(
                        "Fetching Tata CLiQ order %s again for exception %s (id %s) "
                        "failed: %s",
                        record.order_no,
                        record.name,
                        record.id,
                        error.message,
                    )
            if item is None:
                item = channel._decode_stored_payload(record)
            if item is not None:
                orders = [] if isinstance(item, OrderDecodeFailure) else [item]
                existing = channel._get_imported_lines(orders)
                channel._import_items([item], existing, run, close_when_skipped=True)
            record.invalidate_recordset(["state", "message"])
            if record.state != "open":
                continue
            note = record.message
            if fetch_error is not None:
                note = _(
                    "%(message)s\nFetching the order again failed: %(error)s",
                    message=record.message,
                    error=fetch_error.message,
                )
            record.write(
                {
                    "attempt_count": record.attempt_count + 1,
                    "last_attempt_date": fields.Datetime.now(),
                }
            )
            record.message_post(
                body=_("Processed again, still not imported: %(note)s", note=note)
            )
        channel._update_exception_activity()
        return run

    def _decode_stored_payload(self, record):
        try:
            raw = json.loads(record.payload or "null")
        except ValueError:
            _logger.warning(
                "Payload of Tata CLiQ exception %s (id %s) is not valid JSON",
                record.name,
                record.id,
            )
            return None
        if not isinstance(raw, dict):
            return None
        results = decode_orders({"order": [raw]})
        return results[0] if results else None

    def _update_exception_activity(self):
        """Keep one to-do activity per channel while it has open exceptions."""
        activity_type = self.env.ref(EXCEPTION_ACTIVITY_TYPE, raise_if_not_found=False)
        if activity_type is None:
            return
        counts = {
            channel.id: count
            for channel, count in self.env["tatacliq.exception"]
            .sudo()
            ._read_group(
                [("channel_id", "in", self.ids), ("state", "=", "open")],
                groupby=["channel_id"],
                aggregates=["__count"],
            )
        }
        for channel in self.sudo():
            activities = (
                self.env["mail.activity"]
                .sudo()
                .search(
                    [
                        ("res_model", "=", channel._name),
                        ("res_id", "=", channel.id),
                        ("activity_type_id", "=", activity_type.id),
                    ]
                )
            )
            count = counts.get(channel.id, 0)
            if not count:
                if activities:
                    activities.action_feedback(
                        feedback=_("Every import exception is resolved.")
                    )
                continue
            summary = _(
                "%(count)s Tata CLiQ import exception(s) to review", count=count
            )
            if activities:
                activities.filtered(lambda act, s=summary: act.summary != s).write(
                    {"summary": summary}
                )
                continue
            channel.activity_schedule(
                act_type_xmlid=EXCEPTION_ACTIVITY_TYPE,
                summary=summary,
                note=_(
                    "Orders of this channel could not be imported. Open the "
                    "channel's exceptions, fix each cause (for example add a "
                    "product mapping or a location), then click Process again."
                ),
                user_id=channel._get_exception_user().id,
            )

    def _get_exception_user(self):
        self.ensure_one()
        user = self.exception_user_id or self.create_uid
        if not user or user._is_superuser() or not user.active:
            user = self.env.ref("base.user_admin", raise_if_not_found=False) or user
        return user


def _is_test_mode():
    """Return whether Odoo is running tests, where commits are not allowed."""
    return bool(odoo_module.current_test)


def _dump_payload(raw):
    return json.dumps(raw, indent=2, ensure_ascii=False, sort_keys=False, default=str)
