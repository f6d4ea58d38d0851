"""Marketplace returns: customer returns (CR) and returns to origin (RTO).

A return is imported once per channel by its marketplace return id. Every
later read of the return feed only adds the events not seen yet. The state of
the return (status, reverse AWB, quality check, refund) is that of its latest
event. A return that brings the parcel back gets a return receipt, made with
Odoo's return wizard from the original delivery, so the receipt lands in the
warehouse that shipped the line.
"""

import logging
from datetime import datetime

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from .sale_order_line_returns import TODO_ACTIVITY
from .tatacliq_fulfilment import status_label
from .tatacliq_order_builder import to_naive_utc

_logger = logging.getLogger(__name__)

RETURN_TYPES = [("cr", "Customer return"), ("rto", "Return to origin")]
QC_BY_FEED = {"PASS": "pass", "FAIL": "fail"}
# Statuses that record a quality check outcome on their own, for feeds that
# leave qcStatus out.
QC_BY_STATUS = {"QCFAILED": "fail", "RTOQCFAILED": "fail", "RTOQCPASS": "pass"}
STAGE_BY_STATUS = {
    "RETUINIT": "in_transit",
    "REVRSAWB": "in_transit",
    "RETTOORG": "in_transit",
    "RTOINITD": "in_transit",
    "RTOINPRS": "in_transit",
    "SRECTORI": "received",
    "QCFAILED": "received",
    "RTODELVRD": "received",
    "RTOQCPASS": "received",
    "RTOQCFAILED": "received",
    "RETUCLOS": "closed",
    "RTOCOMP": "closed",
    "REFUINIT": "closed",
    "REFINPRO": "closed",
    "REFCLOSE": "closed",
    "RETUCANC": "cancelled",
    "LOSTINTT": "lost",
}


