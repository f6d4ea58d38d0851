import logging
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.osv import expression

_logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30
RETENTION_PARAMETER = "tatacliq_connector.api_log_days"
# The client truncates bodies to this many characters; the log enforces it too.
MAX_BODY_CHARS = 20000
REDACTED = "***"


class TataCliqApiLog(models.Model):
    """One HTTP attempt of the marketplace client, with redacted bodies."""

    _name = "tatacliq.api.log"
    _description = "Tata CLiQ API Log"
    _order = "id desc"
    _rec_name = "route"

    channel_id = fields.Many2one(
        "tatacliq.channel", required=True, ondelete="cascade", index=True, readonly=True
    )
    company_id = fields.Many2one(
        related="channel_id.company_id", store=True, index=True, readonly=True
    )
    route = fields.Char(readonly=True, help="Name of the route in the route table.")
    method = fields.Char(readonly=True)
    url = fields.Char(string="URL", readonly=True)
    status_code = fields.Integer(
        readonly=True, help="HTTP status; 0 when no response arrived."
    )
    duration_ms = fields.Integer(string="Duration (ms)", readonly=True)
    attempt = fields.Integer(readonly=True, help="1 for the first try of a call.")
    request_body = fields.Text(readonly=True)
    response_body = fields.Text(readonly=True)
    error = fields.Text(readonly=True)
    is_error = fields.Boolean(
        compute="_compute_is_error", store=True, string="Failed", readonly=True
    )

    @api.depends("status_code", "error")
    def _compute_is_error(self):
        for log in self:
            log.is_error = bool(log.error) or not 200 <= log.status_code < 400

    @api.depends("method", "route", "status_code")
    def _compute_display_name(self):
        for log in self:
            log.display_name = f"{log.method or ''} {log.route or ''} {log.status_code}"

    # Writing call records

    @api.model
    def _make_call_logger(self, channel, secrets=()):
        """Return the ``on_call`` callback of a client for ``channel``.

        ``secrets`` are the channel's credentials. They are replaced wherever they
        appear in the URL, a body or the error, as a second line of defence
        after the client's own redaction.
        """
        log_model = self
        channel_id = channel.id
        # Very short values would blank out ordinary text, so they are skipped.
        secrets = tuple(secret for secret in secrets if len(secret or "") >= 4)

        def log_call(record):
            vals = log_model._prepare_call_vals(record, secrets)
            vals["channel_id"] = channel_id
            log_model._create_in_new_cursor(vals)

        return log_call

    @api.model
    def _prepare_call_vals(self, record, secrets=()):
        return {
            "route": record.route,
            "method": record.method,
            "url": _redact(record.url, secrets),
            "status_code": record.status or 0,
            "duration_ms": int(record.duration_ms or 0),
            "attempt": record.attempt or 1,
            "request_body": _redact(_as_text(record.request_body), secrets),
            "response_body": _redact(_as_text(record.response_body), secrets),
            "error": _redact(_as_text(record.error), secrets),
        }

    @api.model
    def _create_in_new_cursor(self, vals):
        """Create a log record in its own transaction and commit it.

        A failed sync rolls back its transaction, and the API log must survive
        that because a person reads it to find out why the sync failed. In test
        mode the registry returns a cursor that shares the test transaction, so
        tests see the records and nothing is committed to the database.
        """
        registry = self.env.registry
        try:
            with registry.cursor() as cr:
                if not registry.in_test_mode():
                    # The caller may hold row locks; wait a bounded time for
                    # them instead of blocking the caller's own request.
                    cr.execute("SET LOCAL lock_timeout = '10s'")
                env = api.Environment(cr, SUPERUSER_ID, {})
                env["tatacliq.api.log"].create(vals)
        except Exception:
            # A lost log line must not fail the marketplace call it describes.
            _logger.exception(
                "Storing the API log of channel %s, route %s failed",
                vals.get("channel_id"),
                vals.get("route"),
            )

    # Purge

    @api.model
    def _get_default_retention_days(self):
        value = self.env["ir.config_parameter"].sudo().get_param(RETENTION_PARAMETER)
        if not value:
            return DEFAULT_RETENTION_DAYS
        try:
            days = int(value)
        except ValueError:
            days = 0
        if days < 1:
            _logger.warning(
                "Invalid value %r for parameter %s: expected a number of days of "
                "at least 1; keeping API logs %s days",
                value,
                RETENTION_PARAMETER,
                DEFAULT_RETENTION_DAYS,
            )
            return DEFAULT_RETENTION_DAYS
        return days

    @api.model
    def _get_purge_domain(self):
        now = fields.Datetime.now()
        default_days = self._get_default_retention_days()
        channels = (
            self.env["tatacliq.channel"]
            .sudo()
            .with_context(active_test=False)
            .search([("log_retention_days", ">", 0)])
        )
        domains = [
            [
                ("channel_id", "not in", channels.ids),
                ("create_date", "<", now - timedelta(days=default_days)),
            ]
        ]
        for channel in channels:
            domains.append(
                [
                    ("channel_id", "=", channel.id),
                    (
                        "create_date",
                        "<",
                        now - timedelta(days=channel.log_retention_days),
                    ),
                ]
            )
        return expression.OR(domains)

    @api.model
    def _cron_purge(self, batch_size=10000):
        """Delete API logs older than their retention, one batch per run.

        When more old logs remain, the progress report makes the scheduler run
        the job again soon.
        """
        domain = self._get_purge_domain()
        logs = self.sudo().search(domain, limit=batch_size)
        remaining = self.sudo().search_count(domain) - len(logs)
        logs.unlink()
        _logger.info(
            "Purged %s Tata CLiQ API log(s), %s old log(s) remaining",
            len(logs),
            remaining,
        )
        self.env["ir.cron"]._notify_progress(done=len(logs), remaining=remaining)
        return len(logs)


def _as_text(value):
    if value is None:
        return False
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value)[:MAX_BODY_CHARS]


def _redact(text, secrets):
    if not text:
        return text
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    return text
