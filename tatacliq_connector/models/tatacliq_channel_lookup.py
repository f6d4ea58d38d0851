from dataclasses import dataclass

from odoo import _, models
from odoo.tools.sql import escape_psql


@dataclass(frozen=True)
class ProductLookup:
    """Result of ``tatacliq.channel._find_product``.

    ``product`` is one ``product.product`` record when the article number
    matched exactly one product, else an empty recordset. ``message`` gives the
    reason nothing matched. ``candidates`` contains the products of an
    ambiguous match, so the caller can report them instead of picking one.
    """

    article_number: str
    product: models.BaseModel
    mapping: models.BaseModel
    candidates: models.BaseModel
    message: str | None = None

    @property
    def ambiguous(self):
        return len(self.candidates) > 1


class TataCliqChannel(models.Model):
    """Lookups the order import uses to resolve slave ids and article numbers."""

    _inherit = "tatacliq.channel"

    def _find_location(self, slave_id):
        """Return the active location of this channel for ``slave_id``, or empty.

        Slave ids compare without surrounding spaces and case.
        """
        self.ensure_one()
        key = (slave_id or "").strip()
        if not key:
            return self.env["tatacliq.location"]
        return self.env["tatacliq.location"].search(
            [
                ("channel_id", "=", self.id),
                ("slave_id", "=ilike", escape_psql(key)),
            ],
            limit=1,
        )

    def _get_warehouse_for_slave(self, slave_id):
        """Return the warehouse that fulfils lines of ``slave_id``.

        A channel without locations sends every line to its order source
        warehouse. With locations, a known slave id gives its location's
        warehouse, a missing slave id gives the order source warehouse, and an
        unknown slave id gives an empty recordset so the caller can report it.
        """
        self.ensure_one()
        if not (slave_id or "").strip() or not self.location_ids:
            return self.warehouse_id
        return self._find_location(slave_id).warehouse_id

    def _find_product(self, article_number):
        """Find the product of a marketplace article number (seller SKU).

        Active mappings of this channel are searched first, then the internal
        reference of the products of the channel's company. Both compare
        without surrounding spaces and case. When one step finds two different
        products, the result is ambiguous and no product is picked.
        """
        self.ensure_one()
        Product = self.env["product.product"]
        Mapping = self.env["tatacliq.product.mapping"]
        key = (article_number or "").strip()
        if not key:
            return ProductLookup(
                article_number or "",
                Product,
                Mapping,
                Product,
                _("The order line has no article number."),
            )

        mappings = Mapping.search(
            [
                ("channel_id", "=", self.id),
                ("article_number", "=ilike", escape_psql(key)),
            ]
        )
        if mappings:
            archived = mappings.product_id.filtered(lambda product: not product.active)
            if archived and archived == mappings.product_id:
                message = _(
                    "Article number %(sku)s is mapped on channel %(channel)s to "
                    "%(products)s, which is archived. Restore the product or map "
                    "the article number to another product, then process the "
                    "order again.",
                    sku=key,
                    channel=self.name,
                    products=", ".join(archived.mapped("display_name")),
                )
                return ProductLookup(key, Product, mappings, Product, message)
            return self._product_lookup_result(
                key, mappings.product_id, mappings, _("product mappings")
            )

        products = self._search_products_by_default_code(key)
        return self._product_lookup_result(
            key, products, Mapping, _("products with this internal reference")
        )

    def _search_products_by_default_code(self, key):
        Product = self.env["product.product"]
        Product.flush_model(["default_code", "active"])
        # The ORM has no operator that trims, so the comparison is done in SQL
        # and the ids are searched again to apply record rules and companies.
        self.env.cr.execute(
            """
            SELECT id FROM product_product
             WHERE active AND lower(trim(default_code)) = lower(%s)
            """,
            [key],
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        if not ids:
            return Product
        return Product.search(
            [("id", "in", ids), ("company_id", "in", [False, self.company_id.id])]
        )

    def _product_lookup_result(self, key, products, mappings, kind):
        Product = self.env["product.product"]
        if len(products) == 1:
            return ProductLookup(key, products, mappings[:1], Product)
        if not products:
            message = _(
                "Article number %(sku)s has no product mapping on channel "
                "%(channel)s and no product has it as internal reference. Add a "
                "product mapping for it, then process the order again.",
                sku=key,
                channel=self.name,
            )
            return ProductLookup(key, Product, mappings, Product, message)
        message = _(
            "Article number %(sku)s matches several %(kind)s on channel "
            "%(channel)s: %(products)s. Keep one product for it (for example with "
            "a product mapping), then process the order again.",
            sku=key,
            kind=kind,
            channel=self.name,
            products=", ".join(products.mapped("display_name")),
        )
        return ProductLookup(key, Product, mappings, products, message)
