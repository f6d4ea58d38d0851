"""Cancellation, hopping and return state of marketplace lines.

A marketplace line leaves the forward flow in one of three ways: the customer,
the seller or the marketplace cancels it, the marketplace reallocates it to
another store (order hopping), or the customer returns it. This file keeps
what Odoo did about it on the line, and applies a cancellation to the line's
delivery move and sale order.
"""

import logging

from odoo import _, api, fields, models
from odoo.tools import float_is_zero

from .tatacliq_fulfilment import (
    HANDED_OVER_STATUSES,
    PACKED_STATUSES,
    RETURNED_STATUSES,
    status_label,
)

_logger = logging.getLogger(__name__)

# Statuses of a line the store has lost: cancelled (with the refund steps that
# follow a cancellation) or reallocated to another store.
REALLOCATED_STATUS = "ODREALOC"
CANCELLATION_STATUSES = frozenset(
    {"ORDCANCL", "CLONCANC", "REFUINIT", "REFINPRO", "REFCLOSE"}
)
LOST_STATUSES = CANCELLATION_STATUSES | {REALLOCATED_STATUS}
# The refund steps also follow a return, so they mean a cancellation only
# when the line had not been handed over yet.
REFUND_STATUSES = frozenset({"REFUINIT", "REFINPRO", "REFCLOSE"})
CANCELLED_BY = [
    ("customer", "Customer"),
    ("seller", "Seller"),
    ("marketplace", "Tata CLiQ"),
]
QC_STATUSES = [("pass", "Passed"), ("fail", "Failed")]
TODO_ACTIVITY = "mail.mail_activity_data_todo"


