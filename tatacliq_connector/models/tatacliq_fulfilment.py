"""Fulfilment steps of marketplace deliveries, batched per channel.

Every step (pack, label prefetch, shipment confirmation, handover, manifest)
takes many deliveries at once and sends one marketplace call per channel and
step for all their lines, not one call per delivery. Each result is written
to the lines as soon as the call returns and, outside tests, committed, so a
later local error cannot undo what the marketplace already did. Steps whose
result a line has stored are skipped, so running a step again (by hand or
from the retry scheduled action) does not repeat them. A call whose response
was lost is sent again, and the marketplace returns the result it stored.

Failures are classified with the client's error types. A transient one
(``TransientError``: no courier yet, a timeout, a 5xx) leaves the delivery as
it is and schedules a retry with exponential backoff. Any other needs a
person and becomes one activity on the delivery with the marketplace's
message and its next step.
"""

import logging
from collections import defaultdict
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.tools import groupby

from tatacliq.errors import (
    MalformedResponseError,
    StatusOrderError,
    TataCliqError,
    TransientError,
)
from tatacliq.fulfilment import Shipment
from tatacliq.models import STATUS_CODES

from .tatacliq_channel_import import _is_test_mode

_logger = logging.getLogger(__name__)

# Line statuses by fulfilment step. Pick confirm accepts any status before
# PICKCONF, but lines are accepted first so the marketplace records the
# acceptance. Pack needs PICKCONF.
ACCEPT_STATUSES = frozenset({"ORDALLOC"})
PICK_STATUSES = frozenset({"ORDACCEP", "PICKINPR", "PICKHOLD", "PILIGENE"})
PACK_STATUSES = frozenset({"PICKCONF"})
BEFORE_PACK_STATUSES = ACCEPT_STATUSES | PICK_STATUSES | PACK_STATUSES
PACKED_STATUSES = frozenset(
    {
        "SCANNED",
        "AWBASSIG",
        "PRISHLAB",
        "INVOGENE",
        "PRIINVOI",
        "MANIPEND",
        "RETOSHIP",
        "LPSWITCH",
    }
)
HANDED_OVER_STATUSES = frozenset({"HOTCOURI", "RENEARHB", "DELIVERD"})
CANCELLED_STATUSES = frozenset(
    {"ORDREJEC", "ORDCANCL", "CLONCANC", "REFUINIT", "REFINPRO", "REFCLOSE", "ODREALOC"}
)
RETURNED_STATUSES = frozenset(
    {
        "RETTOORG",
        "RETUINIT",
        "SRECTORI",
        "RETUCANC",
        "RETUCLOS",
        "QCFAILED",
        "REVRSAWB",
        "LOSTINTT",
        "RTOINITD",
        "RTOINPRS",
        "RTOCOMP",
        "RTODELVRD",
        "RTOQCPASS",
        "RTOQCFAILED",
    }
)
# Lines in these statuses are out of the forward flow: nothing to ship.
CLOSED_STATUSES = CANCELLED_STATUSES | RETURNED_STATUSES

# Retry delays of transient failures: 5, 10, 20, ... minutes, at most 4 hours.
RETRY_BASE_MINUTES = 5
RETRY_MAX_MINUTES = 240
# After this many failed tries an activity is scheduled for a person, while
# the retries go on.
RETRY_ALERT_COUNT = 8

ACTIVITY_TYPE = "tatacliq_connector.mail_activity_type_tatacliq_fulfilment"

STEP_LABELS = {
    "pack": "Pack",
    "ship": "Ship",
    "handover": "Hand over",
    "prefetch": "Label prefetch",
    "label": "Print label",
    "manifest": "Create manifest",
    "retry": "Retry",
}


def is_transient(error):
    """Return whether ``error`` may pass by itself, so a retry is worth it."""
    return isinstance(error, TransientError | MalformedResponseError)


def status_label(code):
    return STATUS_CODES.get(code or "", (None, code))[1] or False


