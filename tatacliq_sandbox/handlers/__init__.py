"""Route handlers of the sandbox, one module per domain.

Importing a module registers its handlers (``registry.handles``). ``load``
imports them all; the server calls it once at import time.
"""

from __future__ import annotations

import importlib

DOMAIN_MODULES = ("token", "orders", "fulfilment", "inventory", "returns")


def load() -> None:
    for name in DOMAIN_MODULES:
        importlib.import_module(f"{__name__}.{name}")
