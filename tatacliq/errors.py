"""Typed errors of the marketplace client.

Every error carries a plain ``next_step`` for the person who reads it in Odoo.
Messages never contain a password, key or token: the client redacts bodies
before it builds an error.
"""

from __future__ import annotations


class TataCliqError(Exception):
    """Base class of every error the client raises."""

    next_step = "Check the API log of the channel for the full request and response."

    def __init__(self, message: str, *, route: str | None = None, status=None):
        super().__init__(message)
        self.message = message
        self.route = route
        self.status = status


class AuthenticationError(TataCliqError):
    next_step = (
        "Check the seller id, seller code, slave login and the integrator key "
        "pair on the channel."
    )


class TransientError(TataCliqError):
    """A failure that may pass: connection error, timeout, 5xx or 429."""

    next_step = "Nothing to fix: the next scheduled run tries again."

    def __init__(self, message, *, retry_after: float | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class MalformedResponseError(TataCliqError):
    """A response body that cannot be decoded; ``snippet`` is its redacted start."""

    next_step = (
        "The marketplace answered with a body the connector cannot read. "
        "Try again later; if it persists, send the API log to the account manager."
    )

    def __init__(self, message, *, snippet: str = "", **kwargs):
        super().__init__(message, **kwargs)
        self.snippet = snippet


class DecodingError(TataCliqError):
    """A well-formed payload with a value the codec cannot interpret.

    ``field`` names the element (``orderLine[27357000012002701].shipByDate``)
    and ``value`` is the value as received.
    """

    next_step = "Fix the value on the marketplace or report it to the account manager."

    def __init__(self, message, *, field: str | None = None, value=None, **kwargs):
        super().__init__(message, **kwargs)
        self.field = field
        self.value = value


class MarketplaceError(TataCliqError):
    """A business error: the marketplace understood the request and refused it."""

    next_step = "Read the marketplace message and act on it in the seller portal."

    def __init__(self, message, *, transaction_ids=(), error_code=None, **kwargs):
        super().__init__(message, **kwargs)
        self.transaction_ids = tuple(transaction_ids)
        self.error_code = error_code


class NoShipmentAvailableError(MarketplaceError, TransientError):
    """``No Shipment Available for Transactions '<id>'``: no courier yet."""

    next_step = (
        "Tata CLiQ has not assigned a courier yet. The delivery stays packable "
        "and the connector tries again later."
    )


class StatusOrderError(MarketplaceError):
    """``Order Not in PICKCONG status``: the line moved on outside Odoo."""

    next_step = (
        "The line was moved on the marketplace outside Odoo (for example handed "
        "over without a label or manifest from Odoo). Check the line in the "
        "seller portal and finish the delivery by hand."
    )


class StatusMappingMissingError(MarketplaceError):
    """``Sorry for the inconvenience, Kindly Connect to Seller Portal team``."""

    next_step = (
        "Tata CLiQ has not set up the status mappings for this seller. Ask the "
        "Tata CLiQ account manager to configure the API status mappings, then "
        "try again."
    )


class ProductDelistedError(MarketplaceError):
    """``Product Delisted or Removed in Inventory Push``: the SKU is inactive."""

    next_step = (
        "The SKU is inactive on Tata CLiQ. It is skipped in later inventory "
        "pushes until the mapping is enabled again."
    )


# Known marketplace messages, matched case-insensitively on a fragment.
KNOWN_MESSAGES = (
    ("no shipment available for transactions", NoShipmentAvailableError),
    ("not in pickcong status", StatusOrderError),
    ("kindly connect to seller portal team", StatusMappingMissingError),
    ("product delisted or removed", ProductDelistedError),
)


def classify_message(message: str | None) -> type[MarketplaceError]:
    """Return the error class for a marketplace message or ``MarketplaceError``."""
    text = (message or "").lower()
    for fragment, error_class in KNOWN_MESSAGES:
        if fragment in text:
            return error_class
    return MarketplaceError