class TataCliqReturn(models.Model):
    _name = "tatacliq.return"
    _description = "Tata CLiQ Return"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "return_date desc, id desc"
    _rec_name = "marketplace_return_id"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "tatacliq.channel",
        required=True,
        index=True,
        readonly=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True
    )
    marketplace_return_id = fields.Char(
        string="Return ID",
        required=True,
        readonly=True,
        help="Tata CLiQ's id of the return, the same in every read of the feed.",
    )
    return_type = fields.Selection(
        RETURN_TYPES,
        string="Type",
        readonly=True,
        help="Customer return: the customer sends back a delivered parcel. Return "
        "to origin (RTO): the courier brings back a parcel it could not deliver.",
    )
    transaction_id = fields.Char(readonly=True, index=True)
    order_no = fields.Char(string="Tata CLiQ Order", readonly=True)
    slave_id = fields.Char(
        string="Store", readonly=True, help="Slave id that shipped the line."
    )
    article_number = fields.Char(string="Marketplace SKU", readonly=True)
    sale_line_id = fields.Many2one(
        "sale.order.line",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
    )
    sale_order_id = fields.Many2one(
        related="sale_line_id.order_id", store=True, index="btree_not_null"
    )
    partner_id = fields.Many2one(related="sale_order_id.partner_id", string="Customer")
    product_id = fields.Many2one(related="sale_line_id.product_id")
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        readonly=True,
        help="Warehouse that shipped the line and receives the parcel back.",
    )
    status_code = fields.Char(readonly=True, tracking=True)
    status_name = fields.Char(compute="_compute_status_name", store=True)
    stage = fields.Selection(
        [
            ("in_transit", "On its way back"),
            ("received", "Received"),
            ("closed", "Closed"),
            ("cancelled", "Cancelled"),
            ("lost", "Lost in transit"),
        ],
        compute="_compute_stage",
        store=True,
        index=True,
    )
    reverse_awb = fields.Char(
        string="Reverse AWB",
        readonly=True,
        tracking=True,
        help="Air waybill of the parcel on its way back; for a return to origin "
        "the forward AWB.",
    )
    logistics_id = fields.Char(string="Return Courier", readonly=True)
    reason = fields.Char(readonly=True)
    qc_status = fields.Selection(
        [("pass", "Passed"), ("fail", "Failed")],
        string="Quality Check",
        readonly=True,
        tracking=True,
    )
    refund_status = fields.Char(readonly=True, tracking=True)
    refund_status_name = fields.Char(
        string="Refund", compute="_compute_refund_status_name", store=True
    )
    lost_in_transit = fields.Boolean(readonly=True, tracking=True)
    return_date = fields.Datetime(readonly=True)
    last_event_date = fields.Datetime(readonly=True)
    event_ids = fields.One2many("tatacliq.return.event", "return_id", readonly=True)
    picking_id = fields.Many2one(
        "stock.picking",
        string="Return Receipt",
        readonly=True,
        copy=False,
        check_company=True,
        index="btree_not_null",
    )
    picking_state = fields.Selection(related="picking_id.state", string="Receipt")
    receipt_note = fields.Char(
        readonly=True,
        help="Why Odoo has no return receipt for this return yet.",
    )

    _sql_constraints = [
        (
            "return_id_channel_unique",
            "UNIQUE(channel_id, marketplace_return_id)",
            "A marketplace return is imported once per channel.",
        ),
    ]

    @api.depends("status_code")
    def _compute_status_name(self):
        for record in self:
            record.status_name = status_label(record.status_code)

    @api.depends("refund_status")
    def _compute_refund_status_name(self):
        for record in self:
            record.refund_status_name = status_label(record.refund_status)

    @api.depends("status_code", "lost_in_transit")
    def _compute_stage(self):
        for record in self:
            if record.lost_in_transit:
                record.stage = "lost"
            else:
                record.stage = STAGE_BY_STATUS.get(record.status_code or "", False)

    # Actions

    def action_create_receipt(self):
        """Create the return receipt now (after the delivery was validated)."""
        for record in self:
            if record.picking_id:
                continue
            if not record._needs_receipt():
                raise UserError(
                    _(
                        "Return %(return_ref)s needs no receipt: it is %(status)s. "
                        "Nothing comes back to the warehouse.",
                        return_ref=record.marketplace_return_id,
                        status=record.status_name or record.status_code,
                    )
                )
            record.sudo()._create_receipt()
            if not record.picking_id:
                raise UserError(record.receipt_note)
        return self.action_view_receipt() if len(self) == 1 else True

    def action_view_receipt(self):
        self.ensure_one()
        if not self.picking_id:
            return False
        return {
            "type": "ir.actions.act_window",
            "res_model": "stock.picking",
            "res_id": self.picking_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    def action_view_sale_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.sale_order_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    # Events

    def _add_event(self, record):
        """Store one event of the return feed; return it, or None when known."""
        self.ensure_one()
        if record.event_id in self.event_ids.mapped("event_id"):
            return None
        qc = QC_BY_FEED.get(record.qc_status or "") or QC_BY_STATUS.get(record.status)
        return self.env["tatacliq.return.event"].create(
            {
                "return_id": self.id,
                "event_id": record.event_id,
                "status_code": record.status,
                "event_date": to_naive_utc(record.event_date),
                "reverse_awb": record.reverse_awb or False,
                "qc_status": qc or False,
                "refund_status": record.refund_status or False,
            }
        )

    def _update_from_events(self):
        """Take the state of the latest event and act on what changed.

        Run after new events were added. What is done once (an activity, a
        cancelled receipt) happens only when the state changes, so reading
        the same events again changes nothing.
        """
        for record in self:
            events = record.event_ids.sorted(
                lambda event: (
                    event.event_date or datetime.min,
                    event.sequence,
                    event.id,
                )
            )
            if not events:
                continue
            last = events[-1]
            was_lost = record.lost_in_transit
            had_qc = record.qc_status
            vals = {
                "status_code": last.status_code,
                "last_event_date": last.event_date,
                "lost_in_transit": any(e.status_code == "LOSTINTT" for e in events),
            }
            for field_name in ("reverse_awb", "qc_status", "refund_status"):
                values = [event[field_name] for event in events if event[field_name]]
                if values:
                    vals[field_name] = values[-1]
            record.write(vals)
            record._update_sale_line_status()

            if record.lost_in_transit and not was_lost:
                record._on_lost_in_transit()
            elif record.status_code == "RETUCANC":
                record._cancel_receipt(
                    _("The customer cancelled the return; no parcel comes back.")
                )
            elif record.qc_status == "fail" and had_qc != "fail":
                record._on_quality_check_failed()
            if record._needs_receipt() and not record.picking_id:
                record._create_receipt()
            record._update_receipt_tracking()

    def _update_sale_line_status(self):
        """Give the sale order line the return's status, as the order feed would."""
        self.ensure_one()
        line = self.sale_line_id
        if line and self.status_code and line.tatacliq_status_code != self.status_code:
            line.write(
                {
                    "tatacliq_status_code": self.status_code,
                    "tatacliq_status_name": status_label(self.status_code),
                }
            )

    # Return receipt

    def _needs_receipt(self):
        """Return whether a parcel comes back to the warehouse for this return."""
        self.ensure_one()
        if self.lost_in_transit or self.status_code == "RETUCANC":
            return False
        # After a failed check of a customer return the parcel goes back to the
        # customer, so nothing stays in stock.
        return not (self.return_type == "cr" and self.qc_status == "fail")

    def _get_delivered_moves(self):
        """Return the done moves that delivered the line to the customer."""
        self.ensure_one()
        return self.sale_line_id.move_ids.filtered(
            lambda move: (
                move.state == "done"
                and move.location_dest_id.usage == "customer"
                and not move.origin_returned_move_id
            )
        )

    def _create_receipt(self):
        """Create the return receipt from the original delivery, or note why not."""
        self.ensure_one()
        line = self.sale_line_id
        if not line:
            self._set_receipt_note(
                _(
                    "No sale order line in Odoo has transaction %(transaction)s at "
                    "store %(store)s, so no return receipt was created. Receive "
                    "the parcel by hand.",
                    transaction=self.transaction_id,
                    store=self.slave_id or "-",
                )
            )
            return
        moves = self._get_delivered_moves()
        if not moves:
            self._set_receipt_note(
                _(
                    "The delivery of transaction %(transaction)s is not validated "
                    "in Odoo, so no return receipt could be created from it. "
                    "Validate the delivery, then click Create return receipt.",
                    transaction=self.transaction_id,
                )
            )
            return
        delivery = moves[0].picking_id
        quantities = {move: self._get_returnable_quantity(move) for move in moves}
        rounding = line.product_uom.rounding
        if all(
            float_compare(qty, 0.0, precision_rounding=rounding) <= 0
            for qty in quantities.values()
        ):
            self._set_receipt_note(
                _(
                    "Delivery %(delivery)s was already returned in full in Odoo; "
                    "no second return receipt was created.",
                    delivery=delivery.name,
                )
            )
            return

        wizard = (
            self.env["stock.return.picking"]
            .with_context(
                active_id=delivery.id,
                active_ids=delivery.ids,
                active_model="stock.picking",
            )
            .create({"picking_id": delivery.id})
        )
        for wizard_line in wizard.product_return_moves:
            wizard_line.quantity = max(quantities.get(wizard_line.move_id, 0.0), 0.0)
        action = wizard.action_create_returns()
        receipt = self.env["stock.picking"].browse(action["res_id"])
        receipt.write(self._prepare_receipt_vals(delivery))
        self.write(
            {
                "picking_id": receipt.id,
                "warehouse_id": receipt.picking_type_id.warehouse_id.id,
                "receipt_note": False,
            }
        )
        message = _(
            "Return receipt %(receipt)s created for Tata CLiQ return %(return_ref)s "
            "(%(type)s, reason: %(reason)s).",
            receipt=receipt.name,
            type=dict(RETURN_TYPES).get(self.return_type, self.return_type),
            reason=self.reason or "-",
            return_ref=self.marketplace_return_id,
        )
        self.message_post(body=message)
        line.order_id.message_post(body=message)
        _logger.info(
            "Created return receipt %s (id %s) for Tata CLiQ return %s of line %s",
            receipt.name,
            receipt.id,
            self.marketplace_return_id,
            self.transaction_id,
        )

    def _get_returnable_quantity(self, move):
        returned = move.returned_move_ids.filtered(lambda ret: ret.state != "cancel")
        return move.quantity - sum(returned.mapped("product_uom_qty"))

    def _prepare_receipt_vals(self, delivery):
        vals = {
            "origin": _(
                "Tata CLiQ return %(return_ref)s of %(delivery)s",
                delivery=delivery.name,
                return_ref=self.marketplace_return_id,
            ),
            "note": _(
                "Return reason: %(reason)s",
                reason=self.reason or _("not given"),
            ),
        }
        if self.reverse_awb:
            vals["carrier_tracking_ref"] = self.reverse_awb
        return vals

    def _update_receipt_tracking(self):
        self.ensure_one()
        receipt = self.picking_id
        if (
            receipt
            and self.reverse_awb
            and receipt.carrier_tracking_ref != self.reverse_awb
        ):
            receipt.carrier_tracking_ref = self.reverse_awb

    def _set_receipt_note(self, note):
        if self.receipt_note != note:
            self.receipt_note = note
            self.message_post(body=note)

    def _cancel_receipt(self, reason):
        """Cancel a receipt not received yet; for a received one, ask a person."""
        self.ensure_one()
        receipt = self.picking_id
        if not receipt or receipt.state == "cancel":
            return
        if receipt.state == "done":
            self._schedule_activity(
                _("Check return receipt %(receipt)s", receipt=receipt.name),
                _(
                    "%(reason)s Receipt %(receipt)s is already validated: check "
                    "the stock it added and ship the item back if it is not here.",
                    reason=reason,
                    receipt=receipt.name,
                ),
            )
            return
        receipt.action_cancel()
        self.message_post(
            body=_(
                "%(reason)s Return receipt %(receipt)s is cancelled.",
                reason=reason,
                receipt=receipt.name,
            )
        )

    def _on_lost_in_transit(self):
        self.ensure_one()
        note = _(
            "Tata CLiQ reports return %(return_ref)s of transaction %(transaction)s "
            "as lost in transit (reverse AWB %(awb)s). The parcel will not "
            "arrive: follow up the claim with Tata CLiQ and check the refund.",
            transaction=self.transaction_id,
            awb=self.reverse_awb or "-",
            return_ref=self.marketplace_return_id,
        )
        self._schedule_activity(_("Return lost in transit"), note)
        if self.sale_order_id:
            self.sale_order_id.message_post(body=note)
        self._cancel_receipt(_("The parcel was lost in transit."))
        _logger.warning(
            "Tata CLiQ return %s (id %s) of line %s lost in transit",
            self.marketplace_return_id,
            self.id,
            self.transaction_id,
        )

    def _on_quality_check_failed(self):
        self.ensure_one()
        if self.return_type == "cr":
            note = _(
                "The quality check of return %(return_ref)s failed: the customer gets "
                "no refund and the parcel goes back to the customer.",
                return_ref=self.marketplace_return_id,
            )
            self._cancel_receipt(note)
        else:
            note = _(
                "The quality check of returned parcel %(return_ref)s failed: the item "
                "is damaged. Receive it, then move it to scrap or repair.",
                return_ref=self.marketplace_return_id,
            )
        self._schedule_activity(_("Return quality check failed"), note)
        if self.sale_order_id:
            self.sale_order_id.message_post(body=note)

    def _schedule_activity(self, summary, note):
        self.ensure_one()
        user = self.channel_id._get_exception_user()
        self.activity_schedule(
            TODO_ACTIVITY, summary=summary, note=note, user_id=user.id
        )
