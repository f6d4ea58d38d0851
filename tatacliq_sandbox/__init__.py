"""Tata CLiQ marketplace simulator: HTTP and SFTP on loopback with real state.

``Sandbox`` serves the routes of ``tatacliq.routes`` over real state;
``Sandbox.demo()`` adds the demo seller. See ``server.Sandbox`` for the API.
"""

from .auth import Seller, demo_seller
from .clock import Clock
from .errors import ApiError
from .server import CallRecord, Sandbox

__all__ = ["ApiError", "CallRecord", "Clock", "Sandbox", "Seller", "demo_seller"]
