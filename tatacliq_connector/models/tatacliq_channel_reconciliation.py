"""Inventory reconciliation of a channel: Odoo stock against the marketplace.

A run reads the marketplace's stock report of every slave id (by API, or the
report file by SFTP), computes the sellable quantity of every mapped SKU now,
and stores a ``tatacliq.reconciliation.line`` for every SKU and location where
the two differ. The last pushed quantity is stored beside them, so a reader
can tell whether Odoo moved since the push or the marketplace did.
"""

import itertools
import logging
import time
from dataclasses import dataclass, field

from odoo import _, api, fields, models
from odoo.exceptions import UserError

from tatacliq.errors import AuthenticationError, TataCliqError
from tatacliq.sftp import SftpConnectionError, SftpHostKeyError

from .tatacliq_channel_inventory import describe_error

_logger = logging.getLogger(__name__)

STOPPING_ERRORS = (AuthenticationError, SftpConnectionError, SftpHostKeyError)


@dataclass
class ReconciliationRun:
    """Counts of one reconciliation run."""

    trigger: str
    started: float = field(default_factory=time.monotonic)
    slaves_read: int = 0
    skus_compared: int = 0
    differences: int = 0
    errors: list = field(default_factory=list)

    @property
    def duration(self):
        return time.monotonic() - self.started