def is_lost_status(status, previous_status=None):
    """Return whether ``status`` means the store lost the line.

    A refund step means a cancellation only for a line that was not handed
    over: after a delivery the same steps refund a return.
    """
    if status not in LOST_STATUSES:
        return False
    if status in REFUND_STATUSES:
        return previous_status not in (HANDED_OVER_STATUSES | RETURNED_STATUSES)
    return True


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    tatacliq_cancel_state = fields.Selection(
        selection=[
            ("cancelled", "Cancelled"),
            ("hopped", "Cancelled by hopping"),
            ("to_review", "Cancelled after packing"),
        ],
        string="Marketplace Cancellation",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="Cancelled: the line and its delivery move are cancelled in Odoo. "
        "Cancelled by hopping: Tata CLiQ reallocated the line to another store "
        "for lack of stock; the move here is cancelled. Cancelled after "
        "packing: the parcel was packed or handed over when the line was "
        "cancelled, so a person must act on it.",
    )
    tatacliq_cancelled_by = fields.Selection(
        selection=CANCELLED_BY,
        string="Cancelled By",
        readonly=True,
        copy=False,
    )
    tatacliq_cancel_reason_code = fields.Char(
        string="Cancellation Reason Code",
        readonly=True,
        copy=False,
        help="NOSTOCK, DAMAGED, PRICE or OTHER for a seller cancellation; the "
        "customer's code when one was given.",
    )
    tatacliq_cancel_reason = fields.Char(
        string="Cancellation Reason", readonly=True, copy=False
    )
    tatacliq_cancel_date = fields.Datetime(
        string="Cancellation Date", readonly=True, copy=False
    )
    # The import adds these shares up into the order's charge lines. They are
    # kept per line so that a cancellation can take its share off again.
    tatacliq_shipping_charge = fields.Monetary(
        string="Apportioned Shipping Charge",
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Part of the order's shipping charge that Tata CLiQ apportioned to "
        "this line (apportionedShippingCharge).",
    )
    tatacliq_cod_charge = fields.Monetary(
        string="Apportioned COD Charge",
        currency_field="currency_id",
        readonly=True,
        copy=False,
        help="Part of the order's cash on delivery charge that Tata CLiQ "
        "apportioned to this line (apportionedCODPrice).",
    )
    tatacliq_return_ids = fields.One2many(
        comodel_name="tatacliq.return",
        inverse_name="sale_line_id",
        string="Tata CLiQ Returns",
        readonly=True,
    )
    tatacliq_return_id = fields.Many2one(
        comodel_name="tatacliq.return",
        string="Last Return",
        compute="_compute_tatacliq_return",
        store=True,
    )
    tatacliq_return_status = fields.Char(
        string="Return Status",
        compute="_compute_tatacliq_return",
        store=True,
    )
    tatacliq_qc_status = fields.Selection(
        selection=QC_STATUSES,
        string="Return Quality Check",
        compute="_compute_tatacliq_return",
        store=True,
    )
    tatacliq_refund_status = fields.Char(
        string="Refund Status",
        compute="_compute_tatacliq_return",
        store=True,
        help="Refund step of the last return: Refund initiated, in progress or closed.",
    )

    @api.depends(
        "tatacliq_return_ids.status_name",
        "tatacliq_return_ids.qc_status",
        "tatacliq_return_ids.refund_status",
        "tatacliq_return_ids.return_date",
    )
    def _compute_tatacliq_return(self):
        for line in self:
            last = line.tatacliq_return_ids.sorted(
                lambda ret: (ret.return_date or ret.create_date, ret.id)
            )[-1:]
            line.tatacliq_return_id = last
            line.tatacliq_return_status = last.status_name or False
            line.tatacliq_qc_status = last.qc_status or False
            line.tatacliq_refund_status = status_label(last.refund_status)

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        marketplace_lines = lines.filtered("tatacliq_transaction_id")
        if marketplace_lines:
            # A line that another store lost arrives here as a new allocation;
            # the hop history learns where the line went.
            self.env["tatacliq.hop"].sudo()._link_hops(
                marketplace_lines.order_id.company_id,
                marketplace_lines.mapped("tatacliq_transaction_id"),
            )
        return lines

    # Cancellation

    def _tatacliq_cancellable_lines(self):
        """Return the lines a seller cancellation may be sent for.

        Marketplace product lines still open in Odoo: not cancelled, not
        shipped in Odoo, and not handed over, lost or returned on the
        marketplace. Whether a packed line can still be cancelled is for the
        marketplace to decide, and it rejects the request with its own message.
        """
        closed = LOST_STATUSES | HANDED_OVER_STATUSES | RETURNED_STATUSES
        return self.filtered(
            lambda line: (
                line.tatacliq_line_kind == "product"
                and line.tatacliq_transaction_id
                and not line.tatacliq_cancel_state
                and line.state == "sale"
                and line.tatacliq_status_code not in closed
                and not any(move.state == "done" for move in line.move_ids)
            )
        )

    def _tatacliq_is_packed(self, previous_status=None):
        """Return whether the line's parcel was packed when it was cancelled.

        Any of these counts: the last marketplace status Odoo knew was packed
        or later, a delivery move of the line is done, or the marketplace
        issued its invoice or AWB for the line.
        """
        self.ensure_one()
        status = previous_status or self.tatacliq_status_code
        if status in PACKED_STATUSES | HANDED_OVER_STATUSES:
            return True
        if any(move.state == "done" for move in self.move_ids):
            return True
        for field_name in ("tatacliq_invoice_number", "tatacliq_awb_number"):
            if field_name in self._fields and self[field_name]:
                return True
        return False

    def _tatacliq_apply_cancellation(
        self,
        status,
        cancelled_by=None,
        reason_code=None,
        reason=None,
        date=None,
        previous_status=None,
    ):
        """Apply a marketplace cancellation or reallocation to this line once.

        ``status`` is the line's marketplace status for this store (ORDCANCL,
        a refund step or ODREALOC). A line not packed yet is cancelled with
        its delivery move, and its sale order too when no other line is left.
        A packed or handed-over line keeps its delivery and gets an activity.
        A line already handled only takes the new status and the details it
        lacked. Returns ``cancelled``, ``hopped``, ``to_review``, ``updated``
        or ``unchanged``.
        """
        self.ensure_one()
        # The status Odoo knew before this change tells whether it was packed.
        previous_status = previous_status or self.tatacliq_status_code
        vals = {}
        if status and status != self.tatacliq_status_code:
            vals["tatacliq_status_code"] = status
            vals["tatacliq_status_name"] = status_label(status)
        details = {
            "tatacliq_cancelled_by": cancelled_by,
            "tatacliq_cancel_reason_code": reason_code,
            "tatacliq_cancel_reason": reason,
            "tatacliq_cancel_date": date,
        }
        for field_name, value in details.items():
            if value and not self[field_name]:
                vals[field_name] = value

        if self.tatacliq_cancel_state:
            if vals:
                self.write(vals)
                return "updated"
            return "unchanged"

        if not vals.get("tatacliq_cancel_date") and not self.tatacliq_cancel_date:
            vals["tatacliq_cancel_date"] = fields.Datetime.now()
        if self._tatacliq_is_packed(previous_status):
            vals["tatacliq_cancel_state"] = "to_review"
            self.write(vals)
            self._tatacliq_flag_cancelled_after_pack(previous_status)
            return "to_review"

        state = "hopped" if status == REALLOCATED_STATUS else "cancelled"
        vals["tatacliq_cancel_state"] = state
        self.write(vals)
        self._tatacliq_cancel_in_odoo()
        return state

    def _tatacliq_cancel_in_odoo(self):
        """Cancel the line's open delivery moves, then its order or its quantity.

        The sale order is cancelled when all its marketplace lines are
        cancelled. Otherwise only this line's quantity drops to zero and its
        share leaves the charge lines: the other lines still ship, and the
        invoice leaves this one out.
        """
        self.ensure_one()
        order = self.order_id
        moves = self.move_ids.filtered(
            lambda move: move.state not in ("done", "cancel")
        )
        moves._action_cancel()

        product_lines = order.order_line.filtered(
            lambda line: line.tatacliq_line_kind == "product"
        )
        if all(
            line.tatacliq_cancel_state in ("cancelled", "hopped")
            for line in product_lines
        ):
            if order.state != "cancel":
                order.with_context(disable_cancel_warning=True)._action_cancel()
            message = _(
                "Tata CLiQ transaction %(transaction)s is %(status)s, and no other "
                "line of this order is left: the order and its delivery are "
                "cancelled.",
                transaction=self.tatacliq_transaction_id,
                status=self.tatacliq_status_name,
            )
        else:
            self._tatacliq_zero_quantity()
            message = _(
                "Tata CLiQ transaction %(transaction)s is %(status)s: its delivery "
                "move is cancelled and its quantity set to zero. The other lines "
                "ship as before.",
                transaction=self.tatacliq_transaction_id,
                status=self.tatacliq_status_name,
            )
            charges_note = self._tatacliq_reduce_charges()
            if charges_note:
                message += " " + charges_note
        order.message_post(body=message)
        _logger.info(
            "Cancelled Tata CLiQ line %s (sale order line %s, order %s): %s",
            self.tatacliq_transaction_id,
            self.id,
            order.name,
            self.tatacliq_status_code,
        )

    def _tatacliq_zero_quantity(self):
        self.ensure_one()
        rounding = self.product_uom.rounding
        if float_is_zero(self.product_uom_qty, precision_rounding=rounding):
            return
        # The moves are cancelled already; no procurement may replace them.
        self.with_context(skip_procurement=True)._tatacliq_write_unlocked(
            {"product_uom_qty": 0.0}
        )

    def _tatacliq_write_unlocked(self, vals):
        """Write ``vals`` on the line, unlocking its sale order for the write."""
        self.ensure_one()
        order = self.order_id
        locked = order.locked
        if locked:
            order.action_unlock()
        self.write(vals)
        if locked:
            order.action_lock()

    def _tatacliq_reduce_charges(self):
        """Take this cancelled line's share off the order's charge lines.

        Rule: the import prices the shipping and the cash on delivery charge
        line of a sale order at the sum of the charges Tata CLiQ apportioned
        to its lines. A cancelled line ships nothing and is not paid, and a
        line reallocated to another store is charged again on that store's
        order, so its share leaves this order. The lines that still ship keep
        their shares. A charge line that reaches zero gets quantity zero, like
        a cancelled product line. A charge line already invoiced is left as it
        is, because only a credit note can take the amount back. When every
        product line is cancelled, the caller cancels the whole order instead.
        NOTE: lines imported before the shares were stored have none, so their
        cancellation leaves the charges unchanged.
        Returns a sentence for the order's chatter, or an empty string.
        """
        self.ensure_one()
        order = self.order_id
        currency = order.currency_id
        shares = (
            ("shipping", self.tatacliq_shipping_charge, _("shipping")),
            ("cod", self.tatacliq_cod_charge, _("cash on delivery")),
        )
        notes = []
        for kind, share, label in shares:
            if currency.is_zero(share):
                continue
            charge_line = order.order_line.filtered(
                lambda line, kind=kind: line.tatacliq_line_kind == kind
            )[:1]
            if not charge_line:
                continue
            if not float_is_zero(
                charge_line.qty_invoiced,
                precision_rounding=charge_line.product_uom.rounding,
            ):
                notes.append(
                    _(
                        "Its %(charge)s charge of %(amount)s is invoiced already: "
                        "issue a credit note for it.",
                        charge=label,
                        amount=currency.format(share),
                    )
                )
                continue
            amount = currency.round(max(charge_line.price_unit - share, 0.0))
            vals = {"price_unit": amount}
            if currency.is_zero(amount):
                vals["product_uom_qty"] = 0.0
            charge_line._tatacliq_write_unlocked(vals)
            notes.append(
                _(
                    "Its %(charge)s charge of %(amount)s was taken off the order.",
                    charge=label,
                    amount=currency.format(share),
                )
            )
        return " ".join(notes)

    def _tatacliq_flag_cancelled_after_pack(self, previous_status=None):
        """Tell a person that a packed or shipped line was cancelled.

        The delivery is left as it is: only a person can take a parcel out of
        a shipment, and a handed-over parcel comes back as a return to origin.
        """
        self.ensure_one()
        order = self.order_id
        status = previous_status or _("packed")
        if (previous_status or "") in HANDED_OVER_STATUSES:
            next_step = _(
                "The parcel is with the courier: it comes back to the store as a "
                "return to origin (RTO). Receive it when it arrives."
            )
        else:
            next_step = _(
                "Do not hand the parcel to the courier. Take it out of the "
                "shipment, put the item back in stock and cancel the delivery in "
                "Odoo."
            )
        summary = _(
            "Tata CLiQ line %(transaction)s cancelled after packing",
            transaction=self.tatacliq_transaction_id,
        )
        note = _(
            "Tata CLiQ transaction %(transaction)s (%(product)s) was cancelled on "
            "the marketplace (%(new_status)s) while it was %(status)s. %(next)s",
            transaction=self.tatacliq_transaction_id,
            product=self.product_id.display_name,
            new_status=self.tatacliq_status_name,
            status=status,
            next=next_step,
        )
        user = order.tatacliq_channel_id._get_exception_user()
        pickings = self.move_ids.picking_id.filtered(
            lambda picking: picking.state != "cancel"
        )
        for record in (order, *pickings):
            record.activity_schedule(
                TODO_ACTIVITY, summary=summary, note=note, user_id=user.id
            )
        order.message_post(body=note)
        _logger.warning(
            "Tata CLiQ line %s (sale order line %s) was cancelled after packing "
            "(%s); activity scheduled on %s",
            self.tatacliq_transaction_id,
            self.id,
            status,
            order.name,
        )
