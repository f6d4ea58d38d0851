"""Unreadable records of the cancellation and return feeds.

A feed record that fails to decode becomes a ``decode_error`` exception whose
``source`` names its feed and whose payload is the record as sent. "Process
again" reads the feed again from the record's date, because only the
marketplace can correct a record, and falls back to the stored payload, which
a newer decoder may read. The record then goes through the same path as in a
feed read. A later feed read that applies the corrected record closes the
exception too.
"""

import hashlib
import json
import logging

from odoo import _, fields, models

from tatacliq.codecs import parse_datetime, parse_text
from tatacliq.errors import DecodingError, TataCliqError
from tatacliq.models import status_name
from tatacliq.returns import MAX_PAGE_SIZE, decode_cancellation, decode_return

from .tatacliq_channel_import import _dump_payload
from .tatacliq_order_builder import Problem

_logger = logging.getLogger(__name__)

FEED_DECODERS = {"cancellation": decode_cancellation, "return": decode_return}
FEED_PAGES_METHODS = {
    "cancellation": "iter_cancellation_pages",
    "return": "iter_return_pages",
}
# Date fields of a record, in the order used to start a new read of the feed.
# The feed filters cancellations on updatedDate and returns on eventDate; the
# earlier date of the same record is the fallback when that one is unreadable.
FEED_DATE_FIELDS = {
    "cancellation": ("updatedDate", "cancellationDate"),
    "return": ("eventDate", "returnDate"),
}


def _raw_text(raw, key):
    """Return a field of a raw record as text, or None when missing or unreadable."""
    try:
        return parse_text(raw.get(key), key)
    except DecodingError:
        return None


def feed_record_key(feed, raw):
    """Return what identifies a raw feed record across reads, or None.

    A cancellation record is one line at one store: (transaction id, slave
    id). A return record is one event: its event id, or the return id and
    status when the marketplace sends no event id (as ``decode_return``
    names it).
    """
    if not isinstance(raw, dict):
        return None
    if feed == "cancellation":
        key = (_raw_text(raw, "transactionId"), _raw_text(raw, "p1SlaveId"))
        return key if key[0] else None
    event_id = _raw_text(raw, "eventId")
    if event_id:
        return (event_id,)
    return_id = _raw_text(raw, "returnId")
    code = _raw_text(raw, "omsStatusCode")
    if not (return_id and code):
        return None
    return (f"{return_id}-{status_name(code) or code.upper()}",)


def feed_record_reference(feed, raw):
    """Return the exception reference of a raw feed record.

    The reference is the record's key: ``transaction id/slave id`` or the
    event id. A record without a readable key gets a hash of its fields, so
    two such records never share an exception.
    """
    key = feed_record_key(feed, raw)
    if key:
        return "/".join(part for part in key if part)
    text = json.dumps(raw, sort_keys=True, default=str)
    return f"{feed}-{hashlib.sha1(text.encode()).hexdigest()[:12]}"