class StepReport:
    """Outcome of one step over many deliveries, for the summary notification."""

    def __init__(self, env, step):
        self.env = env
        self.step = step
        self.manifests = env["tatacliq.manifest"]  # created by the step
        self.done = {}  # picking id -> note
        self.failed = {}  # picking id -> message
        self.names = {}  # picking id -> display name

    def succeed(self, picking, note=""):
        self.names[picking.id] = picking.name
        self.failed.pop(picking.id, None)
        self.done[picking.id] = note

    def fail(self, picking, message):
        self.names[picking.id] = picking.name
        self.done.pop(picking.id, None)
        self.failed[picking.id] = message

    @property
    def total(self):
        return len(self.done) + len(self.failed)

    def summary(self):
        """Return a plain-text summary: counts, then one line per delivery."""
        label = STEP_LABELS.get(self.step, self.step)
        lines = [
            self.env._(
                "%(step)s: %(done)s of %(total)s deliveries succeeded.",
                step=label,
                done=len(self.done),
                total=self.total,
            )
        ]
        for picking_id, note in self.done.items():
            if note:
                lines.append(f"{self.names[picking_id]}: {note}")
        for picking_id, message in self.failed.items():
            lines.append(f"{self.names[picking_id]}: {message}")
        return "\n".join(lines)

    @classmethod
    def merge(cls, env, step, reports):
        """Return one report with the outcomes of ``reports``, for one summary."""
        merged = cls(env, step)
        for report in reports:
            merged.names.update(report.names)
            merged.done.update(report.done)
            merged.failed.update(report.failed)
            merged.manifests |= report.manifests
        return merged

    def notification(self):
        if not self.failed:
            kind = "success"
        elif self.done:
            kind = "warning"
        else:
            kind = "danger"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Tata CLiQ"),
                "message": self.summary(),
                "type": kind,
                "sticky": bool(self.failed),
                "className": "text-prewrap",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }


class ChannelRun:
    """One step on the deliveries of one channel: the client and line errors."""

    def __init__(self, channel, pickings, step, report):
        self.channel = channel
        self.pickings = pickings
        self.step = step
        self.report = report
        self.errors = {}  # sale.order.line id -> TataCliqError
        self.rejections = {}  # picking id -> message, a local precondition
        self.picking_of = {}  # sale.order.line id -> picking
        # The open lines of each delivery at the start, read once because
        # every commit empties the ORM cache.
        self.lines_of = {}  # picking id -> sale.order.line records
        for picking in pickings:
            lines = picking._tatacliq_lines()
            self.lines_of[picking.id] = lines
            for line in lines:
                self.picking_of[line.id] = picking
        self.env = pickings.env
        self.lines = self.env["sale.order.line"].concat(*self.lines_of.values())
        self._client = None

    @property
    def client(self):
        if self._client is None:
            self._client = self.channel._get_client()
        return self._client

    def fail(self, line, error):
        self.errors.setdefault(line.id, error)

    def reject(self, picking, message):
        self.rejections.setdefault(picking.id, message)

    def failed(self, line):
        return line.id in self.errors or self.picking_of[line.id].id in self.rejections

    def pending(self, lines):
        return lines.filtered(lambda line: not self.failed(line))

    def line_errors(self, picking):
        # A line may have closed during the run (the marketplace reported it
        # cancelled), and its error still belongs to the delivery.
        lines = self.lines_of[picking.id]
        return [
            (line, self.errors[line.id]) for line in lines if line.id in self.errors
        ]