class TataCliqChannel(models.Model):
    _inherit = "tatacliq.channel"

    reconciliation_line_ids = fields.One2many(
        "tatacliq.reconciliation.line", "channel_id"
    )
    reconciliation_open_count = fields.Integer(
        string="Open differences", compute="_compute_reconciliation_open_count"
    )
    reconciliation_last_date = fields.Datetime(
        string="Last reconciliation", readonly=True, copy=False
    )
    reconciliation_last_message = fields.Text(
        string="Last reconciliation result", readonly=True, copy=False
    )

    def _compute_reconciliation_open_count(self):
        counts = {}
        channels = self.filtered("id")
        if channels:
            for channel, count in self.env["tatacliq.reconciliation.line"]._read_group(
                [("channel_id", "in", channels.ids), ("state", "=", "open")],
                groupby=["channel_id"],
                aggregates=["__count"],
            ):
                counts[channel.id] = count
        for channel in self:
            channel.reconciliation_open_count = counts.get(channel.id, 0)

    # Actions

    def action_reconcile_inventory(self):
        """Compare Odoo stock with the marketplace now and show the outcome."""
        self.ensure_one()
        self._check_inventory_method()
        if not self.inventory_reconciliation:
            raise UserError(
                _(
                    "Inventory reconciliation is off on channel %(channel)s. Turn "
                    "on Inventory reconciliation on its Inventory tab, then run it "
                    "again.",
                    channel=self.name,
                )
            )
        run = self._reconcile_inventory(trigger="manual reconciliation")
        if run is None:
            return self._notification(
                _("Reconciliation skipped"),
                _(
                    "An inventory push or reconciliation of channel %(channel)s "
                    "is running. Wait until it ends, then run the reconciliation "
                    "again.",
                    channel=self.name,
                ),
                "warning",
            )
        if run.errors:
            kind = "danger"
        elif run.differences:
            kind = "warning"
        else:
            kind = "success"
        return self._notification(
            _("Inventory reconciliation"), self.reconciliation_last_message, kind
        )

    def action_view_reconciliation_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_reconciliation_line"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

    @api.model
    def _cron_reconcile_inventory(self):
        """Reconcile every channel with reconciliation on and a push method."""
        channels = self.search(
            [
                ("inventory_reconciliation", "=", True),
                ("inventory_method", "in", ("api", "sftp")),
            ]
        )
        for index, channel in enumerate(channels):
            try:
                channel._reconcile_inventory(trigger="scheduled reconciliation")
            except Exception:
                _logger.exception(
                    "Inventory reconciliation of Tata CLiQ channel %s (id %s) failed",
                    channel.name,
                    channel.id,
                )
                self._rollback_inventory()
            self.env["ir.cron"]._notify_progress(
                done=index + 1, remaining=len(channels) - index - 1
            )

    # Reconciliation

    def _reconcile_inventory(self, trigger="manual reconciliation"):
        """Store the differences between Odoo and the marketplace; return the run.

        Returns None when another transaction pushes or reconciles this
        channel. A location whose report cannot be read is left out, and its
        open lines of earlier runs stay open.
        """
        self.ensure_one()
        channel = self.sudo().with_company(self.company_id)
        if not channel._acquire_inventory_lock():
            return None
        run = ReconciliationRun(trigger)
        try:
            self.env["tatacliq.inventory.change"]._apply_pending()
            channel._sync_inventory_states()
            reports = channel._read_inventory_reports(run)
            lines = channel._compare_inventory(reports, run)
            channel._store_reconciliation_lines(lines, reports)
        finally:
            channel._release_inventory_lock()
        channel._write_reconciliation_result(run)
        return run

    def _get_reconciliation_slave_ids(self):
        """Return the slave ids to compare: the active locations', or the default."""
        self.ensure_one()
        slave_ids = self.location_ids.filtered("active").mapped("slave_id")
        if not slave_ids and self.default_slave_id:
            slave_ids = [self.default_slave_id.strip()]
        return sorted(set(slave_ids))

    def _read_inventory_reports(self, run):
        """Return ``{slave id: {SKU: InventoryRecord}}`` of the readable reports."""
        reports = {}
        slave_ids = self._get_reconciliation_slave_ids()
        if not slave_ids:
            run.errors.append(
                _(
                    "The channel has no location and no default slave ID. Add "
                    "locations or set the default slave ID."
                )
            )
            return reports
        if self.inventory_method == "sftp":
            try:
                source = self._get_sftp_exchange()
            except (TataCliqError, UserError) as error:
                run.errors.append(describe_error(error))
                return reports
            read = source.read_report
        else:
            source = self._get_client()
            read = source.get_inventory_report
        try:
            for slave_id in slave_ids:
                try:
                    reports[slave_id] = read(slave_id)
                except TataCliqError as error:
                    run.errors.append(
                        _(
                            "Slave id %(slave)s: %(error)s",
                            slave=slave_id,
                            error=describe_error(error),
                        )
                    )
                    _logger.warning(
                        "Inventory report of slave id %s of Tata CLiQ channel %s "
                        "(id %s) not read: %s",
                        slave_id,
                        self.name,
                        self.id,
                        error.message,
                    )
                    # Refused credentials, an unreachable server or a wrong host
                    # key fail every slave id the same way.
                    if isinstance(error, STOPPING_ERRORS):
                        break
                    continue
                run.slaves_read += 1
        finally:
            source.close()
        return reports

    def _compare_inventory(self, reports, run):
        """Return the values of the reconciliation lines of ``reports``."""
        State = self.env["tatacliq.inventory.state"]
        domain = [("channel_id", "=", self.id), ("slave_id", "in", list(reports))]
        listed_ids = State.search(
            [*domain, ("mapping_id.delisted", "=", False)], order="id"
        ).ids
        delisted_keys = {
            (state.article_number, state.slave_id)
            for state in State.search([*domain, ("mapping_id.delisted", "=", True)])
        }
        location_by_slave = {
            location.slave_id: location.id
            for location in self.location_ids.filtered("active")
        }
        now = fields.Datetime.now()
        lines = []
        seen = set()
        for row in itertools.chain.from_iterable(State._iter_push_rows(listed_ids)):
            key = (row["sku"], row["slave_id"])
            seen.add(key)
            run.skus_compared += 1
            record = reports[row["slave_id"]].get(row["sku"])
            values = self._compare_row(row, record)
            if values is None:
                continue
            values.update(
                channel_id=self.id,
                location_id=row["location_id"],
                slave_id=row["slave_id"],
                mapping_id=row["mapping_id"],
                state_id=row["id"],
                article_number=row["sku"],
                product_id=row["product_id"],
                run_date=now,
            )
            lines.append(values)

        # Stock the marketplace sells for SKUs Odoo does not push there.
        for slave_id, records in reports.items():
            for sku, record in records.items():
                key = (sku, slave_id)
                if key in seen or key in delisted_keys or record.delisted:
                    continue
                if record.available <= 0:
                    continue
                run.skus_compared += 1
                lines.append(
                    {
                        **self._marketplace_values(record),
                        "channel_id": self.id,
                        "location_id": location_by_slave.get(slave_id),
                        "slave_id": slave_id,
                        "article_number": sku,
                        "odoo_qty": 0,
                        "pushed_qty": 0,
                        "difference": -record.available,
                        "cause": "unmapped",
                        "run_date": now,
                    }
                )
        run.differences = len(lines)
        return lines

    def _compare_row(self, row, record):
        """Return line values when Odoo's quantity differs from the marketplace's."""
        odoo_qty = row["sellable"]
        pushed_qty = row["last_pushed_qty"] if row["last_result"] != "new" else 0
        if record is None:
            if odoo_qty == 0:
                return None
            return {
                "odoo_qty": odoo_qty,
                "pushed_qty": pushed_qty,
                "marketplace_qty": 0,
                "difference": odoo_qty,
                "cause": "missing",
            }
        values = self._marketplace_values(record)
        if record.delisted:
            # The storefront does not sell a delisted SKU whatever its stock.
            values.update(marketplace_qty=0, cause="delisted")
        elif odoo_qty == record.available:
            return None
        elif record.available == pushed_qty:
            values["cause"] = "odoo_changed"
        else:
            values["cause"] = "marketplace_changed"
        values.update(
            odoo_qty=odoo_qty,
            pushed_qty=pushed_qty,
            difference=odoo_qty - values["marketplace_qty"],
        )
        return values

    @api.model
    def _marketplace_values(self, record):
        return {
            "marketplace_qty": record.available,
            "marketplace_inventory": record.inventory,
            "marketplace_safety_stock": record.safety_stock,
            "marketplace_sold": record.sold,
        }

    def _store_reconciliation_lines(self, lines, reports):
        """Outdate the open lines of the compared slave ids, then store the new."""
        Line = self.env["tatacliq.reconciliation.line"]
        if reports:
            Line.search(
                [
                    ("channel_id", "=", self.id),
                    ("state", "=", "open"),
                    ("slave_id", "in", list(reports)),
                ]
            ).write({"state": "outdated"})
        Line.create(lines)

    def _write_reconciliation_result(self, run):
        message = _(
            "%(slaves)s location(s) read, %(skus)s SKU(s) compared, "
            "%(differences)s difference(s) found. Took %(duration).1f s.",
            slaves=run.slaves_read,
            skus=run.skus_compared,
            differences=run.differences,
            duration=run.duration,
        )
        if run.errors:
            message += " " + _("Errors: %(errors)s", errors=" ".join(run.errors))
        self.sudo().write(
            {
                "reconciliation_last_date": fields.Datetime.now(),
                "reconciliation_last_message": message,
            }
        )
        log = _logger.warning if run.errors else _logger.info
        log(
            "Inventory reconciliation of Tata CLiQ channel %s (id %s, %s): %s "
            "location(s) read, %s SKU(s) compared, %s difference(s), %s error(s), "
            "%.2f s",
            self.name,
            self.id,
            run.trigger,
            run.slaves_read,
            run.skus_compared,
            run.differences,
            len(run.errors),
            run.duration,
        )
        self._commit_inventory()

    # Corrections

    def _push_reconciliation_corrections(self, lines):
        """Push the Odoo quantities of ``lines`` (open lines of this channel).

        Returns the message and the notification kind of the outcome.
        """
        self.ensure_one()
        self._check_inventory_method()
        states = lines.state_id.exists()
        stateless = lines.filtered(lambda line: line.state_id not in states)
        # A SKU Odoo does not push at that location: Odoo has none to sell.
        extra_rows = [
            {
                "id": None,
                "sku": line.article_number,
                "slave_id": line.slave_id,
                "inventory": 0,
                "safety_stock": 0,
                "sellable": 0,
            }
            for line in stateless
        ]
        run = self._push_inventory(
            mode="corrections",
            trigger="reconciliation corrections",
            state_ids=states.ids,
            extra_rows=extra_rows,
        )
        if run is None:
            return (
                _(
                    "Channel %(channel)s: another push or reconciliation is "
                    "running; push the corrections again when it ends.",
                    channel=self.name,
                ),
                "warning",
            )
        now = fields.Datetime.now()
        corrected = 0
        for line in lines:
            key = (line.article_number, line.slave_id)
            if key in run.outcomes and run.outcomes[key] is None:
                line.sudo().write(
                    {
                        "state": "corrected",
                        "correction_date": now,
                        "correction_error": False,
                        "odoo_qty": run.sent_quantities.get(key, line.odoo_qty),
                    }
                )
                corrected += 1
                continue
            error = run.outcomes.get(key) or run.error
            if not error and key in run.sent_quantities:
                error = _(
                    "Sent by SFTP; its result file has not come yet. The next "
                    "push reads it; run the reconciliation again after it."
                )
            if not error:
                error = _(
                    "Not sent: the SKU is delisted, or no longer mapped at this "
                    "location. Run the reconciliation again."
                )
            line.sudo().write({"correction_error": error})
        message = _(
            "Channel %(channel)s: %(corrected)s of %(count)s line(s) corrected. "
            "%(result)s",
            channel=self.name,
            corrected=corrected,
            count=len(lines),
            result=self.inventory_last_push_message,
        )
        if run.error:
            kind = "danger"
        elif corrected < len(lines):
            kind = "warning"
        else:
            kind = "success"
        return message, kind
