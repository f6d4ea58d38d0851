from odoo import fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    tatacliq_customer_key = fields.Char(
        string="Tata CLiQ Customer Key",
        index="btree_not_null",
        copy=False,
        readonly=True,
        help="Key that the order import uses to find this customer again: "
        "'email:<address>' when the marketplace sent an email address, else "
        "'phone:<last 10 digits>|<name>|<pincode>'.",
    )
