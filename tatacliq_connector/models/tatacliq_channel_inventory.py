"""Inventory push of a channel: sellable quantities to Tata CLiQ by API or SFTP.

One item is sent per mapped SKU and slave id. ``Inventory`` is the free
quantity of the warehouse behind the slave id: on hand minus reserved, over
its internal locations, in whole units, never below zero. ``SafetyStock`` is
the mapping's safety stock when above zero, else the channel's default. The
marketplace sells ``Inventory - SafetyStock`` (never below zero), so the
safety stock is sent on its own and not subtracted from ``Inventory`` too.

A delta push sends the rows flagged as changed; a full push sends every row.
Each batch is committed on its own, so a batch that fails keeps its rows
flagged for the next run and the other batches keep their results. Under
tests the commits are left out, because a test may not commit.
"""

import itertools
import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.tools import SQL, split_every

from tatacliq.errors import AuthenticationError, TataCliqError

_logger = logging.getLogger(__name__)

# Advisory lock class of inventory runs; the object id is the channel id.
PUSH_LOCK_CLASS = 7302551
# Lines per SFTP upload file. The protocol allows 100,000 lines per file;
# smaller files give results back sooner.
SFTP_FILE_ROWS = 50_000
# API batches whose rows are read from the database in one go.
BATCHES_PER_CHUNK = 20
# An SFTP upload whose result file has not come after this long is sent again.
SFTP_RESULT_EXPIRY = timedelta(hours=24)
# Channel fields that change which state rows exist or what they point at.
STATE_FIELDS = frozenset({"default_slave_id", "warehouse_id"})
PUSH_MODES = [
    ("delta", "Changes"),
    ("full", "Full"),
    ("corrections", "Reconciliation corrections"),
]


@dataclass
class InventoryRun:
    """Counts of one inventory push, for the channel's last push fields and log."""

    mode: str
    trigger: str
    started: float = field(default_factory=time.monotonic)
    selected: int = 0
    unchanged: int = 0
    sent: int = 0
    accepted: int = 0
    failed: int = 0
    delisted: int = 0
    pending: int = 0
    batches: int = 0
    failed_batches: int = 0
    results_read: int = 0
    error: str | None = None
    # Per (SKU, slave id) item of a corrections push: the sellable quantity
    # sent, and the outcome (None when accepted, else the message).
    sent_quantities: dict = field(default_factory=dict)
    outcomes: dict = field(default_factory=dict)

    @property
    def track_items(self):
        # A full push of a large catalogue would keep one entry per item.
        return self.mode == "corrections"

    @property
    def duration(self):
        return time.monotonic() - self.started


def describe_error(error):
    """Return the message of a marketplace, SFTP or user error with its next step."""
    if isinstance(error, TataCliqError):
        return f"{error.message} {error.next_step}"
    return str(error.args[0]) if error.args else str(error)


def is_test_mode():
    """Return whether Odoo is running tests, where commits are not allowed."""
    return bool(odoo_module.current_test)


