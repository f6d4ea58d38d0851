import json
import logging
import re
from urllib.parse import urlsplit

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.osv import expression

from tatacliq.redact import redact_url

_logger = logging.getLogger(__name__)

# Placeholders a route path may use; the client fills them with str.format.
ROUTE_PATH_KEYS = {
    "seller_id": "273570",
    "version": "1.0",
    "fmt": "XML",
    "order_no": "0000-0000-000000",
    "transaction_id": "0",
    "manifest_id": "0",
    "slave_id": "0",
}
ROUTE_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
ROUTE_RESPONSES = ("payload", "pdf", "json")

# Secret fields: readable by managers only and removed from API log bodies.
CREDENTIAL_FIELDS = ("password", "api_secret", "sftp_password", "sftp_private_key")


class TataCliqChannel(models.Model):
    _name = "tatacliq.channel"
    _description = "Tata CLiQ Channel"
    _inherit = ["mail.thread"]
    _order = "sequence, name, id"
    _check_company_auto = True

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    sequence = fields.Integer(default=10)
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        tracking=True,
    )
    fulfillment_model = fields.Selection(
        [
            ("tship", "TSHIP (Tata CLiQ ships)"),
            ("sship", "SSHIP (seller ships)"),
            ("omni", "OMNI (stores fulfil)"),
            ("luxury", "LUXURY (Tata CLiQ Luxury)"),
        ],
        required=True,
        default="tship",
        tracking=True,
    )

    # Marketplace access. Only managers can read the secrets, and the client
    # reads them with sudo so users can still run a sync.
    base_url = fields.Char(
        string="API base URL",
        required=True,
        help="Address of the Tata CLiQ seller API given by the account manager, "
        "without a trailing path, for example https://host.example.",
    )
    seller_id = fields.Char(
        string="Seller ID", required=True, help="Numeric seller id, e.g. 273570."
    )
    seller_code = fields.Char(help="Seller code sent with the token request.")
    username = fields.Char(string="Slave login", help="User id of the slave login.")
    password = fields.Char(
        string="Slave password",
        groups="tatacliq_connector.group_tatacliq_manager",
        copy=False,
    )
    api_key = fields.Char(
        string="API key", help="Integrator key, sent as the HTTP Basic user name."
    )
    api_secret = fields.Char(
        string="API secret",
        groups="tatacliq_connector.group_tatacliq_manager",
        copy=False,
    )
    caller_name = fields.Char(
        default="tatacliq_connector",
        help="Integrator name sent as callerName with the token request.",
    )
    api_version = fields.Selection(
        [("v1", "V1 (XML)"), ("v2", "V2 (JSON)")],
        string="API version",
        required=True,
        default="v1",
    )
    api_type = fields.Selection(
        [("normal", "Normal"), ("order_wise", "Order-wise")],
        string="API type",
        required=True,
        default="normal",
        help="Normal: one sale order per marketplace transaction (order line). "
        "Order-wise: one sale order per marketplace order with all its lines. "
        "A blank or unknown value is stored as Normal.",
    )

    # Orders.
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Order source warehouse",
        required=True,
        check_company=True,
        help="Warehouse of the imported orders when the fulfilling slave id has "
        "no location of its own.",
    )
    team_id = fields.Many2one(
        "crm.team", string="Sales team", check_company=True, tracking=True
    )
    order_sync_from = fields.Datetime(
        help="Orders placed before this date are not imported."
    )
    return_sync_from = fields.Datetime(
        help="Returns created before this date are not imported."
    )
    use_marketplace_invoice = fields.Boolean(
        default=True,
        tracking=True,
        help="Use the invoice Tata CLiQ generates when an order is packed. "
        "Without it orders cannot be packed.",
    )
    use_shipping_label = fields.Boolean(
        default=True,
        tracking=True,
        help="Pull the shipping label from Tata CLiQ when an order is packed. "
        "Without it no label is pulled.",
    )
    marketplace_flags_warning = fields.Text(
        compute="_compute_marketplace_flags_warning"
    )
    page_size = fields.Integer(
        default=100, help="Orders requested per page when listing active orders."
    )
    batch_size = fields.Integer(
        default=50, help="Orders imported per database commit during a sync."
    )

    # Inventory.
    inventory_method = fields.Selection(
        [("none", "No inventory push"), ("api", "API (INVV1)"), ("sftp", "SFTP file")],
        required=True,
        default="none",
        tracking=True,
        help="Imports also accept Tata CLiQ's codes: INVV1 means API, and a blank "
        "value means SFTP when an SFTP host is set, else no push.",
    )
    inventory_reconciliation = fields.Boolean(
        help="Compare the marketplace inventory report with Odoo stock."
    )
    sftp_host = fields.Char(string="SFTP host")
    sftp_port = fields.Integer(string="SFTP port", default=22)
    sftp_username = fields.Char(string="SFTP user")
    sftp_password = fields.Char(
        string="SFTP password",
        groups="tatacliq_connector.group_tatacliq_manager",
        copy=False,
    )
    sftp_private_key = fields.Text(
        string="SFTP private key",
        groups="tatacliq_connector.group_tatacliq_manager",
        copy=False,
        help="Private key in OpenSSH or PEM format, used instead of the password.",
    )
    sftp_host_key = fields.Text(
        string="SFTP host key",
        help="Public key of the SFTP server (known_hosts line); connections to a "
        "server with another key are refused.",
    )
    sftp_upload_dir = fields.Char(
        string="SFTP upload folder", default="/inventory/upload/"
    )
    sftp_result_dir = fields.Char(
        string="SFTP result folder", default="/inventory/result/"
    )

    # Advanced.
    route_overrides = fields.Text(
        help="JSON object that changes marketplace routes, keyed by route name, "
        'for example {"orders_list": {"path": "/PartnerConnect/PC_{seller_id}/'
        '..."}}. Fields: method, path, response.',
    )
    log_retention_days = fields.Integer(
        string="API log retention (days)",
        help="Days API logs of this channel are kept. 0 uses the system default "
        "(parameter tatacliq_connector.api_log_days, 30 days when unset).",
    )
    location_ids = fields.One2many("tatacliq.location", "channel_id")
    mapping_ids = fields.One2many("tatacliq.product.mapping", "channel_id")

    # Connection test and last sync run.
    connection_state = fields.Selection(
        [("unknown", "Not tested"), ("ok", "Connected"), ("failed", "Failed")],
        default="unknown",
        readonly=True,
        copy=False,
    )
    connection_date = fields.Datetime(readonly=True, copy=False)
    connection_message = fields.Text(readonly=True, copy=False)
    last_sync_date = fields.Datetime(readonly=True, copy=False)
    last_sync_imported = fields.Integer(readonly=True, copy=False)
    last_sync_exceptions = fields.Integer(readonly=True, copy=False)
    last_sync_duration = fields.Float(
        string="Last sync duration (s)", readonly=True, copy=False
    )
    last_sync_message = fields.Text(readonly=True, copy=False)

    # Dashboard counters.
    order_to_process_count = fields.Integer(compute="_compute_order_counts")
    order_today_count = fields.Integer(compute="_compute_order_counts")
    exception_count = fields.Integer(compute="_compute_exception_count")
    api_log_count = fields.Integer(compute="_compute_api_log_count")
    mapping_count = fields.Integer(compute="_compute_mapping_count")

    _sql_constraints = [
        (
            "page_size_positive",
            "CHECK(page_size > 0)",
            "The page size must be greater than zero.",
        ),
        (
            "batch_size_positive",
            "CHECK(batch_size > 0)",
            "The batch size must be greater than zero.",
        ),
        (
            "log_retention_days_positive",
            "CHECK(log_retention_days >= 0)",
            "The API log retention cannot be negative.",
        ),
    ]

    # Constraints

    @api.constrains("route_overrides")
    def _check_route_overrides(self):
        for channel in self:
            channel._get_route_overrides()

    @api.constrains("base_url")
    def _check_base_url(self):
        # The client rejects these URLs only when it connects, so a scheduled
        # sync would fail on every run instead of the form failing once.
        for channel in self:
            try:
                parts = urlsplit(channel.base_url or "")
                parts.port  # noqa: B018 - raises ValueError on a bad port
            except ValueError:
                parts = urlsplit("")
            problem = None
            if parts.scheme not in ("http", "https") or not parts.hostname:
                problem = _("use http:// or https:// followed by the host name")
            elif parts.username is not None or parts.password is not None:
                problem = _(
                    "it contains a user name or password; remove them, the channel "
                    "signs in with its slave login and API key"
                )
            elif parts.query or parts.fragment:
                problem = _("remove the query (?...) or fragment (#...)")
            if problem:
                url = channel.base_url or ""
                try:
                    url = redact_url(url)
                except ValueError:
                    url = "***@" + url.rsplit("@", 1)[1] if "@" in url else url
                raise ValidationError(
                    _(
                        "Invalid API base URL %(url)s on channel %(channel)s: "
                        "%(problem)s, for example https://host.example.",
                        url=url,
                        channel=channel.name,
                        problem=problem,
                    )
                )

    @api.constrains("company_id")
    def _check_company_of_locations(self):
        # Locations check their own warehouse; this covers a later change of
        # the channel's company.
        self.location_ids._check_warehouse_company()

    # Computes

    @api.depends("use_marketplace_invoice", "use_shipping_label")
    def _compute_marketplace_flags_warning(self):
        for channel in self:
            channel.marketplace_flags_warning = channel._get_marketplace_flags_warning()

    def _get_marketplace_flags_warning(self):
        self.ensure_one()
        missing = []
        if not self.use_marketplace_invoice:
            missing.append(_("Use marketplace invoice"))
        if not self.use_shipping_label:
            missing.append(_("Use shipping label"))
        if not missing:
            return False
        if len(missing) == 2:
            flags = _(
                "%(first)s and %(second)s are off.", first=missing[0], second=missing[1]
            )
        else:
            flags = _("%(flag)s is off.", flag=missing[0])
        return _(
            "%(flags)s Tata CLiQ requires both the marketplace invoice and the "
            "shipping label: without them orders cannot be packed in Odoo and "
            "shipping labels are not pulled. Turn both options on.",
            flags=flags,
        )

    def _compute_order_counts(self):
        to_process = self._count_per_channel(
            "sale.order", self._get_orders_to_process_domain(), "tatacliq_channel_id"
        )
        today = self._count_per_channel(
            "sale.order", self._get_orders_today_domain(), "tatacliq_channel_id"
        )
        for channel in self:
            channel.order_to_process_count = to_process.get(channel.id, 0)
            channel.order_today_count = today.get(channel.id, 0)

    def _compute_exception_count(self):
        counts = self._count_per_channel("tatacliq.exception", [("state", "=", "open")])
        for channel in self:
            channel.exception_count = counts.get(channel.id, 0)

    def _compute_api_log_count(self):
        counts = self._count_per_channel("tatacliq.api.log", [])
        for channel in self:
            channel.api_log_count = counts.get(channel.id, 0)

    def _compute_mapping_count(self):
        counts = self._count_per_channel("tatacliq.product.mapping", [])
        for channel in self:
            channel.mapping_count = counts.get(channel.id, 0)

    def _count_per_channel(self, model_name, domain, channel_field="channel_id"):
        """Return ``{channel id: number of records}`` of ``model_name``.

        Counts the records matching ``domain`` whose ``channel_field`` is one of
        these channels.
        """
        channels = self.filtered("id")
        if not channels:
            return {}
        groups = self.env[model_name]._read_group(
            expression.AND([[(channel_field, "in", channels.ids)], domain]),
            groupby=[channel_field],
            aggregates=["__count"],
        )
        return {channel.id: count for channel, count in groups}

    @api.model
    def _get_orders_to_process_domain(self):
        """Return the domain of channel orders still waiting for Odoo work.

        Quotations wait for confirmation, confirmed orders for their delivery.
        """
        return [
            "|",
            ("state", "in", ("draft", "sent")),
            "&",
            ("state", "=", "sale"),
            ("delivery_status", "!=", "full"),
        ]

    @api.model
    def _get_orders_today_domain(self):
        """Return the domain of orders imported since midnight in the user's zone."""
        today = fields.Datetime.context_timestamp(self, fields.Datetime.now())
        midnight = today.replace(hour=0, minute=0, second=0, microsecond=0)
        midnight_utc = fields.Datetime.to_string(
            fields.Datetime.now() - (today - midnight)
        )
        return [("create_date", ">=", midnight_utc)]

    # Onchanges

    @api.onchange("sftp_host")
    def _onchange_sftp_host(self):
        if self.sftp_host and self.inventory_method == "none":
            self.inventory_method = "sftp"

    # CRUD

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._normalize_vals(vals)
        channels = super().create(vals_list)
        channels._post_marketplace_flags_warning()
        return channels

    def write(self, vals):
        vals = dict(vals)
        self._normalize_vals(vals)
        result = super().write(vals)
        if {"use_marketplace_invoice", "use_shipping_label"} & set(vals):
            self._post_marketplace_flags_warning()
        return result

    @api.model
    def _normalize_vals(self, vals):
        """Turn the seller's spellings of API type and inventory method into keys.

        Tata CLiQ's integration guide has sellers type the API type ("Normal",
        "Order-wise", anything else meaning Normal) and the inventory method
        ("INVV1" for the API, blank for SFTP). Imports and RPC callers may send
        those spellings.
        """
        if "api_type" in vals:
            vals["api_type"] = self._normalize_api_type(vals["api_type"])
        if "inventory_method" in vals:
            has_sftp = bool(vals.get("sftp_host")) or any(self.mapped("sftp_host"))
            vals["inventory_method"] = self._normalize_inventory_method(
                vals["inventory_method"], has_sftp
            )
        if vals.get("seller_id"):
            vals["seller_id"] = vals["seller_id"].strip()
        if vals.get("base_url"):
            vals["base_url"] = vals["base_url"].strip().rstrip("/")

    @api.model
    def _normalize_api_type(self, value):
        text = re.sub(r"[\s_-]+", "", str(value or "")).lower()
        return "order_wise" if text == "orderwise" else "normal"

    @api.model
    def _normalize_inventory_method(self, value, has_sftp):
        text = str(value or "").strip().lower()
        if not text:
            return "sftp" if has_sftp else "none"
        if text in ("api", "invv1"):
            return "api"
        if text in ("sftp", "none"):
            return text
        raise ValidationError(
            _(
                "Unknown inventory method %(value)r. Use INVV1 (or api) to push "
                "inventory by API, sftp to push files, or leave it blank.",
                value=value,
            )
        )

    def _post_marketplace_flags_warning(self):
        for channel in self:
            warning = channel._get_marketplace_flags_warning()
            if warning:
                channel.message_post(body=warning)

    # Actions

    def action_test_connection(self):
        """Request a token and one page of orders, then report the outcome.

        The result is stored on the channel and shown as a notification with the
        marketplace's message and the next step.
        """
        self.ensure_one()
        from tatacliq.errors import TataCliqError

        try:
            client = self._get_client()
        except UserError as error:
            self._write_connection_result("failed", error.args[0])
            return self._notification(_("Connection failed"), error.args[0], "danger")
        try:
            client.get_token()
            first_page = next(iter(client.iter_order_pages(page_size=1)), None)
        except TataCliqError as error:
            message = _(
                "Connection to Tata CLiQ failed: %(message)s %(next_step)s",
                message=error.message,
                next_step=error.next_step,
            )
            _logger.warning(
                "Connection test of channel %s failed: %s", self.id, error.message
            )
            self._write_connection_result("failed", message)
            return self._notification(_("Connection failed"), message, "danger")

        # One order per page, so the page count is the number of active orders.
        active_orders = 0
        if first_page is not None and first_page.orders:
            active_orders = first_page.total_pages
        message = _(
            "Connected to Tata CLiQ as seller %(seller)s. %(count)s active "
            "order(s) on the marketplace. Next: click Sync orders to import them.",
            seller=self.seller_id,
            count=active_orders,
        )
        self._write_connection_result("ok", message)
        return self._notification(_("Connection successful"), message, "success")

    def _write_connection_result(self, state, message):
        self.sudo().write(
            {
                "connection_state": state,
                "connection_message": message,
                "connection_date": fields.Datetime.now(),
            }
        )

    @api.model
    def _notification(self, title, message, kind):
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": title,
                "message": message,
                "type": kind,
                "sticky": kind == "danger",
                # Reload the view so it shows the stored result and counters.
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_orders(self):
        return self._action_view_orders(_("Tata CLiQ orders"), [])

    def action_view_orders_to_process(self):
        return self._action_view_orders(
            _("Orders to process"), self._get_orders_to_process_domain()
        )

    def action_view_orders_today(self):
        return self._action_view_orders(
            _("Orders imported today"), self._get_orders_today_domain()
        )

    def _action_view_orders(self, name, domain):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "sale.order",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": expression.AND([[("tatacliq_channel_id", "=", self.id)], domain]),
            "context": {"default_tatacliq_channel_id": self.id, "create": False},
        }

    def action_view_exceptions(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Tata CLiQ exceptions"),
            "res_model": "tatacliq.exception",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("channel_id", "=", self.id)],
            "context": {
                "default_channel_id": self.id,
                "search_default_open": 1,
                "create": False,
            },
        }

    def action_view_api_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_api_log"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    def action_view_mappings(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "tatacliq_connector.action_tatacliq_product_mapping"
        )
        action["domain"] = [("channel_id", "=", self.id)]
        action["context"] = {"default_channel_id": self.id}
        return action

    # Business methods

    def _get_api_type(self):
        """Return ``order_wise`` for order-wise channels, else ``normal``."""
        self.ensure_one()
        return "order_wise" if self.api_type == "order_wise" else "normal"

    def _get_route_overrides(self):
        """Return the parsed route overrides, checked against the route table.

        Raises ``ValidationError`` naming the channel, the route and the fix.
        """
        self.ensure_one()
        from tatacliq.routes import build_routes

        text = (self.route_overrides or "").strip()
        if not text:
            return {}
        example = '{"orders_list": {"path": "/PartnerConnect/PC_{seller_id}/..."}}'
        try:
            overrides = json.loads(text)
        except ValueError as error:
            raise ValidationError(
                _(
                    "The route overrides of channel %(channel)s are not valid JSON "
                    "(%(error)s). Enter an object such as %(example)s.",
                    channel=self.name,
                    error=error,
                    example=example,
                )
            ) from error
        if not isinstance(overrides, dict) or not all(
            isinstance(changes, dict) for changes in overrides.values()
        ):
            raise ValidationError(
                _(
                    "The route overrides of channel %(channel)s must be an object "
                    "of objects, keyed by route name, such as %(example)s.",
                    channel=self.name,
                    example=example,
                )
            )
        try:
            build_routes(overrides)
        except ValueError as error:
            raise ValidationError(
                _(
                    "Invalid route overrides on channel %(channel)s: %(error)s",
                    channel=self.name,
                    error=error,
                )
            ) from error
        for route_name, changes in overrides.items():
            self._check_route_override(route_name, changes)
        return overrides

    def _check_route_override(self, route_name, changes):
        errors = []
        method = changes.get("method")
        if method is not None and method not in ROUTE_METHODS:
            errors.append(
                _(
                    "method %(value)r is not one of %(allowed)s",
                    value=method,
                    allowed=", ".join(ROUTE_METHODS),
                )
            )
        response = changes.get("response")
        if response is not None and response not in ROUTE_RESPONSES:
            errors.append(
                _(
                    "response %(value)r is not one of %(allowed)s",
                    value=response,
                    allowed=", ".join(ROUTE_RESPONSES),
                )
            )
        if "path" in changes:
            path = changes["path"]
            if not isinstance(path, str) or not path.startswith("/"):
                errors.append(_("path %(value)r must start with /", value=path))
            else:
                try:
                    path.format(**ROUTE_PATH_KEYS)
                except (KeyError, IndexError, ValueError) as error:
                    errors.append(
                        _(
                            "path %(value)r has an unknown placeholder (%(error)s); "
                            "allowed: %(allowed)s",
                            value=path,
                            error=error,
                            allowed=", ".join(
                                f"{{{key}}}" for key in sorted(ROUTE_PATH_KEYS)
                            ),
                        )
                    )
        if errors:
            raise ValidationError(
                _(
                    "Invalid override of route %(route)s on channel %(channel)s: "
                    "%(errors)s.",
                    route=route_name,
                    channel=self.name,
                    errors="; ".join(errors),
                )
            )

    def _get_client(self):
        """Return a ``tatacliq.client.Client`` for this channel.

        Every HTTP attempt of the client is stored as a ``tatacliq.api.log``
        record in its own transaction, so the log survives a rollback of the
        caller (see ``tatacliq.api.log._create_in_new_cursor``).
        """
        self.ensure_one()
        from tatacliq.client import Client

        # Credentials are manager-only fields. A user running a sync needs them
        # too, so they are read with sudo and handed only to the client.
        channel = self.sudo()
        secrets = tuple(
            value for value in (channel[name] for name in CREDENTIAL_FIELDS) if value
        )
        try:
            return Client(
                base_url=channel.base_url,
                seller_id=channel.seller_id,
                seller_code=channel.seller_code or "",
                username=channel.username or "",
                password=channel.password or "",
                api_key=channel.api_key or "",
                api_secret=channel.api_secret or "",
                version=channel.api_version.upper(),
                caller_name=channel.caller_name or "tatacliq_connector",
                route_overrides=self._get_route_overrides() or None,
                on_call=self.env["tatacliq.api.log"]._make_call_logger(self, secrets),
            )
        except ValueError as error:
            # The client rejects a malformed base URL or missing credentials.
            raise UserError(
                _(
                    "Channel %(channel)s is not ready to connect to Tata CLiQ: "
                    "%(error)s",
                    channel=self.name,
                    error=error,
                )
            ) from error
