from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.sql import escape_psql


class TataCliqLocation(models.Model):
    """A marketplace location (slave id) and the warehouse that fulfils it."""

    _name = "tatacliq.location"
    _description = "Tata CLiQ Location"
    _order = "channel_id, slave_id"
    _rec_names_search = ["name", "slave_id"]

    channel_id = fields.Many2one(
        "tatacliq.channel", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True, readonly=True
    )
    slave_id = fields.Char(
        string="Slave ID",
        required=True,
        help="Location id Tata CLiQ sends in p1SlaveId, e.g. 273570-WH01.",
    )
    name = fields.Char(help="Store or warehouse name shown on the marketplace.")
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        required=True,
        help="Warehouse that ships the lines allocated to this slave id.",
    )
    active = fields.Boolean(default=True)

    _sql_constraints = [
        (
            "slave_id_channel_unique",
            "UNIQUE(channel_id, slave_id)",
            "A slave id can be set only once per channel.",
        ),
    ]

    @api.depends("slave_id", "name")
    def _compute_display_name(self):
        for location in self:
            if location.name:
                location.display_name = f"{location.slave_id} ({location.name})"
            else:
                location.display_name = location.slave_id

    @api.constrains("slave_id", "channel_id")
    def _check_slave_id_unique(self):
        # The SQL constraint compares exactly; the lookup ignores case, so two
        # slave ids that differ only by case would be ambiguous.
        for location in self:
            duplicate = self.with_context(active_test=False).search_count(
                [
                    ("id", "!=", location.id),
                    ("channel_id", "=", location.channel_id.id),
                    ("slave_id", "=ilike", escape_psql(location.slave_id)),
                ]
            )
            if duplicate:
                raise ValidationError(
                    _(
                        "Slave id %(slave)s is already set on channel %(channel)s. "
                        "Edit the existing location instead.",
                        slave=location.slave_id,
                        channel=location.channel_id.name,
                    )
                )

    @api.constrains("warehouse_id", "channel_id")
    def _check_warehouse_company(self):
        for location in self:
            if location.warehouse_id.company_id != location.channel_id.company_id:
                raise ValidationError(
                    _(
                        "Warehouse %(warehouse)s of slave id %(slave)s belongs to "
                        "%(warehouse_company)s, but channel %(channel)s belongs to "
                        "%(company)s. Choose a warehouse of %(company)s.",
                        warehouse=location.warehouse_id.name,
                        slave=location.slave_id,
                        warehouse_company=location.warehouse_id.company_id.name,
                        channel=location.channel_id.name,
                        company=location.channel_id.company_id.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("slave_id"):
                vals["slave_id"] = vals["slave_id"].strip()
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("slave_id"):
            vals = dict(vals, slave_id=vals["slave_id"].strip())
        return super().write(vals)
