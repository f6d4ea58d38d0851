"""Tata CLiQ fulfilment on deliveries: state, courier, labels, actions, retries."""

import json
import logging
from urllib.parse import quote

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import groupby
from odoo.tools.misc import format_datetime
from odoo.tools.pdf import merge_pdf

from tatacliq.models import COURIERS

from .tatacliq_fulfilment import (
    ACTIVITY_TYPE,
    CANCELLED_STATUSES,
    CLOSED_STATUSES,
    HANDED_OVER_STATUSES,
    PACK_STATUSES,
    PACKED_STATUSES,
    PICK_STATUSES,
    RETRY_ALERT_COUNT,
    RETURNED_STATUSES,
    STEP_LABELS,
    StepReport,
)

_logger = logging.getLogger(__name__)

# Public tracking pages of the couriers Tata CLiQ assigns, by courier code.
# They are the pages a customer opens on each courier's website, not APIs.
# A courier may move its page, so check a link when one stops working.
TRACKING_URLS = {
    "DL": "https://www.delhivery.com/track/package/{awb}",
    "BD": "https://www.bluedart.com/web/guest/trackdartresultthirdparty"
    "?trackFor=0&trackNo={awb}",
    "EE": "https://www.ecomexpress.in/tracking/?awb_field={awb}",
    "EK": "https://ekartlogistics.com/shipmenttrack/{awb}",
    "XC": "https://www.xpressbees.com/shipment/tracking?awbNo={awb}",
    # NOTE: the Shadowfax and Gati pages take the number in a form. These
    # links pass it as a query parameter, which the pages may ignore.
    "SF": "https://tracker.shadowfax.in/#/?awb={awb}",
    "GT": "https://www.gati.com/track-by-docket/?docketNo={awb}",
    "FD": "https://www.fedex.com/fedextrack/?trknbr={awb}",
}

TATACLIQ_STATES = [
    ("allocated", "To accept"),
    ("accepted", "Accepted"),
    ("picked", "Pick confirmed"),
    ("packed", "Packed"),
    ("shipped", "Shipment confirmed"),
    ("handed_over", "Handed over"),
    ("manifested", "On manifest"),
    ("delivered", "Delivered"),
    ("returned", "Returned"),
    ("cancelled", "Cancelled"),
]
STATE_RANK = {state: rank for rank, (state, _label) in enumerate(TATACLIQ_STATES)}
# Deliveries in these states still wait for the pack.
BEFORE_PACK_STATES = ("allocated", "accepted", "picked")


def line_state(line):
    """Return the delivery state that one marketplace line is in."""
    code = line.tatacliq_status_code
    if code in CANCELLED_STATUSES:
        return "cancelled"
    if code in RETURNED_STATUSES:
        return "returned"
    if code == "DELIVERD":
        return "delivered"
    if code in HANDED_OVER_STATUSES:
        manifest = line.tatacliq_manifest_id
        return "manifested" if manifest.state in ("created", "done") else "handed_over"
    if code in PACKED_STATUSES:
        if (
            line.tatacliq_fulfillment_type == "SSHIP"
            and line.tatacliq_shipment_confirmed
        ):
            return "shipped"
        return "packed"
    if code in PACK_STATUSES:
        return "picked"
    if code in PICK_STATUSES:
        return "accepted"
    return "allocated"


