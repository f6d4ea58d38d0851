"""Tata CLiQ marketplace protocol: client, codecs, SFTP exchange and errors.

This package imports nothing from Odoo.
"""

from . import errors, models
from .client import CallRecord, Client, clear_token_cache
from .errors import (
    AuthenticationError,
    DecodingError,
    MalformedResponseError,
    MarketplaceError,
    NoShipmentAvailableError,
    ProductDelistedError,
    StatusMappingMissingError,
    StatusOrderError,
    TataCliqError,
    TransientError,
)
from .models import Order, OrderDecodeFailure, OrdersPage

__all__ = [
    "AuthenticationError",
    "CallRecord",
    "Client",
    "DecodingError",
    "MalformedResponseError",
    "MarketplaceError",
    "NoShipmentAvailableError",
    "Order",
    "OrderDecodeFailure",
    "OrdersPage",
    "ProductDelistedError",
    "StatusMappingMissingError",
    "StatusOrderError",
    "TataCliqError",
    "TransientError",
    "clear_token_cache",
    "errors",
    "models",
]
