from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import escape_psql


class TataCliqProductMapping(models.Model):
    """Link between a marketplace article number (seller SKU) and a product.

    Tata CLiQ offers no SKU pull, so these records are entered by hand or
    loaded with the standard import when the marketplace SKU differs from the
    product's internal reference.
    """

    _name = "tatacliq.product.mapping"
    _description = "Tata CLiQ Product Mapping"
    _order = "channel_id, article_number"
    _rec_name = "article_number"
    _check_company_auto = True

    channel_id = fields.Many2one(
        "tatacliq.channel", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True, readonly=True
    )
    article_number = fields.Char(
        required=True,
        index=True,
        help="Seller SKU as Tata CLiQ sends it in articleNumber.",
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        check_company=True,
        ondelete="restrict",
        index=True,
    )
    default_code = fields.Char(related="product_id.default_code", string="Reference")
    active = fields.Boolean(default=True)
    delisted = fields.Boolean(
        help="Set when Tata CLiQ reports the SKU as delisted or removed; the SKU "
        "is left out of inventory pushes until this is cleared.",
    )
    delisted_date = fields.Datetime(readonly=True, copy=False)
    safety_stock = fields.Integer(
        help="Units held back from the quantity pushed to Tata CLiQ for this SKU."
    )

    _sql_constraints = [
        (
            "article_number_channel_unique",
            "UNIQUE(channel_id, article_number)",
            "An article number can be mapped only once per channel.",
        ),
        (
            "safety_stock_positive",
            "CHECK(safety_stock >= 0)",
            "The safety stock cannot be negative.",
        ),
    ]

    @api.constrains("article_number", "channel_id")
    def _check_article_number_unique(self):
        # The SQL constraint compares exactly; the order import ignores case
        # and surrounding spaces, so those duplicates are rejected here.
        for mapping in self:
            duplicate = self.with_context(active_test=False).search(
                [
                    ("id", "!=", mapping.id),
                    ("channel_id", "=", mapping.channel_id.id),
                    ("article_number", "=ilike", escape_psql(mapping.article_number)),
                ],
                limit=1,
            )
            if duplicate:
                raise ValidationError(
                    _(
                        "Article number %(sku)s is already mapped to %(product)s on "
                        "channel %(channel)s. Edit that mapping instead.",
                        sku=mapping.article_number,
                        product=duplicate.product_id.display_name,
                        channel=mapping.channel_id.name,
                    )
                )

    @api.constrains("product_id")
    def _check_product_type(self):
        # A service or combo has no stock: the order could not be shipped and
        # its quantity could not be pushed to the marketplace.
        for mapping in self:
            if mapping.product_id.type != "consu":
                raise ValidationError(
                    _(
                        "Article number %(sku)s cannot be mapped to %(product)s: "
                        "it is not a goods product. Map it to a product of type "
                        "Goods.",
                        sku=mapping.article_number,
                        product=mapping.product_id.display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        vals = dict(vals)
        self._normalize_vals(vals)
        return super().write(vals)

    @api.model
    def _normalize_vals(self, vals):
        if "article_number" in vals:
            vals["article_number"] = (vals["article_number"] or "").strip()
            # Checked here, not by the NOT NULL column, so that a blank or
            # spaces-only SKU in an imported file gets a message of its own.
            if not vals["article_number"]:
                raise ValidationError(
                    _(
                        "Missing article number in a Tata CLiQ product mapping. "
                        "Fill in the seller SKU as Tata CLiQ sends it in "
                        "articleNumber."
                    )
                )
        if "delisted" in vals:
            vals["delisted_date"] = fields.Datetime.now() if vals["delisted"] else False

    @api.model
    def get_import_templates(self):
        return [
            {
                "label": _("Import template for Tata CLiQ product mappings"),
                "template": (
                    "/tatacliq_connector/static/xls/tatacliq_product_mapping.csv"
                ),
            }
        ]
