"""Sandbox handlers for cancellations, seller cancellation (order hopping), returns.

Register each handler with ``@handles("<route name>", root="<XML root>")``
from ``tatacliq_sandbox.registry``.
"""

from __future__ import annotations
