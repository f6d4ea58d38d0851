from odoo import _, api, fields, models
from odoo.exceptions import UserError

# Feed a record came from. "Process again" applies it through the same feed.
EXCEPTION_SOURCES = [
    ("order", "Order feed"),
    ("cancellation", "Cancellation feed"),
    ("return", "Return feed"),
]
EXCEPTION_KINDS = [
    ("unmapped_sku", "Unmapped SKU"),
    ("ambiguous_product", "Ambiguous product"),
    ("unknown_slave", "Unknown slave id"),
    ("missing_address", "Missing address"),
    ("decode_error", "Undecodable record"),
    ("marketplace_error", "Marketplace error"),
    ("other", "Other error"),
]


class TataCliqException(models.Model):
    """Marketplace input that could not be imported, kept until someone acts on it.

    The payload is the order, or the cancellation or return record, as the
    marketplace sent it, so "Process again" applies it after the cause (a
    product mapping, a location) is fixed. At most one open exception exists
    per channel, source, reference and kind.
    """

    _name = "tatacliq.exception"
    _description = "Tata CLiQ Import Exception"
    _inherit = ["mail.thread"]
    _order = "state, create_date desc, id desc"

    name = fields.Char(compute="_compute_name", store=True)
    channel_id = fields.Many2one(
        comodel_name="tatacliq.channel",
        required=True,
        index=True,
        ondelete="cascade",
        readonly=True,
    )
    company_id = fields.Many2one(
        related="channel_id.company_id",
        store=True,
        index=True,
    )
    kind = fields.Selection(
        selection=EXCEPTION_KINDS,
        required=True,
        readonly=True,
        tracking=True,
    )
    source = fields.Selection(
        selection=EXCEPTION_SOURCES,
        default="order",
        required=True,
        index=True,
        readonly=True,
        help="The feed the record came from. Process again imports an order, "
        "and applies a cancellation or return record as the feed read would.",
    )
    reference = fields.Char(
        required=True,
        index=True,
        readonly=True,
        help="Transaction id of the line, or the order number when the problem "
        "concerns the whole order. For a cancellation record: transaction id/"
        "slave id; for a return record: the event id.",
    )
    order_no = fields.Char(
        string="Order Number",
        index=True,
        readonly=True,
    )
    message = fields.Text(
        readonly=True,
        help="What failed and what to do before processing the order again.",
    )
    payload = fields.Text(
        readonly=True,
        help="The order or feed record as the marketplace sent it (JSON). "
        "Process again uses it when the marketplace no longer sends the record.",
    )
    state = fields.Selection(
        selection=[("open", "Open"), ("done", "Done"), ("ignored", "Ignored")],
        default="open",
        required=True,
        index=True,
        tracking=True,
    )
    attempt_count = fields.Integer(
        string="Attempts",
        readonly=True,
        help="How many times the record was processed again without success.",
    )
    last_attempt_date = fields.Datetime(readonly=True)
    sale_order_ids = fields.Many2many(
        comodel_name="sale.order",
        compute="_compute_sale_order_ids",
        string="Sale Orders",
    )
    sale_order_count = fields.Integer(compute="_compute_sale_order_ids")

    def init(self):
        # Enforced in the database so that two imports running at once cannot
        # both record the same problem. The source is part of the key because
        # an order line and a feed record of it can fail at the same time. The
        # index of earlier versions, without the source, is dropped.
        self.env.cr.execute("DROP INDEX IF EXISTS tatacliq_exception_open_uniq")
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS tatacliq_exception_open_source_uniq
            ON tatacliq_exception (channel_id, source, reference, kind)
            WHERE state = 'open'
            """
        )

    @api.depends("kind", "reference")
    def _compute_name(self):
        labels = dict(EXCEPTION_KINDS)
        for record in self:
            record.name = f"{labels.get(record.kind, record.kind)}: {record.reference}"

    def _compute_sale_order_ids(self):
        for record in self:
            orders = self.env["sale.order"]
            if record.order_no:
                orders = orders.search(
                    [
                        ("tatacliq_channel_id", "=", record.channel_id.id),
                        ("tatacliq_order_no", "=", record.order_no),
                    ]
                )
            record.sale_order_ids = orders
            record.sale_order_count = len(orders)

    def action_process_again(self):
        """Apply the stored records again and close the exceptions they resolve."""
        if self.filtered(lambda record: record.state != "open"):
            raise UserError(
                _(
                    "Only open exceptions can be processed again. Reopen the "
                    "exception first if the order still needs importing."
                )
            )
        results = []
        for channel in self.channel_id:
            results.append(
                channel._process_exceptions_again(
                    self.filtered(lambda record, ch=channel: record.channel_id == ch)
                )
            )
        still_open = self.filtered(lambda record: record.state == "open")
        if still_open:
            message = _(
                "%(count)s of %(total)s exception(s) are still open. Read the "
                "updated message on each, fix the cause and process again.",
                count=len(still_open),
                total=len(self),
            )
            kind = "warning"
        else:
            message = _("All %(count)s exception(s) are resolved.", count=len(self))
            kind = "success"
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Process again"),
                "message": message,
                "type": kind,
                "sticky": bool(still_open),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_ignore(self):
        self.write({"state": "ignored"})
        self.channel_id._update_exception_activity()

    def action_reopen(self):
        for record in self.filtered(lambda rec: rec.state != "open"):
            duplicate = self.search_count(
                [
                    ("channel_id", "=", record.channel_id.id),
                    ("source", "=", record.source),
                    ("reference", "=", record.reference),
                    ("kind", "=", record.kind),
                    ("state", "=", "open"),
                ]
            )
            if duplicate:
                raise UserError(
                    _(
                        "Exception %(name)s cannot be reopened: another open "
                        "exception exists for the same source, reference and "
                        "kind. Use "
                        "that one.",
                        name=record.name,
                    )
                )
            record.state = "open"
        self.channel_id._update_exception_activity()

    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [("id", "in", self.sale_order_ids.ids)]
        action["context"] = {"create": False}
        return action
