import logging
from datetime import timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import groupby, split_every
from odoo.tools.misc import format_datetime

from tatacliq.errors import TataCliqError
from tatacliq.fulfilment import MAX_MANIFEST_ITEMS
from tatacliq.models import COURIERS

from .tatacliq_fulfilment import ACTIVITY_TYPE, HANDED_OVER_STATUSES, is_transient

_logger = logging.getLogger(__name__)


class TataCliqManifest(models.Model):
    """A courier manifest of Tata CLiQ: the parcels one courier picks up.

    One record is one manifest on the marketplace. It groups handed-over
    parcels of one channel, courier, pickup location (slave id) and day,
    because the marketplace rejects parcels of another courier or location
    on the same manifest. A manifest cannot be extended once created, so a
    second handover on the same day gets a second manifest.
    """

    _name = "tatacliq.manifest"
    _description = "Tata CLiQ Manifest"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "manifest_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(
        string="Manifest",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: _("New"),
        help="Manifest id Tata CLiQ returned, for example MF273570000001.",
    )
    channel_id = fields.Many2one(
        comodel_name="tatacliq.channel",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True
    )
    courier_code = fields.Char(
        readonly=True,
        help="Courier code (DL, BD, ...) or, for self-ship parcels, the name of "
        "the seller's courier.",
    )
    courier_name = fields.Char(compute="_compute_courier_name", string="Courier")
    slave_id = fields.Char(
        string="Pickup Location",
        readonly=True,
        help="Slave id the courier picks up at.",
    )
    manifest_date = fields.Date(
        string="Date", required=True, readonly=True, default=fields.Date.context_today
    )
    state = fields.Selection(
        selection=[
            ("draft", "To send"),
            ("created", "Created, PDF missing"),
            ("done", "Done"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
    )
    line_ids = fields.One2many(
        comodel_name="sale.order.line",
        inverse_name="tatacliq_manifest_id",
        string="Parcels",
        readonly=True,
    )
    picking_ids = fields.Many2many(
        comodel_name="stock.picking",
        relation="tatacliq_manifest_stock_picking_rel",
        column1="manifest_id",
        column2="picking_id",
        string="Deliveries",
        readonly=True,
        copy=False,
    )
    parcel_count = fields.Integer(compute="_compute_counts")
    picking_count = fields.Integer(compute="_compute_counts")
    attachment_id = fields.Many2one(
        comodel_name="ir.attachment",
        string="Manifest PDF",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    message = fields.Text(
        readonly=True, copy=False, help="Why the last try to create or download failed."
    )
    retry_count = fields.Integer(readonly=True, copy=False)
    next_retry = fields.Datetime(readonly=True, copy=False, index="btree_not_null")

    # Computes

    @api.depends("courier_code")
    def _compute_courier_name(self):
        for manifest in self:
            manifest.courier_name = COURIERS.get(
                manifest.courier_code or "", manifest.courier_code
            )

    @api.depends("line_ids", "picking_ids")
    def _compute_counts(self):
        for manifest in self:
            manifest.parcel_count = len(manifest.line_ids)
            manifest.picking_count = len(manifest.picking_ids)

    # Actions

    def action_submit(self):
        """Send the manifest to Tata CLiQ again (after a failure)."""
        for manifest in self.filtered(lambda m: m.state in ("draft", "failed")):
            if not manifest.line_ids:
                raise UserError(
                    _(
                        "Manifest %(name)s has no parcels left. Select handed-over "
                        "deliveries and click Create manifest.",
                        name=manifest.display_name,
                    )
                )
            manifest.state = "draft"
            manifest._submit()
        return True

    def action_fetch_pdf(self):
        for manifest in self.filtered(lambda m: m.state == "created"):
            manifest._fetch_pdf()
        return True

    def action_print(self):
        """Download the manifest PDF, fetching it from Tata CLiQ if it is missing."""
        self.ensure_one()
        if not self.attachment_id and self.state == "created":
            self._fetch_pdf()
        if not self.attachment_id:
            raise UserError(
                _(
                    "Manifest %(name)s has no PDF yet: %(reason)s",
                    name=self.display_name,
                    reason=self.message
                    or _("it is not created on Tata CLiQ yet. Click Send again."),
                )
            )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.attachment_id.id}?download=true",
            "target": "self",
        }

    def action_view_pickings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "stock.action_picking_tree_all"
        )
        action["domain"] = [("id", "in", self.picking_ids.ids)]
        action["context"] = {"create": False}
        return action

    def _action_open(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_manifest"
        )
        if len(self) == 1:
            action.update(res_id=self.id, views=[(False, "form")], view_mode="form")
        else:
            action["domain"] = [("id", "in", self.ids)]
        return action

    # Business methods

    @api.model
    def _create_for_lines(self, channel, lines):
        """Create and send the manifests of handed-over ``lines`` of ``channel``.

        Lines are grouped by courier, pickup location and handover day, at most
        ``MAX_MANIFEST_ITEMS`` per manifest. Click and collect lines are left
        out because no courier picks them up. Returns the new manifests.
        """
        manifests = self.browse()
        lines = lines.filtered(lambda line: line._tatacliq_needs_label())

        def group_key(line):
            courier = line.tatacliq_logistics_id or line.tatacliq_courier_name or ""
            day = fields.Date.context_today(
                self, line.tatacliq_handover_date or fields.Datetime.now()
            )
            return courier, line.tatacliq_slave_id or "", day

        for (courier, slave_id, day), group in groupby(lines, key=group_key):
            for chunk in split_every(MAX_MANIFEST_ITEMS, group):
                chunk_lines = self.env["sale.order.line"].concat(*chunk)
                pickings = chunk_lines.move_ids.picking_id.filtered(
                    lambda picking: picking._is_tatacliq_delivery()
                )
                manifest = self.sudo().create(
                    {
                        "channel_id": channel.id,
                        "courier_code": courier or False,
                        "slave_id": slave_id or False,
                        "manifest_date": day,
                        "picking_ids": [fields.Command.set(pickings.ids)],
                    }
                )
                chunk_lines.sudo().tatacliq_manifest_id = manifest
                manifests |= manifest
        for manifest in manifests:
            manifest._submit()
        return manifests.with_env(self.env)

    def _submit(self):
        """Create the manifest on Tata CLiQ, then download its PDF."""
        self.ensure_one()
        transaction_ids = self.line_ids.mapped("tatacliq_transaction_id")
        try:
            result = self.channel_id._get_client().create_manifest(
                transaction_ids, logistics_id=self.courier_code or None
            )
        except TataCliqError as error:
            self._record_failure(error)
            return

        self._apply_line_results(result)

        if not result.manifest_id:
            self.write(
                {
                    "state": "failed",
                    "message": _("Tata CLiQ put none of the parcels on a manifest."),
                    "next_retry": False,
                }
            )
            self._commit()
            return

        pickings = self.line_ids.move_ids.picking_id.filtered(
            lambda picking: picking._is_tatacliq_delivery()
        )
        self.write(
            {
                "name": result.manifest_id,
                "state": "created",
                "message": False,
                "retry_count": 0,
                "next_retry": False,
                "picking_ids": [fields.Command.set(pickings.ids)],
            }
        )
        self.message_post(
            body=_(
                "Manifest %(name)s created on Tata CLiQ with %(count)s parcel(s).",
                name=result.manifest_id,
                count=len(self.line_ids),
            )
        )
        self._clear_picking_problems()
        self._commit()
        self._fetch_pdf()

    def _apply_line_results(self, result):
        """Detach the parcels that ``result`` did not put on this manifest."""
        by_transaction = {line.tatacliq_transaction_id: line for line in self.line_ids}
        rejected = []
        for line_result in result.lines:
            line = by_transaction[line_result.transaction_id]
            if line_result.ok and line_result.manifest_id == result.manifest_id:
                continue
            # The parcel is not on this manifest, so it can go on a later one.
            line.sudo().tatacliq_manifest_id = False
            if not line_result.ok:
                rejected.append((line, line_result.error))
            else:
                self._attach_to_existing(line, line_result.manifest_id)
        if rejected:
            self._report_rejected(rejected)

    def _clear_picking_problems(self):
        """Close the manifest problem of deliveries whose parcels are all on one."""
        for picking in self.picking_ids:
            waiting = picking._tatacliq_lines().filtered(
                lambda line: (
                    line.tatacliq_status_code in HANDED_OVER_STATUSES
                    and not line.tatacliq_manifest_id
                )
            )
            if not waiting:
                picking._tatacliq_clear_problem("manifest")

    def _attach_to_existing(self, line, manifest_name):
        """Link a parcel that the marketplace keeps on an earlier manifest."""
        existing = self.search(
            [("channel_id", "=", self.channel_id.id), ("name", "=", manifest_name)],
            limit=1,
        )
        if existing:
            line.sudo().tatacliq_manifest_id = existing
            return
        _logger.warning(
            "Transaction %s is on Tata CLiQ manifest %s, which Odoo does not know",
            line.tatacliq_transaction_id,
            manifest_name,
        )

    def _report_rejected(self, rejected):
        """Tell the manifest and the deliveries which parcels were rejected, and why."""
        Fulfilment = self.env["tatacliq.fulfilment"]
        self.message_post(
            body=_(
                "Tata CLiQ rejected %(count)s parcel(s): %(errors)s",
                count=len(rejected),
                errors=Fulfilment._format_errors(rejected),
            )
        )
        for picking, pairs in groupby(
            rejected,
            key=lambda pair: pair[0].move_ids.picking_id.filtered(
                lambda p: p._is_tatacliq_delivery()
            )[:1],
        ):
            if picking:
                picking._tatacliq_raise_problem(
                    "manifest", Fulfilment._format_errors(pairs)
                )

    def _fetch_pdf(self):
        self.ensure_one()
        try:
            content = self.channel_id._get_client().manifest_document(self.name)
        except TataCliqError as error:
            self._record_failure(error)
            return
        attachment = self.env["tatacliq.fulfilment"]._attach_pdf(
            self, _("Manifest %(name)s.pdf", name=self.name), content
        )
        self.write(
            {
                "attachment_id": attachment.id,
                "state": "done",
                "message": False,
                "retry_count": 0,
                "next_retry": False,
            }
        )
        self._commit()

    def _record_failure(self, error):
        """Retry later after a transient error, else mark it failed for a person."""
        message = f"{error.message} {error.next_step}"
        if is_transient(error):
            attempt = self.retry_count + 1
            next_retry = fields.Datetime.now() + self.env[
                "tatacliq.fulfilment"
            ]._retry_delay(attempt, [error])
            if attempt == 1:
                self.message_post(
                    body=_(
                        "Tata CLiQ did not answer: %(message)s The connector tries "
                        "again automatically, next at %(when)s.",
                        message=message,
                        when=format_datetime(self.env, next_retry),
                    )
                )
            self.write(
                {"message": message, "retry_count": attempt, "next_retry": next_retry}
            )
        else:
            self.write({"state": "failed", "message": message, "next_retry": False})
            self.activity_schedule(
                act_type_xmlid=ACTIVITY_TYPE,
                summary=_("Tata CLiQ manifest failed"),
                note=message,
                user_id=self.channel_id._get_exception_user().id,
            )
        _logger.warning(
            "Tata CLiQ manifest %s (id %s) of channel %s: %s",
            self.name,
            self.id,
            self.channel_id.id,
            error.message,
        )
        self._commit()

    @api.model
    def _cron_retry(self, limit=50):
        """Send or download the manifests whose retry is due."""
        due = self.search(
            [
                ("state", "in", ("draft", "created")),
                ("next_retry", "<=", fields.Datetime.now()),
            ],
            order="next_retry, id",
            limit=limit,
        )
        for manifest in due:
            if manifest.state == "draft":
                manifest._submit()
            else:
                manifest._fetch_pdf()

    def _commit(self):
        self.env["tatacliq.fulfilment"]._commit()

    @api.autovacuum
    def _gc_empty_drafts(self):
        """Delete unsent manifests that lost all their parcels a day ago."""
        limit = fields.Datetime.now() - timedelta(days=1)
        self.search(
            [
                ("state", "in", ("draft", "failed")),
                ("line_ids", "=", False),
                ("create_date", "<", limit),
            ]
        ).unlink()