class TataCliqFulfilment(models.AbstractModel):
    _name = "tatacliq.fulfilment"
    _description = "Tata CLiQ fulfilment steps"

    # Entry points

    @api.model
    def _run_step(self, pickings, step):
        """Run ``step`` on ``pickings``, channel by channel; return a ``StepReport``."""
        report = StepReport(self.env, step)
        pickings = self._lock(pickings, report)
        for channel, channel_pickings in groupby(
            pickings, key=lambda picking: picking.tatacliq_channel_id
        ):
            channel_pickings = self.env["stock.picking"].concat(*channel_pickings)
            run = ChannelRun(channel, channel_pickings, step, report)
            getattr(self, f"_step_{step}")(run)
        return report

    @api.model
    def _lock(self, pickings, report):
        """Return the marketplace deliveries that no other transaction is working on.

        The others are reported because another user or the retry scheduled
        action has locked them, and running the step twice at once would send
        the same lines twice.
        """
        deliveries = pickings.filtered(lambda picking: picking._is_tatacliq_delivery())
        for picking in pickings - deliveries:
            report.fail(
                picking,
                _(
                    "Not a Tata CLiQ delivery: only outgoing transfers of marketplace "
                    "orders go through the marketplace steps."
                ),
            )
        if not deliveries:
            return deliveries
        self.env.cr.execute(
            "SELECT id FROM stock_picking WHERE id IN %s FOR UPDATE SKIP LOCKED",
            [tuple(deliveries.ids)],
        )
        # NOTE: the first commit of the step releases these locks. A second
        # run that starts after it skips the steps this run already stored.
        locked_ids = {row[0] for row in self.env.cr.fetchall()}
        for picking in deliveries.filtered(lambda p: p.id not in locked_ids):
            report.fail(
                picking,
                _(
                    "Another user or the scheduled action is processing this "
                    "delivery right now. Try again in a minute."
                ),
            )
        return deliveries.filtered(lambda p: p.id in locked_ids)

    # Steps

    def _step_pack(self, run):
        """Accept, pick confirm and pack the lines, then fetch their documents."""
        # The marketplace packs only with its own invoice and label, so a channel
        # with either flag off cannot pack at all.
        flags_warning = run.channel._get_marketplace_flags_warning()
        for picking in run.pickings:
            if flags_warning:
                run.reject(picking, flags_warning)
            elif picking.state in ("draft", "cancel"):
                run.reject(
                    picking,
                    _(
                        "The delivery is %(state)s; only confirmed deliveries can be "
                        "packed.",
                        state=picking._tatacliq_state_label(),
                    ),
                )
            elif handed_over_outside := run.lines_of[picking.id].filtered(
                lambda line: (
                    line.tatacliq_status_code in HANDED_OVER_STATUSES
                    and not line.tatacliq_invoice_number
                )
            ):
                # Handed over without a pack from Odoo: nothing left to pack,
                # and the marketplace rejects a late pack.
                run.reject(
                    picking,
                    _(
                        "Transaction(s) %(ids)s left with the courier without a "
                        "pack from Odoo, so there is nothing to pack. %(next_step)s",
                        ids=", ".join(
                            handed_over_outside.mapped("tatacliq_transaction_id")
                        ),
                        next_step=StatusOrderError.next_step,
                    ),
                )
            elif not run.lines_of[picking.id]:
                run.reject(
                    picking,
                    _(
                        "No line of this delivery is still open on "
                        "Tata CLiQ (cancelled or returned)."
                    ),
                )
        lines = run.lines
        self._accept(run, lines)
        self._pick_confirm(run, lines)
        self._pack(run, lines)
        self._commit()
        for picking in run.pickings:
            if picking.id not in run.rejections and not run.line_errors(picking):
                self._fetch_documents(run, picking)
            self._finish(run, picking)

    def _step_ship(self, run):
        """Confirm the seller's courier and AWB of packed self-ship lines."""
        requested = {}  # transaction id -> (line, Shipment)
        for picking in run.pickings:
            courier = (picking.tatacliq_ship_courier_name or "").strip()
            awb = (picking.tatacliq_ship_awb_number or "").strip()
            lines = run.lines_of[picking.id]
            if picking.tatacliq_fulfillment_type != "SSHIP":
                run.reject(
                    picking,
                    _(
                        "Tata CLiQ ships this delivery (TSHIP): its courier and AWB "
                        "come with the pack."
                    ),
                )
                continue
            if not courier or not awb:
                run.reject(
                    picking,
                    _("Enter the parcel's courier and AWB in the Ship wizard."),
                )
                continue
            if self._reject_unpacked(run, picking, _("Ship")):
                continue
            for line in lines:
                already_sent = (
                    line.tatacliq_shipment_confirmed
                    and line.tatacliq_courier_name == courier
                    and line.tatacliq_awb_number == awb
                )
                if already_sent or line.tatacliq_status_code in HANDED_OVER_STATUSES:
                    continue
                requested[line.tatacliq_transaction_id] = (
                    line,
                    Shipment(line.tatacliq_transaction_id, courier, awb),
                )
        if requested:
            try:
                results = run.client.confirm_shipments(
                    [shipment for _line, shipment in requested.values()]
                )
            except TataCliqError as error:
                for line, _shipment in requested.values():
                    run.fail(line, error)
                results = []
            for result in results:
                line, shipment = requested[result.transaction_id]
                self._write_status(line, result.line_status)
                if not result.ok:
                    run.fail(line, result.error)
                    continue
                # A label printed for another courier or AWB is void.
                old_label = line.tatacliq_label_attachment_id
                line.sudo().write(
                    {
                        "tatacliq_courier_name": result.courier_name
                        or shipment.courier_name,
                        "tatacliq_awb_number": result.awb_number or shipment.awb_number,
                        "tatacliq_shipment_confirmed": True,
                        "tatacliq_label_attachment_id": False,
                    }
                )
                old_label.sudo().unlink()
            self._commit()
        for picking in run.pickings:
            picking._tatacliq_update_tracking(run.lines_of[picking.id])
            if picking.id not in run.rejections and not run.line_errors(picking):
                self._fetch_documents(run, picking)
            self._finish(run, picking)

    def _step_handover(self, run):
        """Hand packed lines over to the courier, then put them on manifests.

        NOTE: click and collect lines are packed first here too, although the
        marketplace also accepts their handover from PICKCONF.
        """
        for picking in run.pickings:
            lines = run.lines_of[picking.id]
            if self._reject_unpacked(run, picking, _("Hand over")):
                continue
            unconfirmed = lines.filtered(
                lambda line: (
                    line.tatacliq_fulfillment_type == "SSHIP"
                    and not line.tatacliq_shipment_confirmed
                )
            )
            if unconfirmed:
                run.reject(
                    picking,
                    _(
                        "Self-ship transaction(s) %(ids)s have no confirmed courier "
                        "and AWB, so they cannot go on a manifest. Click Ship first.",
                        ids=", ".join(unconfirmed.mapped("tatacliq_transaction_id")),
                    ),
                )
        lines = run.pending(run.lines).filtered(
            lambda line: line.tatacliq_status_code in PACKED_STATUSES
        )
        if lines:
            now = fields.Datetime.now()
            by_transaction = {line.tatacliq_transaction_id: line for line in lines}
            try:
                results = run.client.hand_over(list(by_transaction))
            except TataCliqError as error:
                for line in lines:
                    run.fail(line, error)
                results = []
            for result in results:
                line = by_transaction[result.transaction_id]
                if not result.handed_over:
                    self._write_status(line, result.line_status)
                    run.fail(line, result.error)
                    continue
                # A repeated handover fails with "Shipment Already in HOTC",
                # which means the courier has the parcel all the same.
                status = result.line_status
                if status not in HANDED_OVER_STATUSES:
                    status = "HOTCOURI"
                self._write_status(line, status)
                values = {"tatacliq_handover_date": now}
                if result.awb_number and not line.tatacliq_awb_number:
                    values["tatacliq_awb_number"] = result.awb_number
                line.sudo().write(values)
            self._commit()
        for picking in run.pickings:
            self._finish(run, picking)
        self._create_manifests(run)

    def _step_manifest(self, run):
        """Put the handed-over parcels that have no manifest yet on manifests."""
        self._create_manifests(run)
        for picking in run.pickings:
            if picking.id in run.rejections:
                run.report.fail(picking, run.rejections[picking.id])
                continue
            waiting = self._lines_without_manifest(run, picking)
            if not waiting:
                run.report.succeed(picking)
                continue
            manifests = waiting.tatacliq_manifest_id
            reason = (
                picking.tatacliq_problem_message
                or "; ".join(filter(None, manifests.mapped("message")))
                or _("Tata CLiQ created no manifest for these parcels.")
            )
            run.report.fail(picking, reason)

    def _create_manifests(self, run):
        """Create the manifests of the run's handed-over parcels that have none."""
        lines = run.env["sale.order.line"]
        for picking in run.pickings:
            candidates = run.lines_of[picking.id].filtered(
                lambda line: (
                    line.tatacliq_status_code in HANDED_OVER_STATUSES
                    and not line.tatacliq_manifest_id
                    and line._tatacliq_needs_label()
                    and not run.failed(line)
                )
            )
            if candidates:
                lines |= candidates
            elif run.step == "manifest" and picking.id not in run.rejections:
                run.reject(
                    picking,
                    _(
                        "No handed-over parcel without a manifest. Click Hand over "
                        "first; parcels already on a manifest keep it."
                    ),
                )
        if lines:
            run.report.manifests |= self.env["tatacliq.manifest"]._create_for_lines(
                run.channel, lines
            )

    @api.model
    def _lines_without_manifest(self, run, picking):
        """Return the handed-over lines of ``picking`` not on a created manifest."""
        return run.lines_of[picking.id].filtered(
            lambda line: (
                line.tatacliq_status_code in HANDED_OVER_STATUSES
                and line._tatacliq_needs_label()
                and line.tatacliq_manifest_id.state not in ("created", "done")
            )
        )

    def _step_prefetch(self, run):
        """Reserve the AWB and fetch the label of TSHIP lines before they are packed.

        Prefetch is an optimisation that the scheduled action repeats, so a
        failure is only reported, never recorded on the delivery.
        """
        for picking in run.pickings:
            if not run.channel.use_shipping_label:
                run.reject(picking, _("The channel does not use shipping labels."))
            elif picking.tatacliq_fulfillment_type == "SSHIP":
                run.reject(
                    picking,
                    _(
                        "Self-ship delivery: its label comes with the shipment "
                        "confirmation (Ship), not before."
                    ),
                )
        lines = run.pending(run.lines).filtered(
            lambda line: (
                line.tatacliq_fulfillment_type != "SSHIP"
                and line.tatacliq_status_code in BEFORE_PACK_STATUSES
                and not line.tatacliq_label_attachment_id
                and not line.tatacliq_awb_number
            )
        )
        if lines:
            by_transaction = {line.tatacliq_transaction_id: line for line in lines}
            try:
                results = run.client.prefetch_labels(list(by_transaction))
            except TataCliqError as error:
                for line in lines:
                    run.fail(line, error)
                results = []
            for result in results:
                line = by_transaction[result.transaction_id]
                self._write_status(line, result.line_status)
                if not result.ok:
                    run.fail(line, result.error)
                    continue
                self._write_shipment(line, result.awb_number, result.logistics_id)
            self._commit()
        for picking in run.pickings:
            if picking.id not in run.rejections and not run.line_errors(picking):
                picking._tatacliq_update_tracking(run.lines_of[picking.id])
                self._fetch_documents(run, picking, invoice=False)
            self._report(run, picking, record=False)
            self._commit()

    def _step_label(self, run):
        """Fetch the labels a delivery lacks, for printing."""
        for picking in run.pickings:
            if not run.channel.use_shipping_label:
                run.reject(picking, _("The channel does not use shipping labels."))
                continue
            self._fetch_documents(run, picking, invoice=False)
            missing = run.lines_of[picking.id].filtered(
                lambda line: (
                    line._tatacliq_needs_label()
                    and not line.tatacliq_label_attachment_id
                    and not run.failed(line)
                )
            )
            if missing:
                run.reject(
                    picking,
                    _(
                        "Tata CLiQ has no label for transaction(s) %(ids)s yet. "
                        "Click Pack (TSHIP) or Ship (SSHIP) first.",
                        ids=", ".join(missing.mapped("tatacliq_transaction_id")),
                    ),
                )
            self._report(run, picking, record=False)

    def _reject_unpacked(self, run, picking, step_label):
        """Reject ``picking`` for ``step_label`` if a line is not packed yet.

        Returns whether the delivery was rejected.
        """
        unpacked = run.lines_of[picking.id].filtered(
            lambda line: (
                line.tatacliq_status_code not in PACKED_STATUSES | HANDED_OVER_STATUSES
            )
        )
        if not unpacked:
            return False
        run.reject(
            picking,
            _(
                "Transaction(s) %(ids)s are not packed yet. Click Pack first, "
                "then %(step)s.",
                ids=", ".join(unpacked.mapped("tatacliq_transaction_id")),
                step=step_label,
            ),
        )
        return True

    # Marketplace calls on lines

    def _accept(self, run, lines):
        lines = run.pending(lines).filtered(
            lambda line: line.tatacliq_status_code in ACCEPT_STATUSES
        )
        self._call_lines(run, lines, run.client.accept_lines if lines else None)

    def _pick_confirm(self, run, lines):
        lines = run.pending(lines).filtered(
            lambda line: line.tatacliq_status_code in PICK_STATUSES
        )
        self._call_lines(run, lines, run.client.pick_confirm if lines else None)

    def _pack(self, run, lines):
        # A line packed on the marketplace without its invoice number here
        # (the order sync saw SCANNED first) is packed again, because the
        # marketplace returns the same invoice and AWB for a repeated pack.
        lines = run.pending(lines).filtered(
            lambda line: (
                line.tatacliq_status_code in PACK_STATUSES
                or (
                    line.tatacliq_status_code in PACKED_STATUSES
                    and not line.tatacliq_invoice_number
                )
            )
        )

        def store(line, result):
            line.sudo().write(
                {
                    "tatacliq_invoice_number": result.invoice_number,
                    "tatacliq_invoice_date": result.invoice_date
                    and result.invoice_date.replace(tzinfo=None),
                }
            )
            self._write_shipment(line, result.awb_number, result.logistics_id)

        self._call_lines(run, lines, run.client.pack if lines else None, store)
        for picking in run.pickings:
            picking._tatacliq_update_tracking(run.lines_of[picking.id])

    def _call_lines(self, run, lines, method, store=None):
        """Send one batch call for ``lines``; store each result on its line."""
        if not lines:
            return
        by_transaction = {}
        for line in lines:
            by_transaction.setdefault(line.tatacliq_transaction_id, line)
        try:
            results = method(list(by_transaction))
        except TataCliqError as error:
            _logger.warning(
                "Tata CLiQ %s of %s line(s) on channel %s (id %s) failed: %s",
                getattr(method, "__name__", "call"),
                len(by_transaction),
                run.channel.name,
                run.channel.id,
                error.message,
            )
            for line in lines:
                run.fail(line, error)
            return
        for result in results:
            line = by_transaction[result.transaction_id]
            self._write_status(line, result.line_status)
            if not result.ok:
                run.fail(line, result.error)
            elif store is not None:
                store(line, result)

    @api.model
    def _write_status(self, line, code):
        if code and line.tatacliq_status_code != code:
            line.sudo().write(
                {
                    "tatacliq_status_code": code,
                    "tatacliq_status_name": status_label(code),
                }
            )

    @api.model
    def _write_shipment(self, line, awb_number, logistics_id):
        values = {}
        if awb_number and awb_number != line.tatacliq_awb_number:
            values["tatacliq_awb_number"] = awb_number
        if logistics_id and logistics_id != line.tatacliq_logistics_id:
            values["tatacliq_logistics_id"] = logistics_id
        if values:
            line.sudo().write(values)

    # Documents

    def _fetch_documents(self, run, picking, label=True, invoice=True):
        """Download the label and invoice PDFs that ``picking`` lacks.

        Each document is downloaded once: a line that has its attachment is
        skipped, so a prefetched label is reused by the pack.
        """
        channel = run.channel
        for line in run.lines_of[picking.id]:
            if run.failed(line) or line.tatacliq_status_code in CLOSED_STATUSES:
                continue
            transaction_id = line.tatacliq_transaction_id
            if (
                label
                and channel.use_shipping_label
                and not line.tatacliq_label_attachment_id
                and line._tatacliq_label_available()
            ):
                try:
                    content = run.client.shipping_label(transaction_id)
                except TataCliqError as error:
                    run.fail(line, error)
                    continue
                attachment = self._attach_pdf(
                    picking,
                    _(
                        "Label %(awb)s %(transaction)s.pdf",
                        awb=line.tatacliq_awb_number,
                        transaction=transaction_id,
                    ),
                    content,
                )
                line.sudo().tatacliq_label_attachment_id = attachment
            if (
                invoice
                and channel.use_marketplace_invoice
                and line.tatacliq_invoice_number
                and not line.tatacliq_invoice_attachment_id
            ):
                try:
                    content = run.client.invoice_document(transaction_id)
                except TataCliqError as error:
                    run.fail(line, error)
                    continue
                name = _("Invoice %(number)s.pdf", number=line.tatacliq_invoice_number)
                attachment = self._attach_pdf(line.order_id, name, content)
                # The delivery gets its own copy so the warehouse finds it there.
                # The file store keeps one file for both (same checksum).
                self._attach_pdf(picking, name, content)
                line.sudo().tatacliq_invoice_attachment_id = attachment

    @api.model
    def _attach_pdf(self, record, name, content):
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "type": "binary",
                    "raw": content,
                    "mimetype": "application/pdf",
                    "res_model": record._name,
                    "res_id": record.id,
                }
            )
        )

    # Outcome per delivery

    def _finish(self, run, picking):
        """Record the outcome of the step on ``picking`` and commit it."""
        self._report(run, picking, record=True)
        self._commit()

    def _report(self, run, picking, record):
        if picking.id in run.rejections:
            run.report.fail(picking, run.rejections[picking.id])
            return
        line_errors = run.line_errors(picking)
        if not line_errors:
            if record:
                picking._tatacliq_clear_problem(run.step)
            run.report.succeed(picking)
            return
        message = self._format_errors(line_errors)
        if record:
            errors = [error for _line, error in line_errors]
            if all(is_transient(error) for error in errors):
                picking._tatacliq_schedule_retry(run.step, errors, message)
            else:
                picking._tatacliq_raise_problem(run.step, message)
        run.report.fail(picking, message)

    @api.model
    def _format_errors(self, line_errors):
        """Return one sentence per distinct error: message, transactions, next step."""
        by_message = defaultdict(list)
        for line, error in line_errors:
            by_message[(error.message, error.next_step)].append(
                line.tatacliq_transaction_id
            )
        parts = []
        for (message, next_step), transaction_ids in by_message.items():
            parts.append(
                _(
                    "%(message)s (transaction %(ids)s). %(next_step)s",
                    message=message.rstrip("."),
                    ids=", ".join(transaction_ids),
                    next_step=next_step,
                )
            )
        return " ".join(parts)

    @api.model
    def _retry_delay(self, attempt, errors=()):
        """Return the wait before retry ``attempt`` (1, 2, ...) as a timedelta."""
        minutes = min(RETRY_BASE_MINUTES * 2 ** (attempt - 1), RETRY_MAX_MINUTES)
        delay = timedelta(minutes=minutes)
        retry_after = max(
            (getattr(error, "retry_after", None) or 0 for error in errors), default=0
        )
        return max(delay, timedelta(seconds=retry_after))

    @api.model
    def _commit(self):
        """Commit what the marketplace returned, so no later error can lose it.

        Tests run in one transaction that they roll back, so nothing is
        committed under tests.
        """
        if not _is_test_mode():
            self.env.cr.commit()