class TataCliqChannel(models.Model):
    _inherit = "tatacliq.channel"

    default_slave_id = fields.Char(
        string="Default slave ID",
        help="Slave id the inventory of a channel without locations is pushed "
        "for, from the order source warehouse, e.g. 273570-WH01. Ignored when "
        "the channel has locations.",
    )
    inventory_safety_stock = fields.Integer(
        string="Default safety stock",
        default=0,
        help="Units per SKU and location the marketplace must not sell, sent as "
        "SafetyStock. A product mapping's safety stock above zero replaces it.",
    )
    inventory_batch_size = fields.Integer(
        string="Inventory batch size",
        default=500,
        help="Items (one SKU at one slave id) per inventory push request. The "
        "marketplace accepts at most 500.",
    )
    sftp_report_dir = fields.Char(
        string="SFTP report folder",
        default="/inventory/report/",
        help="Folder of the marketplace's inventory report files, one per slave id.",
    )
    sftp_result_wait = fields.Integer(
        string="SFTP result wait (s)",
        default=60,
        help="Seconds a push waits for the result file of its upload. A result "
        "that comes later is read by the next push.",
    )
    inventory_last_push_date = fields.Datetime(
        string="Last inventory push", readonly=True, copy=False
    )
    inventory_last_push_mode = fields.Selection(
        PUSH_MODES, string="Last push kind", readonly=True, copy=False
    )
    inventory_last_push_sent = fields.Integer(
        string="Items sent", readonly=True, copy=False
    )
    inventory_last_push_accepted = fields.Integer(
        string="Items accepted", readonly=True, copy=False
    )
    inventory_last_push_failed = fields.Integer(
        string="Items failed", readonly=True, copy=False
    )
    inventory_last_push_delisted = fields.Integer(
        string="Items delisted", readonly=True, copy=False
    )
    inventory_last_push_duration = fields.Float(
        string="Push duration (s)", readonly=True, copy=False
    )
    inventory_last_push_message = fields.Text(
        string="Last push result", readonly=True, copy=False
    )
    inventory_state_ids = fields.One2many("tatacliq.inventory.state", "channel_id")
    inventory_states_outdated = fields.Boolean(
        default=True,
        copy=False,
        readonly=True,
        help="Set when mappings, locations or the default slave id changed, so "
        "the next push creates and removes inventory state rows first.",
    )
    inventory_changed_count = fields.Integer(
        string="Changed SKUs", compute="_compute_inventory_counts"
    )
    inventory_failed_count = fields.Integer(
        string="Failed SKUs", compute="_compute_inventory_counts"
    )

    _sql_constraints = [
        (
            "inventory_batch_size_positive",
            "CHECK(inventory_batch_size > 0)",
            "The inventory batch size must be greater than zero.",
        ),
        (
            "inventory_safety_stock_positive",
            "CHECK(inventory_safety_stock >= 0)",
            "The default safety stock cannot be negative.",
        ),
        (
            "sftp_result_wait_positive",
            "CHECK(sftp_result_wait >= 0)",
            "The SFTP result wait cannot be negative.",
        ),
    ]

    # Computes

    def _compute_inventory_counts(self):
        changed = {}
        failed = {}
        channels = self.filtered("id")
        if channels:
            State = self.env["tatacliq.inventory.state"]
            changed = State._count_waiting(channels.ids)
            for channel, count in State._read_group(
                [
                    ("channel_id", "in", channels.ids),
                    ("last_result", "in", ("failed", "delisted")),
                ],
                groupby=["channel_id"],
                aggregates=["__count"],
            ):
                failed[channel.id] = count
        for channel in self:
            channel.inventory_changed_count = changed.get(channel.id, 0)
            channel.inventory_failed_count = failed.get(channel.id, 0)

    # CRUD

    def write(self, vals):
        if vals.get("default_slave_id"):
            vals = dict(vals, default_slave_id=vals["default_slave_id"].strip())
        if not STATE_FIELDS.isdisjoint(vals):
            vals = dict(vals, inventory_states_outdated=True)
        result = super().write(vals)
        if "inventory_safety_stock" in vals:
            self.inventory_state_ids._mark_dirty()
        return result

    # Actions

    def action_push_inventory(self):
        """Push the changed SKUs now and show the outcome."""
        return self._action_push(mode="delta")

    def action_push_inventory_full(self):
        """Push every mapped SKU at every location now and show the outcome."""
        return self._action_push(mode="full")

    def _action_push(self, mode):
        self.ensure_one()
        self._check_inventory_method()
        run = self._push_inventory(mode=mode, trigger="manual push")
        if run is None:
            return self._notification(
                _("Inventory push skipped"),
                _(
                    "Another inventory push or reconciliation of channel "
                    "%(channel)s is running. Wait until it ends, then look at the "
                    "last push result on the channel.",
                    channel=self.name,
                ),
                "warning",
            )
        if run.error:
            kind = "danger"
        elif run.failed or run.pending:
            kind = "warning"
        else:
            kind = "success"
        return self._notification(
            _("Inventory push"), self.inventory_last_push_message, kind
        )

    def action_view_inventory_states(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_inventory_state"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    def _check_inventory_method(self):
        self.ensure_one()
        if self.inventory_method not in ("api", "sftp"):
            raise UserError(
                _(
                    "Inventory push is off on channel %(channel)s. Choose API "
                    "(INVV1) or SFTP file as inventory method on its Inventory "
                    "tab, then push again.",
                    channel=self.name,
                )
            )

    @api.model
    def _cron_push_inventory(self, full=False):
        """Push the inventory of every channel that has a push method.

        ``full`` pushes every SKU (the nightly run that corrects any drift);
        otherwise only the changed SKUs. A failed channel does not stop the
        others; it is tried again at the next run.
        """
        mode = "full" if full else "delta"
        channels = self.search([("inventory_method", "in", ("api", "sftp"))])
        self.env["tatacliq.inventory.change"]._apply_pending()
        self._commit_inventory()
        for index, channel in enumerate(channels):
            try:
                channel._push_inventory(mode=mode, trigger="scheduled push")
            except Exception:
                _logger.exception(
                    "Inventory push of Tata CLiQ channel %s (id %s) failed",
                    channel.name,
                    channel.id,
                )
                self._rollback_inventory()
            self.env["ir.cron"]._notify_progress(
                done=index + 1, remaining=len(channels) - index - 1
            )

    # Push

    def _push_inventory(
        self, mode="delta", trigger="manual push", state_ids=None, extra_rows=None
    ):
        """Push the channel's inventory; return the ``InventoryRun``.

        ``mode`` is ``delta`` (changed rows), ``full`` (every row) or
        ``corrections`` (the rows ``state_ids``, whatever their flag, and
        ``extra_rows``: push rows without a state, ``id`` None).
        Returns None without doing anything when another transaction pushes
        or reconciles this channel. Marketplace and SFTP errors end the run
        and are stored in its result; other errors are re-raised after the
        result is stored.
        """
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        if not channel._acquire_inventory_lock():
            _logger.info(
                "Inventory push of Tata CLiQ channel %s (id %s) skipped: another "
                "transaction holds its lock",
                channel.name,
                channel.id,
            )
            return None
        run = InventoryRun(mode, trigger)
        unexpected = None
        try:
            channel._run_push(run, state_ids, extra_rows)
        except (TataCliqError, UserError) as error:
            run.error = describe_error(error)
            _logger.warning(
                "Inventory push of Tata CLiQ channel %s (id %s) stopped: %s",
                channel.name,
                channel.id,
                run.error,
            )
        except Exception as error:
            unexpected = error
            run.error = _(
                "Unexpected error: %(error)s. The batches pushed before it are "
                "kept; see the server log for details.",
                error=error,
            )
            channel._rollback_inventory()
        finally:
            channel._release_inventory_lock()
        channel._write_push_result(run)
        if unexpected is not None:
            raise unexpected
        return run

    def _run_push(self, run, state_ids=None, extra_rows=None):
        State = self.env["tatacliq.inventory.state"]
        self.env["tatacliq.inventory.change"]._apply_pending()
        # Matching rows to 50,000 mappings at 5 locations takes about a second,
        # so a delta push does it only when the configuration changed.
        if run.mode != "delta" or self.inventory_states_outdated:
            self._sync_inventory_states()
        self._commit_inventory()

        exchange = client = None
        if self.inventory_method == "sftp":
            exchange = self._get_sftp_exchange()
            chunk_size = SFTP_FILE_ROWS
        else:
            client = self._get_client()
            chunk_size = self.inventory_batch_size * BATCHES_PER_CHUNK
        try:
            if exchange is not None:
                self._read_sftp_results(exchange, run)

            selected = self._select_push_states(run.mode, state_ids)
            run.selected = len(selected) + len(extra_rows or [])
            chunks = State._iter_push_rows(selected, chunk_size)
            if extra_rows:
                chunks = itertools.chain(chunks, [list(extra_rows)])
            for rows in chunks:
                if run.mode == "delta":
                    rows = self._skip_unchanged(rows, run)
                if not rows:
                    continue
                if exchange is not None:
                    self._push_rows_sftp(exchange, rows, run)
                else:
                    self._push_rows_api(client, rows, run)
        finally:
            (exchange or client).close()

    def _select_push_states(self, mode, state_ids=None):
        """Return the ids of the state rows a push of ``mode`` sends.

        Rows of delisted mappings are never sent, because the marketplace
        rejects them until the mapping is enabled again.
        """
        domain = [("channel_id", "=", self.id), ("mapping_id.delisted", "=", False)]
        if mode == "delta":
            domain.append(("dirty", "=", True))
        elif mode == "corrections":
            domain.append(("id", "in", list(state_ids or [])))
        return self.env["tatacliq.inventory.state"].search(domain, order="id").ids

    def _skip_unchanged(self, rows, run):
        """Drop rows whose quantities equal their last accepted push.

        A reservation released again, or a move in and out of the same
        warehouse, flags a row without changing what the marketplace shows.
        """
        changed = []
        unchanged_ids = []
        for row in rows:
            if (
                row["last_result"] == "success"
                and row["inventory"] == row["last_inventory"]
                and row["safety_stock"] == row["last_safety_stock"]
            ):
                unchanged_ids.append(row["id"])
            else:
                changed.append(row)
        self.env["tatacliq.inventory.state"]._set_unchanged(unchanged_ids)
        run.unchanged += len(unchanged_ids)
        return changed

    # Push by API

    def _push_rows_api(self, client, rows, run):
        for batch in split_every(self.inventory_batch_size, rows):
            run.batches += 1
            items, invalid = self._build_items(batch)
            self._apply_invalid(invalid, run)
            if not items:
                continue
            rows_by_key = {item.key: row for row, item in items}
            self._track_sent(items, run)
            push = client.push_inventory(
                [item for _row, item in items], batch_size=len(items)
            )
            auth_error = None
            if push.failed_batches:
                run.failed_batches += 1
                error = push.failed_batches[0].error
                if isinstance(error, AuthenticationError):
                    auth_error = error
            if auth_error is None:
                run.sent += len(items)
            self._apply_push_results(
                push.results, rows_by_key, run, batch_failed=bool(push.failed_batches)
            )
            self._commit_inventory()
            if auth_error is not None:
                # Every later batch would be rejected the same way.
                raise auth_error

    def _build_items(self, rows):
        """Return ``(row, InventoryItem)`` pairs and ``{state id: message}`` of
        rows that cannot be sent (for example a blank article number)."""
        from tatacliq.inventory import InventoryItem

        items = []
        invalid = {}
        for row in rows:
            try:
                item = InventoryItem(
                    sku=row["sku"],
                    slave_id=row["slave_id"],
                    inventory=row["inventory"],
                    safety_stock=row["safety_stock"],
                )
            except ValueError as error:
                invalid[row["id"]] = str(error)
                continue
            items.append((row, item))
        return items, invalid

    def _track_sent(self, items, run):
        if run.track_items:
            for row, item in items:
                run.sent_quantities[item.key] = row["sellable"]

    def _apply_invalid(self, invalid, run):
        run.failed += len(invalid)
        invalid.pop(None, None)
        self.env["tatacliq.inventory.state"]._set_failed(invalid)

    def _apply_push_results(self, results, rows_by_key, run, batch_failed=False):
        """Store per-item results of one batch on the state rows and mappings.

        A delisted SKU marks its mapping delisted; the rest of the batch is
        applied. Rows of a batch the marketplace did not take as a whole stay
        flagged for the next delta push.
        """
        State = self.env["tatacliq.inventory.state"]
        accepted = []
        delisted = {}
        failed = {}
        retry = {}
        for result in results:
            row = rows_by_key.get(result.key)
            if row is None:
                continue
            if run.track_items:
                run.outcomes[result.key] = None if result.ok else result.error_message
            if result.ok:
                run.accepted += 1
            else:
                run.failed += 1
                run.delisted += int(result.delisted)
            if result.ok:
                accepted.append(row)
            elif result.delisted:
                delisted[row["id"]] = result.error_message
            elif batch_failed or result.retryable:
                retry[row["id"]] = result.error_message
            else:
                failed[row["id"]] = result.error_message
        # Rows without a state (a correction of an unmapped SKU) only count.
        accepted = [row for row in accepted if row["id"]]
        for errors in (delisted, retry, failed):
            errors.pop(None, None)
        State._set_accepted(accepted)
        State._set_failed(delisted, result="delisted")
        State._set_failed(retry, keep_dirty=True)
        State._set_failed(failed)
        self._mark_mappings_delisted(delisted)
        if failed or retry:
            _logger.warning(
                "Inventory push of Tata CLiQ channel %s (id %s): %s item(s) "
                "failed, state ids %s; first error: %s",
                self.name,
                self.id,
                len(failed) + len(retry),
                sorted([*failed, *retry])[:20],
                next(iter({**failed, **retry}.values())),
            )

    def _mark_mappings_delisted(self, delisted_state_ids):
        if not delisted_state_ids:
            return
        states = self.env["tatacliq.inventory.state"].browse(list(delisted_state_ids))
        mappings = states.mapping_id.filtered(lambda mapping: not mapping.delisted)
        if mappings:
            mappings.write({"delisted": True})
            _logger.info(
                "Tata CLiQ channel %s (id %s): mappings %s marked delisted by "
                "the marketplace",
                self.name,
                self.id,
                mappings.mapped("article_number"),
            )

    # Push by SFTP

    def _get_sftp_exchange(self):
        """Return a ``tatacliq.sftp.SftpExchange`` for this channel (not connected).

        Raises ``SftpError`` (a ``TataCliqError``) for an invalid pinned host
        key or missing credentials.
        """
        self.ensure_one()
        from tatacliq.sftp import SftpExchange

        channel = self.sudo()
        if not channel.sftp_host or not channel.sftp_username:
            raise UserError(
                _(
                    "SFTP host or user is missing on channel %(channel)s. Enter "
                    "the SFTP details from the Tata CLiQ account manager on its "
                    "Inventory tab.",
                    channel=channel.name,
                )
            )
        return SftpExchange(
            host=channel.sftp_host.strip(),
            port=channel.sftp_port or 22,
            username=channel.sftp_username.strip(),
            password=channel.sftp_password or None,
            private_key=channel.sftp_private_key or None,
            host_key=(channel.sftp_host_key or "").strip() or None,
            upload_dir=channel.sftp_upload_dir or None,
            result_dir=channel.sftp_result_dir or None,
            report_dir=channel.sftp_report_dir or None,
            seller_id=channel.seller_id,
        )

    def _push_rows_sftp(self, exchange, rows, run):
        from tatacliq.sftp import SftpFileRejectedError, SftpResultPendingError

        State = self.env["tatacliq.inventory.state"]
        for chunk in split_every(SFTP_FILE_ROWS, rows):
            items, invalid = self._build_items(chunk)
            self._apply_invalid(invalid, run)
            if not items:
                continue
            self._track_sent(items, run)
            name = exchange.upload_inventory([item for _row, item in items])
            run.batches += 1
            run.sent += len(items)
            sent_rows = [dict(row, sftp_file=name) for row, _item in items]
            State._set_accepted([row for row in sent_rows if row["id"]], sent_only=True)
            self._commit_inventory()
            try:
                result = exchange.read_result(name, wait_seconds=self.sftp_result_wait)
            except SftpResultPendingError:
                run.pending += len(items)
                continue
            except SftpFileRejectedError as error:
                run.failed_batches += 1
                run.failed += len(items)
                if run.track_items:
                    for _row, item in items:
                        run.outcomes[item.key] = error.message
                State._set_failed(
                    {row["id"]: error.message for row in sent_rows if row["id"]},
                    keep_dirty=True,
                    file_name=name,
                )
                self._commit_inventory()
                continue
            self._apply_sftp_result(name, result, run)
            self._commit_inventory()

    def _read_sftp_results(self, exchange, run):
        """Read the result files of earlier uploads that had none yet."""
        from tatacliq.sftp import SftpFileRejectedError, SftpResultPendingError

        State = self.env["tatacliq.inventory.state"]
        waiting = State._read_group(
            [("channel_id", "=", self.id), ("last_result", "=", "sent")],
            groupby=["sftp_file"],
            aggregates=["last_attempt_date:min", "id:array_agg"],
        )
        expiry = fields.Datetime.now() - SFTP_RESULT_EXPIRY
        for name, sent_date, state_ids in waiting:
            if not name:
                continue
            try:
                result = exchange.read_result(name, wait_seconds=0)
            except SftpResultPendingError:
                if sent_date and sent_date < expiry:
                    message = _(
                        "No SFTP result file for upload %(file)s after %(hours)s "
                        "hours; the SKU is sent again.",
                        file=name,
                        hours=int(SFTP_RESULT_EXPIRY.total_seconds() // 3600),
                    )
                    State._set_failed(
                        dict.fromkeys(state_ids, message),
                        keep_dirty=True,
                        file_name=name,
                    )
                continue
            except SftpFileRejectedError as error:
                State._set_failed(
                    dict.fromkeys(state_ids, error.message),
                    keep_dirty=True,
                    file_name=name,
                )
                continue
            self._apply_sftp_result(name, result, run)
            run.results_read += 1
            self._commit_inventory()

    def _apply_sftp_result(self, name, result, run):
        """Store the lines of the result file of upload ``name``."""
        State = self.env["tatacliq.inventory.state"]
        states = State.search([("channel_id", "=", self.id), ("sftp_file", "=", name)])
        ids_by_key = {
            (state.article_number, state.slave_id): state.id for state in states
        }

        accepted = []
        delisted = {}
        failed = {}
        for line in result.results:
            if run.track_items:
                run.outcomes[line.key] = None if line.ok else line.error_message
            if line.ok:
                run.accepted += 1
            else:
                run.failed += 1
                run.delisted += int(line.delisted)
            state_id = ids_by_key.pop(line.key, None)
            if state_id is None:
                continue
            if line.ok:
                accepted.append(state_id)
            elif line.delisted:
                delisted[state_id] = line.error_message
            else:
                failed[state_id] = line.error_message

        # A line the result file leaves out is sent again.
        missing = dict.fromkeys(
            ids_by_key.values(),
            _("The SFTP result file of upload %(file)s has no line for it.", file=name),
        )
        State._set_sftp_accepted(accepted, name)
        State._set_failed(
            delisted, result="delisted", clear_dirty=False, file_name=name
        )
        State._set_failed(failed, clear_dirty=False, file_name=name)
        State._set_failed(missing, keep_dirty=True, file_name=name)
        self._mark_mappings_delisted(delisted)
        run.failed += len(missing)

    # State rows

    def _sync_inventory_states(self):
        """Create, update and delete state rows to match mappings and locations.

        There is one row per active mapping of a storable product and per
        active location. A channel without locations has one row per mapping
        for its default slave id. New rows and rows whose product or warehouse
        changed are flagged for the next push. Returns the number of rows
        created or updated.
        """
        self.ensure_one()
        for model in ("tatacliq.location", "tatacliq.product.mapping"):
            self.env[model].flush_model()
        self.env["product.template"].flush_model(["is_storable"])
        self.flush_recordset(["warehouse_id", "default_slave_id"])
        State = self.env["tatacliq.inventory.state"]
        State.flush_model()
        targets = SQL(
            """
            WITH slaves AS (
                SELECT loc.id AS location_id, loc.slave_id, loc.warehouse_id
                  FROM tatacliq_location loc
                 WHERE loc.channel_id = %(channel)s AND loc.active
                UNION ALL
                SELECT NULL, %(default_slave)s, %(warehouse)s
                 WHERE %(default_slave)s::varchar IS NOT NULL
                   AND NOT EXISTS (
                           SELECT 1 FROM tatacliq_location
                            WHERE channel_id = %(channel)s AND active
                       )
            )
            SELECT mapping.id AS mapping_id,
                   mapping.product_id,
                   slaves.location_id,
                   slaves.slave_id,
                   slaves.warehouse_id
              FROM tatacliq_product_mapping mapping
              JOIN product_product product ON product.id = mapping.product_id
              JOIN product_template template ON template.id = product.product_tmpl_id
             CROSS JOIN slaves
             WHERE mapping.channel_id = %(channel)s
               AND mapping.active
               AND template.is_storable
            """,
            channel=self.id,
            default_slave=(self.default_slave_id or "").strip() or None,
            warehouse=self.warehouse_id.id,
        )
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM tatacliq_inventory_state state
                 WHERE state.channel_id = %(channel)s
                   AND NOT EXISTS (
                           SELECT 1 FROM (%(targets)s) target
                            WHERE target.mapping_id = state.mapping_id
                              AND target.slave_id = state.slave_id
                       )
                """,
                channel=self.id,
                targets=targets,
            )
        )
        removed = self.env.cr.rowcount
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO tatacliq_inventory_state AS state (
                    channel_id, mapping_id, location_id, slave_id, product_id,
                    warehouse_id, dirty, last_result, last_inventory,
                    last_safety_stock, last_pushed_qty, sent_inventory,
                    sent_safety_stock, create_uid, create_date, write_uid, write_date
                )
                SELECT %(channel)s, target.mapping_id, target.location_id,
                       target.slave_id, target.product_id, target.warehouse_id,
                       true, 'new', 0, 0, 0, 0, 0,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM (%(targets)s) target
                ON CONFLICT (mapping_id, slave_id) DO UPDATE
                   SET product_id = EXCLUDED.product_id,
                       warehouse_id = EXCLUDED.warehouse_id,
                       location_id = EXCLUDED.location_id,
                       dirty = true,
                       write_uid = EXCLUDED.write_uid,
                       write_date = EXCLUDED.write_date
                 WHERE (state.product_id, state.warehouse_id, state.location_id)
                       IS DISTINCT FROM
                       (EXCLUDED.product_id, EXCLUDED.warehouse_id,
                        EXCLUDED.location_id)
                """,
                channel=self.id,
                targets=targets,
                uid=self.env.uid,
                now=now,
            )
        )
        changed = self.env.cr.rowcount
        State.invalidate_model()
        self.inventory_states_outdated = False
        if removed or changed:
            _logger.info(
                "Inventory states of Tata CLiQ channel %s (id %s): %s created or "
                "changed, %s removed",
                self.name,
                self.id,
                changed,
                removed,
            )
        return changed

    # Locking, commits, results

    def _acquire_inventory_lock(self):
        """Take the channel's inventory lock for this database session.

        A session lock, unlike a row lock, survives the commits between
        batches. Returns False when another session has it.
        """
        self.env.cr.execute(
            SQL("SELECT pg_try_advisory_lock(%s, %s)", PUSH_LOCK_CLASS, self.id)
        )
        return self.env.cr.fetchone()[0]

    def _release_inventory_lock(self):
        self.env.cr.execute(
            SQL("SELECT pg_advisory_unlock(%s, %s)", PUSH_LOCK_CLASS, self.id)
        )

    def _commit_inventory(self):
        if not is_test_mode():
            self.env.cr.commit()

    def _rollback_inventory(self):
        if not is_test_mode():
            self.env.cr.rollback()

    def _write_push_result(self, run):
        """Store the outcome of a push on the channel and log it in one line."""
        message = self._format_push_message(run)
        self.sudo().write(
            {
                "inventory_last_push_date": fields.Datetime.now(),
                "inventory_last_push_mode": run.mode,
                "inventory_last_push_sent": run.sent,
                "inventory_last_push_accepted": run.accepted,
                "inventory_last_push_failed": run.failed,
                "inventory_last_push_delisted": run.delisted,
                "inventory_last_push_duration": round(run.duration, 3),
                "inventory_last_push_message": message,
            }
        )
        log = _logger.warning if run.error else _logger.info
        log(
            "Inventory push of Tata CLiQ channel %s (id %s, %s, %s): %s row(s) "
            "selected, %s unchanged, %s item(s) sent in %s batch(es), %s "
            "accepted, %s failed (%s delisted), %s waiting for an SFTP result, "
            "%s batch(es) failed, %.2f s%s",
            self.name,
            self.id,
            run.mode,
            run.trigger,
            run.selected,
            run.unchanged,
            run.sent,
            run.batches,
            run.accepted,
            run.failed,
            run.delisted,
            run.pending,
            run.failed_batches,
            run.duration,
            f"; stopped: {run.error}" if run.error else "",
        )
        self._commit_inventory()

    def _format_push_message(self, run):
        kind = dict(PUSH_MODES)[run.mode]
        message = _(
            "%(kind)s push: %(sent)s item(s) sent, %(accepted)s accepted, "
            "%(failed)s failed (%(delisted)s delisted), %(unchanged)s unchanged "
            "not sent. Took %(duration).1f s.",
            kind=kind,
            sent=run.sent,
            accepted=run.accepted,
            failed=run.failed,
            delisted=run.delisted,
            unchanged=run.unchanged,
            duration=run.duration,
        )
        if run.pending:
            message += " " + _(
                "%(count)s item(s) wait for the SFTP result file; the next push "
                "reads it.",
                count=run.pending,
            )
        if run.failed_batches:
            message += " " + _(
                "%(count)s batch(es) failed and stay flagged for the next push.",
                count=run.failed_batches,
            )
        if not run.selected and not run.error:
            message += " " + self._describe_empty_push()
        if run.error:
            message += " " + _("Stopped: %(error)s", error=run.error)
        return message

    def _describe_empty_push(self):
        if not self.location_ids.filtered("active") and not self.default_slave_id:
            return _(
                "Nothing to push: the channel has no location and no default "
                "slave ID. Add locations or set the default slave ID."
            )
        return _("Nothing to push.")