class StockPicking(models.Model):
    _inherit = "stock.picking"

    tatacliq_channel_id = fields.Many2one(
        related="sale_id.tatacliq_channel_id",
        store=True,
        index="btree_not_null",
        string="Tata CLiQ Channel",
    )
    tatacliq_order_no = fields.Char(
        related="sale_id.tatacliq_order_no", string="Tata CLiQ Order"
    )
    tatacliq_line_ids = fields.Many2many(
        comodel_name="sale.order.line",
        compute="_compute_tatacliq_line_ids",
        string="Marketplace Lines",
    )
    tatacliq_state = fields.Selection(
        selection=TATACLIQ_STATES,
        string="Tata CLiQ State",
        compute="_compute_tatacliq_state",
        store=True,
        index="btree_not_null",
        help="Least advanced step among the delivery's open marketplace lines.",
    )
    tatacliq_fulfillment_type = fields.Selection(
        selection=[
            ("TSHIP", "TSHIP (Tata CLiQ ships)"),
            ("SSHIP", "SSHIP (seller ships)"),
        ],
        string="Fulfilment Type",
        compute="_compute_tatacliq_fulfillment_type",
        store=True,
    )
    tatacliq_courier_code = fields.Char(
        string="Courier Code",
        compute="_compute_tatacliq_courier",
        store=True,
        help="Courier code Tata CLiQ assigned (DL, BD, ...).",
    )
    tatacliq_courier_name = fields.Char(
        string="Courier",
        compute="_compute_tatacliq_courier",
        store=True,
    )
    tatacliq_has_label = fields.Boolean(
        string="Has Shipping Label",
        compute="_compute_tatacliq_has_label",
        store=True,
        help="Every parcel of the delivery has its shipping label attached.",
    )
    tatacliq_tracking_html = fields.Html(
        string="Tracking Links",
        compute="_compute_tatacliq_tracking_html",
        sanitize=False,
        help="Links to the public tracking page of each parcel's courier.",
    )
    tatacliq_ship_courier_name = fields.Char(
        string="Seller Courier Name",
        copy=False,
        help="Courier the seller booked for this self-ship delivery, as entered "
        "in the Ship wizard.",
    )
    tatacliq_ship_awb_number = fields.Char(
        string="Seller AWB",
        copy=False,
        help="AWB of the seller's courier, as entered in the Ship wizard.",
    )
    tatacliq_problem = fields.Selection(
        selection=[("waiting", "Waiting for retry"), ("blocked", "Needs attention")],
        string="Tata CLiQ Problem",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    tatacliq_problem_step = fields.Selection(
        selection=[
            ("pack", "Pack"),
            ("ship", "Ship"),
            ("handover", "Hand over"),
            ("manifest", "Create manifest"),
        ],
        readonly=True,
        copy=False,
    )
    tatacliq_problem_message = fields.Text(readonly=True, copy=False)
    tatacliq_retry_count = fields.Integer(
        readonly=True, copy=False, help="Failed tries since the step last succeeded."
    )
    tatacliq_next_retry = fields.Datetime(
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="When the scheduled action tries the step again.",
    )
    tatacliq_manifest_ids = fields.Many2many(
        comodel_name="tatacliq.manifest",
        relation="tatacliq_manifest_stock_picking_rel",
        column1="picking_id",
        column2="manifest_id",
        string="Manifests",
        readonly=True,
        copy=False,
    )

    # Computes

    @api.depends("move_ids.sale_line_id", "move_ids.state")
    def _compute_tatacliq_line_ids(self):
        for picking in self:
            picking.tatacliq_line_ids = picking._tatacliq_lines(include_closed=True)

    @api.depends(
        "move_ids.state",
        "move_ids.sale_line_id.tatacliq_status_code",
        "move_ids.sale_line_id.tatacliq_fulfillment_type",
        "move_ids.sale_line_id.tatacliq_shipment_confirmed",
        "move_ids.sale_line_id.tatacliq_manifest_id.state",
    )
    def _compute_tatacliq_state(self):
        for picking in self:
            states = [
                line_state(line)
                for line in picking._tatacliq_lines(include_closed=True)
            ]
            open_states = [s for s in states if s not in ("cancelled", "returned")]
            if open_states:
                picking.tatacliq_state = min(open_states, key=STATE_RANK.get)
            elif states:
                picking.tatacliq_state = (
                    "returned" if "returned" in states else "cancelled"
                )
            else:
                picking.tatacliq_state = False

    @api.depends("move_ids.sale_line_id.tatacliq_fulfillment_type")
    def _compute_tatacliq_fulfillment_type(self):
        for picking in self:
            types = picking._tatacliq_lines(include_closed=True).mapped(
                "tatacliq_fulfillment_type"
            )
            if not types:
                picking.tatacliq_fulfillment_type = False
            elif "SSHIP" in types:
                picking.tatacliq_fulfillment_type = "SSHIP"
            else:
                picking.tatacliq_fulfillment_type = "TSHIP"

    @api.depends(
        "move_ids.state",
        "move_ids.sale_line_id.tatacliq_logistics_id",
        "move_ids.sale_line_id.tatacliq_courier_name",
        "move_ids.sale_line_id.tatacliq_status_code",
    )
    def _compute_tatacliq_courier(self):
        for picking in self:
            lines = picking._tatacliq_lines()
            codes = list(
                dict.fromkeys(filter(None, lines.mapped("tatacliq_logistics_id")))
            )
            names = [COURIERS.get(code, code) for code in codes]
            names += filter(None, lines.mapped("tatacliq_courier_name"))
            picking.tatacliq_courier_code = ", ".join(codes) or False
            picking.tatacliq_courier_name = ", ".join(dict.fromkeys(names)) or False

    @api.depends(
        "move_ids.state",
        "move_ids.sale_line_id.tatacliq_label_attachment_id",
        "move_ids.sale_line_id.tatacliq_status_code",
        "move_ids.sale_line_id.tatacliq_delivery_mode",
    )
    def _compute_tatacliq_has_label(self):
        for picking in self:
            lines = picking._tatacliq_lines().filtered(
                lambda line: line._tatacliq_needs_label()
            )
            picking.tatacliq_has_label = bool(lines) and all(
                line.tatacliq_label_attachment_id for line in lines
            )

    @api.depends(
        "tatacliq_courier_code",
        "move_ids.sale_line_id.tatacliq_awb_number",
        "move_ids.sale_line_id.tatacliq_logistics_id",
        "move_ids.sale_line_id.tatacliq_courier_name",
    )
    def _compute_carrier_tracking_url(self):
        result = super()._compute_carrier_tracking_url()
        for picking in self:
            if picking.carrier_tracking_url or not picking.tatacliq_channel_id:
                continue
            links = picking._tatacliq_tracking_links()
            if len(links) == 1:
                picking.carrier_tracking_url = links[0][1]
            elif links:
                # Several parcels: the JSON list of [AWB, URL] pairs that
                # stock_delivery's tracking button and portal page read.
                picking.carrier_tracking_url = json.dumps(links)
        return result

    @api.depends(
        "move_ids.sale_line_id.tatacliq_awb_number",
        "move_ids.sale_line_id.tatacliq_logistics_id",
        "move_ids.sale_line_id.tatacliq_courier_name",
    )
    def _compute_tatacliq_tracking_html(self):
        for picking in self:
            links = (
                picking._tatacliq_tracking_links()
                if picking.tatacliq_channel_id
                else []
            )
            picking.tatacliq_tracking_html = (
                Markup("<br/>").join(
                    Markup('<a href="%s" target="_blank" rel="noopener">%s</a>')
                    % (url, awb)
                    for awb, url in links
                )
                or False
            )

    def _tatacliq_tracking_links(self):
        """Return ``[awb, url]`` pairs for the parcels of known couriers."""
        self.ensure_one()
        by_name = {name.lower(): code for code, name in COURIERS.items()}
        links = {}
        for line in self._tatacliq_lines():
            awb = line.tatacliq_awb_number
            code = line.tatacliq_logistics_id or by_name.get(
                (line.tatacliq_courier_name or "").strip().lower()
            )
            pattern = TRACKING_URLS.get((code or "").upper())
            if awb and pattern and awb not in links:
                links[awb] = pattern.format(awb=quote(awb, safe=""))
        return [[awb, url] for awb, url in links.items()]

    # CRUD and Odoo flow

    def button_validate(self):
        self._check_tatacliq_labels()
        return super().button_validate()

    def _check_tatacliq_labels(self):
        """Raise when a marketplace delivery would leave without its label.

        Tata CLiQ needs the parcel to carry its label, and a parcel shipped
        without one is later rejected by the marketplace ("Order Not in
        PICKCONG status"), so validation waits for it while the channel uses
        shipping labels.
        """
        missing = []
        for picking in self:
            if (
                picking.state in ("done", "cancel")
                or not picking._is_tatacliq_delivery()
                or not picking.tatacliq_channel_id.use_shipping_label
            ):
                continue
            lines = picking._tatacliq_lines().filtered(
                lambda line: (
                    line._tatacliq_needs_label()
                    and not line.tatacliq_label_attachment_id
                )
            )
            if not lines:
                continue
            if picking.tatacliq_fulfillment_type == "SSHIP":
                next_step = _("click Pack, then Ship with your courier and AWB")
            else:
                next_step = _("click Pack (or Print label if it is packed)")
            missing.append(
                _(
                    "%(picking)s: no shipping label for transaction(s) %(ids)s; "
                    "%(next_step)s.",
                    picking=picking.name,
                    ids=", ".join(lines.mapped("tatacliq_transaction_id")),
                    next_step=next_step,
                )
            )
        if missing:
            raise UserError(
                _(
                    "Tata CLiQ deliveries cannot be validated without their "
                    "shipping label, because the channel uses shipping labels:\n"
                    "%(details)s\nGet the label from Tata CLiQ, then validate again.",
                    details="\n".join(missing),
                )
            )

    # Actions

    def action_tatacliq_pack(self):
        """Accept, pick confirm and pack on Tata CLiQ, then fetch the documents."""
        return self._tatacliq_run("pack").notification()

    def action_tatacliq_ship(self):
        """Open the wizard that sends the seller's courier and AWB (SSHIP)."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Ship with your courier"),
            "res_model": "tatacliq.ship.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_tatacliq_hand_over(self):
        """Hand the parcels over to the courier on Tata CLiQ and create manifests."""
        return self._tatacliq_run("handover").notification()

    def action_tatacliq_prefetch_labels(self):
        return self._tatacliq_run("prefetch").notification()

    def action_tatacliq_retry(self):
        """Try the step that is waiting for a retry now instead of later."""
        reports = [
            self.concat(*pickings)._tatacliq_run(step)
            for step, pickings in groupby(
                self.filtered("tatacliq_problem_step"),
                key=lambda picking: picking.tatacliq_problem_step,
            )
        ]
        if not reports:
            raise UserError(_("None of these deliveries has a step to try again."))
        return StepReport.merge(self.env, "retry", reports).notification()

    def action_tatacliq_print_label(self):
        """Download the shipping labels, fetching the missing ones first."""
        report = self._tatacliq_run("label")
        if report.failed:
            raise UserError(report.summary())
        attachments = self._tatacliq_lines().tatacliq_label_attachment_id
        if not attachments:
            raise UserError(
                _(
                    "No shipping label for %(pickings)s yet. Click Pack (TSHIP) or "
                    "Ship (SSHIP) to get the label from Tata CLiQ.",
                    pickings=", ".join(self.mapped("name")),
                )
            )
        if len(attachments) > 1:
            attachments = self._tatacliq_merge_labels(attachments)
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachments.id}?download=true",
            "target": "self",
        }

    def _tatacliq_merge_labels(self, attachments):
        """Return one attachment with all the labels, for one print job.

        A delivery printed again with the same labels gets its earlier merged
        file back instead of a new attachment.
        """
        Attachment = self.env["ir.attachment"]
        content = merge_pdf([attachment.raw for attachment in attachments])
        name = _("Labels %(pickings)s.pdf", pickings=", ".join(self.mapped("name")))
        values = {
            "name": name[:200],
            "type": "binary",
            "raw": content,
            "mimetype": "application/pdf",
        }
        if len(self) == 1:
            values.update(res_model=self._name, res_id=self.id)
            earlier = Attachment.search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "=", self.id),
                    ("name", "=", values["name"]),
                    ("checksum", "=", Attachment._compute_checksum(content)),
                ],
                limit=1,
            )
            if earlier:
                return earlier
        return Attachment.create(values)

    def action_tatacliq_create_manifest(self):
        """Put the handed-over parcels that have no manifest yet on manifests."""
        report = self._tatacliq_run("manifest")
        if not report.manifests:
            raise UserError(report.summary())
        return report.manifests._action_open()

    def action_tatacliq_view_manifests(self):
        self.ensure_one()
        return self.tatacliq_manifest_ids._action_open()

    # Business methods

    def _is_tatacliq_delivery(self):
        """Return whether this is the outgoing delivery of a marketplace order."""
        self.ensure_one()
        return bool(self.tatacliq_channel_id) and self.picking_type_code == "outgoing"

    def _tatacliq_lines(self, include_closed=False):
        """Return the marketplace lines shipped by these deliveries.

        Lines cancelled, rejected, reallocated or returned on the marketplace
        are left out unless ``include_closed``.
        """
        lines = self.move_ids.filtered(
            lambda move: move.state != "cancel"
        ).sale_line_id.filtered("tatacliq_transaction_id")
        if not include_closed:
            lines = lines.filtered(
                lambda line: line.tatacliq_status_code not in CLOSED_STATUSES
            )
        return lines

    def _tatacliq_run(self, step):
        return self.env["tatacliq.fulfilment"]._run_step(self, step)

    def _tatacliq_state_label(self):
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _tatacliq_update_tracking(self, lines=None):
        """Show the AWBs of the parcels as the delivery's tracking reference.

        ``lines`` are the delivery's marketplace lines when the caller has
        them already (one delivery only).
        """
        for picking in self:
            if lines is None or len(self) > 1:
                lines = picking._tatacliq_lines()
            awbs = lines.mapped("tatacliq_awb_number")
            reference = ",".join(dict.fromkeys(awb for awb in awbs if awb)) or False
            if reference and picking.carrier_tracking_ref != reference:
                picking.carrier_tracking_ref = reference

    def _tatacliq_schedule_retry(self, step, errors, message):
        """Keep the delivery as it is and try ``step`` again later.

        Only the first failure of a step posts a message, so a delivery
        waiting hours for its courier does not collect one message per try.
        """
        self.ensure_one()
        first = self.tatacliq_problem != "waiting" or self.tatacliq_problem_step != step
        attempt = 1 if first else self.tatacliq_retry_count + 1
        next_retry = fields.Datetime.now() + self.env[
            "tatacliq.fulfilment"
        ]._retry_delay(attempt, errors)
        self.write(
            {
                "tatacliq_problem": "waiting",
                "tatacliq_problem_step": step,
                "tatacliq_problem_message": message,
                "tatacliq_retry_count": attempt,
                "tatacliq_next_retry": next_retry,
            }
        )
        _logger.info(
            "Tata CLiQ %s of delivery %s (id %s) failed on try %s, next try at %s: %s",
            step,
            self.name,
            self.id,
            attempt,
            next_retry,
            message,
        )
        step_label = STEP_LABELS[step]
        if first:
            self.message_post(
                body=_(
                    "Tata CLiQ %(step)s is waiting: %(message)s The connector tries "
                    "again automatically, next at %(when)s.",
                    step=step_label,
                    message=message,
                    when=format_datetime(self.env, next_retry),
                )
            )
        if attempt == RETRY_ALERT_COUNT:
            self._tatacliq_schedule_activity(
                step,
                _(
                    "%(message)s The step has failed %(count)s times in a row; the "
                    "connector keeps trying, but check the line in the Tata CLiQ "
                    "seller portal.",
                    message=message,
                    count=attempt,
                ),
            )

    def _tatacliq_raise_problem(self, step, message):
        """Stop retrying and ask a person to act, with one activity."""
        self.ensure_one()
        self.write(
            {
                "tatacliq_problem": "blocked",
                "tatacliq_problem_step": step,
                "tatacliq_problem_message": message,
                "tatacliq_retry_count": 0,
                "tatacliq_next_retry": False,
            }
        )
        _logger.warning(
            "Tata CLiQ %s of delivery %s (id %s) needs attention: %s",
            step,
            self.name,
            self.id,
            message,
        )
        self._tatacliq_schedule_activity(step, message)

    def _tatacliq_schedule_activity(self, step, note):
        """Create the delivery's fulfilment activity, or update the open one."""
        summary = _("Tata CLiQ %(step)s failed", step=STEP_LABELS[step])
        activities = self._tatacliq_activities()
        if activities:
            activities.write({"summary": summary, "note": note})
            return
        channel = self.tatacliq_channel_id
        user = channel._get_exception_user() if channel else self.env.user
        self.activity_schedule(
            act_type_xmlid=ACTIVITY_TYPE,
            summary=summary,
            note=note,
            user_id=(self.user_id or user).id,
        )

    def _tatacliq_activities(self):
        activity_type = self.env.ref(ACTIVITY_TYPE, raise_if_not_found=False)
        if activity_type is None:
            return self.env["mail.activity"]
        return self.activity_ids.filtered(
            lambda activity: activity.activity_type_id == activity_type
        )

    def _tatacliq_clear_problem(self, step):
        """Forget the problem of ``step`` after the step succeeded."""
        self.ensure_one()
        if not self.tatacliq_problem or self.tatacliq_problem_step != step:
            return
        retries = self.tatacliq_retry_count
        was_waiting = self.tatacliq_problem == "waiting"
        self.write(
            {
                "tatacliq_problem": False,
                "tatacliq_problem_step": False,
                "tatacliq_problem_message": False,
                "tatacliq_retry_count": 0,
                "tatacliq_next_retry": False,
            }
        )
        activities = self._tatacliq_activities()
        if activities:
            activities.action_feedback(
                feedback=_("Tata CLiQ %(step)s succeeded.", step=STEP_LABELS[step])
            )
        if was_waiting:
            self.message_post(
                body=_(
                    "Tata CLiQ %(step)s succeeded after %(count)s failed tries.",
                    step=STEP_LABELS[step],
                    count=retries,
                )
            )

    # Scheduled actions

    @api.model
    def _cron_tatacliq_retry(self, limit=200):
        """Try again the steps whose retry is due, oldest first, then manifests."""
        due = self.search(
            [
                ("tatacliq_problem", "=", "waiting"),
                ("tatacliq_next_retry", "<=", fields.Datetime.now()),
                ("state", "!=", "cancel"),
            ],
            order="tatacliq_next_retry, id",
            limit=limit,
        )
        for step, pickings in groupby(due, key=lambda p: p.tatacliq_problem_step):
            report = self.concat(*pickings)._tatacliq_run(step)
            _logger.info(
                "Tata CLiQ retry of %s: %s of %s deliveries succeeded",
                step,
                len(report.done),
                report.total,
            )
        self.env["tatacliq.manifest"]._cron_retry()

    @api.model
    def _cron_tatacliq_prefetch_labels(self, limit=500):
        """Fetch the labels of TSHIP deliveries that are not packed yet."""
        pickings = self.search(self._tatacliq_prefetch_domain(), limit=limit)
        if not pickings:
            return
        report = pickings._tatacliq_run("prefetch")
        _logger.info(
            "Tata CLiQ label prefetch: %s of %s deliveries have their label",
            len(report.done),
            report.total,
        )

    @api.model
    def _tatacliq_prefetch_domain(self, channels=None):
        """Return the domain of packable TSHIP deliveries that have no label yet."""
        domain = [
            ("tatacliq_channel_id.use_shipping_label", "=", True),
            ("picking_type_code", "=", "outgoing"),
            ("state", "in", ("waiting", "confirmed", "assigned")),
            ("tatacliq_state", "in", BEFORE_PACK_STATES),
            ("tatacliq_fulfillment_type", "=", "TSHIP"),
            ("tatacliq_has_label", "=", False),
        ]
        if channels is not None:
            domain.append(("tatacliq_channel_id", "in", channels.ids))
        return domain
