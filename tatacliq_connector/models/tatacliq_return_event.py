import re

from odoo import api, fields, models

from .tatacliq_fulfilment import status_label


class TataCliqReturnEvent(models.Model):
    """One event of a marketplace return, as the return feed sent it.

    The feed has one record per event, and reading it again sends the same
    events, so an event is stored once per return by its marketplace id.
    """

    _name = "tatacliq.return.event"
    _description = "Tata CLiQ Return Event"
    _order = "event_date, sequence, id"
    _rec_name = "event_id"

    return_id = fields.Many2one(
        "tatacliq.return", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="return_id.company_id", store=True)
    event_id = fields.Char(required=True, readonly=True)
    sequence = fields.Integer(
        compute="_compute_sequence",
        store=True,
        help="Number of the event within its return (the end of the event id), "
        "so events of the same second keep their order.",
    )
    status_code = fields.Char(readonly=True)
    status_name = fields.Char(compute="_compute_status_name", store=True)
    event_date = fields.Datetime(readonly=True)
    reverse_awb = fields.Char(string="Reverse AWB", readonly=True)
    qc_status = fields.Selection(
        [("pass", "Passed"), ("fail", "Failed")],
        string="Quality Check",
        readonly=True,
    )
    refund_status = fields.Char(readonly=True)

    _sql_constraints = [
        (
            "event_unique",
            "UNIQUE(return_id, event_id)",
            "An event of a return is stored once.",
        ),
    ]

    @api.depends("event_id")
    def _compute_sequence(self):
        for event in self:
            match = re.search(r"-(\d+)$", event.event_id or "")
            event.sequence = int(match.group(1)) if match else 0

    @api.depends("status_code")
    def _compute_status_name(self):
        for event in self:
            event.status_name = status_label(event.status_code)