class TataCliqChannel(models.Model):
    _inherit = "tatacliq.channel"

    # Feed reads

    def _register_feed_failure(self, failure, run, import_run):
        """Store an unreadable feed record as a ``decode_error`` exception."""
        run.problems += 1
        error = failure.error
        message = _(
            "A record of the %(feed)s feed could not be read and was skipped: "
            "%(error)s %(next_step)s Process again reads the record from the "
            "feed again and applies it once it can be read.",
            feed=run.feed,
            error=getattr(error, "message", str(error)),
            next_step=getattr(error, "next_step", ""),
        )
        _logger.warning(
            "Tata CLiQ %s record %s on channel %s (id %s) could not be decoded: %s",
            run.feed,
            failure.reference,
            self.name,
            self.id,
            getattr(error, "message", error),
        )
        raw = failure.raw
        order_no = _raw_text(raw, "orderNo") if isinstance(raw, dict) else None
        self._register_problem(
            Problem("decode_error", feed_record_reference(run.feed, raw), message),
            order_no,
            raw,
            import_run,
            source=run.feed,
        )

    def _close_feed_exceptions(self, feed, records, trigger):
        """Mark done the open exceptions of feed records that were just applied."""
        references = {feed_record_reference(feed, record.raw) for record in records}
        if not references:
            return
        resolved = self.env["tatacliq.exception"].search(
            [
                ("channel_id", "=", self.id),
                ("source", "=", feed),
                ("kind", "=", "decode_error"),
                ("state", "=", "open"),
                ("reference", "in", sorted(references)),
            ]
        )
        if not resolved:
            return
        resolved.write({"state": "done"})
        for record in resolved:
            record.message_post(
                body=_(
                    "Resolved during %(trigger)s: the %(feed)s feed now sends this "
                    "record in a readable form, and it was applied.",
                    trigger=trigger,
                    feed=feed,
                )
            )

    # Process again

    def _process_exceptions_again(self, exceptions):
        feed_exceptions = exceptions.filtered(
            lambda record: record.source in FEED_DECODERS
        )
        if feed_exceptions:
            channel = self.sudo().with_company(self.company_id)
            for record in feed_exceptions.sudo():
                channel._process_feed_exception_again(record)
        return super()._process_exceptions_again(exceptions - feed_exceptions)

    def _process_feed_exception_again(self, record):
        """Apply the record of a feed exception; mark it done or note the failure.

        The record as the feed sends it now comes first, then the stored
        payload. When neither can be read, or applying it fails, the exception
        stays open with the new message and one more attempt.
        """
        self.ensure_one()
        feed = record.source
        stored = _load_payload(record)
        fresh, read_error = None, None
        try:
            fresh = self._read_feed_record_again(feed, stored)
        except TataCliqError as error:
            read_error = error
            _logger.warning(
                "Reading the Tata CLiQ %s feed again for exception %s (id %s) "
                "failed: %s",
                feed,
                record.name,
                record.id,
                error.message,
            )

        decoded, decode_error = None, None
        for raw in (fresh, stored):
            if not isinstance(raw, dict):
                continue
            try:
                decoded = FEED_DECODERS[feed](raw)
                break
            except DecodingError as error:
                decode_error = decode_error or error

        failure = None
        if decoded is not None:
            try:
                with self.env.cr.savepoint():
                    outcome = self._apply_feed_record(feed, decoded)
            except Exception as error:
                _logger.exception(
                    "Applying Tata CLiQ %s record %s again (exception id %s) failed",
                    feed,
                    record.reference,
                    record.id,
                )
                failure = _(
                    "Applying the record failed: %(error)s Fix the cause, then "
                    "process it again.",
                    error=str(error).strip() or error.__class__.__name__,
                )
            else:
                self._close_feed_exception(record, decoded, outcome)
                return
        elif decode_error is not None:
            failure = _(
                "The record still cannot be read: %(error)s %(next_step)s The "
                "marketplace must correct it; process it again afterwards.",
                error=decode_error.message,
                next_step=decode_error.next_step,
            )
        else:
            failure = _(
                "The stored payload is not a %(feed)s record and the feed does not "
                "send the record any more. Ignore this exception.",
                feed=feed,
            )
        if read_error is not None:
            failure += " " + _(
                "Reading the feed again failed: %(error)s", error=read_error.message
            )
        self._note_feed_exception_failure(record, failure, fresh)

    def _read_feed_record_again(self, feed, stored):
        """Return the raw record of the feed with the key of ``stored``, or None.

        The read starts at the stored record's date, or at the feed's start
        date when no date of the record can be read.
        NOTE: a record whose key fields are unreadable (transaction id, event
        id) cannot be found again; only its stored payload is tried then.
        """
        key = feed_record_key(feed, stored)
        if key is None:
            return None
        start = self._get_record_date(feed, stored)
        if start is None and feed == "cancellation":
            start = self.order_sync_from or None
        elif start is None:
            start = self.return_sync_from or None
        pages = getattr(self._get_client(), FEED_PAGES_METHODS[feed])(
            from_date=start, page_size=min(self.page_size, MAX_PAGE_SIZE)
        )
        for page in pages:
            raws = [item.raw for item in (*page.records, *page.failures)]
            for raw in raws:
                if feed_record_key(feed, raw) == key:
                    return raw
        return None

    def _get_record_date(self, feed, raw):
        for field_name in FEED_DATE_FIELDS[feed]:
            try:
                value = parse_datetime(raw.get(field_name), field_name)
            except DecodingError:
                continue
            if value is not None:
                return value
        return None

    def _apply_feed_record(self, feed, record):
        """Apply one decoded feed record as a feed read does; return its outcome."""
        if feed == "cancellation":
            return self._apply_cancellation(record)
        outcome, ret = self._import_return_event(record)
        if ret is not None:
            ret._update_from_events()
        return outcome

    def _close_feed_exception(self, record, decoded, outcome):
        record.write(
            {
                "state": "done",
                "payload": _dump_payload(decoded.raw),
                "last_attempt_date": fields.Datetime.now(),
            }
        )
        record.message_post(
            body=_(
                "Processed again: the %(feed)s record was applied. %(outcome)s",
                feed=record.source,
                outcome=self._describe_feed_outcome(outcome),
            )
        )
        _logger.info(
            "Tata CLiQ %s record %s (exception id %s) applied by Process again: %s",
            record.source,
            record.reference,
            record.id,
            outcome,
        )

    def _describe_feed_outcome(self, outcome):
        """Return a sentence for the outcome of a feed record, for the chatter."""
        if outcome == "cancelled":
            return _("The line and its delivery are cancelled.")
        if outcome == "hopped":
            return _("The line was reallocated to another store; it is cancelled here.")
        if outcome == "to_review":
            return _("The line was packed already: see the activity on the sale order.")
        if outcome == "updated":
            return _("The status of the line or return was updated.")
        if outcome == "created":
            return _("The return was created.")
        if outcome == "unknown":
            return _("No sale order line has this transaction; nothing changed.")
        if outcome == "skipped":
            return _("The record is of a store of another channel; nothing changed.")
        if outcome == "filtered":
            return _(
                "The return started before the channel's return sync start date; "
                "it was left out."
            )
        return _("Odoo had applied it already.")

    def _note_feed_exception_failure(self, record, message, fresh):
        vals = {
            "message": message,
            "attempt_count": record.attempt_count + 1,
            "last_attempt_date": fields.Datetime.now(),
        }
        if isinstance(fresh, dict):
            # Keep the newest version the marketplace sent.
            vals["payload"] = _dump_payload(fresh)
        record.write(vals)
        record.message_post(
            body=_("Processed again, still not applied: %(note)s", note=message)
        )


def _load_payload(record):
    try:
        return json.loads(record.payload or "null")
    except ValueError:
        _logger.warning(
            "Payload of Tata CLiQ exception %s (id %s) is not valid JSON",
            record.name,
            record.id,
        )
        return None
