from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    tatacliq_channel_id = fields.Many2one(
        related="order_id.tatacliq_channel_id",
        store=True,
        index="btree_not_null",
        string="Tata CLiQ Channel",
    )
    tatacliq_line_kind = fields.Selection(
        selection=[
            ("product", "Marketplace line"),
            ("shipping", "Shipping charge"),
            ("cod", "Cash on delivery charge"),
        ],
        string="Tata CLiQ Line Kind",
        readonly=True,
        copy=False,
    )
    tatacliq_transaction_id = fields.Char(
        string="Transaction ID",
        readonly=True,
        copy=False,
        help="Marketplace transaction id of the order line (one unit of one SKU).",
    )
    tatacliq_line_signature = fields.Char(
        string="Marketplace Line Contents",
        readonly=True,
        copy=False,
        help="Article number, quantity and amount of the line as imported "
        "(article|quantity|amount), compared when the order is read again.",
    )
    tatacliq_slave_id = fields.Char(
        string="Slave ID",
        readonly=True,
        copy=False,
        help="Marketplace location (store or warehouse) that fulfils the line.",
    )
    tatacliq_status_code = fields.Char(
        string="Marketplace Status Code",
        readonly=True,
        copy=False,
        help="Line status name on the marketplace, for example ORDALLOC.",
    )
    tatacliq_status_name = fields.Char(
        string="Marketplace Status",
        readonly=True,
        copy=False,
    )
    tatacliq_allocation_date = fields.Datetime(
        string="Allocation Date",
        readonly=True,
        copy=False,
    )
    tatacliq_ship_by_date = fields.Datetime(
        string="Ship By",
        readonly=True,
        copy=False,
    )
    tatacliq_fulfillment_type = fields.Char(
        string="Fulfilment Type",
        readonly=True,
        copy=False,
        help="TSHIP when Tata CLiQ ships, SSHIP when the seller ships.",
    )
    tatacliq_delivery_mode = fields.Char(
        string="Delivery Mode",
        readonly=True,
        copy=False,
        help="HD home delivery, ED express, SDD same day, CNC click and collect.",
    )
    tatacliq_transport_mode = fields.Char(
        string="Transport Mode",
        readonly=True,
        copy=False,
        help="AIR or SUR (surface).",
    )
    tatacliq_logistics_id = fields.Char(
        string="Courier Code",
        readonly=True,
        copy=False,
        help="Courier assigned by the marketplace, for example DL for Delhivery.",
    )
    tatacliq_is_cod = fields.Boolean(
        string="Cash on Delivery",
        readonly=True,
        copy=False,
    )
    tatacliq_gift_message = fields.Text(
        string="Gift Message",
        readonly=True,
        copy=False,
    )
    tatacliq_is_freebie = fields.Boolean(
        string="Free Gift",
        readonly=True,
        copy=False,
    )
    tatacliq_freebie_parent_id = fields.Many2one(
        comodel_name="sale.order.line",
        string="Free Gift Of",
        readonly=True,
        copy=False,
        index="btree_not_null",
        ondelete="set null",
        help="Paid line that this free gift came with.",
    )
    tatacliq_hsn_code = fields.Char(
        string="HSN Code",
        readonly=True,
        copy=False,
    )

    def init(self):
        # A marketplace line is imported once per channel and location. The slave
        # id is part of the key because order hopping reallocates the same
        # transaction id to another store, which then receives it as a new line.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS sale_order_line_tatacliq_transaction_uniq
            ON sale_order_line (
                tatacliq_channel_id,
                tatacliq_transaction_id,
                COALESCE(tatacliq_slave_id, '')
            )
            WHERE tatacliq_transaction_id IS NOT NULL
            """
        )

    def _is_tatacliq_priced(self):
        """Return whether the marketplace sets the price, taxes and discount."""
        self.ensure_one()
        return bool(self.tatacliq_line_kind)

    # The marketplace price is what the customer paid. A pricelist rule, a
    # fiscal position or a later recompute must never change it, or the order
    # total stops matching the marketplace amount (free gifts would get the
    # list price, for example).
    def _compute_price_unit(self):
        return super(
            SaleOrderLine, self.filtered(lambda line: not line._is_tatacliq_priced())
        )._compute_price_unit()

    def _compute_discount(self):
        return super(
            SaleOrderLine, self.filtered(lambda line: not line._is_tatacliq_priced())
        )._compute_discount()

    def _compute_tax_id(self):
        return super(
            SaleOrderLine, self.filtered(lambda line: not line._is_tatacliq_priced())
        )._compute_tax_id()
